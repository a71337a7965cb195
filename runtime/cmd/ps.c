/* runtime/cmd/ps.c: `berth ps ID`, runc's (the container's processes), or without an ID the stacks' containers. */
#include "runtime/cmd/cmd.h"

int cmd_ps(struct cmd_ctx *x, struct berr *e)
{
	struct stack_opts so;

	if (!x->cli->stack_ps)
		return rt_print_ps(x->root, x->cli->id, x->cli->format, stdout, e);
	cmd_stack_opts(x, NULL, &so);
	return stack_ps(&so, x->cli->file, x->cli->format, stdout, e);
}
