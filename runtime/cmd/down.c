/* runtime/cmd/down.c: `berth down -f FILE` or `berth down NAME`: remove everything up made for the stack. */
#include <stdbool.h>

#include "runtime/cmd/cmd.h"

int cmd_down(struct cmd_ctx *x, struct berr *e)
{
	const struct rt_cli *c = x->cli;
	struct stack_opts so;
	bool found = false;
	int r;

	cmd_stack_opts(x, stdout, &so);
	r = stack_down(&so, c->file, c->id, &found, &x->warn, e);
	if (r < 0) {
		/* a failed down names what is left in its error; the warnings would repeat it */
		berr_clear(&x->warn);
		return r;
	}
	if (!found)
		printf("stack %s is not up: nothing to remove\n", c->file ? c->file : c->id);
	return 0;
}
