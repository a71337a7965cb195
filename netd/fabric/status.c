/* The fabric's status snapshot, rebuilt by the agent, read by netd's thread (netctl fabric). */
#include "netd/fabric/agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonutil.h"
#include "mac.h"
#include "netd/fabric/etcd.h"

static json_t *ip_json(const struct fabric_ul *ip)
{
	char a[INET6_ADDRSTRLEN];

	return json_string(fabric_ul_fmt(ip, a));
}

static json_t *cidr_json(const struct bcidr4 *c)
{
	char a[BADDR_CIDR4_STRLEN];

	return c->prefix ? json_string(baddr_fmt_cidr4(c, a)) : json_null();
}

static json_t *cidr6_json(const struct bcidr6 *c)
{
	char a[BADDR_CIDR6_STRLEN];

	return c->prefix ? json_string(baddr_fmt_cidr6(c, a)) : json_null();
}

static json_t *blk_json(const struct fabric_blk *b)
{
	return b->is6 ? cidr6_json(&b->v6) : cidr_json(&b->v4);
}

/* The entry of node in a network's "hosts" (one per host: "block" and "block6"), made when missing. */
static json_t *net_host(json_t *hb, const char *node)
{
	json_t *x;
	size_t i;

	json_array_foreach (hb, i, x)
		if (strcmp(json_string_value(json_object_get(x, "node")) ?: "", node) == 0)
			return x;
	x = json_object();
	if (!x || json_array_append_new(hb, x) < 0 || bjson_set(x, "node", json_string(node)) < 0)
		return NULL;
	return x;
}

/* A peer of the other underlay family (docs/fabric.md, "The underlay"): why it is not programmed, or NULL. */
static const char *node_skipped(struct fabric *f, const struct f_node *n, char *buf, size_t len)
{
	if (!f->have_ul || strcmp(n->name, f->cfg.node) == 0 || n->underlay.is6 == f->ul.addr.is6 ||
	    fabric_ul_none(&n->underlay))
		return NULL;
	snprintf(buf, len, "skipped: %s underlay, this host's is %s", fabric_ul_family(&n->underlay),
		 fabric_ul_family(&f->ul.addr));
	return buf;
}

static const char *node_state(struct fabric *f, const struct f_node *n)
{
	if (strcmp(n->name, f->cfg.node) == 0)
		return f->online ? "alive" : "unknown";
	if (n->alive)
		return "alive";
	return n->expired ? "gone" : "grace";
}

