#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cni/cni_result.h"
#include "jsonutil.h"

static json_t *J(const char *s)
{
	json_t *v = NULL;

	cr_assert_eq(bjson_parse(s, strlen(s), &v, NULL), 0, "%s", s);
	return v;
}

static char *render(const json_t *res, enum cni_version v)
{
	_cleanup_json_ json_t *out = NULL;

	cr_assert_eq(cni_result_render(res, v, &out), 0);
	return bjson_dump(out);
}

static json_t *ours(void)
{
	json_t *res = cni_result_new();
	int idx = -1;

	cr_assert_eq(cni_result_add_iface(res, "cni0", "02:00:00:00:00:01", NULL, 0, NULL), 0);
	cr_assert_eq(cni_result_add_iface(res, "eth0", "02:00:00:00:00:02", "/run/netns/c1", 1400, &idx), 0);
	cr_assert_eq(idx, 1);
	cr_assert_eq(cni_result_add_ip(res, "10.1.0.5/24", "10.1.0.1", idx), 0);
	cr_assert_eq(cni_result_add_route(res, "0.0.0.0/0", "10.1.0.1"), 0);
	return res;
}

Test(cni_result, shape_per_version)
{
	_cleanup_json_ json_t *res = ours();
	_cleanup_free_ char *v030 = render(res, CNI_V030), *v040 = render(res, CNI_V040), *v100 = render(res, CNI_V100),
			    *v110 = render(res, CNI_V110);

	cr_assert_str_eq(v030,
			 "{\"cniVersion\":\"0.3.0\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"02:00:00:00:00:01\"},"
			 "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:02\",\"sandbox\":\"/run/netns/c1\"}],"
			 "\"ips\":[{\"version\":\"4\",\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\","
			 "\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}],\"dns\":{}}");
	cr_assert(strstr(v040, "\"version\":\"4\""));
	cr_assert_null(strstr(v100, "\"version\""), "1.0.0 has no ips[].version: %s", v100);
	cr_assert_null(strstr(v100, "\"mtu\""), "1.0.0 has no interface mtu: %s", v100);
	cr_assert_str_eq(v110,
			 "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"02:00:00:00:00:01\"},"
			 "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:02\",\"mtu\":1400,\"sandbox\":\"/run/netns/"
			 "c1\"}],\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":1}],"
			 "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}],\"dns\":{}}");
}

Test(cni_result, parse_normalises_and_round_trips)
{
	_cleanup_json_ json_t *in =
		J("{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"lo\",\"mac\":\"00:00:00:00:"
		  "00:00\",\"sandbox\":\"/x\"}],\"ips\":[{\"version\":\"4\",\"address\":\"127.0.0."
		  "1/8\",\"interface\":0},{\"version\":\"6\",\"address\":\"::1/128\",\"interface\":0}"
		  "],\"dns\":{\"nameservers\":[\"1.1.1.1\"],\"domain\":\"\"},\"extra\":true}");
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *s = NULL;
	struct cni_err ce = CNI_ERR_INIT;

	cr_assert_eq(cni_result_parse(in, "prevResult", CNI_ERR_INVALID_CONFIG, &res, &ce), 0, "%s", ce.e.msg);
	s = render(res, CNI_V040);
	cr_assert_str_eq(
		s, "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"lo\",\"mac\":\"00:00:00:00:00:00\","
		   "\"sandbox\":\"/x\"}],\"ips\":[{\"version\":\"4\",\"address\":\"127.0.0.1/8\",\"interface\":0},"
		   "{\"version\":\"6\",\"address\":\"::1/128\",\"interface\":0}],\"dns\":{\"nameservers\":[\"1.1.1."
		   "1\"]}}");
}

Test(cni_result, chaining_extends_prev_result)
{
	_cleanup_json_ json_t *prev =
		J("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"lo\",\"sandbox\":\"/x\"}],"
		  "\"ips\":[{\"address\":\"127.0.0.1/8\",\"interface\":0}],"
		  "\"routes\":[{\"dst\":\"192.168.0.0/16\"}],\"dns\":{\"search\":[\"a\"]}}");
	_cleanup_json_ json_t *res = NULL;
	struct cni_err ce = CNI_ERR_INIT;
	int idx;

	cr_assert_eq(cni_result_parse(prev, "prevResult", CNI_ERR_INVALID_CONFIG, &res, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(cni_result_add_iface(res, "eth0", "02:00:00:00:00:02", "/x", 0, &idx), 0);
	cr_assert_eq(idx, 1);
	cr_assert_eq(cni_result_add_ip(res, "10.1.0.5/24", "10.1.0.1", idx), 0);
	cr_assert_eq(json_array_size(json_object_get(res, "interfaces")), 2);
	cr_assert_eq(json_array_size(json_object_get(res, "ips")), 2);
	cr_assert_eq(json_array_size(json_object_get(res, "routes")), 1);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(res, "dns"), "search"), 0)),
			 "a");
}

