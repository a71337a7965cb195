/* runtime/net.c: attach/detach requests to netd for the container's network namespace. */
#include "runtime/net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client.h"

int rt_net_attach(const struct rt_spec *spec, const char *id, pid_t pid, const char *socket, json_t *annotations,
		  struct berr *e)
{
	_cleanup_json_ json_t *res = NULL;
	_cleanup_close_ int nsfd = -1;
	struct netd_attach_args a = {
		.id = id,
		.network = spec->network,
		.ifname = "eth0",
		.ip = spec->net_ip,
		.ports = (const char *const *)spec->net_ports,
	};
	const char *key;
	json_t *v;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	/* recorded by netd, so its reconcile can tell when the container is gone */
	a.netns_path = path;
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(e, "open the container's network namespace");
	r = netd_client_attach(socket, &a, nsfd, &res, e);
	if (r < 0)
		return berr_wrap(e, r, "annotation 'berth.network' %s", spec->network);
	if (json_is_object(res)) {
		json_object_foreach (res, key, v) {
			char name[256];
			char num[32];
			const char *s = NULL;

			if (json_is_string(v))
				s = json_string_value(v);
			else if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				s = num;
			} else if (json_is_boolean(v))
				s = json_is_true(v) ? "true" : "false";
			if (!s)
				continue;
			snprintf(name, sizeof(name), RT_NET_ANNOTATION_PREFIX "%s", key);
			if (bjson_set(annotations, name, json_string(s)) < 0)
				return berr_set(e, -ENOMEM, "out of memory");
		}
		/* netd reports ip and prefix apart; engines want the CIDR */
		if (json_is_string(json_object_get(res, "ip")) && json_is_integer(json_object_get(res, "prefix")) &&
		    !json_object_get(res, "address")) {
			char cidr[64];

			snprintf(cidr, sizeof(cidr), "%s/%lld", json_string_value(json_object_get(res, "ip")),
				 (long long)json_integer_value(json_object_get(res, "prefix")));
			if (bjson_set(annotations, RT_NET_ANNOTATION_PREFIX "address", json_string(cidr)) < 0)
				return berr_set(e, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

int rt_net_detach(const char *network, const char *id, const char *socket, struct berr *e)
{
	int r = netd_client_detach(socket, id, network, e);

	return r < 0 ? berr_wrap(e, r, "detach %s from network %s", id, network) : 0;
}
