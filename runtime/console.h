/* The container's terminal: a pty of the container's devpts, its master sent to --console-socket. */
#pragma once

#include "err.h"
#include "runtime/spec.h"

/* Connect to the --console-socket (a Unix stream socket); done by the parent before the container exists. */
int rt_console_connect(const char *path, int *ret_fd, struct berr *e);

/*
 * Open a pty from the devpts at ROOT/dev/pts (rootfd: the container's root),
 * size it, hand its master to sock with SCM_RIGHTS and return the slave
 * (owned by the process's user). Runs inside the container's namespaces.
 */
int rt_console_create(int rootfd, const struct rt_process *p, int sock, int *ret_slave, struct berr *e);

/* Bind the slave over ROOT/dev/console (for the init). */
int rt_console_bind(int rootfd, int slave, struct berr *e);

/*
 * Make slave stdin/stdout/stderr. The init does it as soon as the pty
 * exists: waiting for `start` with the caller's stdio would keep a reader
 * of create's output (a shim, `| cat`) waiting for an end of file.
 */
int rt_console_stdio(int slave, struct berr *e);

/* Make slave the controlling terminal and stdin/stdout/stderr (after setsid). */
int rt_console_attach(int slave, struct berr *e);
