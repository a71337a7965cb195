/*
 * cni_run end to end without privileges: every error code reachable before
 * the kernel is touched, with the error object as cni_main prints it, and the
 * classification of engine failures into berth's codes 100-108.
 *
 * Unit tests run outside any namespace of their own (and may run as root):
 * CNI_NETNS is always a path that does not exist, so no ADD here can ever get
 * as far as creating a link, and only DEL / CHECK / GC / STATUS, which never
 * create anything, reach the engine (on a scratch state directory).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni_engine.h"
#include "cni/cni_plugin.h"
#include "fileutil.h"
#include "jsonutil.h"

/* Never a namespace: see the comment at the top. */
#define NO_NETNS "/nonexistent/berth-unit-test/netns"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/berth-cni-run.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	bfile_rm_rf(dir, NULL);
}

TestSuite(cni_run, .init = setup, .fini = teardown);

/* Run cmd with stdin in; expect failure with code; return the error object's "msg" (static). */
static const char *fails(const char *cmd, const char *in, unsigned code, const char *const *extra_env)
{
	static char msg[BERR_MSG_MAX];
	char c[64], d[128];
	char *envp[16];
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *out = NULL, *err = NULL;
	const char *version = NULL;
	size_t n = 0;
	int r;

	snprintf(c, sizeof(c), "CNI_COMMAND=%s", cmd);
	snprintf(d, sizeof(d), "BERTH_STATE_DIR=%s/state", dir);
	/* extra_env first: cni_getenv takes the first of a name, so these override the defaults below */
	for (const char *const *e = extra_env; e && *e; e++)
		envp[n++] = (char *)*e;
	envp[n++] = c;
	envp[n++] = "CNI_CONTAINERID=ctr1";
	envp[n++] = "CNI_NETNS=" NO_NETNS;
	envp[n++] = "CNI_IFNAME=eth0";
	envp[n++] = d;
	envp[n] = NULL;
	for (size_t i = 0; i < n; i++)
		cr_assert(strncmp(envp[i], "CNI_NETNS=", 10) != 0 || strcmp(envp[i], "CNI_NETNS=" NO_NETNS) == 0,
			  "unit tests never name a real namespace");
	r = cni_run(envp, in, strlen(in), &out, &version, &ce);
	cr_assert_lt(r, 0, "%s succeeded on %s", cmd, in);
	cr_assert_eq(ce.code, code, "%s on %s: code %u (want %u): %s", cmd, in, ce.code, code, ce.e.msg);
	cr_assert_not_null(version);
	err = cni_error_json(&ce, version);
	cr_assert_eq(json_integer_value(json_object_get(err, "code")), code);
	snprintf(msg, sizeof(msg), "%s", json_string_value(json_object_get(err, "msg")));
	cr_assert(msg[0], "an error without a message");
	return msg;
}

#define CONF(extra)                                                                                                    \
	"{\"cniVersion\":\"1.1.0\",\"name\":\"unit\",\"type\":\"berth-cni\",\"ipam\":{\"subnet\":\"10.9.0.0/"          \
	"24\"}" extra "}"
#define CONF_DELEGATED(type)                                                                                           \
	"{\"cniVersion\":\"1.1.0\",\"name\":\"unit\",\"type\":\"berth-cni\",\"ipam\":{\"type\":\"" type "\"}}"

Test(cni_run, code_1)
{
	fails("ADD", "{\"cniVersion\":\"0.2.0\",\"name\":\"unit\",\"type\":\"berth-cni\"}", 1, NULL);
	fails("CHECK", "{\"cniVersion\":\"0.3.1\",\"name\":\"unit\",\"type\":\"berth-cni\",\"prevResult\":{}}", 1,
	      NULL);
	fails("GC", "{\"cniVersion\":\"1.0.0\",\"name\":\"unit\",\"type\":\"berth-cni\"}", 1, NULL);
	fails("STATUS", "{\"cniVersion\":\"0.4.0\",\"name\":\"unit\",\"type\":\"berth-cni\"}", 1, NULL);
}

Test(cni_run, code_2)
{
	cr_assert(strstr(fails("ADD", CONF(",\"forceAddress\":true"), 2, NULL), "forceAddress"));
}

Test(cni_run, code_3)
{
	/* The container's namespace is gone. */
	fails("CHECK", CONF(",\"prevResult\":{\"cniVersion\":\"1.1.0\"}"), 3, NULL);
}

