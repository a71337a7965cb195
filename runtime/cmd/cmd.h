/* runtime/cmd/cmd.h: the handlers of berth's commands, one file each (the dispatch table is in berth_main.c). */
#pragma once

#include <stdio.h>

#include "err.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "stack/stack.h"

/* What a handler gets, and what it hands back besides its error. */
struct cmd_ctx {
	const struct rt_cli *cli;
	const char *root; /* --root, else RT_DEFAULT_ROOT */
	int status;	  /* run and exec in the foreground: the container process's, berth's exit status */
	struct berr warn; /* what went wrong without failing the command, printed as a warning */
};

/* int cmd_create(struct cmd_ctx *x, struct berr *e), and so on for every command of RT_COMMANDS. */
#define CMD_DECLARE(ID, name, ids, flags, usage, help) int cmd_##name(struct cmd_ctx *x, struct berr *e);
RT_COMMANDS(CMD_DECLARE)
#undef CMD_DECLARE

/* create and run, and the cgroup started before the re-exec (berth_main.c): the command line's create options. */
static inline void cmd_create_opts(const struct cmd_ctx *x, struct rt_create_opts *ret)
{
	*ret = (struct rt_create_opts){
		.root = x->root,
		.id = x->cli->id,
		.bundle = x->cli->bundle,
		.pid_file = x->cli->pid_file,
		.console_socket = x->cli->console_socket,
		.netd_socket = x->cli->netd_socket,
		.preserve_fds = x->cli->preserve_fds,
	};
}

/* up, down, logs and the stacks' ps; progress: where up and down report each step (NULL: quiet). */
static inline void cmd_stack_opts(const struct cmd_ctx *x, FILE *progress, struct stack_opts *ret)
{
	*ret = (struct stack_opts){
		.root = x->root,
		.netd_socket = x->cli->netd_socket,
		.cgroup_parent = x->cli->cgroup_parent,
		.progress = progress,
	};
}
