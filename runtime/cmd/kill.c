/* runtime/cmd/kill.c: `berth kill [--all] ID [SIGNAL]` (SIGTERM by default). */
#include <signal.h>

#include "runtime/cmd/cmd.h"
#include "runtime/signals.h"

int cmd_kill(struct cmd_ctx *x, struct berr *e)
{
	int sig = SIGTERM, r;

	if (x->cli->signal && (r = rt_signal_parse(x->cli->signal, &sig, e)) < 0)
		return r;
	return rt_kill(x->root, x->cli->id, sig, x->cli->all, e);
}
