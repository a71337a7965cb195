/* runtime/cli.h: the berth command line: its commands, and parsing it into struct rt_cli. */
/*
 * runc-compatible: global options, then the verb, its options, then the
 * container id (and, for exec, the command).
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
#include <stdio.h>

#include "err.h"

/* What berth does before a command's handler runs (berth_main.c). */
#define RT_CMD_SEALED (1u << 0)	  /* re-execute from the sealed copy of berth first (selfprot.h) */
#define RT_CMD_EARLY (1u << 1)	  /* ... and start making the cgroup meanwhile (early.h) */
#define RT_CMD_OWN_OPTS (1u << 2) /* parses its own options from rt_cli.args (getopt_long_only, as runc's) */

/*
 * berth's commands, one X(ID, name, ids, flags, usage, help) line each:
 * `berth name` is RT_VERB_ID, handled by cmd_name() (runtime/cmd/name.c);
 * ids is how many container ids follow its options; usage and help are its
 * lines in --help. The parser (cli.c), the usage text and the dispatcher
 * (berth_main.c) all read this list: a new verb is one line here and a
 * handler in its own file (and its options in cli.c, if it has any).
 */
/* clang-format off */
#define RT_COMMANDS(X) \
	X(CREATE, create, 1, RT_CMD_SEALED | RT_CMD_EARLY, \
	  "[--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID", \
	  "set the container up; its process waits for start") \
	X(START, start, 1, 0, "ID", "let a created container run") \
	X(STATE, state, 1, 0, "ID", "the container's OCI state") \
	X(KILL, kill, 1, 0, "[--all] ID [SIGNAL]", "signal the container's init (--all: every process)") \
	X(DELETE, delete, 1, 0, "[--force] ID", "remove a stopped (--force: any) container") \
	X(RUN, run, 1, RT_CMD_SEALED | RT_CMD_EARLY, \
	  "[--bundle DIR] [-d] [--pid-file F] [--console-socket S] [--preserve-fds N] ID", \
	  "create and start; in the foreground, wait and delete") \
	X(EXEC, exec, 1, RT_CMD_SEALED, \
	  "[--process FILE] [-d] [--pid-file F] [-t --console-socket S] [-e K=V] [--cwd DIR]\n" \
	  "       [--user UID[:GID]] [--cap CAP] [--no-new-privs] [--preserve-fds N] ID [COMMAND...]", \
	  "run a process in a running container") \
	X(LIST, list, 0, 0, "[--format table|json] [-q]", "the containers under --root") \
	X(PS, ps, 1, 0, "[--format table|json] ID | ps [-f FILE] [--format table|json | --json]", \
	  "a container's processes; without an ID, the stacks' containers") \
	X(PAUSE, pause, 1, 0, "ID", "freeze the container's processes") \
	X(RESUME, resume, 1, 0, "ID", "thaw a paused container's processes") \
	X(FEATURES, features, 0, 0, "", "what berth supports, as runc features reports it") \
	X(SPEC, spec, 0, 0, "[--bundle DIR]", "write a default config.json") \
	X(VERSION, version, 0, 0, "", "berth's version and the OCI spec's") \
	X(HELP, help, 0, 0, "", "this text") \
	X(UP, up, 0, RT_CMD_SEALED, "-f FILE [--cgroup-parent PATH]", \
	  "create or update a stack's networks and containers (docs/stacks.md)") \
	X(DOWN, down, 0, 0, "-f FILE | down NAME", "remove everything up made for the stack") \
	X(LOGS, logs, 1, 0, "[-f FILE] NAME", "a stack container's output") \
	X(UPDATE, update, 0, RT_CMD_OWN_OPTS, \
	  "[-r FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--kernel-memory N]\n" \
	  "       [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L]\n" \
	  "       [--pids-limit N] [--blkio-weight N] ID", \
	  "change a running container's resource limits") \
	X(EVENTS, events, 0, RT_CMD_OWN_OPTS, "[--stats] [--interval 5s] ID", \
	  "the container's stats (once with --stats) and OOM events")
/* clang-format on */

enum rt_verb {
	RT_VERB_NONE,
#define RT_VERB_ENUM(ID, name, ids, flags, usage, help) RT_VERB_##ID,
	RT_COMMANDS(RT_VERB_ENUM)
#undef RT_VERB_ENUM
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
	/* RT_CMD_OWN_OPTS verbs (update, events): argv from the verb on, NULL-terminated, for the verb's own parser */
	char **args;
};

int rt_cli_parse(int argc, char **argv, struct rt_cli *ret, struct berr *e);
void rt_cli_clear(struct rt_cli *c);

/* The usage text (--help). */
void rt_cli_usage(FILE *out);
