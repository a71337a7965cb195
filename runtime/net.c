/* runtime/net.c: attach/detach requests to netd for the container's network namespace. */
#include "runtime/net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client/client.h"

/* The first network's result as flat string annotations, as engines read them. */
static int annotate_first(const json_t *res, json_t *annotations, struct berr *e)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)res, key, v) {
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
			return berr_oom(e);
	}
	/* netd reports ip and prefix apart; engines want the CIDR (address, and address6 for IPv6) */
	for (int v6 = 0; v6 < 2; v6++) {
		json_t *ip = json_object_get(res, v6 ? "ip6" : "ip"),
		       *prefix = json_object_get(res, v6 ? "prefix6" : "prefix");
		char cidr[80];

		if (!json_is_string(ip) || !json_is_integer(prefix) ||
		    json_object_get(res, v6 ? "address6" : "address"))
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%lld", json_string_value(ip), (long long)json_integer_value(prefix));
		if (bjson_set(annotations,
			      v6 ? RT_NET_ANNOTATION_PREFIX "address6" : RT_NET_ANNOTATION_PREFIX "address",
			      json_string(cidr)) < 0)
			return berr_oom(e);
	}
	return 0;
}

/* The part of a result worth keeping in the state: where the interface is and what it got. */
static int summarise(const json_t *res, json_t *list, struct berr *e)
{
	static const char *const keep[] = {"network", "ifname",	  "ip",	 "prefix",	"gateway", "ip6",
					   "prefix6", "gateway6", "mac", "host_ifname", NULL};
	json_t *o = json_object();

	if (!o || json_array_append_new(list, o) < 0)
		return berr_oom(e);
	for (size_t i = 0; keep[i]; i++) {
		json_t *v = json_object_get(res, keep[i]);

		if (v && bjson_set(o, keep[i], json_incref(v)) < 0)
			return berr_oom(e);
	}
	return 0;
}

static const char *annotation_name(const struct rt_spec *spec)
{
	return json_object_get(spec->annotations, "berth.networks") ? "berth.networks" : "berth.network";
}

int rt_net_attach(const struct rt_spec *spec, const char *id, pid_t pid, const char *socket, json_t *annotations,
		  struct berr *e)
{
	_cleanup_json_ json_t *list = json_array();
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int nsfd = -1;
	char path[64];
	size_t done = 0;
	int r = 0;

	if (!list)
		return berr_oom(e);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(e, "open the container's network namespace");
	for (; done < spec->n_nets; done++) {
		const struct rt_net_attach *n = &spec->nets[done];
		_cleanup_json_ json_t *res = NULL;
		struct netd_attach_args a = {
			.id = id,
			.network = n->network,
			.ifname = n->ifname,
			.ip = n->ip,
			.ip6 = n->ip6,
			/* recorded by netd, so its reconcile can tell when the container is gone */
			.netns_path = path,
			.ports = (const char *const *)n->ports,
		};

		r = netd_client_attach(socket, &a, nsfd, &res, e);
		if (r < 0) {
			berr_wrap(e, r, "annotation '%s' %s (%s)", annotation_name(spec), n->network, n->ifname);
			goto fail;
		}
		if (!json_is_object(res))
			continue;
		if ((done == 0 && (r = annotate_first(res, annotations, e)) < 0) || (r = summarise(res, list, e)) < 0) {
			done++;
			goto fail;
		}
	}
	text = json_dumps(list, JSON_COMPACT);
	if (!text || bjson_set(annotations, RT_NET_ANNOTATION_ATTACHED, json_string(text)) < 0) {
		r = berr_oom(e);
		goto fail;
	}
	return 0;
fail:
	while (done-- > 0)
		netd_client_detach(socket, id, spec->nets[done].network, NULL);
	return r;
}

int rt_net_detach(const char *network, const char *id, const char *socket, struct berr *e)
{
	int r = netd_client_detach(socket, id, network, e);

	return r < 0 ? berr_wrap(e, r, "detach %s from network %s", id, network) : 0;
}

void rt_net_detach_spec(const struct rt_spec *spec, const char *id, const char *socket)
{
	for (size_t i = 0; i < spec->n_nets; i++)
		netd_client_detach(socket, id, spec->nets[i].network, NULL);
}
