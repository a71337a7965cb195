/* runtime/cmd/help.c: `berth help` (and --help after the program or any command). */
#include "runtime/cmd/cmd.h"

int cmd_help(struct cmd_ctx *x, struct berr *e)
{
	rt_cli_usage(stdout);
	return 0;
}
