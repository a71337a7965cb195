/* Executing parsed requests on the engine and shaping the results (docs/netd-protocol.md). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "log.h"
#include "netd/daemon/dns.h"
#include "netd/daemon/proxy6.h"
#include "netd/daemon/request.h"
#include "netd/engine/record.h"
#include "netd/fabric/fabric.h"
#include "netns.h"

#define NETD_VERSION "0.1"

static json_t *fail(int r, const struct berr *e)
{
	return req_error_reply(r, berr_message(e));
}

static json_t *network_json(struct req_ctx *ctx, const struct eng_network *n, bool with_status)
{
	json_t *o = record_network_to_json(n);
	struct eng_status s;

	if (o && with_status) {
		json_t *dns = dns_client_config(ctx->dns, n);
		int r = eng_status(ctx->eng, n->name, &s, NULL);

		/* where a container on it looks names up (netd serves DNS there) */
		if (dns)
			bjson_set(o, "dns", dns);

		if (r == 0 || r == -ENOSPC || r == -ENODEV) {
			bjson_set(o, "endpoints", json_integer((json_int_t)s.endpoints));
			bjson_set(o, "addresses_used", json_integer((json_int_t)s.used));
			bjson_set(o, "addresses_total", json_integer((json_int_t)s.capacity));
			if (eng_network_has6(n)) {
				bjson_set(o, "addresses_used6", json_integer((json_int_t)s.used6));
				bjson_set(o, "addresses_total6", json_integer((json_int_t)s.capacity6));
			}
			bjson_set(o, "bridge_up", json_boolean(s.bridge_up));
		}
	}
	return o;
}

static json_t *endpoints_json(const struct eng_endpoint *eps, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = record_endpoint_to_json(&eps[i]);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The namespace of an attach/check: the passed fd, the path, or both naming the same namespace. */
static int request_netns(const struct req *q, int fd, int *ret_fd, bool *owned, struct berr *e)
{
	int pfd = -1, r;

	*owned = false;
	if (fd >= 0) {
		r = bns_check(fd, CLONE_NEWNET, e);
		if (r < 0)
			return berr_wrap(e, r, "passed fd");
		if (q->netns_path) {
			r = bns_open(q->netns_path, CLONE_NEWNET, &pfd, e);
			if (r < 0)
				return berr_wrap(e, r, "netns");
			if (!bns_same(fd, pfd)) {
				close(pfd);
				return berr_set(e, -EINVAL, "netns: %s is not the namespace passed as fd",
						q->netns_path);
			}
			close(pfd);
		}
		*ret_fd = fd;
		return 0;
	}
	if (!q->netns_path)
		return berr_set(e, -EINVAL, "netns: missing (give a path or pass the namespace fd with SCM_RIGHTS)");
	r = bns_open(q->netns_path, CLONE_NEWNET, &pfd, e);
	if (r < 0)
		return berr_wrap(e, r, "netns");
	*ret_fd = pfd;
	*owned = true;
	return 0;
}

static json_t *do_attach(struct req_ctx *ctx, const struct req *q, int fd)
{
	struct eng_attach a = {0};
	struct eng_endpoint ep;
	struct berr e = BERR_INIT;
	json_t *res;
	bool owned;
	int nsfd = -1, r;

	r = request_netns(q, fd, &nsfd, &owned, &e);
	if (r < 0)
		return fail(r, &e);
	a.network = q->network ? q->network : ctx->default_network;
	a.id = q->id;
	a.ifname = q->ifname;
	a.netns_fd = nsfd;
	a.netns_path = q->netns_path;
	a.ip = q->ip;
	a.ip6 = q->ip6;
	a.ip_external = q->ip_external;
	a.mac = q->has_mac ? q->mac : NULL;
	a.no_default_route = q->no_default_route;
	a.routes = q->routes;
	a.n_routes = q->n_routes;
	a.ports = q->ports;
	a.n_ports = q->n_ports;
	a.name = q->dns_name;
	a.aliases = q->aliases;
	a.n_aliases = q->n_aliases;
	if (!a.network) {
		if (owned)
			close(nsfd);
		return req_error_reply(-EINVAL, "network: missing and no default network configured");
	}
	r = eng_attach(ctx->eng, &a, &ep, &e);
	if (owned)
		close(nsfd);
	if (r < 0)
		return fail(r, &e);
	proxy6_add(ctx->proxy, &ep);
	/* its names resolve before the reply leaves */
	dns_endpoint_attached(ctx->dns, &ep);
	res = record_endpoint_to_json(&ep);
	eng_endpoint_clear(&ep);
	if (res && ctx->dns) {
		struct eng_network n;
		json_t *dns;

		/* not part of the record: where the container looks names up */
		if (eng_network_get(ctx->eng, a.network, &n, NULL) == 0 && (dns = dns_client_config(ctx->dns, &n)))
			bjson_set(res, "dns", dns);
	}
	return req_ok_reply(res);
}

static json_t *do_ports(struct req_ctx *ctx, const struct req *q)
{
	struct eng_endpoint *eps = NULL;
	struct berr e = BERR_INIT;
	json_t *arr;
	size_t n = 0;
	int r;

	r = eng_endpoint_list(ctx->eng, q->network, NULL, &eps, &n, &e);
	if (r < 0)
		return fail(r, &e);
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		for (size_t k = 0; k < eps[i].n_ports; k++) {
			json_t *p = record_port_to_json(&eps[i].ports[k]);
			char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];

			if (!p || json_array_append_new(arr, p) < 0 ||
			    (eps[i].ip && bjson_set(p, "container_ip", json_string(baddr_fmt4(eps[i].ip, ip))) < 0) ||
			    (eps[i].prefix6 &&
			     bjson_set(p, "container_ip6", json_string(baddr_fmt6(&eps[i].ip6, ip6))) < 0) ||
			    bjson_set(p, "id", json_string(eps[i].id)) < 0 ||
			    bjson_set(p, "network", json_string(eps[i].network)) < 0 ||
			    bjson_set(p, "ifname", json_string(eps[i].ifname)) < 0) {
				json_decref(arr);
				arr = NULL;
				break;
			}
		}
	}
	eng_endpoints_free(eps, n);
	return req_ok_reply(arr);
}

