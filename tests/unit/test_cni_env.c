#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cni/cni_env.h"

static const char *const add_env[] = {
	"CNI_COMMAND=ADD",
	"CNI_CONTAINERID=c0ffee-1",
	"CNI_NETNS=/run/netns/c1",
	"CNI_IFNAME=eth0",
	"CNI_PATH=/opt/cni/bin:/usr/lib/cni",
	"PATH=/usr/bin",
	NULL,
};

/* A copy of base with the given variables replaced / removed ("NAME" alone removes). */
static char **envv(const char *const *base, const char *const *changes)
{
	static char *out[64];
	size_t n = 0;

	for (const char *const *p = base; *p; p++) {
		bool drop = false;

		for (const char *const *c = changes; c && *c; c++) {
			size_t k = strcspn(*c, "=");

			if (strncmp(*p, *c, k) == 0 && (*p)[k] == '=')
				drop = true;
		}
		if (!drop)
			out[n++] = (char *)*p;
	}
	for (const char *const *c = changes; c && *c; c++)
		if (strchr(*c, '='))
			out[n++] = (char *)*c;
	out[n] = NULL;
	return out;
}

static void expect_env_error(const char *const *changes, const char *needle)
{
	struct cni_err ce = CNI_ERR_INIT;
	struct cni_env env;

	cr_assert_lt(cni_env_parse(envv(add_env, changes), &env, &ce), 0, "expected failure for %s", needle);
	cr_assert_eq(ce.code, CNI_ERR_INVALID_ENV, "code %u for %s", ce.code, needle);
	cr_assert(strstr(ce.e.msg, needle), "message '%s' lacks '%s'", ce.e.msg, needle);
}

