/*
 * berth-cni's library entry point (cni_run) in-process, in a namespace of the
 * test's own: the result objects checked field by field with jansson, CHECK
 * against the kernel, DEL leaving no record, and VERSION.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni_plugin.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "tst.h"

TestSuite(cni_plugin, .init = tst_isolate, .fini = tst_teardown, .timeout = 60);

static char conf[1024];

static const char *config(const char *version, const char *extra)
{
	snprintf(conf, sizeof(conf),
		 "{\"cniVersion\":\"%s\",\"name\":\"unet\",\"type\":\"berth-cni\",\"bridge\":\"br-unet\","
		 "\"isGateway\":true,\"isDefaultGateway\":true,\"ipMasq\":true,\"dataDir\":\"%s\","
		 "\"ipam\":{\"subnet\":\"10.140.0.0/24\"}%s}",
		 version, tst_path("state"), extra ? extra : "");
	return conf;
}

static int run(const char *cmd, const char *id, const char *ns, const char *in, json_t **out, struct cni_err *ce)
{
	char c[64], i[160], n[256];
	char *envp[] = {c, i, n, "CNI_IFNAME=eth0", "CNI_PATH=/nonexistent", NULL};
	const char *version = NULL;

	snprintf(c, sizeof(c), "CNI_COMMAND=%s", cmd);
	snprintf(i, sizeof(i), "CNI_CONTAINERID=%s", id);
	snprintf(n, sizeof(n), "CNI_NETNS=%s", ns ? tst_netns_path(ns) : "");
	*ce = (struct cni_err)CNI_ERR_INIT;
	*out = NULL;
	return cni_run(envp, in, strlen(in), out, &version, ce);
}

Test(cni_plugin, add_check_del_in_process)
{
	struct cni_err ce;
	_cleanup_json_ json_t *res = NULL;
	json_t *none = NULL, *ifc, *ip;
	char check[4096];
	_cleanup_free_ char *dump = NULL;

	tst_netns_add("c1");
	cr_assert_eq(run("ADD", "c1", "c1",
			 config("1.1.0", ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,"
					 "\"containerPort\":80}]}"),
			 &res, &ce),
		     0, "%s", ce.e.msg);
	cr_assert_str_eq(json_string_value(json_object_get(res, "cniVersion")), "1.1.0");
	ifc = json_array_get(json_object_get(res, "interfaces"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(ifc, "name")), "eth0");
	cr_assert_str_eq(json_string_value(json_object_get(ifc, "sandbox")), tst_netns_path("c1"));
	cr_assert_eq(json_integer_value(json_object_get(ifc, "mtu")), 1500);
	ip = json_array_get(json_object_get(res, "ips"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(ip, "address")), "10.140.0.2/24");
	cr_assert_null(json_object_get(ip, "version"), "1.1.0 has no ips[].version");
	cr_assert_eq(json_integer_value(json_object_get(ip, "interface")), 2);
	cr_assert_eq(tst_sh("c1", "ip -o addr show dev eth0 | grep -q 'inet 10.140.0.2/24 '"), 0);
	cr_assert(bfile_exists(tst_path("state/networks/unet/endpoints/c1/eth0.json")));

	dump = bjson_dump(res);
	snprintf(check, sizeof(check), "%.*s,\"prevResult\":%s}", (int)strlen(config("1.1.0", NULL)) - 1,
		 config("1.1.0", NULL), dump);
	cr_assert_eq(run("CHECK", "c1", "c1", check, &none, &ce), 0, "%s", ce.e.msg);
	cr_assert_null(none, "CHECK prints nothing");

	cr_assert_eq(run("DEL", "c1", NULL, config("1.1.0", NULL), &none, &ce), 0, "%s", ce.e.msg);
	cr_assert_null(none);
	cr_assert(!bfile_exists(tst_path("state/networks/unet/endpoints/c1/eth0.json")));
	cr_assert_neq(tst_sh("c1", "ip link show eth0 >/dev/null 2>&1"), 0, "eth0 removed");
	cr_assert_eq(run("CHECK", "c1", "c1", check, &none, &ce), -ENOENT);
	cr_assert_eq(ce.code, CNI_ERR_UNKNOWN_CONTAINER, "%u %s", ce.code, ce.e.msg);
}

Test(cni_plugin, version_0_3_1_result)
{
	struct cni_err ce;
	_cleanup_json_ json_t *res = NULL;
	json_t *none = NULL;

	tst_netns_add("c2");
	cr_assert_eq(run("ADD", "c2", "c2", config("0.3.1", NULL), &res, &ce), 0, "%s", ce.e.msg);
	cr_assert_str_eq(json_string_value(json_object_get(res, "cniVersion")), "0.3.1");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(res, "ips"), 0), "version")),
			 "4");
	cr_assert_null(json_object_get(json_array_get(json_object_get(res, "interfaces"), 2), "mtu"));
	cr_assert_eq(run("CHECK", "c2", "c2", config("0.3.1", NULL), &none, &ce), -ENOTSUP);
	cr_assert_eq(ce.code, CNI_ERR_INCOMPATIBLE_VERSION);
	cr_assert_eq(run("DEL", "c2", "c2", config("0.3.1", NULL), &none, &ce), 0, "%s", ce.e.msg);
}

Test(cni_plugin, version_needs_no_config)
{
	struct cni_err ce;
	_cleanup_json_ json_t *res = NULL;

	cr_assert_eq(run("VERSION", "x", NULL, "", &res, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(json_array_size(json_object_get(res, "supportedVersions")), 5);
}
