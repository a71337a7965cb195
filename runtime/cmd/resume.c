/* runtime/cmd/resume.c: `berth resume ID`: thaw the container's cgroup. */
#include "runtime/cmd/cmd.h"

int cmd_resume(struct cmd_ctx *x, struct berr *e)
{
	return rt_pause(x->root, x->cli->id, false, e);
}
