/* runtime/lifecycle.c: start, kill, delete and the teardown they share with run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "clock.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/net.h"
#include "runtime/sys.h"
#include "runtime/trace.h"

#define KILL_WAIT_MS 10000
#define START_MSG_MAX 2048

int rt_state_pidfd(const struct rt_state *st, int *ret_fd)
{
	int fd;

	if (!st->json || st->pid <= 0)
		return -ESRCH;
	fd = rt_sys_pidfd_open(st->pid, 0);
	if (fd < 0)
		return -errno;
	/* the pidfd pins whichever process had the pid; the start time says it is ours */
	if (!rt_state_alive(st)) {
		close(fd);
		return -ESRCH;
	}
	*ret_fd = fd;
	return 0;
}

static bool pidfd_exited(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static int run_state_hooks(struct rt_state *st, enum rt_hook_kind k, enum rt_status status, struct berr *warn)
{
	struct rt_hooks hooks = {0};
	struct berr e = BERR_INIT;
	_cleanup_free_ char *state = NULL;
	int r;

	if (!st->hooks_json)
		return 0;
	r = rt_hooks_parse(st->hooks_json, &hooks, &e);
	if (r == 0 && hooks.n[k]) {
		state = rt_state_hook_json_of(st, status);
		r = state ? rt_hooks_run(&hooks, k, state, &e) : berr_oom(&e);
	}
	rt_hooks_clear(&hooks);
	if (r < 0)
		berr_append(warn, NULL, &e);
	return r;
}

static int open_init_fd(const struct rt_state *st, int fd, int flags, int *ret, struct berr *e)
{
	char path[64];
	struct stat sb;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)st->pid, fd);
	f = open(path, flags | O_CLOEXEC);
	if (f < 0)
		return berr_errno(e, "reach the init of container '%s'", st->id);
	if (fstat(f, &sb) < 0 || !S_ISFIFO(sb.st_mode)) {
		close(f);
		return berr_set(e, -EPROTO, "the init of container '%s' is not waiting for start", st->id);
	}
	*ret = f;
	return 0;
}

int rt_start(const char *root, const char *id, struct berr *warn, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_close_ int pidfd = -1, go = -1, done = -1;
	_cleanup_bbuf_ struct bbuf msg = BBUF_INIT;
	enum rt_status status;
	int r;

	r = rt_state_open(root, id, true, &st, e);
	if (r < 0)
		return r;
	status = rt_state_status(st);
	switch (status) {
	case RT_STATUS_CREATED:
		break;
	case RT_STATUS_CREATING:
		return berr_set(e, -EBUSY, "container '%s' is still being created", id);
	case RT_STATUS_STOPPED:
		return berr_set(e, -EINVAL, "cannot start container '%s': it has stopped", id);
	default:
		return berr_set(e, -EINVAL, "cannot start container '%s': it is already %s", id,
				rt_status_name(status));
	}
	if (st->init_go_fd < 0 || st->init_done_fd < 0)
		return berr_set(e, -EPROTO, "container '%s' has no start channel in its state", id);
	r = rt_state_pidfd(st, &pidfd);
	if (r < 0)
		return berr_set(e, r, "cannot start container '%s': its init is gone", id);
	if ((r = open_init_fd(st, st->init_go_fd, O_WRONLY, &go, e)) < 0 ||
	    (r = open_init_fd(st, st->init_done_fd, O_RDONLY, &done, e)) < 0)
		return r;
	if (pidfd_exited(pidfd, 0))
		return berr_set(e, -ESRCH, "cannot start container '%s': its init is gone", id);
	r = rt_state_mark_started(st, e);
	if (r < 0)
		return r;
	if (write(go, "1", 1) != 1)
		return berr_errno(e, "signal the init of container '%s'", id);
	go = berth_close_safe(go);
	/* end of file: the init's write end went away with its execve; else its error, cut at START_MSG_MAX */
	r = bbuf_read_all(&msg, done, START_MSG_MAX);
	if (r == -ENOMEM)
		return berr_oom(e);
	if (msg.len)
		return berr_set(e, -ECANCELED, "start container '%s': %s", id, msg.p);
	run_state_hooks(st, RT_HOOK_POSTSTART, RT_STATUS_RUNNING, warn);
	return 0;
}

