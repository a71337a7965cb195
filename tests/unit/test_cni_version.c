#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cni/cni_version.h"
#include "jsonutil.h"

static json_t *parse(const char *s)
{
	json_t *v = NULL;

	cr_assert_eq(bjson_parse(s, strlen(s), &v, NULL), 0, "%s", s);
	return v;
}

Test(cni_version, parse_supported)
{
	static const char *const all[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
	struct cni_err ce = CNI_ERR_INIT;
	enum cni_version v;

	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(cni_version_parse(all[i], "cniVersion", &v, &ce), 0, "%s", all[i]);
		cr_assert_eq((size_t)v, i);
		cr_assert_str_eq(cni_version_str(v), all[i]);
	}
}

Test(cni_version, unsupported_is_code_1_malformed_code_7)
{
	struct cni_err ce = CNI_ERR_INIT;
	enum cni_version v;

	cr_assert_eq(cni_version_parse("0.2.0", "cniVersion", &v, &ce), -ENOTSUP);
	cr_assert_eq(ce.code, CNI_ERR_INCOMPATIBLE_VERSION);
	cr_assert(strstr(ce.e.msg, "\"0.2.0\""), "%s", ce.e.msg);
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_eq(cni_version_parse("1.2.0", "cniVersion", &v, &ce), -ENOTSUP);
	cr_assert_eq(ce.code, CNI_ERR_INCOMPATIBLE_VERSION);
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_eq(cni_version_parse("1.0", "cniVersion", &v, &ce), -EINVAL);
	cr_assert_eq(ce.code, CNI_ERR_INVALID_CONFIG);
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_eq(cni_version_parse("v1.0.0", "cniVersion", &v, &ce), -EINVAL);
	cr_assert_eq(ce.code, CNI_ERR_INVALID_CONFIG);
}

Test(cni_version, semver_orders)
{
	unsigned long a, b;

	cr_assert_eq(cni_semver_parse("0.4.0", &a), 0);
	cr_assert_eq(cni_semver_parse("0.10.0", &b), 0);
	cr_assert_lt(a, b);
	cr_assert_eq(cni_semver_parse("1.0.0-rc1", &a), -EINVAL);
	cr_assert_eq(cni_semver_parse("1..0", &a), -EINVAL);
}

Test(cni_version, capabilities_per_version)
{
	cr_assert(!cni_version_has_check(CNI_V031));
	cr_assert(cni_version_has_check(CNI_V040));
	cr_assert(!cni_version_has_gc(CNI_V100));
	cr_assert(cni_version_has_gc(CNI_V110));
	cr_assert(cni_version_has_ip_version(CNI_V040));
	cr_assert(!cni_version_has_ip_version(CNI_V100));
}

Test(cni_version, version_reply)
{
	_cleanup_json_ json_t *info = cni_version_info();
	_cleanup_free_ char *s = NULL;

	cr_assert_not_null(info);
	s = bjson_dump(info);
	cr_assert_str_eq(s, "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\","
			    "\"1.1.0\"]}");
}

Test(cni_version, negotiate_with_a_plugin)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *hl = NULL, *old = NULL, *bad = NULL;
	enum cni_version v;

	hl = parse("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\",\"0.3.1\","
		   "\"0.4.0\",\"1.0.0\"]}");
	cr_assert_eq(cni_version_negotiate(hl, "host-local", &v, &ce), 0);
	cr_assert_eq(v, CNI_V100);
	old = parse("{\"supportedVersions\":[\"0.1.0\",\"0.2.0\"]}");
	cr_assert_eq(cni_version_negotiate(old, "old", &v, &ce), -ENOTSUP);
	cr_assert_eq(ce.code, CNI_ERR_INCOMPATIBLE_VERSION);
	bad = parse("{}");
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_lt(cni_version_negotiate(bad, "bad", &v, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
}