Test(cni_run, code_4)
{
	static const char *const bad_args[] = {"CNI_ARGS=K8S_POD_UID=x", NULL};
	static const char *const bad_cmd[] = {"CNI_COMMAND=JOIN", NULL};
	static const char *const no_path[] = {"CNI_PATH=", NULL};

	cr_assert(strstr(fails("ADD", CONF(""), 4, bad_args), "K8S_POD_UID"));
	cr_assert(strstr(fails("ADD", CONF(""), 4, bad_cmd), "CNI_COMMAND=JOIN"));
	cr_assert(strstr(fails("ADD", CONF(""), 4, NULL), "CNI_NETNS"), "the namespace does not exist");
	/* DEL still tells the delegate, which it must find on CNI_PATH */
	fails("DEL", CONF_DELEGATED("host-local"), 4, no_path);
}

Test(cni_run, code_5)
{
	char file[128], conf[512];
	int fd;

	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0);
	close(fd);
	snprintf(conf, sizeof(conf), CONF(",\"dataDir\":\"%s/state\""), file);
	fails("DEL", conf, 5, NULL);
}

Test(cni_run, code_6)
{
	fails("ADD", "{\"cniVersion\":\"1.1.0\"", 6, NULL);
	fails("ADD", "", 6, NULL);
	fails("DEL", "\"a string\"", 6, NULL);
}

Test(cni_run, code_7)
{
	cr_assert(strstr(fails("ADD", CONF(",\"mtu\":-1"), 7, NULL), "'mtu'"));
	fails("CHECK", CONF(""), 7, NULL);
	fails("GC", CONF(""), 7, NULL);
}

Test(cni_run, code_50_no_network_no_subnet)
{
	fails("STATUS", "{\"cniVersion\":\"1.1.0\",\"name\":\"nonet\",\"type\":\"berth-cni\"}", 50, NULL);
}

Test(cni_run, code_106_missing_delegate)
{
	static const char *const path[] = {"CNI_PATH=/nonexistent", NULL};

	cr_assert(strstr(fails("DEL", CONF_DELEGATED("no-such-ipam"), 106, path), "no-such-ipam"));
}

Test(cni_run, error_reply_speaks_the_config_version)
{
	char c[] = "CNI_COMMAND=ADD";
	char *envp[] = {c, NULL};
	struct cni_err ce = CNI_ERR_INIT;
	json_t *out = NULL;
	const char *version = NULL;
	const char *in = "{\"cniVersion\":\"0.4.0\",\"name\":\"unit\",\"type\":\"berth-cni\"}";

	cr_assert_lt(cni_run(envp, in, strlen(in), &out, &version, &ce), 0);
	cr_assert_eq(ce.code, 4);
	cr_assert_str_eq(version, "0.4.0");
	ce = (struct cni_err)CNI_ERR_INIT;
	cr_assert_lt(cni_run(envp, "{", 1, &out, &version, &ce), 0);
	cr_assert_str_eq(version, "1.1.0", "unparsable config: the latest version");
}

/* Engine failures classified into berth's codes. */
static unsigned classify(int r, const char *msg)
{
	struct cni_err ce = CNI_ERR_INIT;

	berr_set(&ce.e, r, "%s", msg);
	cr_assert_eq(cni_engine_fail(&ce, 0, r), r);
	return ce.code;
}

Test(cni_run, engine_errors_map_to_berth_codes)
{
	cr_assert_eq(classify(-ENOSPC, "network 'n' has no free address"), CNI_ERR_POOL_EXHAUSTED);
	cr_assert_eq(classify(-EADDRINUSE, "address 10.0.0.5 is already in use by c1"), CNI_ERR_ADDRESS);
	cr_assert_eq(classify(-EADDRINUSE, "host port tcp/8080 is already published by container 'x'"),
		     CNI_ERR_PORT_IN_USE);
	cr_assert_eq(classify(-EEXIST, "network 'n' exists with subnet 10.1.0.0/24"), CNI_ERR_NETWORK_CONFLICT);
	cr_assert_eq(classify(-ETIMEDOUT, "timed out waiting for lock"), CNI_ERR_TRY_AGAIN);
	cr_assert_eq(classify(-EPERM, "create bridge: Operation not permitted"), CNI_ERR_KERNEL);
	cr_assert_eq(classify(-EINVAL, "invalid bridge name"), CNI_ERR_INVALID_CONFIG);
	cr_assert_eq(classify(-ENOMEM, "out of memory"), CNI_ERR_INTERNAL);
}
