/*
 * create and run first re-execute berth from its sealed copy (selfprot.h),
 * which costs about as much as creating the container's cgroups. Neither
 * needs the other, so the first image reserves the state directory (the
 * lock fd survives the execve) and forks a child that creates the cgroup
 * while berth re-executes; the re-executed berth adopts both.
 */
#pragma once

#include "err.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/state.h"

/* Before the re-exec: validate, reserve ROOT/ID, start the cgroup child. */
int rt_early_start(const struct rt_create_opts *o, struct berr *e);

/* The re-exec failed: remove what rt_early_start made. */
void rt_early_abort(const struct rt_create_opts *o);

/*
 * After the re-exec: 0 when nothing was started early; 1 with the state
 * (locked) and the cgroup; on error whatever was adopted is in *ret_st /
 * *ret_cg (NULL otherwise) for the caller to undo.
 */
int rt_early_adopt(const struct rt_create_opts *o, struct rt_state **ret_st, struct rt_cgroup **ret_cg, struct berr *e);

/* Reap the child once its answer was read (its exit is not waited for on the way). */
void rt_early_reap(void);
