#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/cni_delegate.h"
#include "cni/cni_result.h"
#include "fileutil.h"
#include "jsonutil.h"

/*
 * A fake IPAM plugin in a scratch directory: it records its environment and
 * stdin per command, speaks CNI up to 1.0.0 (refusing 1.1.0 with code 1, as
 * Debian's host-local does) and returns a fixed 1.0.0 result.
 */
static const char fake_plugin[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"in=$(cat)\n"
	"printf '%s' \"$in\" > \"$d/stdin.$CNI_COMMAND\"\n"
	"env | sort > \"$d/env.$CNI_COMMAND\"\n"
	"case \"$CNI_COMMAND\" in\n"
	"VERSION) echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.1\",\"0.4.0\",\"1.0.0\"]}' ;;\n"
	"ADD)\n"
	"  case \"$in\" in *'\"cniVersion\":\"1.1.0\"'*)\n"
	"    echo '{\"code\":1,\"msg\":\"incompatible CNI versions\",\"details\":\"config is 1.1.0\"}'; exit 1 ;;\n"
	"  esac\n"
	"  echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.5.0.7/24\",\"gateway\":\"10.5.0.1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":[\"10.5.0.1\"]}}' ;;\n"
	"DEL) ;;\n"
	"FAIL) echo '{\"code\":11,\"msg\":\"busy\",\"details\":\"later\"}'; exit 1 ;;\n"
	"GARBAGE) echo 'not json' ;;\n"
	"CRASH) echo 'half'; exit 3 ;;\n"
	"KILL) kill -9 $$ ;;\n"
	"esac\n";

static char dir[64];

static void setup(void)
{
	char path[128];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/berth-cni-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fake-ipam", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, fake_plugin, sizeof(fake_plugin) - 1), (ssize_t)sizeof(fake_plugin) - 1);
	close(fd);
}

static void teardown(void)
{
	bfile_rm_rf(dir, NULL);
}

static char *slurp(const char *name)
{
	char path[128];
	char *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(bfile_read_all(path, 1 << 20, &buf, &len, NULL), 0, "%s missing", path);
	return buf;
}

TestSuite(cni_delegate, .init = setup, .fini = teardown);

Test(cni_delegate, find_on_path)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_free_ char *p = NULL;
	char search[200];

	snprintf(search, sizeof(search), "/nonexistent::%s", dir);
	cr_assert_eq(cni_delegate_find(search, "fake-ipam", &p, &ce), 0, "%s", ce.e.msg);
	cr_assert(strstr(p, "/fake-ipam"));
	cr_assert_eq(cni_delegate_find(search, "missing", &p, &ce), -ENOENT);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
	cr_assert(strstr(ce.e.msg, "'missing' not found"), "%s", ce.e.msg);
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_eq(cni_delegate_find(NULL, "fake-ipam", &p, &ce), -EINVAL);
	cr_assert_eq(ce.code, CNI_ERR_INVALID_ENV);
}

static int run_cmd(const char *cmd, json_t **out, struct cni_err *ce)
{
	char plugin[128];
	char *envp[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_IFNAME=eth0", "KEEP=me", NULL};

	snprintf(plugin, sizeof(plugin), "%s/fake-ipam", dir);
	return cni_delegate_exec(plugin, "fake-ipam", envp, cmd, "c2", NULL, "{}", 2, out, ce);
}

Test(cni_delegate, exec_passes_env_and_stdin)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *out = NULL;
	_cleanup_free_ char *env = NULL, *in = NULL;

	cr_assert_eq(run_cmd("DEL", &out, &ce), 0, "%s", ce.e.msg);
	cr_assert_null(out, "nothing printed, no JSON");
	env = slurp("env.DEL");
	in = slurp("stdin.DEL");
	cr_assert(strstr(env, "CNI_COMMAND=DEL\n"), "%s", env);
	cr_assert(strstr(env, "CNI_CONTAINERID=c2\n"), "overridden: %s", env);
	cr_assert(strstr(env, "CNI_IFNAME=eth0\n"), "kept: %s", env);
	cr_assert(strstr(env, "KEEP=me\n"), "%s", env);
	cr_assert_null(strstr(env, "CNI_COMMAND=ADD"), "replaced, not duplicated");
	cr_assert_str_eq(in, "{}");
}

Test(cni_delegate, errors_pass_through_with_their_code)
{
	struct cni_err ce = CNI_ERR_INIT;
	json_t *out = NULL;

	cr_assert_lt(run_cmd("FAIL", &out, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_TRY_AGAIN);
	cr_assert_str_eq(ce.e.msg, "fake-ipam: busy");
	cr_assert_str_eq(ce.details, "later");

	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_lt(run_cmd("GARBAGE", &out, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
	cr_assert(strstr(ce.e.msg, "not JSON"), "%s", ce.e.msg);

	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_lt(run_cmd("CRASH", &out, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
	cr_assert(strstr(ce.e.msg, "exit status 3"), "%s", ce.e.msg);

	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_lt(run_cmd("KILL", &out, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
	cr_assert(strstr(ce.e.msg, "signal 9"), "%s", ce.e.msg);
}

static void conf_for(struct cni_conf *c, const char *version)
{
	char json[512];
	struct cni_env env = {.cmd = CNI_CMD_ADD, .command = "ADD", .container_id = "c1", .ifname = "eth0"};
	struct cni_err ce = CNI_ERR_INIT;

	snprintf(json, sizeof(json),
		 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"berth-cni\",\"ipam\":{\"type\":\"fake-ipam\","
		 "\"anything\":[1]},\"prevResult\":{\"interfaces\":[{\"name\":\"lo\"}],\"ips\":[{\"address\":"
		 "\"127.0.0.1/8\",\"interface\":0}]}}",
		 version);
	cr_assert_eq(cni_conf_parse(json, strlen(json), &env, c, &ce), 0, "%s", ce.e.msg);
}

Test(cni_delegate, ipam_add_same_version)
{
	struct cni_conf c;
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ char *in = NULL;
	char *envp[] = {"CNI_COMMAND=ADD", NULL};
	struct cni_env env = {.cmd = CNI_CMD_ADD, .path = dir, .envp = envp};

	conf_for(&c, "1.0.0");
	cr_assert_eq(cni_delegate_ipam(&c, &env, CNI_CMD_ADD, NULL, NULL, &res, &ce), 0, "%s", ce.e.msg);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(res, "ips"), 0), "address")),
			 "10.5.0.7/24");
	in = slurp("stdin.ADD");
	cr_assert(strstr(in, "\"anything\":[1]"), "the delegate gets the whole config: %s", in);
	cr_assert_str_eq(in, c.raw_text, "byte for byte");
	cni_conf_free(&c);
}

Test(cni_delegate, ipam_add_falls_back_to_a_shared_version)
{
	struct cni_conf c;
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *res = NULL, *sent = NULL;
	_cleanup_free_ char *in = NULL, *ver = NULL;
	char *envp[] = {"CNI_COMMAND=ADD", NULL};
	struct cni_env env = {.cmd = CNI_CMD_ADD, .path = dir, .envp = envp};

	conf_for(&c, "1.1.0");
	cr_assert_eq(cni_delegate_ipam(&c, &env, CNI_CMD_ADD, NULL, NULL, &res, &ce), 0, "%s", ce.e.msg);
	ver = slurp("stdin.VERSION");
	cr_assert(strstr(ver, "\"cniVersion\":\"1.1.0\""), "%s", ver);
	in = slurp("stdin.ADD");
	cr_assert_eq(bjson_parse(in, strlen(in), &sent, NULL), 0);
	cr_assert_str_eq(json_string_value(json_object_get(sent, "cniVersion")), "1.0.0");
	cr_assert_not_null(json_object_get(sent, "prevResult"));
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(sent, "prevResult"), "cniVersion")), "1.0.0",
			 "prevResult converted with the config");
	cr_assert_eq(json_array_size(json_object_get(res, "ips")), 1);
	cni_conf_free(&c);
}

Test(cni_delegate, gc_and_status_need_a_1_1_delegate)
{
	struct cni_conf c;
	struct cni_err ce = CNI_ERR_INIT;
	char *envp[] = {"CNI_COMMAND=GC", NULL};
	struct cni_env env = {.cmd = CNI_CMD_GC, .path = dir, .envp = envp};
	char path[128];

	conf_for(&c, "1.1.0");
	cr_assert_eq(cni_delegate_ipam(&c, &env, CNI_CMD_GC, NULL, NULL, NULL, &ce), -ENOTSUP);
	cr_assert_eq(ce.code, CNI_ERR_INCOMPATIBLE_VERSION);
	snprintf(path, sizeof(path), "%s/stdin.GC", dir);
	cr_assert_eq(access(path, F_OK), -1, "GC was never sent to a plugin that does not know it");
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_eq(cni_delegate_ipam(&c, &env, CNI_CMD_STATUS, NULL, NULL, NULL, &ce), -ENOTSUP);
	cni_conf_free(&c);
}

Test(cni_delegate, missing_plugin)
{
	struct cni_conf c;
	struct cni_err ce = CNI_ERR_INIT;
	char *envp[] = {NULL};
	struct cni_env env = {.cmd = CNI_CMD_ADD, .path = "/nonexistent", .envp = envp};
	json_t *res = NULL;

	conf_for(&c, "1.0.0");
	cr_assert_lt(cni_delegate_ipam(&c, &env, CNI_CMD_ADD, NULL, NULL, &res, &ce), 0);
	cr_assert_eq(ce.code, CNI_ERR_DELEGATE);
	cni_conf_free(&c);
}