static json_t *route_json(const struct eng_nsroute *rt)
{
	char t[16], p[16], s[16];
	json_t *o = json_object();

	if (!o || bjson_set(o, "family", json_string(rt->family == AF_INET6 ? "inet6" : "inet")) < 0 ||
	    bjson_set(o, "dst", json_string(rt->dst)) < 0 ||
	    (rt->gateway[0] && bjson_set(o, "gateway", json_string(rt->gateway)) < 0) ||
	    (rt->dev[0] && bjson_set(o, "dev", json_string(rt->dev)) < 0) ||
	    (rt->prefsrc[0] && bjson_set(o, "prefsrc", json_string(rt->prefsrc)) < 0) ||
	    bjson_set(o, "table", json_string(eng_route_table_name(rt->table, t, sizeof(t)))) < 0 ||
	    bjson_set(o, "scope", json_string(eng_route_scope_name(rt->scope, s, sizeof(s)))) < 0 ||
	    bjson_set(o, "protocol", json_string(eng_route_proto_name(rt->protocol, p, sizeof(p)))) < 0 ||
	    bjson_set(o, "metric", json_integer(rt->metric)) < 0 || bjson_set(o, "type", json_integer(rt->type)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *do_routes(struct req_ctx *ctx, const struct req *q)
{
	struct eng_endpoint *eps = NULL;
	struct eng_nsroute *rts = NULL;
	struct berr e = BERR_INIT;
	const struct eng_endpoint *ep = NULL;
	json_t *res = NULL, *arr;
	size_t n = 0, nr = 0;
	int nsfd = -1, r;

	r = eng_endpoint_list(ctx->eng, q->network, q->id, &eps, &n, &e);
	if (r < 0)
		return fail(r, &e);
	for (size_t i = 0; i < n && !ep; i++) {
		if (!q->ifname || strcmp(eps[i].ifname, q->ifname) == 0)
			ep = &eps[i];
	}
	if (!ep) {
		eng_endpoints_free(eps, n);
		return req_error_reply(-ENOENT, "no such endpoint");
	}
	r = eng_endpoint_netns(ep, &nsfd, &e);
	if (r == 0) {
		r = eng_netns_routes(nsfd, &rts, &nr, &e);
		close(nsfd);
	}
	if (r < 0) {
		eng_endpoints_free(eps, n);
		return fail(r, &e);
	}
	res = json_object();
	arr = json_array();
	if (res && arr) {
		bjson_set(res, "id", json_string(ep->id));
		bjson_set(res, "network", json_string(ep->network));
		bjson_set(res, "ifname", json_string(ep->ifname));
		for (size_t i = 0; i < nr; i++)
			json_array_append_new(arr, route_json(&rts[i]));
		bjson_set(res, "routes", arr);
		arr = NULL;
		/* a fabric network's traffic to other hosts: the host's overlay routes */
		if (ctx->fabric) {
			json_t *ov = fabric_network_routes(ctx->fabric, ep->network, &e);

			if (ov)
				bjson_set(res, "overlay_routes", ov);
			else if (e.code)
				log_warn("routes of %s: %s", ep->id, berr_message(&e));
		}
	}
	json_decref(arr);
	free(rts);
	eng_endpoints_free(eps, n);
	return req_ok_reply(res);
}

static json_t *do_network_ls(struct req_ctx *ctx)
{
	struct eng_network *nets = NULL;
	struct berr e = BERR_INIT;
	json_t *arr;
	size_t n = 0;
	int r;

	r = eng_network_list(ctx->eng, &nets, &n, &e);
	if (r < 0)
		return fail(r, &e);
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, network_json(ctx, &nets[i], true));
	free(nets);
	return req_ok_reply(arr);
}

static json_t *no_fabric(void)
{
	return req_error_reply(-EOPNOTSUPP, "this netd has not joined a fabric (give it \"fabric\" in its config)");
}

static json_t *ticket_reply(uint64_t ticket)
{
	json_t *o = json_object();

	if (o)
		bjson_set(o, "ticket", json_integer((json_int_t)ticket));
	return req_ok_reply(o);
}

static int fabric_create(struct fabric *f, const struct req *q, uint64_t *ret_ticket, struct berr *e)
{
	struct fabric_net def = {.subnet = q->net.subnet,
				 .host_prefix = (uint8_t)q->host_prefix,
				 .subnet6 = q->net.subnet6,
				 .host_prefix6 = (uint8_t)q->host_prefix6};

	snprintf(def.name, sizeof(def.name), "%s", q->name);
	return fabric_network_create(f, &def, q->mode, ret_ticket, e);
}

static json_t *do_fabric(struct req_ctx *ctx, const struct req *q)
{
	struct berr e = BERR_INIT;
	uint64_t ticket = 0;
	int r;

	if (!ctx->fabric)
		return no_fabric();
	switch (q->op) {
	case REQ_FABRIC:
		return req_ok_reply(fabric_status(ctx->fabric));
	case REQ_FABRIC_CREATE:
		r = fabric_create(ctx->fabric, q, &ticket, &e);
		return r < 0 ? fail(r, &e) : ticket_reply(ticket);
	case REQ_FABRIC_RM:
		r = fabric_network_remove(ctx->fabric, q->name, &ticket, &e);
		return r < 0 ? fail(r, &e) : ticket_reply(ticket);
	default: {
		char msg[BERR_MSG_MAX];
		int code = 0;
		json_t *o;

		r = fabric_result(ctx->fabric, q->ticket, &code, msg, sizeof(msg));
		if (r == -ENOENT)
			return req_error_reply(-ENOENT, "no such fabric operation (or forgotten)");
		if (r == 1 && code < 0)
			return req_error_reply(code, msg);
		o = json_object();
		if (o)
			bjson_set(o, "done", json_boolean(r == 1));
		return req_ok_reply(o);
	}
	}
}

static json_t *count_reply(const char *key, size_t n)
{
	json_t *o = json_object();

	if (o)
		bjson_set(o, key, json_integer((json_int_t)n));
	return req_ok_reply(o);
}

void req_proxy_sync(struct req_ctx *ctx)
{
	struct eng_endpoint *eps = NULL;
	struct berr e = BERR_INIT;
	size_t n = 0;

	if (!ctx->proxy)
		return;
	if (eng_endpoint_list(ctx->eng, NULL, NULL, &eps, &n, &e) < 0) {
		log_warn("[::1] proxy: %s", berr_message(&e));
		return;
	}
	proxy6_sync(ctx->proxy, eps, n);
	eng_endpoints_free(eps, n);
}

json_t *req_exec(struct req_ctx *ctx, const struct req *q, int fd)
{
	struct berr e = BERR_INIT;
	struct eng_network n;
	struct eng_endpoint *eps = NULL;
	size_t cnt = 0;
	json_t *o;
	int r;

	switch (q->op) {
	case REQ_PING:
		o = json_object();
		if (o) {
			bjson_set(o, "version", json_string(NETD_VERSION));
			bjson_set(o, "pid", json_integer(getpid()));
			bjson_set(o, "state_dir", json_string(eng_state_dir(ctx->eng)));
		}
		return req_ok_reply(o);
	case REQ_NETWORK_CREATE:
		r = eng_network_ensure(ctx->eng, &q->net, &n, &e);
		if (r < 0)
			return fail(r, &e);
		dns_networks_changed(ctx->dns);
		return req_ok_reply(record_network_to_json(&n));
	case REQ_NETWORK_RM:
		r = eng_network_remove(ctx->eng, q->name, &e);
		if (r < 0)
			return fail(r, &e);
		dns_networks_changed(ctx->dns);
		o = json_object();
		if (o)
			bjson_set(o, "removed", json_string(q->name));
		return req_ok_reply(o);
	case REQ_NETWORK_LS:
		return do_network_ls(ctx);
	case REQ_NETWORK_INSPECT:
		r = eng_network_get(ctx->eng, q->name, &n, &e);
		if (r < 0)
			return fail(r, &e);
		o = network_json(ctx, &n, true);
		/* a fabric network: its definition across hosts and every host's block */
		if (o && ctx->fabric) {
			json_t *fab = fabric_network_status(ctx->fabric, q->name);

			if (fab)
				bjson_set(o, "fabric", fab);
		}
		return req_ok_reply(o);
	case REQ_ATTACH:
		return do_attach(ctx, q, fd);
	case REQ_DETACH:
		r = eng_detach(ctx->eng, q->network, q->id, q->ifname, &cnt, &e);
		/* what is gone is gone, also when another endpoint's removal failed */
		proxy6_remove(ctx->proxy, q->network, q->id, q->ifname);
		/* even a partial failure may have detached some: the watch puts back what is left */
		dns_endpoint_detached(ctx->dns, q->network, q->id, q->ifname);
		if (r < 0)
			return fail(r, &e);
		if (cnt == 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "container '%s' has no endpoint%s%s%s%s", q->id,
				 q->ifname ? " " : "", q->ifname ? q->ifname : "", q->network ? " on network " : "",
				 q->network ? q->network : "");
			return req_error_reply(-ENOENT, msg);
		}
		return count_reply("detached", cnt);
	case REQ_LS:
	case REQ_INSPECT:
		r = eng_endpoint_list(ctx->eng, q->network, q->id, &eps, &cnt, &e);
		if (r < 0)
			return fail(r, &e);
		o = endpoints_json(eps, cnt);
		eng_endpoints_free(eps, cnt);
		if (q->op == REQ_INSPECT && cnt == 0) {
			json_decref(o);
			return req_error_reply(-ENOENT, "no such container");
		}
		return req_ok_reply(o);
	case REQ_PORTS:
		return do_ports(ctx, q);
	case REQ_ROUTES:
		return do_routes(ctx, q);
	case REQ_CHECK: {
		int nsfd = -1;
		bool owned = false;

		if ((fd >= 0 || q->netns_path) && (r = request_netns(q, fd, &nsfd, &owned, &e)) < 0)
			return fail(r, &e);
		r = eng_check(ctx->eng, q->network, q->id, q->ifname, nsfd, &e);
		if (owned)
			close(nsfd);
		return r < 0 ? fail(r, &e) : req_ok_reply(json_object());
	}
	case REQ_GC:
		r = eng_gc(ctx->eng, q->name, q->keep, q->n_keep, &cnt, &e);
		req_proxy_sync(ctx);
		return r < 0 ? fail(r, &e) : count_reply("removed", cnt);
	case REQ_STATUS: {
		struct eng_status s;

		r = eng_status(ctx->eng, q->name, &s, &e);
		if (r < 0)
			return fail(r, &e);
		o = json_object();
		if (o) {
			bjson_set(o, "addresses_total", json_integer((json_int_t)s.capacity));
			bjson_set(o, "addresses_used", json_integer((json_int_t)s.used));
			if (s.capacity6) {
				bjson_set(o, "addresses_total6", json_integer((json_int_t)s.capacity6));
				bjson_set(o, "addresses_used6", json_integer((json_int_t)s.used6));
			}
			bjson_set(o, "endpoints", json_integer((json_int_t)s.endpoints));
			bjson_set(o, "bridge_up", json_boolean(s.bridge_up));
		}
		return req_ok_reply(o);
	}
	case REQ_RECONCILE: {
		struct eng_reconcile_report rep;

		r = eng_reconcile(ctx->eng, &rep, &e);
		req_proxy_sync(ctx);
		if (r < 0)
			return fail(r, &e);
		/* a reconcile after a flushed ruleset restores the store's elements: the fabric's come next */
		if (ctx->fabric)
			fabric_resync(ctx->fabric);
		o = json_object();
		if (o) {
			bjson_set(o, "networks", json_integer((json_int_t)rep.networks));
			bjson_set(o, "bridges_created", json_integer((json_int_t)rep.bridges_created));
			bjson_set(o, "endpoints_kept", json_integer((json_int_t)rep.endpoints_kept));
			bjson_set(o, "endpoints_repaired", json_integer((json_int_t)rep.endpoints_repaired));
			bjson_set(o, "endpoints_dropped", json_integer((json_int_t)rep.endpoints_dropped));
			bjson_set(o, "links_removed", json_integer((json_int_t)rep.links_removed));
			bjson_set(o, "ports", json_integer((json_int_t)rep.ports));
		}
		return req_ok_reply(o);
	}
	case REQ_DNS:
		if (!ctx->dns)
			return req_error_reply(-EOPNOTSUPP, "netd serves no DNS (\"dns\": {\"enabled\": false} in its "
							    "configuration)");
		r = eng_network_get(ctx->eng, q->name, &n, &e);
		if (r < 0)
			return fail(r, &e);
		if (!n.gateway_on_bridge)
			return req_error_reply(-EOPNOTSUPP, "the network's gateway is not on its bridge: no DNS there");
		o = dns_names_json(ctx->dns, &n);
		return o ? req_ok_reply(o) : req_error_reply(-ENOMEM, "out of memory");
	case REQ_TEARDOWN:
		r = eng_teardown(ctx->eng, &e);
		if (r < 0)
			return fail(r, &e);
		o = json_object();
		if (o)
			bjson_set(o, "removed", json_string("table inet berth"));
		return req_ok_reply(o);
	case REQ_FABRIC:
	case REQ_FABRIC_CREATE:
	case REQ_FABRIC_RM:
	case REQ_FABRIC_RESULT:
		return do_fabric(ctx, q);
	}
	return req_error_reply(-EOPNOTSUPP, "unknown op");
}

json_t *req_handle(struct req_ctx *ctx, const char *line, size_t len, int fd)
{
	struct berr e = BERR_INIT;
	struct req q;
	json_t *rep;
	int r;

	r = req_parse(line, len, &q, &e);
	if (r < 0)
		return fail(r, &e);
	/* which requests came, for debugging clients (the tests count them) */
	log_debug("request %s%s%s", req_op_name(q.op), q.id ? " " : "", q.id ? q.id : "");
	rep = req_exec(ctx, &q, fd);
	req_free(&q);
	return rep;
}
