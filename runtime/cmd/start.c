/* runtime/cmd/start.c: `berth start ID`. */
#include "runtime/cmd/cmd.h"

int cmd_start(struct cmd_ctx *x, struct berr *e)
{
	return rt_start(x->root, x->cli->id, &x->warn, e);
}