Test(cni_env, add_parses)
{
	struct cni_err ce = CNI_ERR_INIT;
	struct cni_env env;

	cr_assert_eq(cni_env_parse((char *const *)add_env, &env, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(env.cmd, CNI_CMD_ADD);
	cr_assert_str_eq(env.container_id, "c0ffee-1");
	cr_assert_str_eq(env.netns, "/run/netns/c1");
	cr_assert_str_eq(env.ifname, "eth0");
	cr_assert_str_eq(env.path, "/opt/cni/bin:/usr/lib/cni");
	cr_assert_null(env.state_dir);
	cr_assert(!env.args.has_ip && !env.args.has_mac);
}

Test(cni_env, missing_and_invalid_variables_are_code_4)
{
	expect_env_error((const char *const[]){"CNI_COMMAND", NULL}, "CNI_COMMAND");
	expect_env_error((const char *const[]){"CNI_COMMAND=PUT", NULL}, "CNI_COMMAND=PUT");
	expect_env_error((const char *const[]){"CNI_COMMAND=add", NULL}, "CNI_COMMAND");
	expect_env_error((const char *const[]){"CNI_CONTAINERID", NULL}, "CNI_CONTAINERID");
	expect_env_error((const char *const[]){"CNI_CONTAINERID=-leading", NULL}, "CNI_CONTAINERID");
	expect_env_error((const char *const[]){"CNI_CONTAINERID=a/b", NULL}, "CNI_CONTAINERID");
	expect_env_error((const char *const[]){"CNI_NETNS", NULL}, "CNI_NETNS");
	expect_env_error((const char *const[]){"CNI_NETNS=relative/ns", NULL}, "CNI_NETNS");
	expect_env_error((const char *const[]){"CNI_IFNAME", NULL}, "CNI_IFNAME");
	expect_env_error((const char *const[]){"CNI_IFNAME=averyveryverylongname", NULL}, "CNI_IFNAME");
	expect_env_error((const char *const[]){"CNI_IFNAME=a:b", NULL}, "CNI_IFNAME");
	expect_env_error((const char *const[]){"CNI_IFNAME=..", NULL}, "CNI_IFNAME");
	expect_env_error((const char *const[]){"CNI_ARGS=FOO=bar", NULL}, "unknown key 'FOO'");
	expect_env_error((const char *const[]){"CNI_ARGS=novalue", NULL}, "not KEY=VALUE");
	expect_env_error((const char *const[]){"CNI_ARGS=IP=10.1.2", NULL}, "IP=10.1.2");
	expect_env_error((const char *const[]){"CNI_ARGS=IP=fd00::5,fd00::6", NULL}, "more than one IPv6");
	expect_env_error((const char *const[]){"CNI_ARGS=IP=10.0.0.2,10.0.0.3", NULL}, "more than one");
	expect_env_error((const char *const[]){"CNI_ARGS=MAC=zz:00:00:00:00:00", NULL}, "MAC");
	expect_env_error((const char *const[]){"CNI_ARGS=IgnoreUnknown=maybe", NULL}, "IgnoreUnknown");
	expect_env_error((const char *const[]){"BERTH_STATE_DIR=relative", NULL}, "BERTH_STATE_DIR");
}

Test(cni_env, del_needs_no_netns)
{
	struct cni_err ce = CNI_ERR_INIT;
	struct cni_env env;

	cr_assert_eq(
		cni_env_parse(envv(add_env, (const char *const[]){"CNI_COMMAND=DEL", "CNI_NETNS", NULL}), &env, &ce), 0,
		"%s", ce.e.msg);
	cr_assert_null(env.netns);
	cr_assert_eq(
		cni_env_parse(envv(add_env, (const char *const[]){"CNI_COMMAND=DEL", "CNI_NETNS=", NULL}), &env, &ce),
		0, "%s", ce.e.msg);
	cr_assert_null(env.netns, "an empty CNI_NETNS counts as none");
}

Test(cni_env, gc_status_version_need_only_the_command)
{
	static const char *const gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	static const char *const st[] = {"CNI_COMMAND=STATUS", NULL};
	static const char *const ver[] = {"CNI_COMMAND=VERSION", "CNI_IFNAME=in:valid", NULL};
	struct cni_err ce = CNI_ERR_INIT;
	struct cni_env env;

	cr_assert_eq(cni_env_parse((char *const *)gc, &env, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(env.cmd, CNI_CMD_GC);
	cr_assert_null(env.container_id);
	cr_assert_eq(cni_env_parse((char *const *)st, &env, &ce), 0, "%s", ce.e.msg);
	cr_assert_eq(env.cmd, CNI_CMD_STATUS);
	cr_assert_eq(cni_env_parse((char *const *)ver, &env, &ce), 0, "VERSION ignores the other variables");
}

Test(cni_env, cni_args)
{
	struct cni_err ce = CNI_ERR_INIT;
	struct cni_args a;

	cr_assert_eq(cni_args_parse(NULL, &a, &ce), 0);
	cr_assert(!a.has_ip);
	cr_assert_eq(cni_args_parse("", &a, &ce), 0);
	cr_assert_eq(cni_args_parse("IP=10.22.0.9;MAC=02:AB:cd:00:00:01", &a, &ce), 0, "%s", ce.e.msg);
	cr_assert(a.has_ip && a.has_mac);
	cr_assert_eq(a.ip, 0x0a160009);
	cr_assert_eq(a.mac[1], 0xab);
	/* Kubernetes' keys, excused by IgnoreUnknown wherever it sits. */
	cr_assert_eq(cni_args_parse("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;IgnoreUnknown=1;", &a, &ce), 0, "%s",
		     ce.e.msg);
	cr_assert(a.ignore_unknown);
	cr_assert_eq(cni_args_parse("IgnoreUnknown=true;IP=fd00::1,10.1.0.4", &a, &ce), 0, "%s", ce.e.msg);
	cr_assert(a.has_ip && a.has_ip6 && a.ip6.s6_addr[15] == 1, "one address of each family");
	cr_assert_eq(cni_args_parse("IgnoreUnknown=0;X=1", &a, &ce), -EINVAL);
	cr_assert_eq(cni_args_parse("MAC=01:00:5e:00:00:01", &a, &ce), -EINVAL, "multicast MAC");
	cr_assert_eq(ce.code, CNI_ERR_INVALID_ENV);
}

Test(cni_env, command_names)
{
	enum cni_cmd c;

	for (int i = CNI_CMD_ADD; i <= CNI_CMD_VERSION; i++) {
		cr_assert_eq(cni_cmd_parse(cni_cmd_name((enum cni_cmd)i), &c), 0);
		cr_assert_eq((int)c, i);
	}
	cr_assert_eq(cni_cmd_parse("", &c), -EINVAL);
	cr_assert_str_eq(cni_cmd_name(CNI_CMD_STATUS), "STATUS");
}
