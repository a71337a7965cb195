/* netctl routes: the routes inside a container, every table, and the host's overlay routes of a fabric network. */
#include <stdio.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"

static int route_row(struct table *t, const json_t *rt)
{
	char metric[16];

	snprintf(metric, sizeof(metric), "%lld", (long long)netctl_int(rt, "metric"));
	const char *row[] = {netctl_str(rt, "dst"),
			     netctl_str(rt, "gateway"),
			     netctl_str(rt, "dev"),
			     netctl_str(rt, "table"),
			     netctl_str(rt, "scope"),
			     netctl_str(rt, "protocol"),
			     metric};
	return table_add(t, row);
}

static int overlay_row(struct table *t, const json_t *rt)
{
	const char *row[] = {netctl_str(rt, "dst"),  netctl_str(rt, "gateway"),	 netctl_str(rt, "dev"),
			     netctl_str(rt, "host"), netctl_str(rt, "underlay"), netctl_str(rt, "protocol")};
	return table_add(t, row);
}

int cmd_routes(int argc, char **argv)
{
	static const char *const hdr[] = {"DESTINATION", "GATEWAY", "DEVICE", "TABLE",
					  "SCOPE",	 "PROTO",   "METRIC", NULL};
	static const char *const ohdr[] = {"DESTINATION", "GATEWAY", "DEVICE", "HOST", "UNDERLAY", "PROTO", NULL};
	_cleanup_json_ json_t *res = NULL;
	const json_t *ov;
	const char *id = NULL;
	int r;

	if ((r = netctl_endpoint_call(NETD_OP_ROUTES, argc, argv, &id, &res)))
		return r;
	r = netctl_print_list(res, json_object_get(res, "routes"), hdr, route_row);
	ov = json_object_get(res, "overlay_routes");
	if (r || netctl_json || !ov)
		return r;
	/* where the container's traffic to the fabric network's other hosts goes from here */
	printf("\noverlay routes of this host for fabric network %s:\n", netctl_str(res, "network"));
	return netctl_print_list(NULL, ov, ohdr, overlay_row);
}
