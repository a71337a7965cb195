/* runtime/cmd/list.c: `berth list [--format table|json] [-q]`: the containers under --root. */
#include <stdlib.h>

#include "runtime/cmd/cmd.h"
#include "strv.h"

int cmd_list(struct cmd_ctx *x, struct berr *e)
{
	char **ids = NULL;
	size_t n = 0;
	int r;

	if (!x->cli->quiet)
		return rt_print_list(x->root, x->cli->format, stdout, e);
	r = rt_state_list(x->root, &ids, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++)
		printf("%s\n", ids[i]);
	strv_free_n(ids, n);
	return r;
}
