/* bench: the order statistics the bench programs share (time comes from lib/clock.h). */
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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
