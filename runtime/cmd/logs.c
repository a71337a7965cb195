/* runtime/cmd/logs.c: `berth logs [-f FILE] NAME`: a stack container's output. */
#include "runtime/cmd/cmd.h"

int cmd_logs(struct cmd_ctx *x, struct berr *e)
{
	struct stack_opts so;

	cmd_stack_opts(x, NULL, &so);
	return stack_logs(&so, x->cli->file, x->cli->id, stdout, e);
}
