/* seccomp from OCI linux.seccomp, compiled with libseccomp. */
#pragma once

#include <jansson.h>

#include "err.h"

struct rt_seccomp;

/*
 * Compile linux.seccomp (NULL: no filter, *ret = NULL) in the parent, so
 * every error (unknown syscall name, action, architecture, operator) is
 * reported before the container is made.
 */
int rt_seccomp_build(const json_t *seccomp, struct rt_seccomp **ret, struct berr *e);
/*
 * Load the filter into the calling process: the last step before execve,
 * after capabilities are dropped. Must not allocate (runs in the child).
 * The kernel requires no_new_privs or CAP_SYS_ADMIN at this point: without
 * noNewPrivileges, load it before CAP_SYS_ADMIN is dropped (as runc does).
 * Returns 0 or -errno of seccomp(2); NULL is a no-op.
 */
int rt_seccomp_apply(const struct rt_seccomp *sc);
void rt_seccomp_free(struct rt_seccomp *sc);
