/* Helpers shared by the cgroup tests: paths under $BERTH_TEST_CGROUP, children placed in a cgroup. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "runtime/cgroup/cgroup_internal.h"
#include "tst.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* "/$BERTH_TEST_CGROUP/<name>-<pid>": the only place a test may make cgroups. */
static inline const char *cgt_base(const char *name)
{
	static char buf[4][512];
	static int next;
	char *b = buf[next++ % 4];
	const char *root = getenv("BERTH_TEST_CGROUP");

	cr_assert(root && *root, "BERTH_TEST_CGROUP is not set (run under the sandbox)");
	snprintf(b, 512, "/%s/%s-%d", root, name, (int)getpid());
	return b;
}

static inline void cgt_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static inline struct rt_cgroup *cgt_create(const char *path, const char *res_json)
{
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	struct berr e = BERR_INIT;
	_cleanup_json_ json_t *j = NULL;

	if (res_json)
		cr_assert_eq(bjson_parse(res_json, strlen(res_json), &j, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_cgroup_create(path, "t", &res, &cg, &e), 0, "create %s: %s", path, e.msg);
	rt_cgroup_resources_free(&res);
	return cg;
}

/* Every directory of the cgroup, and the base it was made under, must be gone after destroy. */
static inline void cgt_destroy(struct rt_cgroup *cg, const char *base)
{
	struct berr e = BERR_INIT;
	char **dirs = calloc(cg->n + 1, sizeof(char *));
	char **bases = calloc(cg->n + 1, sizeof(char *));

	cr_assert(dirs && bases);
	for (size_t i = 0; i < cg->n; i++) {
		dirs[i] = strdup(cg->h[i].dir);
		if (base && asprintf(&bases[i], "%s%s", cg->h[i].mount, base) < 0)
			bases[i] = NULL;
	}
	cr_assert_eq(rt_cgroup_destroy(cg, &e), 0, "%s", e.msg);
	for (size_t i = 0; dirs[i]; i++) {
		cr_assert(access(dirs[i], F_OK) < 0 && errno == ENOENT, "%s is still there", dirs[i]);
		if (bases[i])
			cr_assert(access(bases[i], F_OK) < 0 && errno == ENOENT, "%s is still there", bases[i]);
		free(dirs[i]);
		free(bases[i]);
	}
	free(dirs);
	free(bases);
	rt_cgroup_free(cg);
}

/*
 * Fork a child that waits until released, then returns fn(arg) as its exit
 * status. The parent moves it into the cgroup in between, so fn runs inside.
 */
static inline pid_t cgt_spawn(int (*fn)(void *), void *arg, int *ret_go)
{
	int p[2];
	pid_t pid;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(120);
		close(p[0]);
		_exit(fn(arg));
	}
	close(p[0]);
	*ret_go = p[1];
	return pid;
}

static inline void cgt_go(int fd)
{
	cr_assert_eq(write(fd, "g", 1), 1);
	close(fd);
}

/* A child's body that waits to be killed. */
static inline int cgt_pause_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* clone3 straight into the cgroup directory cgroup_fd: the child's pid, or 0 in the child (killed with the parent). */
static inline pid_t cgt_clone_into(int cgroup_fd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
			set_tid_size, cgroup;
	} args;
	pid_t pid;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgroup_fd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	cr_assert_geq(pid, 0, "clone3: %s", strerror(errno));
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/* Spawn fn in the cgroup and release it. */
static inline pid_t cgt_run_in(struct rt_cgroup *cg, int (*fn)(void *), void *arg)
{
	struct berr e = BERR_INIT;
	int go = -1;
	pid_t pid = cgt_spawn(fn, arg, &go);

	cr_assert_eq(rt_cgroup_enter(cg, pid, &e), 0, "%s", e.msg);
	cgt_go(go);
	return pid;
}

/* Run in the cgroup: 0 when /dev/null is refused (EPERM) and /dev/zero opens; 1-3 says which check failed. */
static inline int cgt_null_denied(void *arg)
{
	(void)arg;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		return 1;
	if (errno != EPERM)
		return 2;
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 3;
	close(fd);
	return 0;
}

/* Exit status as "exit code" or 128+signal. */
static inline int cgt_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read a control file of the container's cgroup in the hierarchy holding controller ("" for v2). */
static inline const char *cgt_read(struct rt_cgroup *cg, const char *controller, const char *file)
{
	static char buf[4][4096];
	static int next;
	char *b = buf[next++ % 4];
	const char *dir = rt_cgroup_dir(cg, controller);
	struct berr e = BERR_INIT;

	cr_assert_not_null(dir, "no hierarchy for %s", controller);
	cr_assert_eq(cg_read(dir, file, b, 4096, &e), 0, "%s", e.msg);
	return b;
}

/* Wait (reaping adopted orphans) until the cgroup holds no process. */
static inline void cgt_wait_empty(struct rt_cgroup *cg)
{
	for (int i = 0; i < 500; i++) {
		pid_t *pids = NULL;
		size_t n = 0;

		while (waitpid(-1, NULL, WNOHANG) > 0) {
		}
		cr_assert_eq(rt_cgroup_pids(cg, &pids, &n, NULL), 0);
		free(pids);
		if (n == 0)
			return;
		cgt_sleep_ms(10);
	}
	cr_assert_fail("the cgroup still has processes after 5 s");
}

/* Hide hierarchies in this test's private mount namespace, so the module sees another mode. */
static inline void cgt_hide(bool v1, bool v2, const char *only)
{
	struct cg_mounts ms;
	struct berr e = BERR_INIT;

	cr_assert_eq(cg_mounts_read(&ms, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < ms.n; i++) {
		const struct cg_mount *m = &ms.m[i];
		bool hide = m->kind == CG_V1 ? v1 : v2;

		if (only)
			hide = m->kind == CG_V1 && cg_list_has(m->controllers, only);
		if (hide)
			cr_assert_eq(umount2(m->mount, MNT_DETACH), 0, "umount %s: %s", m->mount, strerror(errno));
	}
	cg_mounts_free(&ms);
}
