/* netctl's netd-wide commands: status, reconcile, teardown and ping, each printing netd's answer. */
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"

/* op with want_pos arguments (sent as key); netd's result printed as JSON. */
static int simple_call(const char *op, int argc, char **argv, int want_pos, const char *key)
{
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = want_pos};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	int r;

	if ((r = netctl_getopt_plain(&a)))
		return r;
	if (a.n_pos != want_pos)
		return netctl_usage_error("%s: expected %d argument%s", op, want_pos, want_pos == 1 ? "" : "s");
	req = want_pos ? netctl_request(op, "{s:s}", key, a.pos[0]) : netctl_request(op, NULL);
	if ((r = netctl_call(req, -1, &res)))
		return r;
	netctl_print_json(res);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	return simple_call(NETD_OP_STATUS, argc, argv, 1, "network");
}

int cmd_reconcile(int argc, char **argv)
{
	return simple_call(NETD_OP_RECONCILE, argc, argv, 0, NULL);
}

int cmd_teardown(int argc, char **argv)
{
	return simple_call(NETD_OP_TEARDOWN, argc, argv, 0, NULL);
}

int cmd_ping(int argc, char **argv)
{
	return simple_call(NETD_OP_PING, argc, argv, 0, NULL);
}
