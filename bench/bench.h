/* bench: what the bench programs share: order statistics, namespaces, their own netd (time: lib/clock.h). */
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort n samples in place, for bench_pct. */
static inline void bench_sort(double *t, size_t n)
{
	qsort(t, n, sizeof(*t), bench_cmp_double);
}

/* The p-quantile (0..1, nearest rank) of n sorted samples. */
static inline double bench_pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}

/* A fresh network namespace, held only by the returned fd (-1 on failure). */
static inline int bench_new_netns(void)
{
	int p[2], fd = -1;
	char path[64], c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0 || write(p[1], "1", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return fd;
}

/* The bench's own netd: a scratch directory, the paths in it, the process. */
struct bench_netd {
	char dir[PATH_MAX - 32], sock[PATH_MAX], state[PATH_MAX], run[PATH_MAX], cfg[PATH_MAX];
	pid_t pid;
};

/* The scratch directory base/NAME.XXXXXX (base "" or NULL: /tmp) and its paths; false (said) on failure. */
static inline bool bench_netd_dir(struct bench_netd *d, const char *name, const char *base)
{
	snprintf(d->dir, sizeof(d->dir), "%s/%s.XXXXXX", base && *base ? base : "/tmp", name);
	if (!mkdtemp(d->dir)) {
		perror("mkdtemp");
		return false;
	}
	snprintf(d->sock, sizeof(d->sock), "%s/netd.sock", d->dir);
	snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
	snprintf(d->run, sizeof(d->run), "%s/run", d->dir);
	snprintf(d->cfg, sizeof(d->cfg), "%s/netd.json", d->dir);
	return true;
}

/*
 * Start the netd at path (with --config d->cfg when config; else its
 * built-in defaults) and wait up to 5 s for its socket; false (said, as
 * prog) when it does not come up.
 */
static inline bool bench_netd_start(struct bench_netd *d, const char *path, bool config, const char *prog)
{
	d->pid = fork();
	if (d->pid == 0) {
		/* execl's list ends at the first NULL: without config, before --config */
		execl(path, "netd", "--foreground", "--socket", d->sock, "--state-dir", d->state, "--run-dir", d->run,
		      "--log-level", "warn", config ? "--config" : (char *)NULL, d->cfg, (char *)NULL);
		perror("exec netd");
		_exit(127);
	}
	for (int i = 0; i < 250 && access(d->sock, F_OK) != 0; i++)
		usleep(20000);
	if (access(d->sock, F_OK) != 0) {
		fprintf(stderr, "%s: netd did not start\n", prog);
		return false;
	}
	return true;
}
