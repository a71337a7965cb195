/* runtime/early.h: the cgroup made by a child while create and run re-execute berth. */
/*
 * create and run first re-execute berth from its sealed copy (selfprot.h),
 * which costs about as much as creating the container's cgroups. Neither
 * needs the other, so the first image reserves the state directory (the
 * lock fd survives the execve) and starts a child that creates the cgroup
 * (and then the user and network namespaces, which the spawn helper joins)
 * while berth re-executes; the re-executed berth adopts them.
 */
#pragma once

#include "err.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/state.h"

/*
 * Validate, reserve ROOT/ID, start the cgroup child and re-execute argv from
 * the protected view (selfprot.h); returns only on error, having removed
 * what it made.
 */
int rt_early_reexec(const struct rt_create_opts *o, char **argv, struct berr *e);

/* The re-exec failed: remove what rt_early_reexec made. */
void rt_early_abort(const struct rt_create_opts *o);

/*
 * After the re-exec: 0 when nothing was started early; 1 with the state
 * (locked), the child's cgroup then being collected by rt_early_cgroup
 * (the caller does what needs no cgroup first). On error *ret_st is NULL;
 * the child's answer must still be collected (rt_early_cgroup) and undone.
 */
int rt_early_adopt(const struct rt_create_opts *o, struct rt_state **ret_st, struct berr *e);

/* Wait for the child's cgroup (once); on error nothing of it is left (the child undid it). */
int rt_early_cgroup(struct rt_cgroup **ret_cg, struct berr *e);

/*
 * The socket on which the child passes what it makes for the spawn helper
 * (early.c says what and why: the namespaces, for which it joins the
 * cgroup and must be reaped before the cgroup is removed; the cgroup's v1
 * tasks files, opened), or -1; the caller owns it.
 */
int rt_early_ns_socket(void);

#define RT_EARLY_TASKS_MAX 64

/* What has come on that socket so far; the spawn helper reads it (rt_early_ns_take, rt_early_ns_receive). */
struct rt_early_ns {
	int tasks[RT_EARLY_TASKS_MAX]; /* the v1 tasks files, in the cgroup's order (rt_cgroup_enter_v1_fds) */
	size_t n_tasks;
	int fds[2]; /* the user and network namespaces, -1 when not (yet) there */
	bool done;  /* the network namespace, or the end, came */
	bool bad;   /* something unexpected came: no namespace is used */
};

void rt_early_ns_init(struct rt_early_ns *ns);
/* Close what ns still holds. */
void rt_early_ns_clear(struct rt_early_ns *ns);
/* Take what has come on sock without waiting (the tasks files, if the child already sent them). */
void rt_early_ns_take(int sock, struct rt_early_ns *ns);
/*
 * Wait for the namespaces (the spawn helper does, so that the wait overlaps
 * its own cgroup migration): returns the CLONE_NEW* flags covered,
 * ret_fds[0] the user and ret_fds[1] the network namespace (-1 when not
 * made), taken from ns, or 0 with none open: clone3 then makes them (also
 * when spec, as read after the re-exec, asks for others).
 */
int rt_early_ns_receive(int sock, const struct rt_spec *spec, struct rt_early_ns *ns, int ret_fds[2]);

/* Close the child's answer and reap it (its exit was not waited for on the way). */
void rt_early_reap(void);
