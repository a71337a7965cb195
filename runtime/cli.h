/*
 * The berth command line, runc-compatible: global options, then the verb,
 * its options, then the container id (and, for exec, the command).
 * "--opt value", "--opt=value" and single-dash long options ("-root") are
 * all accepted, as engines use each form.
 *
 * `ps` is two commands: with a container id it is runc's (`-f` is
 * --format), without one it lists stack containers (`-f` is the stack
 * file, --format / --json pick the output).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum rt_verb {
	RT_VERB_NONE,
	RT_VERB_CREATE,
	RT_VERB_START,
	RT_VERB_STATE,
	RT_VERB_KILL,
	RT_VERB_DELETE,
	RT_VERB_RUN,
	RT_VERB_EXEC,
	RT_VERB_LIST,
	RT_VERB_PS,
	RT_VERB_PAUSE,
	RT_VERB_RESUME,
	RT_VERB_FEATURES,
	RT_VERB_SPEC,
	RT_VERB_VERSION,
	RT_VERB_HELP,
	RT_VERB_UP,   /* stacks (runtime/stack.h) */
	RT_VERB_DOWN, /* down -f FILE, or down NAME */
	RT_VERB_LOGS,
	RT_VERB_UPDATE, /* runtime/update.h: parses its own options (args) */
	RT_VERB_EVENTS, /* runtime/events.h: same */
};

struct rt_cli {
	/* global */
	const char *root;
	const char *log;
	const char *log_format; /* "text" (default) or "json" */
	bool debug;
	bool systemd_cgroup; /* accepted; berth manages cgroupfs directly */
	const char *netd_socket;

	enum rt_verb verb;
	const char *verb_name;
	const char *id;

	/* create / run / exec */
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool detach;
	/* exec */
	const char *process;
	bool tty;
	const char *cwd;
	const char *user;
	bool no_new_privs;
	char **env;  /* -e K=V, NULL-terminated */
	char **caps; /* --cap, NULL-terminated */
	char **cmd;  /* after the id, NULL-terminated (points into argv) */
	/* kill / delete / list / ps */
	const char *signal;
	bool all;
	bool force;
	const char *format;
	bool quiet;
	bool rootless_spec;
	/* stacks: up / down / ps without an id / logs */
	const char *file; /* -f FILE */
	const char *cgroup_parent;
	bool json;
	bool stack_ps;		    /* ps without a container id: the stacks' containers */
	const char *ps_short_f;	    /* ps -f VALUE, before we know which ps */
	const char *ps_long_format; /* ps --format VALUE */
	/* update, events: argv from the verb on, NULL-terminated, for the verb's own parser */
	char **args;
};

int rt_cli_parse(int argc, char **argv, struct rt_cli *ret, struct berr *e);
void rt_cli_clear(struct rt_cli *c);

/* Usage text for --help. */
const char *rt_cli_usage(void);
