/* berth-cni: CNI spec versions, their negotiation with a delegate and the VERSION reply. */
#include "cni/cni_version.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "jsonutil.h"

static const char *const names[CNI_V__COUNT] = {
	[CNI_V030] = "0.3.0", [CNI_V031] = "0.3.1", [CNI_V040] = "0.4.0", [CNI_V100] = "1.0.0", [CNI_V110] = "1.1.0",
};

const char *cni_version_str(enum cni_version v)
{
	return (unsigned)v < CNI_V__COUNT ? names[v] : "?";
}

int cni_semver_parse(const char *s, unsigned long *ret)
{
	unsigned long parts[3];
	const char *p = s;

	for (int i = 0; i < 3; i++) {
		unsigned long n = 0;
		const char *start = p;

		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (unsigned long)(*p - '0');
			if (n > 9999)
				return -EINVAL;
			p++;
		}
		if (p == start)
			return -EINVAL;
		parts[i] = n;
		if (i < 2) {
			if (*p != '.')
				return -EINVAL;
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	*ret = parts[0] * 100000000ul + parts[1] * 10000ul + parts[2];
	return 0;
}

/* The enum cni_version of an exact version string, or -EINVAL for one we do not speak. */
static int lookup(const char *s)
{
	for (int v = 0; v < CNI_V__COUNT; v++)
		if (strcmp(s, names[v]) == 0)
			return v;
	return -EINVAL;
}

int cni_version_parse(const char *s, const char *where, enum cni_version *ret, struct cni_err *ce)
{
	unsigned long n;
	int v;

	if (cni_semver_parse(s, &n) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' is \"%s\", not a version like \"1.1.0\"",
				where, s);
	v = lookup(s);
	if (v < 0)
		return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
				"incompatible CNI versions: config is \"%s\", berth-cni supports 0.3.0, 0.3.1, 0.4.0, "
				"1.0.0 and 1.1.0",
				s);
	*ret = (enum cni_version)v;
	return 0;
}

json_t *cni_version_info(void)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *list = json_array();

	if (!o || !list || bjson_set(o, "cniVersion", json_string(CNI_VERSION_LATEST_STR)) < 0 ||
	    bjson_set(o, "supportedVersions", list) < 0)
		return NULL;
	for (int v = 0; v < CNI_V__COUNT; v++)
		if (json_array_append_new(list, json_string(names[v])) < 0)
			return NULL;
	return TAKE_PTR(o);
}

int cni_version_negotiate(const json_t *plugin_info, const char *plugin, enum cni_version *ret, struct cni_err *ce)
{
	json_t *list = json_object_get(plugin_info, "supportedVersions");
	json_t *item;
	size_t i;
	int best = -ENOENT;

	if (!json_is_array(list))
		return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s: VERSION reply has no 'supportedVersions' list",
				plugin);
	json_array_foreach (list, i, item) {
		int v = json_is_string(item) ? lookup(json_string_value(item)) : -EINVAL;

		if (v >= 0 && v > best)
			best = v;
	}
	if (best < 0)
		return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
				"%s shares no CNI version with berth-cni (0.3.0 to 1.1.0)", plugin);
	*ret = (enum cni_version)best;
	return 0;
}
