/* netctl fabric: the hosts of the fabric and this host's view; waiting for the fabric's queued operations. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "jsonutil.h"
#include "netd/netctl/netctl.h"

#define WAIT_MS 30000

int netctl_fabric_wait(const json_t *res)
{
	json_int_t ticket = netctl_int(res, "ticket");
	long long end = bclock_now_ms() + WAIT_MS;

	while (bclock_now_ms() < end) {
		_cleanup_json_ json_t *req = netctl_request(NETD_OP_FABRIC_RESULT, "{s:I}", "ticket", ticket);
		_cleanup_json_ json_t *r = NULL;
		int rc = netctl_call(req, -1, &r);

		if (rc)
			return rc;
		if (netctl_bool(r, "done"))
			return 0;
		usleep(20000);
	}
	return netctl_fail("the fabric did not finish within %d s (is etcd reachable? see netctl fabric)",
			   WAIT_MS / 1000);
}

static void fmt_age(json_int_t t, char *buf, size_t len)
{
	long long age = (long long)time(NULL) - (long long)t;

	if (t <= 0)
		snprintf(buf, len, "never");
	else if (age < 2)
		snprintf(buf, len, "now");
	else
		snprintf(buf, len, "%llds ago", age);
}

static int host_row(struct table *t, const json_t *h)
{
	char seen[32], blocks[256] = "";
	const char *key;
	json_t *v;

	fmt_age(netctl_int(h, "last_seen"), seen, sizeof(seen));
	/* each network's block, then its IPv6 block */
	for (int f = 0; f < 2; f++) {
		json_object_foreach ((json_t *)json_object_get(h, f ? "blocks6" : "blocks"), key, v) {
			size_t l = strlen(blocks);

			snprintf(blocks + l, sizeof(blocks) - l, "%s%s:%s", l ? " " : "", key, json_string_value(v));
		}
	}
	{
		char name[80];
		const char *row[] = {name, netctl_str(h, "underlay"), blocks[0] ? blocks : "-", netctl_str(h, "state"),
				     seen};

		snprintf(name, sizeof(name), "%s%s", netctl_str(h, "node"),
			 netctl_bool(h, "self") ? " (this host)" : "");
		return table_add(t, row);
	}
}

int cmd_fabric(int argc, char **argv)
{
	static const char *const hdr[] = {"HOST", "UNDERLAY", "BLOCKS", "LEASE", "LAST SEEN", NULL};
	_cleanup_json_ json_t *res = NULL;
	int r;

	if ((r = netctl_simple_call(NETD_OP_FABRIC, NULL, NULL, argc, argv, &res)))
		return r;
	if (netctl_json) {
		netctl_print_json(res);
		return 0;
	}
	printf("node %s, underlay %s, etcd %s: %s\n", netctl_str(res, "node"), netctl_str(res, "underlay"),
	       netctl_str(res, "etcd"),
	       netctl_bool(res, "degraded")  ? "DEGRADED (etcd unreachable: the data plane stays as it is)"
	       : netctl_bool(res, "in_sync") ? "in sync"
					     : "syncing");
	if (netctl_str(res, "error")[0])
		printf("last error: %s\n", netctl_str(res, "error"));
	return netctl_print_list(NULL, json_object_get(res, "hosts"), hdr, host_row);
}
