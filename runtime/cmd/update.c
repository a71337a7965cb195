/* runtime/cmd/update.c: `berth update`: change a running container's resource limits, as runc update. */
#include "runtime/update.h"
#include "runtime/cmd/cmd.h"

int cmd_update(struct cmd_ctx *x, struct berr *e)
{
	return rt_update_main(x->root, x->cli->args, stdout, &x->warn, e);
}
