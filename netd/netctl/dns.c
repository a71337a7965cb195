/* netctl's dns command: the names a network's resolver answers, with their addresses. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"

/* FROM: "local" for this host's, the host's name for another host's (source "fabric:HOST") */
static int name_row(struct table *t, const json_t *n)
{
	const char *src = netctl_str(n, "source"), *a4 = netctl_str(n, "address"), *a6 = netctl_str(n, "address6");
	char addrs[INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 2];
	const char *row[] = {netctl_str(n, "name"),
			     addrs,
			     netctl_str(n, "id"),
			     netctl_str(n, "ifname"),
			     netctl_bool(n, "alias") ? "alias" : "name",
			     strncmp(src, "fabric:", 7) == 0 ? src + 7 : src};

	/* both families, as `ls` shows them */
	snprintf(addrs, sizeof(addrs), "%s%s%s", a4, *a4 && *a6 ? "," : "", a6);
	return table_add(t, row);
}

int cmd_dns(int argc, char **argv)
{
	static const char *const hdr[] = {"NAME", "ADDRESS", "ID", "IFNAME", "KIND", "FROM", NULL};
	_cleanup_json_ json_t *res = NULL;
	int r;

	if ((r = netctl_simple_call(NETD_OP_DNS, "network", "dns NETWORK", argc, argv, &res)))
		return r;
	if (!netctl_json)
		printf("# %s: resolver %s%s%s, %s, ttl %llds%s%s\n", netctl_str(res, "network"),
		       netctl_str(res, "gateway"),
		       *netctl_str(res, "gateway") && *netctl_str(res, "gateway6") ? " " : "",
		       netctl_str(res, "gateway6"),
		       netctl_bool(res, "forwarding") ? "other names forwarded" : "names only (internal)",
		       (long long)netctl_int(res, "ttl"), *netctl_str(res, "domain") ? ", domain " : "",
		       netctl_str(res, "domain"));
	return netctl_print_list(res, json_object_get(res, "names"), hdr, name_row);
}
