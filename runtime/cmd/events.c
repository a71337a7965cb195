/* runtime/cmd/events.c: `berth events`: a container's stats and OOM events, as runc events. */
#include "runtime/events.h"
#include "runtime/cmd/cmd.h"

int cmd_events(struct cmd_ctx *x, struct berr *e)
{
	return rt_events_main(x->root, x->cli->args, stdout, e);
}
