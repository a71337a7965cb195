/* runtime/cmd/state.c: `berth state ID`: the OCI state on stdout. */
#include "runtime/cmd/cmd.h"

int cmd_state(struct cmd_ctx *x, struct berr *e)
{
	return rt_print_state(x->root, x->cli->id, stdout, e);
}
