#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "jsonutil.h"

Test(json, parse_errors_name_position)
{
	struct berr e = BERR_INIT;
	json_t *v = NULL;

	cr_assert_eq(bjson_parse("{\"a\":1,}", 8, &v, &e), -EINVAL);
	cr_assert(strstr(e.msg, "line 1"), "%s", e.msg);
	cr_assert_eq(bjson_parse("{\"a\":1,\"a\":2}", 13, &v, &e), -EINVAL, "duplicate keys must be refused");
}

Test(json, typed_getters)
{
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *v = NULL;
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;
	json_t *o = NULL;

	cr_assert_eq(bjson_parse("{\"s\":\"x\",\"i\":7,\"b\":true,\"o\":{},\"n\":null}", 40, &v, NULL), 0);
	cr_assert_eq(bjson_get_str(v, "s", "cfg", &s, &e), 1);
	cr_assert_str_eq(s, "x");
	cr_assert_eq(bjson_get_str(v, "missing", "cfg", &s, &e), 0);
	cr_assert_eq(bjson_get_str(v, "n", "cfg", &s, &e), 0, "null counts as absent");
	cr_assert_eq(bjson_get_str(v, "i", "cfg", &s, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "'cfg.i' must be a string");
	cr_assert_eq(bjson_get_int(v, "i", "", 0, 10, &i, &e), 1);
	cr_assert_eq(i, 7);
	cr_assert_eq(bjson_get_int(v, "i", "", 8, 10, &i, &e), -EINVAL);
	cr_assert(strstr(e.msg, "between 8 and 10"), "%s", e.msg);
	cr_assert_eq(bjson_get_bool(v, "b", NULL, &b, &e), 1);
	cr_assert(b);
	cr_assert_eq(bjson_get_obj(v, "o", NULL, &o, &e), 1);
	cr_assert_eq(bjson_req_str(v, "nope", "net", &s, &e), -EINVAL);
	cr_assert_str_eq(e.msg, "missing required key 'net.nope'");
}

Test(json, unknown_keys)
{
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *v = NULL;
	const char *const allowed[] = {"name", "subnet", NULL};

	const char *in = "{\"name\":\"a\",\"subnte\":\"x\"}";

	cr_assert_eq(bjson_parse(in, strlen(in), &v, NULL), 0);
	cr_assert_eq(bjson_check_keys(v, allowed, "networks[0]", &e), -EINVAL);
	cr_assert_str_eq(e.msg, "unknown key 'networks[0].subnte'");
}

Test(json, embedded_nul_refused)
{
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *v = NULL;
	const char *s;
	const char in[] = "{\"s\":\"a\\u0000b\"}";

	/* jansson refuses \u0000 unless asked; strings stay C strings */
	cr_assert_eq(bjson_parse(in, sizeof(in) - 1, &v, &e), -EINVAL);
	(void)s;
}

Test(json, cidr_getters)
{
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:i}", "a", "10.1.0.0/16", "b", "fd00:1::/64", "bad", "10.1.0.1/16", "n", 3);
	struct berr e = BERR_INIT;
	struct bcidr4 c4 = {0};
	struct bcidr6 c6 = {0};

	cr_assert_eq(bjson_get_cidr4(j, "a", "net", &c4, &e), 1);
	cr_assert_eq(c4.prefix, 16);
	cr_assert_eq(bjson_get_cidr6(j, "b", "net", &c6, &e), 1);
	cr_assert_eq(c6.prefix, 64);
	cr_assert_eq(bjson_get_cidr4(j, "absent", "net", &c4, &e), 0);
	cr_assert_eq(bjson_get_cidr4(j, "bad", "net", &c4, &e), -EINVAL);
	cr_assert(strncmp(e.msg, "net.bad: ", 9) == 0, "%s", e.msg);
	cr_assert_eq(bjson_get_cidr6(j, "a", "", &c6, &e), -EINVAL);
	cr_assert(strncmp(e.msg, "a: ", 3) == 0, "%s", e.msg);
	cr_assert_lt(bjson_get_cidr4(j, "n", "net", &c4, &e), 0);
	json_decref(j);
}
