/* runtime/trace.h: phase timestamps for finding where the time of a create or run goes. */
/*
 * See docs/performance.md. Compiled in only with CFLAGS=-DBERTH_TRACE;
 * then BERTH_TRACE=1 in the environment prints
 * "T <monotonic seconds> <pid> <phase>" lines to stderr from every process
 * involved (berth, the cgroup child, the spawn helper, the init).
 */
#pragma once

#ifdef BERTH_TRACE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline void rt_trace(const char *what)
{
	static int on = -1;
	struct timespec ts;
	char line[128];
	int n;

	if (on < 0)
		on = getenv("BERTH_TRACE") != NULL;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* not dprintf, which takes a buffer from malloc: the early child may be in malloc on the same heap (early.c) */
	n = snprintf(line, sizeof(line), "T %ld.%06ld %d %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(),
		     what);
	if (n > 0 && write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		return;
}
#else
#define rt_trace(what) ((void)0)
#endif
