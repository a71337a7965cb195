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
 * The socket on which the child passes the namespaces it makes after the
 * cgroup (early.c says which and why; it joins the cgroup for that and
 * must be reaped before the cgroup is removed), or -1; the caller owns it.
 */
int rt_early_ns_socket(void);

/*
 * Receive them (the spawn helper does, so that the wait overlaps its own
 * cgroup migration): returns the CLONE_NEW* flags covered, ret_fds[0] the
 * user and ret_fds[1] the network namespace (-1 when not made), or 0 with
 * nothing open: clone3 then makes them (also when spec, as read after the
 * re-exec, asks for others).
 */
int rt_early_ns_receive(int sock, const struct rt_spec *spec, int ret_fds[2]);

/* Close the child's answer and reap it (its exit was not waited for on the way). */
void rt_early_reap(void);
