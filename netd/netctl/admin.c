/* netctl's netd-wide commands: status, reconcile, teardown and ping, each printing netd's answer. */
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"

/* netctl_simple_call, netd's result printed as JSON. */
static int print_call(const char *op, const char *key, const char *usage, int argc, char **argv)
{
	_cleanup_json_ json_t *res = NULL;
	int r = netctl_simple_call(op, key, usage, argc, argv, &res);

	if (r)
		return r;
	netctl_print_json(res);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	return print_call(NETD_OP_STATUS, "network", "status: expected 1 argument", argc, argv);
}

int cmd_reconcile(int argc, char **argv)
{
	return print_call(NETD_OP_RECONCILE, NULL, NULL, argc, argv);
}

int cmd_teardown(int argc, char **argv)
{
	return print_call(NETD_OP_TEARDOWN, NULL, NULL, argc, argv);
}

int cmd_ping(int argc, char **argv)
{
	return print_call(NETD_OP_PING, NULL, NULL, argc, argv);
}
