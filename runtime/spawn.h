/* runtime/spawn.h: creating a container process with clone3. */
/*
 * Creating a container process. The fast path is one clone3 with every
 * CLONE_NEW* flag (and CLONE_INTO_CGROUP on cgroup v2). On v1 and hybrid
 * hosts a short-lived helper is forked first: it moves itself into the
 * container's cgroup (a single-thread self-migration, which does not take
 * the global cgroup_threadgroup_rwsem and its RCU grace period, ~10 ms
 * here), joins the namespaces given by path and sets time offsets, then
 * makes the container process with one clone3(CLONE_PARENT | CLONE_NEW*),
 * so it is still berth's child, and reports its pid.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct rt_spawn {
	uint64_t flags; /* CLONE_NEW* for the new process */
	int cgroup_fd;	/* >= 0: CLONE_INTO_CGROUP (direct path only) */
	bool helper;	/* go through the helper */
	bool light;	/* ... sharing berth's memory (spawn.c); not when it joins a time namespace */
	int sync_child; /* the child's end of the sync socket (the helper reports on it) */
	/* In the helper, before clone3 (it may clear flags of namespaces it joined): 0 or -errno with e set. */
	int (*prepare)(void *ctx, uint64_t *flags, struct berr *e);
	/* The new process; must not return. */
	void (*child_main)(void *ctx) __attribute__((noreturn));
	void *ctx;
};

/*
 * Children that share berth's memory (clone with CLONE_VM, here and in
 * early.c) save a page-table copy and copy-on-write faults; sanitizer
 * builds fork instead, their runtimes keeping per-thread state this would
 * share.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RT_SHARED_VM 0
#else
#define RT_SHARED_VM 1
#endif

/* A stack for such a child: size bytes reserved, a guard page below; its top, or NULL. */
void *rt_spawn_stack(size_t size);

/*
 * Start the process; *ret_pid is berth's child either way. sync_parent is
 * the parent's end of the sync socket (the helper's pid report arrives
 * there). The caller's copy of s->sync_child is closed once the child has
 * it, so the parent sees end of file when the child dies.
 */
int rt_spawn_run(const struct rt_spawn *s, int sync_parent, pid_t *ret_pid, struct berr *e);

/*
 * Same, leaving the helper (if any) to be reaped by the caller with
 * rt_spawn_reap(*ret_helper) once convenient: its exit then overlaps the
 * parent's next steps instead of delaying them.
 */
int rt_spawn_start(const struct rt_spawn *s, int sync_parent, pid_t *ret_pid, pid_t *ret_helper, struct berr *e);
void rt_spawn_reap(pid_t helper);
