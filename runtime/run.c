/* runtime/run.c: `berth run`, create and start in one process, waiting for the container in the foreground. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/sync.h"
#include "runtime/sys.h"
#include "runtime/trace.h"

/* Signals a foreground run passes on to the container (runc forwards all but these few). */
void rt_forward_set(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGABRT);
	sigdelset(set, SIGTRAP);
	sigdelset(set, SIGSYS);
	sigdelset(set, SIGTTIN);
	sigdelset(set, SIGTTOU);
	sigdelset(set, SIGTSTP);
}

int rt_wait_forwarding(pid_t pid, const sigset_t *set, int *ret_status, struct berr *e)
{
	_cleanup_close_ int sfd = -1;
	int status;

	sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0)
		return berr_errno(e, "signalfd");
	for (;;) {
		struct signalfd_siginfo si;
		pid_t w = waitpid(pid, &status, WNOHANG);
		ssize_t n;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return berr_errno(e, "wait for the container");
		n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return berr_errno(e, "read signalfd");
		if (si.ssi_signo == SIGCHLD)
			continue;
		/* still our unreaped child, so the pid cannot have been reused */
		kill(pid, (int)si.ssi_signo);
	}
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static void report_oom(struct rt_state *st, int status, struct berr *warn)
{
	struct rt_cgroup *cg = NULL;
	bool oom = false;

	if (rt_state_cgroup(st, &cg, NULL) < 0 || !cg)
		return;
	if (rt_cgroup_oom_killed(cg, &oom) == 0 && oom) {
		struct berr e = BERR_INIT;

		berr_set(&e, -ENOMEM,
			 "container '%s' was killed by the OOM killer (memory limit reached, exit status %d)", st->id,
			 status);
		berr_append(warn, NULL, &e);
	}
	rt_cgroup_free(cg);
}

/* mine: the state as create saved it, used as it is when nobody changed it meanwhile (rt_state_relock). */
static int teardown(const struct rt_create_opts *o, struct rt_state *mine, struct berr *warn, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	int r;

	if (mine && rt_state_relock(mine) > 0)
		return rt_destroy(mine, o->netd_socket, warn, e);
	r = rt_state_open(o->root, o->id, true, &st, e);
	if (r == -ENOENT) {
		berr_clear(e);
		return 0; /* deleted from outside meanwhile */
	}
	if (r < 0)
		return r;
	if (!st->json)
		return rt_state_remove(st, e);
	return rt_destroy(st, o->netd_socket, warn, e);
}

/*
 * The container's mount namespace, held by berth while the container runs.
 * Its last reference going away unmounts everything in it and waits for an
 * RCU grace period (0.1-1.5 ms here); dropped by the container's exit, that
 * wait delays the exit berth is waiting for. Held here, the namespace is
 * dropped by a thread of ours that waits for the container's exit from the
 * start (a pidfd), so the release runs alongside berth's own wake-up and
 * the teardown (cgroups, state); the thread is joined before run returns:
 * nothing of it outlives run.
 */
struct dropper {
	pthread_t t;
	int mntns, pidfd, stop[2];
	bool on;
};

static void *drop_ns(void *arg)
{
	struct dropper *d = arg;
	/* without a pidfd (old kernels, valgrind) the stop after berth's own wait is the signal */
	struct pollfd p[2] = {{.fd = d->pidfd, .events = POLLIN}, {.fd = d->stop[0], .events = POLLIN}};

	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	rt_trace("drop start");
	d->mntns = berth_close_safe(d->mntns);
	rt_trace("drop end");
	return NULL;
}

#define DROPPER_STACK (64 * 1024)

/* Hold pid's mount namespace until pid exits or dropper_stop. */
static void dropper_start(struct dropper *d, pid_t pid)
{
	char path[64];
	sigset_t all, old;
	pthread_attr_t attr;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	d->mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (d->mntns < 0)
		return;
	if (pipe2(d->stop, O_CLOEXEC) < 0) {
		d->mntns = berth_close_safe(d->mntns);
		return;
	}
	/* our child, not yet reaped: the pid cannot have been reused */
	d->pidfd = rt_sys_pidfd_open(pid, 0);
	/* signals stay with the main thread's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* it only polls and closes: a small stack, not the default 8 MiB to map, and to madvise away at its exit */
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setstacksize(&attr, DROPPER_STACK);
		d->on = pthread_create(&d->t, &attr, drop_ns, d) == 0;
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!d->on)
		d->mntns = berth_close_safe(d->mntns);
}

/* Let the thread drop the namespace now (if the container's exit has not already). */
static void dropper_release(struct dropper *d)
{
	d->stop[1] = berth_close_safe(d->stop[1]);
}

static void dropper_stop(struct dropper *d)
{
	dropper_release(d);
	if (d->on)
		pthread_join(d->t, NULL);
	d->on = false;
	d->mntns = berth_close_safe(d->mntns);
	d->pidfd = berth_close_safe(d->pidfd);
	d->stop[0] = berth_close_safe(d->stop[0]);
}

int rt_run(const struct rt_create_opts *o, bool detach, int *ret_status, struct berr *warn, struct berr *e)
{
	struct rt_created c = {.sync_fd = -1};
	struct dropper d = {.mntns = -1, .pidfd = -1, .stop = {-1, -1}};
	sigset_t set, old;
	int r, status = 0;

	rt_forward_set(&set);
	/* blocked from the start: a signal during creation is delivered to the container, not lost */
	if (!detach)
		sigprocmask(SIG_BLOCK, &set, &old);
	r = rt_create(o, &c, e);
	if (r < 0)
		goto out;
	if (c.warn.msg[0])
		berr_append(warn, NULL, &c.warn);
	/* nobody waits behind us while the container runs: `berth delete -f` must be able to take the lock */
	c.st->lockfd = berth_close_safe(c.st->lockfd);
	if (!detach && (c.spec->ns_new & CLONE_NEWNS))
		dropper_start(&d, c.pid);
	r = rt_sync_wait_exec(c.sync_fd, e);
	rt_trace("exec'd");
	c.sync_fd = berth_close_safe(c.sync_fd);
	if (r < 0) {
		struct berr ignored = BERR_INIT;

		if (!detach)
			waitpid(c.pid, NULL, 0);
		teardown(o, c.st, NULL, &ignored);
		goto out;
	}
	{
		struct rt_hooks *h = &c.spec->hooks;

		if (h->n[RT_HOOK_POSTSTART]) {
			_cleanup_free_ char *state = rt_state_hook_json_of(c.st, RT_STATUS_RUNNING);
			struct berr he = BERR_INIT;

			if (!state || rt_hooks_run(h, RT_HOOK_POSTSTART, state, &he) < 0)
				berr_append(warn, NULL, &he);
		}
	}
	if (detach) {
		*ret_status = 0;
		goto out;
	}
	r = rt_wait_forwarding(c.pid, &set, &status, e);
	if (r < 0)
		goto out;
	dropper_release(&d);
	rt_trace("exited+oom");
	report_oom(c.st, status, warn);
	*ret_status = status;
	r = teardown(o, c.st, warn, e);
	rt_trace("torn down");
out:
	dropper_stop(&d);
	rt_trace("dropper joined");
	rt_created_clear(&c);
	if (!detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