int rt_kill(const char *root, const char *id, int sig, bool all, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_close_ int pidfd = -1;
	enum rt_status status;
	int r;

	r = rt_state_open(root, id, false, &st, e);
	if (r < 0)
		return r;
	status = rt_state_status(st);
	if (status == RT_STATUS_CREATING)
		return berr_set(e, -EBUSY, "container '%s' is still being created", id);
	if (all) {
		struct rt_cgroup *cg = NULL;

		r = rt_state_cgroup(st, &cg, e);
		if (r < 0)
			return r;
		if (cg) {
			r = rt_cgroup_kill_all(cg, sig, e);
			rt_cgroup_free(cg);
			return r;
		}
	}
	if (status == RT_STATUS_STOPPED)
		return berr_set(e, -ESRCH, "container '%s' is not running", id);
	r = rt_state_pidfd(st, &pidfd);
	if (r < 0)
		return berr_set(e, r, "container '%s' is not running", id);
	if (rt_sys_pidfd_send_signal(pidfd, sig) < 0)
		return berr_errno(e, "kill container '%s'", id);
	return 0;
}

static bool cgroup_empty(const struct rt_cgroup *cg)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = rt_cgroup_pids(cg, &pids, &n, NULL);

	free(pids);
	return r == 0 && n == 0;
}

static int wait_cgroup_empty(const struct rt_cgroup *cg, struct berr *e)
{
	long long deadline = bclock_now_ms() + KILL_WAIT_MS;

	for (;;) {
		pid_t *pids = NULL;
		size_t n = 0;
		int r = rt_cgroup_pids(cg, &pids, &n, e);

		free(pids);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		if (bclock_now_ms() > deadline)
			return berr_set(e, -EBUSY, "%zu processes of the container survived SIGKILL", n);
		rt_cgroup_kill_all(cg, SIGKILL, NULL);
		usleep(5000);
	}
}

int rt_destroy(struct rt_state *st, const char *netd_socket, struct berr *warn, struct berr *e)
{
	struct rt_cgroup *cg = NULL;
	int pidfd = -1, r;
	bool empty;

	r = rt_state_cgroup(st, &cg, e);
	if (r < 0)
		return r;
	if (rt_state_pidfd(st, &pidfd) == 0)
		rt_sys_pidfd_send_signal(pidfd, SIGKILL);
	/* the init of a new pid namespace gone (run reaped it): usually nothing is left to kill or wait for */
	empty = cg && pidfd < 0 && st->new_pidns && cgroup_empty(cg);
	if (cg && !empty) {
		/*
		 * Once the init of a pid namespace is gone the kernel has
		 * killed everything in it; otherwise the rest of the cgroup
		 * goes too. Frozen tasks only act on SIGKILL once thawed.
		 */
		rt_cgroup_kill_all(cg, SIGKILL, NULL);
		rt_cgroup_freeze(cg, false, NULL);
	}
	if (pidfd >= 0) {
		pidfd_exited(pidfd, KILL_WAIT_MS);
		close(pidfd);
	}
	if (cg && !empty) {
		r = wait_cgroup_empty(cg, e);
		if (r < 0)
			goto out;
	}
	rt_trace("td: empty");
	run_state_hooks(st, RT_HOOK_POSTSTOP, RT_STATUS_STOPPED, warn);
	if (st->networks) {
		json_t *n;
		size_t i;

		json_array_foreach (st->networks, i, n) {
			struct berr ne = BERR_INIT;

			if (json_is_string(n) && rt_net_detach(json_string_value(n), st->id, netd_socket, &ne) < 0)
				berr_append(warn, NULL, &ne);
		}
	} else if (st->network) {
		struct berr ne = BERR_INIT;

		if (rt_net_detach(st->network, st->id, netd_socket, &ne) < 0)
			berr_append(warn, NULL, &ne);
	}
	if (cg) {
		r = rt_cgroup_destroy(cg, e);
		if (r < 0) {
			berr_wrap(e, r, "remove the cgroup of container '%s'", st->id);
			goto out;
		}
	}
	rt_trace("td: cg destroyed");
	r = rt_state_remove(st, e);
out:
	if (cg)
		rt_cgroup_free(cg);
	return r;
}

int rt_delete(const char *root, const char *id, bool force, const char *netd_socket, struct berr *warn, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status status;
	int r;

	r = rt_state_open(root, id, true, &st, e);
	if (r < 0)
		return r;
	if (!st->json) {
		/* we hold the lock, so its create died half-way: nothing but the directory is left */
		return rt_state_remove(st, e);
	}
	status = rt_state_status(st);
	if ((status == RT_STATUS_RUNNING || status == RT_STATUS_PAUSED) && !force)
		return berr_set(e, -EBUSY, "cannot delete container '%s' that is not stopped: %s (use --force)", id,
				rt_status_name(status));
	return rt_destroy(st, netd_socket, warn, e);
}
