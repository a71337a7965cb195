/* The link reaper: a worker thread deleting retired links, and the hand-off to a process at exit. */
#include "netd/engine/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "netd/engine/link.h"
#include "netd/engine/nlsock.h"

#define REAPER_MAX 65536

struct reaper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;
	bool busy;
	char (*names)[16];
	size_t head, n, cap;
	bool stop;
	struct nlsock *ns;
	int fds[8]; /* reaper_close: closed by the thread */
	size_t n_fds;
};

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		char name[16];

		while (r->n_fds > 0) {
			int fd = r->fds[--r->n_fds];

			pthread_mutex_unlock(&r->lock);
			close(fd);
			pthread_mutex_lock(&r->lock);
		}
		while (r->n == 0 && r->n_fds == 0 && !r->stop) {
			r->busy = false;
			pthread_cond_broadcast(&r->idle);
			pthread_cond_wait(&r->cond, &r->lock);
		}
		if (r->n_fds > 0)
			continue;
		if (r->n == 0)
			break;
		memcpy(name, r->names[r->head], sizeof(name));
		r->head = (r->head + 1) % r->cap;
		r->n--;
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		/* gone already (its namespace died) is fine; any other failure is left to reconcile */
		link_delete(r->ns, name, NULL);
		pthread_mutex_lock(&r->lock);
	}
	r->busy = false;
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int reaper_start(struct reaper **ret, struct berr *e)
{
	struct reaper *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int rc;

	if (!r)
		return berr_oom(e);
	rc = nlsock_open(-1, &r->ns, e);
	if (rc < 0) {
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->idle, NULL);
	/* signals belong to the main thread's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, reaper_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		nlsock_close(r->ns);
		free(r);
		return berr_sys(e, -rc, "start the link reaper thread");
	}
	*ret = r;
	return 0;
}

int reaper_add(struct reaper *r, const char *name)
{
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (r->stop) {
		rc = -ESHUTDOWN;
	} else if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char(*nv)[16];

		if (cap > REAPER_MAX || !(nv = malloc(cap * sizeof(*nv)))) {
			rc = -ENOMEM;
		} else {
			for (size_t i = 0; i < r->n; i++)
				memcpy(nv[i], r->names[(r->head + i) % r->cap], 16);
			free(r->names);
			r->names = nv;
			r->cap = cap;
			r->head = 0;
		}
	}
	if (rc == 0) {
		snprintf(r->names[(r->head + r->n) % r->cap], 16, "%s", name);
		r->n++;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void reaper_close(struct reaper *r, int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&r->lock);
	if (!r->stop && r->n_fds < sizeof(r->fds) / sizeof(r->fds[0])) {
		r->fds[r->n_fds++] = fd;
		fd = -1;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	if (fd >= 0)
		close(fd);
}

void reaper_flush(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while ((r->n > 0 || r->busy) && !r->stop)
		pthread_cond_wait(&r->idle, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void reaper_stop(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	nlsock_close(r->ns);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	pthread_cond_destroy(&r->idle);
	free(r->names);
	free(r);
}

/*
 * The detached deleter: nothing inherited but keep (and hold to know when
 * the parent let go of its copy of keep), its own rtnetlink socket, then
 * gone. Closing the last reference to an nftables socket after a batch that
 * deleted objects waits for the kernel to free them after an RCU grace
 * period (nf_tables flushes its destroy work on NETLINK_URELEASE): 3-5 ms
 * here, paid by this child instead of the caller.
 */
static void handoff_main(char (*names)[16], size_t n, int keep, int hold)
{
	struct nlsock *ns = NULL;
	char c;

	setsid();
	/* the caller's pipes (a runtime reading our result) must not wait for us */
	for (int fd = 0; fd < 3; fd++)
		if (fd != keep && fd != hold)
			close(fd);
	{
		int lo = 3, hi = keep > hold ? keep : hold, other = keep > hold ? hold : keep;

		if (other >= lo)
			syscall(SYS_close_range, (unsigned)lo, (unsigned)other - 1, 0U);
		if (other >= 0 && other + 1 < hi)
			syscall(SYS_close_range, (unsigned)(other < lo ? lo : other + 1), (unsigned)hi - 1, 0U);
		syscall(SYS_close_range, (unsigned)(hi < lo ? lo : hi + 1), ~0U, 0U);
	}
	if (hold >= 0) {
		while (read(hold, &c, 1) < 0 && errno == EINTR)
			;
		close(hold);
	}
	if (keep >= 0)
		close(keep);
	if (nlsock_open(-1, &ns, NULL) == 0) {
		/* gone already (the namespace died, reconcile got there first) is fine */
		for (size_t i = 0; i < n; i++)
			link_delete(ns, names[i], NULL);
		nlsock_close(ns);
	}
	_exit(0);
}

int reaper_handoff(char (*names)[16], size_t n, int keep_fd, int *ret_hold)
{
	int hold[2] = {-1, -1};
	pid_t pid;

	*ret_hold = -1;
	if (n == 0 && keep_fd < 0)
		return 0;
	if (keep_fd >= 0 && pipe2(hold, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		berth_close_safe(hold[0]);
		berth_close_safe(hold[1]);
		return r;
	}
	if (pid == 0)
		handoff_main(names, n, keep_fd, hold[0]);
	berth_close_safe(hold[0]);
	*ret_hold = hold[1];
	return 0;
}
