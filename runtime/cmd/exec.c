/* runtime/cmd/exec.c: `berth exec`: a process in a running container; in the foreground, berth's status is its. */
#include "runtime/cmd/cmd.h"

int cmd_exec(struct cmd_ctx *x, struct berr *e)
{
	const struct rt_cli *c = x->cli;
	struct rt_exec_opts xo = {
		.root = x->root,
		.id = c->id,
		.process_file = c->process,
		.cmd = c->cmd,
		.env = c->env,
		.cwd = c->cwd,
		.user = c->user,
		.caps = c->caps,
		.no_new_privs = c->no_new_privs,
		.tty = c->tty,
		.console_socket = c->console_socket,
		.pid_file = c->pid_file,
		.preserve_fds = c->preserve_fds,
		.detach = c->detach,
		.warn = &x->warn,
	};

	return rt_exec(&xo, &x->status, e);
}
