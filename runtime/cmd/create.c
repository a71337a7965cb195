/* runtime/cmd/create.c: `berth create`: a container whose process waits for `start`. */
#include "runtime/cmd/cmd.h"

int cmd_create(struct cmd_ctx *x, struct berr *e)
{
	struct rt_create_opts co;
	struct rt_created created;
	int r;

	cmd_create_opts(x, &co);
	r = rt_create(&co, &created, e);
	if (r == 0) {
		x->warn = created.warn;
		rt_created_clear(&created);
	}
	return r;
}
