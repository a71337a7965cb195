/* The container lifecycle: create, start, run, kill, delete, and the read-only views. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/spec.h"
#include "runtime/state.h"

struct rt_create_opts {
	const char *root;
	const char *id;
	const char *bundle; /* NULL: the cwd */
	const char *pid_file;
	const char *console_socket;
	const char *netd_socket; /* NULL: default */
	int preserve_fds;
	bool run; /* start right away (run): the init does not wait for `start` */
};

/* What create leaves to a `run` that goes on. */
struct rt_created {
	pid_t pid;
	int sync_fd; /* run: the parent's end of the sync socket, EOF once the init exec'd */
	struct rt_state *st;
	struct rt_spec *spec;
	struct berr warn; /* what the config asks for and berth does not apply (rt_spec_warnings) */
};

/*
 * Create the container: state directory, cgroup, namespaces, the init set
 * up and waiting (create) or about to exec (run), netd attach, state
 * written, pid file. On failure nothing is left behind.
 */
int rt_create(const struct rt_create_opts *o, struct rt_created *ret, struct berr *e);
void rt_created_clear(struct rt_created *c);

/*
 * Start a created container; returns once its process exec'd, after the
 * poststart hooks. Problems that do not fail the command (a failing
 * poststart hook, an OOM kill) are left in *warn for the boundary to print.
 */
int rt_start(const char *root, const char *id, struct berr *warn, struct berr *e);

/*
 * create + start; detach: return right after (run -d); else wait for the
 * container, forwarding signals, delete it and return its exit status
 * (128+N when killed by signal N) in *ret_status.
 */
int rt_run(const struct rt_create_opts *o, bool detach, int *ret_status, struct berr *warn, struct berr *e);

/* Send sig to the init, or (all) to every process of the container. */
int rt_kill(const char *root, const char *id, int sig, bool all, struct berr *e);

/* Delete a stopped (or created) container; force kills a running one first. */
int rt_delete(const char *root, const char *id, bool force, const char *netd_socket, struct berr *warn, struct berr *e);

/*
 * Tear down what a container owns once its init is gone or being killed:
 * kill every process left (SIGKILL), wait for them, poststop hooks
 * (failures are warnings, left in *warn), netd detach, cgroup, state dir.
 */
int rt_destroy(struct rt_state *st, const char *netd_socket, struct berr *warn, struct berr *e);

/* Print the OCI state JSON of id. */
int rt_print_state(const char *root, const char *id, FILE *out, struct berr *e);
/* berth list: "table" or "json". */
int rt_print_list(const char *root, const char *format, FILE *out, struct berr *e);
/* berth ps: "table" or "json". */
int rt_print_ps(const char *root, const char *id, const char *format, FILE *out, struct berr *e);
/* pause / resume through the freezer. */
int rt_pause(const char *root, const char *id, bool pause, struct berr *e);

/* The signals a foreground run/exec forwards to the container process. */
void rt_forward_set(sigset_t *set);
/* Wait for our child pid (set blocked), forwarding signals of set to it; 128+N when killed by N. */
int rt_wait_forwarding(pid_t pid, const sigset_t *set, int *ret_status, struct berr *e);

struct rt_exec_opts {
	const char *root, *id;
	const char *process_file; /* --process; else the container's process with the overrides below */
	char **cmd;		  /* NULL-terminated */
	char **env;		  /* -e K=V additions */
	const char *cwd;
	const char *user; /* "UID[:GID]" */
	char **caps;	  /* --cap additions */
	bool no_new_privs;
	bool tty;
	const char *console_socket;
	const char *pid_file;
	int preserve_fds;
	bool detach;
	struct berr *warn; /* what the process asks for and berth does not apply; NULL: not reported */
};

/*
 * Run a process in a created or running container: every namespace of its
 * init (one setns through a pidfd), its cgroup, its seccomp filter. Detached:
 * returns once it exec'd; else waits and returns its exit status.
 */
int rt_exec(const struct rt_exec_opts *o, int *ret_status, struct berr *e);

/* Write pid to path atomically (no trailing newline, as runc). */
int rt_pid_file_write(const char *path, pid_t pid, struct berr *e);

/* Open a pidfd for the recorded init, checking it is still that process. -ESRCH when gone. */
int rt_state_pidfd(const struct rt_state *st, int *ret_fd);
