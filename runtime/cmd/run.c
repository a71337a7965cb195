/* runtime/cmd/run.c: `berth run`: create and start; in the foreground, berth's status is the container's. */
#include "runtime/cmd/cmd.h"

int cmd_run(struct cmd_ctx *x, struct berr *e)
{
	struct rt_create_opts co;

	cmd_create_opts(x, &co);
	co.run = true;
	return rt_run(&co, x->cli->detach, &x->status, &x->warn, e);
}
