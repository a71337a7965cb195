/* runtime/cmd/features.c: `berth features`: what berth supports, as runc features prints it. */
#include "runtime/features.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/cmd/cmd.h"

int cmd_features(struct cmd_ctx *x, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;
	int r = rt_features_json(&j, e);

	if (r < 0)
		return r;
	s = json_dumps(j, JSON_INDENT(4));
	if (!s)
		return berr_oom(e);
	printf("%s\n", s);
	return 0;
}