Test(cni_result, legacy_020_result_is_converted)
{
	_cleanup_json_ json_t *in =
		J("{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.5.0.7/24\",\"gateway\":\"10.5.0.1\","
		  "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"dns\":{}}");
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *s = NULL;
	struct cni_err ce = CNI_ERR_INIT;

	cr_assert_eq(cni_result_parse(in, "ipam result", CNI_ERR_DELEGATE, &res, &ce), 0, "%s", ce.e.msg);
	s = render(res, CNI_V100);
	cr_assert_str_eq(s,
			 "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.5.0.7/24\",\"gateway\":\"10.5.0.1\"}],"
			 "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{}}");
}

Test(cni_result, merge_ipam_points_ips_at_our_interface)
{
	_cleanup_json_ json_t *res = ours();
	_cleanup_json_ json_t *ipam_in = J("{\"ips\":[{\"address\":\"10.9.0.3/24\",\"gateway\":\"10.9.0.1\"}],"
					   "\"routes\":[{\"dst\":\"10.0.0.0/8\"}],\"dns\":{\"domain\":\"x\"}}");
	_cleanup_json_ json_t *ipam = NULL;
	struct cni_err ce = CNI_ERR_INIT;
	json_t *ip;

	cr_assert_eq(cni_result_parse(ipam_in, "ipam", CNI_ERR_DELEGATE, &ipam, &ce), 0);
	cr_assert_eq(cni_result_merge_ipam(res, ipam, 1), 0);
	ip = json_array_get(json_object_get(res, "ips"), 1);
	cr_assert_eq(json_integer_value(json_object_get(ip, "interface")), 1);
	cr_assert_eq(json_array_size(json_object_get(res, "routes")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(res, "dns"), "domain")), "x");
}

Test(cni_result, v11_fields_survive_only_in_v11)
{
	_cleanup_json_ json_t *in =
		J("{\"interfaces\":[{\"name\":\"e\",\"mtu\":9000,\"socketPath\":\"/s\",\"pciID\":\"0000:"
		  "00:1f.6\"}],\"routes\":[{\"dst\":\"10.0.0.0/8\",\"table\":100,\"scope\":0,"
		  "\"priority\":5}]}");
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *old = NULL, *new = NULL;
	struct cni_err ce = CNI_ERR_INIT;

	cr_assert_eq(cni_result_parse(in, "r", CNI_ERR_INVALID_CONFIG, &res, &ce), 0, "%s", ce.e.msg);
	old = render(res, CNI_V100);
	new = render(res, CNI_V110);
	cr_assert_str_eq(old,
			 "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],\"routes\":[{\"dst\":\"10.0.0.0/"
			 "8\"}],\"dns\":{}}");
	cr_assert_str_eq(new,
			 "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"e\",\"mtu\":9000,\"socketPath\":\"/"
			 "s\",\"pciID\":\"0000:00:1f.6\"}],\"routes\":[{\"dst\":\"10.0.0.0/8\",\"priority\":5,"
			 "\"table\":100}],\"dns\":{}}");
}

Test(cni_result, malformed_results_name_the_field)
{
	static const char *const cases[][2] = {
		{"{\"interfaces\":[{}]}", "r.interfaces[0].name"},
		{"{\"interfaces\":{}}", "r.interfaces"},
		{"{\"ips\":[{\"address\":\"10.0.0.1/24\",\"version\":\"6\"}]}", "r.ips[0].version"},
		{"{\"ips\":[{\"address\":\"10.0.0.1/24\",\"gateway\":\"fd00::1\"}]}", "r.ips[0].gateway"},
		{"{\"routes\":[{\"dst\":\"10.0.0.0\"}]}", "r.routes[0].dst"},
		{"{\"routes\":[{\"dst\":\"10.0.0.0/8\",\"mtu\":-1}]}", "r.routes[0].mtu"},
		{"{\"dns\":{\"options\":[1]}}", "r.dns.options[0]"},
		{"{\"ip4\":{\"ip\":\"x\"}}", "r.ip4.address"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_json_ json_t *in = J(cases[i][0]);
		json_t *res = NULL;
		struct cni_err ce = CNI_ERR_INIT;

		cr_assert_lt(cni_result_parse(in, "r", CNI_ERR_DELEGATE, &res, &ce), 0, "%s", cases[i][0]);
		cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
		cr_assert(strstr(ce.e.msg, cases[i][1]), "'%s' lacks '%s'", ce.e.msg, cases[i][1]);
	}
}
