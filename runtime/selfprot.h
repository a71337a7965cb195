/* runtime/selfprot.h: re-executing berth from a copy the container cannot write. */
/*
 * Keeping the berth binary out of the container's reach. A container
 * process that can open /proc/PID/exe of a berth process inside it (the
 * init before execve, an exec'd process before its execve) could write to
 * the host's binary once berth exits (CVE-2019-5736). create, run and exec
 * therefore re-execute berth first from a view of itself that cannot be
 * written: the binary seen through a private read-only overlayfs with no
 * upper layer (no copy at all, as runc 1.2 does), else a sealed memfd copy
 * (cannot be written, grown or shrunk). Nothing on the host is reachable
 * through either. A berth already running from such a view goes on.
 */
#pragma once

#include <stdbool.h>

#include "err.h"

/* True when /proc/self/exe is a memfd with every write seal set, or the overlayfs view made by berth. */
bool rt_selfprot_sealed(void);

/*
 * Make the protected view ahead of rt_selfprot_reexec (a failure is left for
 * it to retry and report). Its mount fd (rt_selfprot_mount_fd, -1 if none)
 * is best closed last by a child nobody waits for: dissolving the detached
 * mount waits for an RCU grace period. rt_selfprot_drop_mount closes this
 * process's copy (which waits only if it is the last one).
 */
void rt_selfprot_prepare(const char *state_root);
int rt_selfprot_mount_fd(void);
void rt_selfprot_drop_mount(void);

/*
 * Re-exec argv from a protected view unless already protected; returns 0 when
 * protected, else only on error. state_root: an existing directory berth
 * owns, unrelated to the binary's (the overlay's second layer).
 */
int rt_selfprot_reexec(char **argv, const char *state_root, struct berr *e);

/*
 * The same in two steps, for a caller that shares its memory with a child
 * between them (early.c): _prepare does everything that allocates (the
 * view, or a sealed memfd copy, and the environment marker) and returns 1,
 * or 0 when already protected (nothing to do); _now only calls execveat
 * and returns on error.
 */
int rt_selfprot_reexec_prepare(const char *state_root, struct berr *e);
int rt_selfprot_reexec_now(char **argv, struct berr *e);
