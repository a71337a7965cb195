/* stack/stack.h: stacks (docs/stacks.md), `berth up`, `down`, `ps` and `logs` over a stack file. */
/*
 * A stack file (stack_file.h) names containers and their networks. up
 * creates the networks through netd, writes one OCI bundle per container
 * under <root>/stacks/<stack>/containers/<name>/, creates and starts the
 * containers (ids "<stack>-<name>") in dependency order with berth's
 * runtime (runtime/), and keeps each container's /etc/hosts listing the
 * containers it shares a network with. Everything up makes is recorded in
 * <root>/stacks/<stack>/stack.json before it is made, so down removes
 * exactly that, also after a failed or interrupted up.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

/* Default parent of the stacks' cgroups: <parent>/<stack>/<container>. */
#define STACK_DEFAULT_CGROUP_PARENT "/berth/stacks"
/* Environment overrides (tests): the cgroup parent, and the file whose nameservers containers get. */
#define STACK_ENV_CGROUP_PARENT "BERTH_CGROUP_PARENT"
#define STACK_ENV_RESOLV_CONF "BERTH_STACK_RESOLV_CONF"

struct stack_opts {
	const char *root;	   /* the runtime's --root */
	const char *netd_socket;   /* NULL: $BERTH_NETD_SOCKET, else netd's default */
	const char *cgroup_parent; /* NULL: $BERTH_CGROUP_PARENT, else STACK_DEFAULT_CGROUP_PARENT */
	FILE *progress;		   /* up/down report each step here (NULL: quiet) */
};

/*
 * Bring the stack of file up, or make the running one match the file:
 * unchanged running containers are left alone (no netd call beyond a ping
 * and a look at the networks), changed or dead ones are recreated,
 * containers no longer in the file removed. Problems that do not fail the
 * command land in *warn.
 */
int stack_up(const struct stack_opts *o, const char *file, struct berr *warn, struct berr *e);

/*
 * Remove everything up made for the stack named in file (or name, when file
 * is NULL) and nothing else. A stack that is not up is success (*ret_found
 * false).
 */
int stack_down(const struct stack_opts *o, const char *file, const char *name, bool *ret_found, struct berr *warn,
	       struct berr *e);

/* The containers of one stack (file) or of every stack (file NULL): "table" or "json". */
int stack_ps(const struct stack_opts *o, const char *file, const char *format, FILE *out, struct berr *e);

/* Copy the captured output of container name (or id "<stack>-<name>") to out; file picks the stack. */
int stack_logs(const struct stack_opts *o, const char *file, const char *name, FILE *out, struct berr *e);

/* The name of the stack a file describes, leniently (for down of a file that no longer parses). */
int stack_name_of_file(const char *file, char **ret, struct berr *e);
