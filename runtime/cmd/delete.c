/* runtime/cmd/delete.c: `berth delete [--force] ID`. */
#include "runtime/cmd/cmd.h"

int cmd_delete(struct cmd_ctx *x, struct berr *e)
{
	return rt_delete(x->root, x->cli->id, x->cli->force, x->cli->netd_socket, &x->warn, e);
}
