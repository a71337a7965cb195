/*
 * runtime/seccomp.c: filters built in the parent and loaded in a forked
 * child, which then makes the system calls and reports by exit status.
 * Raw syscall(2) is used so libc caching (getpid, getcwd...) cannot hide
 * what the kernel answered.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonutil.h"
#include "runtime/seccomp.h"
#include "tst.h"

TestSuite(seccomp, .init = tst_isolate, .fini = tst_teardown);

static struct rt_seccomp *build(const char *s)
{
	_cleanup_json_ json_t *j = NULL;
	struct rt_seccomp *sc = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(s, strlen(s), &j, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_seccomp_build(j, &sc, &e), 0, "%s", e.msg);
	cr_assert_not_null(sc);
	return sc;
}

/* Run fn in a child that loaded the filter first; returns exit code or 128+signal. */
static int run_filtered(struct rt_seccomp *sc, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		/* SIGSYS would dump core otherwise */
		setrlimit(RLIMIT_CORE, &no_core);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(90);
		if (rt_seccomp_apply(sc) < 0)
			_exit(91);
		/* the raw call: ASan's _exit hook makes calls (sigaltstack) an allow-list forbids */
		syscall(SYS_exit_group, fn());
		_exit(92);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	rt_seccomp_free(sc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int errno_of(long r)
{
	return r < 0 ? errno : 0;
}

static int getcwd_and_mkdir(void)
{
	char buf[256];

	if (errno_of(syscall(SYS_getcwd, buf, sizeof(buf))) != EPERM)
		return 1;
	if (errno_of(syscall(SYS_mkdir, "/nonexistent-dir/x", 0700)) != EACCES)
		return 2;
	/* other calls are untouched: the default action is allow */
	if (syscall(SYS_getppid) <= 0)
		return 3;
	return 0;
}

Test(seccomp, errno_actions)
{
	struct rt_seccomp *sc =
		build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		      "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"},"
		      "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}");

	cr_assert_eq(run_filtered(sc, getcwd_and_mkdir), 0, "getcwd must fail with EPERM, mkdir with EACCES");
}

static int call_getppid(void)
{
	syscall(SYS_getppid);
	return 0;
}

Test(seccomp, kill_process_is_sigsys)
{
	struct rt_seccomp *sc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}");

	cr_assert_eq(run_filtered(sc, call_getppid), 128 + SIGSYS);
}

Test(seccomp, kill_is_sigsys)
{
	struct rt_seccomp *sc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
				      "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL\"}]}");

	cr_assert_eq(run_filtered(sc, call_getppid), 128 + SIGSYS);
}

static int umask_args(void)
{
	if (errno_of(syscall(SYS_umask, 022)) != EPERM)
		return 1;
	if (errno_of(syscall(SYS_umask, 011)) != EPERM)
		return 2;
	if (syscall(SYS_umask, 077) < 0)
		return 3;
	/* getpriority: both conditions must hold (AND) */
	if (errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 4242424)) != EXDEV)
		return 4;
	if (syscall(SYS_getpriority, PRIO_PROCESS, 0) < 0)
		return 5;
	if (errno_of(syscall(SYS_getpriority, PRIO_PGRP, 4242424)) == EXDEV)
		return 6;
	return 0;
}

Test(seccomp, argument_conditions)
{
	/* one index twice: each condition is its own rule (OR); distinct indexes: one rule (AND) */
	struct rt_seccomp *sc = build(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
		"{\"index\":0,\"value\":18,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,\"args\":["
		"{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":1,\"value\":4242424,\"op\":\"SCMP_CMP_EQ\"}]}]}");

	cr_assert_eq(run_filtered(sc, umask_args), 0, "see umask_args for the failing step");
}

static int masked(void)
{
	/* value is the mask, valueTwo the datum: (arg & 0700) == 0500 */
	if (errno_of(syscall(SYS_umask, 0555)) != EPERM)
		return 1;
	if (syscall(SYS_umask, 0755) < 0)
		return 2;
	/* GT on a second syscall */
	if (errno_of(syscall(SYS_setpgid, 0, 5000)) != EXDEV)
		return 3;
	if (errno_of(syscall(SYS_setpgid, 0, 3000)) == EXDEV)
		return 4;
	return 0;
}

Test(seccomp, masked_eq_and_comparisons)
{
	struct rt_seccomp *sc =
		build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		      "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
		      "{\"index\":0,\"value\":448,\"valueTwo\":320,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		      "{\"names\":[\"setpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,\"args\":["
		      "{\"index\":1,\"value\":4000,\"op\":\"SCMP_CMP_GT\"}]}]}");

	cr_assert_eq(run_filtered(sc, masked), 0, "see masked for the failing step");
}

static int default_applies(void)
{
	if (errno_of(syscall(SYS_getppid)) != ENOSYS)
		return 1;
	if (syscall(SYS_getpid) <= 0)
		return 2;
	return 0;
}

Test(seccomp, default_action_applies)
{
	/* an allow-list: everything not named gets ENOSYS (38) */
	struct rt_seccomp *sc = build("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
				      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
				      "\"syscalls\":[{\"names\":[\"getpid\",\"exit\",\"exit_group\"],"
				      "\"action\":\"SCMP_ACT_ALLOW\"}]}");

	{
		int st = run_filtered(sc, default_applies);

		cr_assert_eq(st, 0, "status %d: see default_applies for the failing step", st);
	}
}

static int log_and_flags(void)
{
	char buf[64];

	return syscall(SYS_getcwd, buf, sizeof(buf)) > 0 ? 0 : 1;
}

Test(seccomp, log_action_and_flags_load)
{
	struct rt_seccomp *sc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
				      "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
				      "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_LOG\"}]}");

	cr_assert_eq(run_filtered(sc, log_and_flags), 0, "SCMP_ACT_LOG lets the call through");
}
