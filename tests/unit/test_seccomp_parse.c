/* runtime/seccomp.c: every error in linux.seccomp is found while building, in the parent. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "runtime/seccomp.h"

static json_t *J(const char *s)
{
	json_t *v = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(s, strlen(s), &v, &e), 0, "%s: %s", s, e.msg);
	return v;
}

static void bad(const char *s, int code, const char *field)
{
	_cleanup_json_ json_t *v = J(s);
	struct rt_seccomp *sc = NULL;
	struct berr e = BERR_INIT;
	int r = rt_seccomp_build(v, &sc, &e);

	cr_assert_eq(r, code, "%s: got %d (%s)", s, r, e.msg);
	cr_assert(strstr(e.msg, field), "%s: message '%s' must name %s", s, e.msg, field);
	cr_assert_null(sc);
}

static void good(const char *s)
{
	_cleanup_json_ json_t *v = J(s);
	struct rt_seccomp *sc = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_seccomp_build(v, &sc, &e), 0, "%s: %s", s, e.msg);
	cr_assert_not_null(sc);
	rt_seccomp_free(sc);
}

Test(seccomp_parse, none)
{
	struct rt_seccomp *sc = (struct rt_seccomp *)1;

	cr_assert_eq(rt_seccomp_build(NULL, &sc, NULL), 0);
	cr_assert_null(sc);
	cr_assert_eq(rt_seccomp_apply(NULL), 0, "no filter: nothing to load");
}

Test(seccomp_parse, valid_profiles)
{
	good("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	good("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
	     "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
	     "\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_LOG\"],"
	     "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	     "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
	     "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
	     "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\","
	     "\"args\":[{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":1},"
	     "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_LOG\"},"
	     "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
	     "{\"names\":[\"tkill\"],\"action\":\"SCMP_ACT_TRAP\"},"
	     "{\"names\":[\"tgkill\"],\"action\":\"SCMP_ACT_KILL\",\"comment\":\"x\"}]}");
}

Test(seccomp_parse, unknown_syscalls_are_skipped)
{
	/* as runc: a profile may name calls this kernel/arch lacks */
	good("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such_call_xyz\",\"getcwd\"],"
	     "\"action\":\"SCMP_ACT_ERRNO\"}]}");
}

Test(seccomp_parse, rules_equal_to_the_default_are_skipped)
{
	good("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
	     "\"action\":\"SCMP_ACT_ALLOW\"}]}");
}

Test(seccomp_parse, errors_name_the_field)
{
	bad("[]", -EINVAL, "linux.seccomp");
	bad("{}", -EINVAL, "linux.seccomp.defaultAction");
	bad("{\"defaultAction\":\"SCMP_ACT_FOO\"}", -EINVAL, "linux.seccomp.defaultAction");
	bad("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", -ENOTSUP, "SCMP_ACT_NOTIFY");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}", -EINVAL, "linux.seccomp.defaultErrnoRet");
	bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}", -EINVAL, "linux.seccomp.defaultErrnoRet");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\"}", -ENOTSUP,
	    "linux.seccomp.listenerPath");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"bogus\":1}", -EINVAL, "linux.seccomp.bogus");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}", -EINVAL,
	    "linux.seccomp.architectures[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}", -EINVAL,
	    "linux.seccomp.architectures[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}", -EINVAL,
	    "linux.seccomp.flags[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}", -ENOTSUP,
	    "linux.seccomp.flags[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[7]}", -EINVAL, "linux.seccomp.syscalls[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}", -EINVAL,
	    "linux.seccomp.syscalls[0].names");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].names");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[3],\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].names[0]");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}", -EINVAL,
	    "linux.seccomp.syscalls[0].action");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"KILL\"}]}", -EINVAL,
	    "linux.seccomp.syscalls[0].action");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
	    -ENOTSUP, "linux.seccomp.syscalls[0].action");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].errnoRet");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].index");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].index");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_SIMILAR\"}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].op");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].value");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":\"1\",\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].value");
	bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\",\"x\":1}]}]}",
	    -EINVAL, "linux.seccomp.syscalls[0].args[0].x");
}
