/* runtime/cmd/version.c: `berth version` (and --version). */
#include "runtime/cmd/cmd.h"
#include "runtime/features.h"

int cmd_version(struct cmd_ctx *x, struct berr *e)
{
	printf("berth version %s\nspec: %s\n", RT_VERSION, RT_OCI_VERSION);
	return 0;
}
