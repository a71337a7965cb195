/* runtime/cmd/up.c: `berth up -f FILE`: create or update a stack, then list its containers. */
#include "runtime/cmd/cmd.h"

int cmd_up(struct cmd_ctx *x, struct berr *e)
{
	struct stack_opts so;
	int r;

	cmd_stack_opts(x, stdout, &so);
	r = stack_up(&so, x->cli->file, &x->warn, e);
	if (r == 0) {
		printf("\n");
		r = stack_ps(&so, x->cli->file, "table", stdout, e);
	}
	/* a failed up names what is left in its error; the warnings would repeat it */
	if (r < 0)
		berr_clear(&x->warn);
	return r;
}
