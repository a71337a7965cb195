/* runtime/cmd/pause.c: `berth pause ID`: freeze the container's cgroup. */
#include "runtime/cmd/cmd.h"

int cmd_pause(struct cmd_ctx *x, struct berr *e)
{
	return rt_pause(x->root, x->cli->id, true, e);
}