static json_t *build_status(struct fabric *f)
{
	json_t *s = json_object(), *hosts = json_array(), *nets = json_array();
	bool in_sync = f->online && f->watch && etcd_watch_created(f->watch);

	if (!s || !hosts || !nets || bjson_set(s, "hosts", hosts) < 0 || bjson_set(s, "networks", nets) < 0)
		goto fail;
	if (bjson_set(s, "node", json_string(f->cfg.node)) < 0 ||
	    bjson_set(s, "underlay", f->have_ul ? ip_json(&f->ul.addr) : json_null()) < 0 ||
	    bjson_set(s, "underlay_dev", json_string(f->have_ul ? f->ul.ifname : "")) < 0 ||
	    bjson_set(s, "etcd", json_string(etcd_endpoint(f->etcd))) < 0 ||
	    bjson_set(s, "in_sync", json_boolean(in_sync)) < 0 ||
	    bjson_set(s, "degraded", json_boolean(f->degraded || (!f->online && f->last_err[0]))) < 0 ||
	    bjson_set(s, "revision", json_integer(f->rev)) < 0 ||
	    bjson_set(s, "last_sync", json_integer((json_int_t)f->synced_at)) < 0 ||
	    bjson_set(s, "vxlan_port", json_integer(f->cfg.vxlan_port)) < 0 ||
	    bjson_set(s, "error", json_string(f->last_err)) < 0)
		goto fail;
	for (size_t i = 0; i < f->n_nodes; i++) {
		const struct f_node *n = &f->nodes[i];
		json_t *h = json_object(), *blocks = json_object(), *blocks6 = json_object();
		bool me = strcmp(n->name, f->cfg.node) == 0;
		char skip[96], state[128];
		const char *why = node_skipped(f, n, skip, sizeof(skip));

		/* the lease state; a peer that cannot be reached from here says why (netctl fabric's LEASE) */
		snprintf(state, sizeof(state), "%s%s%s", node_state(f, n), why ? ", " : "", why ?: "");

		if (!h || !blocks || !blocks6 || json_array_append_new(hosts, h) < 0 ||
		    bjson_set(h, "blocks", blocks) < 0 || bjson_set(h, "blocks6", blocks6) < 0) {
			json_decref(h);
			json_decref(blocks);
			json_decref(blocks6);
			goto fail;
		}
		if (bjson_set(h, "node", json_string(n->name)) < 0 ||
		    bjson_set(h, "underlay", ip_json(me ? &f->ul.addr : &n->underlay)) < 0 ||
		    bjson_set(h, "state", json_string(state)) < 0 ||
		    bjson_set(h, "skipped", why ? json_string(why) : json_null()) < 0 ||
		    /* alive: its key is in etcd as of our watch */
		    bjson_set(h, "last_seen",
			      json_integer((json_int_t)((me || n->alive) && f->online ? time(NULL) : n->seen))) < 0 ||
		    bjson_set(h, "self", json_boolean(me)) < 0)
			goto fail;
		for (size_t k = 0; k < f->n_blocks; k++)
			if (strcmp(f->blocks[k].val.node, n->name) == 0 &&
			    bjson_set(f->blocks[k].block.is6 ? blocks6 : blocks, f->blocks[k].net,
				      blk_json(&f->blocks[k].block)) < 0)
				goto fail;
	}
	for (size_t i = 0; i < f->n_nets; i++) {
		const struct f_net *n = &f->nets[i];
		json_t *o = json_object(), *hb = json_array();

		if (!o || !hb || json_array_append_new(nets, o) < 0 || bjson_set(o, "hosts", hb) < 0) {
			json_decref(o);
			json_decref(hb);
			goto fail;
		}
		if (bjson_set(o, "name", json_string(n->def.name)) < 0 ||
		    bjson_set(o, "subnet", cidr_json(&n->def.subnet)) < 0 ||
		    bjson_set(o, "host_prefix",
			      fabric_net_has4(&n->def) ? json_integer(n->def.host_prefix) : json_null()) < 0 ||
		    bjson_set(o, "subnet6", cidr6_json(&n->def.subnet6)) < 0 ||
		    bjson_set(o, "host_prefix6",
			      fabric_net_has6(&n->def) ? json_integer(n->def.host_prefix6) : json_null()) < 0 ||
		    bjson_set(o, "vni", json_integer(n->def.vni)) < 0 ||
		    bjson_set(o, "mode", json_string(fabric_mode_name(n->def.mode))) < 0 ||
		    bjson_set(o, "device", json_string(n->dev)) < 0 || bjson_set(o, "mtu", json_integer(n->mtu)) < 0 ||
		    bjson_set(o, "block", n->have_block ? cidr_json(&n->block) : json_null()) < 0 ||
		    bjson_set(o, "block6", n->have_block6 ? cidr6_json(&n->block6) : json_null()) < 0 ||
		    bjson_set(o, "local", json_boolean(n->local_ok)) < 0)
			goto fail;
		for (size_t k = 0; k < f->n_blocks; k++) {
			const struct f_block *b = &f->blocks[k];
			json_t *x;
			char m[BMAC_STRLEN];

			if (strcmp(b->net, n->def.name) != 0)
				continue;
			/* one entry per host: its block of each family */
			x = net_host(hb, b->val.node);
			if (!x || bjson_set(x, b->block.is6 ? "block6" : "block", blk_json(&b->block)) < 0 ||
			    bjson_set(x, "underlay", ip_json(&b->val.underlay)) < 0 ||
			    bjson_set(x, "vtep_mac", json_string(bmac_fmt(b->val.vtep_mac, m))) < 0 ||
			    bjson_set(x, "programmed",
				      json_boolean(b->programmed || json_is_true(json_object_get(x, "programmed")))) <
				    0)
				goto fail;
		}
	}
	return s;
fail:
	json_decref(s);
	return NULL;
}

void ag_publish(struct fabric *f)
{
	json_t *s = build_status(f), *old;

	if (!s)
		return;
	pthread_mutex_lock(&f->mu);
	old = f->status;
	f->status = s;
	pthread_mutex_unlock(&f->mu);
	json_decref(old);
	f->status_dirty = false;
}
