/* runtime/process.h: the last steps of a container process, up to execve. */
/*
 * The last steps of a container process (the init, and every `berth exec`),
 * inside the container's namespaces: rlimits, session and terminal, cwd,
 * file descriptors, user and groups, capabilities, no_new_privs, seccomp,
 * then execve.
 */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

struct rt_proc_final {
	const struct rt_process *p;
	const struct rt_seccomp *seccomp; /* NULL: none */
	const char *path;		  /* resolved program (rt_process_resolve) */
	char **env;			  /* environment to pass (rt_process_env) */
	int preserve_fds;		  /* fds 3 .. 3+N-1 stay open in the container */
	int console_slave;		  /* -1: keep stdio */
};

/*
 * Find args[0] like execvp does, with the container's PATH (inside the
 * container's root). The error reads like runc's so engines map it to
 * exit code 127 / 126.
 */
int rt_process_resolve(const struct rt_process *p, char **ret_path, struct berr *e);

/* process.env plus HOME (from the container's /etc/passwd, else "/") when missing; malloc'd vector. */
int rt_process_env(const struct rt_process *p, char ***ret_env, struct berr *e);

/* Apply everything and execve; returns only on failure. */
int rt_process_exec(const struct rt_proc_final *f, struct berr *e);

/* Reset the signal mask and the dispositions berth may have changed (before exec / in a forked helper). */
void rt_process_reset_signals(void);
