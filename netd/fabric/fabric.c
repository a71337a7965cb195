/* The fabric's API for netd: start and stop, queued operations and their outcome, the status, local networks. */
#include "netd/fabric/fabric.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "jsonutil.h"
#include "log.h"
#include "mac.h"
#include "netd/engine/link.h"
#include "netd/fabric/agent.h"
#include "strv.h"

void fabric_cfg_free(struct fabric_cfg *c)
{
	if (!c)
		return;
	strv_free(c->etcd);
	free(c->node);
	free(c->underlay);
	free(c->mode);
	memset(c, 0, sizeof(*c));
}

static int cfg_copy(const struct fabric_cfg *in, struct fabric_cfg *out)
{
	memset(out, 0, sizeof(*out));
	*out = *in;
	out->etcd = calloc(in->n_etcd + 1, sizeof(char *));
	out->node = out->underlay = out->mode = NULL;
	if (!out->etcd)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_etcd; i++)
		if (!(out->etcd[i] = strdup(in->etcd[i])))
			return -ENOMEM;
	if ((in->node && !(out->node = strdup(in->node))) ||
	    (in->underlay && !(out->underlay = strdup(in->underlay))) ||
	    !(out->mode = strdup(in->mode ? in->mode : "vxlan")))
		return -ENOMEM;
	if (!out->vxlan_port)
		out->vxlan_port = FABRIC_DEFAULT_VXLAN_PORT;
	if (!out->node_ttl_s)
		out->node_ttl_s = FABRIC_DEFAULT_NODE_TTL;
	if (!out->block_ttl_s)
		out->block_ttl_s = FABRIC_DEFAULT_BLOCK_TTL;
	if (!out->grace_ms)
		out->grace_ms = FABRIC_DEFAULT_GRACE_MS;
	if (!out->resync_ms)
		out->resync_ms = FABRIC_DEFAULT_RESYNC_MS;
	return 0;
}

static void fabric_free(struct fabric *f)
{
	if (!f)
		return;
	etcd_watch_close(f->watch);
	etcd_close(f->etcd);
	nlsock_close(f->nl);
	eng_close(f->eng);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	json_decref(f->status);
	free(f->nodes);
	free(f->blocks);
	free(f->nets);
	free(f->state_dir);
	fabric_cfg_free(&f->cfg);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int fabric_start(const struct fabric_cfg *cfg, const char *state_dir, int lock_timeout_ms, struct fabric **ret,
		 struct berr *e)
{
	struct eng_opts eo = {.state_dir = state_dir, .lock_timeout_ms = lock_timeout_ms};
	struct fabric *f;
	enum fabric_mode mode;
	int r;

	if (!cfg->n_etcd)
		return berr_set(e, -EINVAL, "fabric: no etcd endpoint");
	if (!cfg->underlay || !cfg->underlay[0])
		return berr_set(e, -EINVAL, "fabric: give the underlay (an address or an interface)");
	if (cfg->mode && fabric_mode_parse(cfg->mode, &mode) < 0)
		return berr_set(e, -EINVAL, "fabric: mode '%s' is not vxlan or host-gw", cfg->mode);
	f = calloc(1, sizeof(*f));
	if (!f)
		return berr_oom(e);
	pthread_mutex_init(&f->mu, NULL);
	f->wake_fd = -1;
	f->next_ticket = 1;
	f->started = (int64_t)time(NULL);
	if (cfg_copy(cfg, &f->cfg) < 0 || !(f->state_dir = strdup(state_dir))) {
		r = berr_oom(e);
		goto fail;
	}
	if (!f->cfg.node) {
		char host[65] = "";

		gethostname(host, sizeof(host) - 1);
		if (!(f->cfg.node = strdup(host))) {
			r = berr_oom(e);
			goto fail;
		}
	}
	if (!bname_valid(f->cfg.node, FABRIC_NAME_MAX)) {
		r = berr_set(e, -EINVAL, "fabric: invalid node name '%s'", f->cfg.node);
		goto fail;
	}
	{
		struct etcd_opts o = {.endpoints = (const char *const *)f->cfg.etcd,
				      .n_endpoints = f->cfg.n_etcd,
				      .timeout_ms = (int)f->cfg.etcd_timeout_ms};

		if ((r = etcd_open(&o, &f->etcd, e)) < 0)
			goto fail;
	}
	if ((r = eng_open(&eo, &f->eng, e)) < 0 || (r = nlsock_open(-1, &f->nl, e)) < 0)
		goto fail;
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->wake_fd < 0) {
		r = berr_errno(e, "eventfd");
		goto fail;
	}
	ag_publish(f);
	r = ag_thread_start(f, e);
	if (r < 0)
		goto fail;
	*ret = f;
	return 0;
fail:
	fabric_free(f);
	return r;
}

static void wake(struct fabric *f)
{
	uint64_t one = 1;

	if (write(f->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the agent wakes anyway */
	}
}

void fabric_stop(struct fabric *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_mutex_unlock(&f->mu);
	wake(f);
	if (f->thread_started)
		pthread_join(f->thread, NULL);
	fabric_free(f);
}

bool ag_stopping(struct fabric *f)
{
	bool s;

	pthread_mutex_lock(&f->mu);
	s = f->stop;
	pthread_mutex_unlock(&f->mu);
	return s;
}

/* ------------------------------------------------------------------ queued operations */

static int queue(struct fabric *f, const struct f_req *req, uint64_t *ret_ticket, struct berr *e)
{
	pthread_mutex_lock(&f->mu);
	if (f->n_reqs == F_MAX_REQS) {
		/* forget the oldest finished one */
		size_t i;

		for (i = 0; i < f->n_reqs && !f->reqs[i].done; i++)
			;
		if (i == f->n_reqs) {
			pthread_mutex_unlock(&f->mu);
			return berr_set(e, -EBUSY, "fabric: %d operations are pending already", F_MAX_REQS);
		}
		memmove(&f->reqs[i], &f->reqs[i + 1], (f->n_reqs - i - 1) * sizeof(f->reqs[0]));
		f->n_reqs--;
	}
	f->reqs[f->n_reqs] = *req;
	f->reqs[f->n_reqs].ticket = f->next_ticket++;
	*ret_ticket = f->reqs[f->n_reqs].ticket;
	f->n_reqs++;
	pthread_mutex_unlock(&f->mu);
	wake(f);
	return 0;
}

int fabric_network_create(struct fabric *f, const char *name, const struct bcidr4 *subnet, unsigned host_prefix,
			  const char *mode, uint64_t *ret_ticket, struct berr *e)
{
	struct f_req req = {.op = F_REQ_CREATE};
	int r;

	snprintf(req.def.name, sizeof(req.def.name), "%s", name);
	req.def.subnet = *subnet;
	req.def.host_prefix = (uint8_t)(host_prefix ? host_prefix : FABRIC_DEFAULT_HOST_PREFIX);
	if (fabric_mode_parse(mode ? mode : f->cfg.mode, &req.def.mode) < 0)
		return berr_set(e, -EINVAL, "fabric mode '%s' is not vxlan or host-gw", mode);
	if (host_prefix > 32)
		return berr_set(e, -EINVAL, "host prefix /%u is not a prefix", host_prefix);
	r = fabric_net_check(&req.def, e);
	if (r < 0)
		return r;
	return queue(f, &req, ret_ticket, e);
}

int fabric_network_remove(struct fabric *f, const char *name, uint64_t *ret_ticket, struct berr *e)
{
	struct f_req req = {.op = F_REQ_REMOVE};

	if (!bname_valid(name, FABRIC_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", name);
	snprintf(req.def.name, sizeof(req.def.name), "%s", name);
	return queue(f, &req, ret_ticket, e);
}

int fabric_result(struct fabric *f, uint64_t ticket, int *ret_code, char *msg, size_t len)
{
	int r = -ENOENT;

	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->n_reqs; i++) {
		if (f->reqs[i].ticket != ticket)
			continue;
		r = f->reqs[i].done ? 1 : 0;
		if (r) {
			*ret_code = f->reqs[i].code;
			snprintf(msg, len, "%s", f->reqs[i].msg);
		}
		break;
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}

void ag_requests(struct fabric *f)
{
	for (;;) {
		struct f_req req;
		struct berr e = BERR_INIT;
		size_t i;
		int r;

		pthread_mutex_lock(&f->mu);
		for (i = 0; i < f->n_reqs && f->reqs[i].taken; i++)
			;
		if (i == f->n_reqs) {
			pthread_mutex_unlock(&f->mu);
			return;
		}
		f->reqs[i].taken = true;
		req = f->reqs[i];
		pthread_mutex_unlock(&f->mu);

		if (!f->have_ul)
			r = berr_set(&e, -EAGAIN, "fabric: the underlay is not there yet: %s", f->last_err);
		else if (req.op == F_REQ_CREATE)
			r = ag_network_create(f, &req.def, &e);
		else
			r = ag_network_remove(f, req.def.name, &e);
		if (r < 0 && etcd_unreachable(r))
			berr_wrap(&e, r, "fabric degraded (etcd unreachable)");
		f->status_dirty = true;

		pthread_mutex_lock(&f->mu);
		for (i = 0; i < f->n_reqs; i++) {
			if (f->reqs[i].ticket != req.ticket)
				continue;
			f->reqs[i].done = true;
			f->reqs[i].code = r < 0 ? r : 0;
			snprintf(f->reqs[i].msg, sizeof(f->reqs[i].msg), "%s", r < 0 ? berr_message(&e) : "");
		}
		pthread_mutex_unlock(&f->mu);
	}
}

/* ------------------------------------------------------------------ local networks */

int ag_local_ensure(struct fabric *f, struct f_net *n, struct berr *e)
{
	bool vx = n->def.mode == FABRIC_VXLAN;
	struct eng_network en;
	int r;

	if (!n->have_block)
		return berr_set(e, -ENOENT, "network %s: this host has no block yet", n->def.name);
	n->local_ok = false;
	n->mtu = f->ul.mtu - (vx ? FABRIC_VXLAN_OVERHEAD : 0);
	if (vx)
		snprintf(n->dev, sizeof(n->dev), "bfx%" PRIu32, n->def.vni);
	else
		n->dev[0] = '\0';
	eng_network_init(&en, n->def.name);
	if (strlen(n->def.name) >= sizeof(en.bridge))
		snprintf(en.bridge, sizeof(en.bridge), "bfb%" PRIu32, n->def.vni);
	en.subnet = n->block;
	en.gateway = n->block.addr + 1;
	en.mtu = n->mtu;
	snprintf(en.tunnel, sizeof(en.tunnel), "%s", n->dev);
	/* the engine network first: the device's /32 would otherwise overlap the subnet it checks */
	r = eng_network_ensure(f->eng, &en, NULL, e);
	if (r < 0)
		return berr_wrap(e, r, "network %s on this host", n->def.name);
	if (vx) {
		struct fk_vxlan v = {
			.name = n->dev,
			.vni = n->def.vni,
			.local = f->ul.addr,
			.link = f->ul.ifindex,
			.port = (uint16_t)f->cfg.vxlan_port,
			.mtu = n->mtu,
			.addr = n->block.addr,
		};
		bool created = false;

		fk_vtep_mac(n->def.vni, f->ul.addr, v.mac);
		r = fk_vxlan_ensure(f->nl, &v, &n->ifindex, &created, e);
		if (r < 0)
			return berr_wrap(e, r, "network %s", n->def.name);
		if (created)
			log_info("fabric: network %s: VXLAN device %s (VNI %" PRIu32 ", MTU %u) created", n->def.name,
				 n->dev, n->def.vni, n->mtu);
	}
	n->local_ok = true;
	return 0;
}

int ag_local_remove(struct fabric *f, struct f_net *n, struct berr *e)
{
	struct eng_network cur;
	int r;

	if (eng_network_get(f->eng, n->def.name, &cur, NULL) == 0) {
		r = eng_network_remove(f->eng, n->def.name, e);
		if (r < 0)
			return r;
	}
	if (n->def.mode == FABRIC_VXLAN) {
		char dev[16];

		snprintf(dev, sizeof(dev), "bfx%" PRIu32, n->def.vni);
		r = link_delete(f->nl, dev, e);
		if (r < 0)
			return r;
	} else if (f->have_ul) {
		struct fk_target t = {.ifindex = f->ul.ifindex, .hostgw = true, .scope = n->def.subnet};

		r = fk_sync(f->nl, &t, NULL, 0, NULL, e);
		if (r < 0)
			return r;
	}
	n->local_ok = false;
	return 0;
}

/* ------------------------------------------------------------------ status */

static json_t *ip_json(uint32_t ip)
{
	char a[INET_ADDRSTRLEN];

	return json_string(baddr_fmt4(ip, a));
}

static json_t *cidr_json(const struct bcidr4 *c)
{
	char a[BADDR_CIDR4_STRLEN];

	return json_string(baddr_fmt_cidr4(c, a));
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
	    bjson_set(s, "underlay", f->have_ul ? ip_json(f->ul.addr) : json_null()) < 0 ||
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
		json_t *h = json_object(), *blocks = json_object();
		bool me = strcmp(n->name, f->cfg.node) == 0;

		if (!h || !blocks || json_array_append_new(hosts, h) < 0 || bjson_set(h, "blocks", blocks) < 0) {
			json_decref(h);
			json_decref(blocks);
			goto fail;
		}
		if (bjson_set(h, "node", json_string(n->name)) < 0 ||
		    bjson_set(h, "underlay", ip_json(me ? f->ul.addr : n->underlay)) < 0 ||
		    bjson_set(h, "state", json_string(node_state(f, n))) < 0 ||
		    /* alive: its key is in etcd as of our watch */
		    bjson_set(h, "last_seen",
			      json_integer((json_int_t)((me || n->alive) && f->online ? time(NULL) : n->seen))) < 0 ||
		    bjson_set(h, "self", json_boolean(me)) < 0)
			goto fail;
		for (size_t k = 0; k < f->n_blocks; k++)
			if (strcmp(f->blocks[k].val.node, n->name) == 0 &&
			    bjson_set(blocks, f->blocks[k].net, cidr_json(&f->blocks[k].block)) < 0)
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
		    bjson_set(o, "host_prefix", json_integer(n->def.host_prefix)) < 0 ||
		    bjson_set(o, "vni", json_integer(n->def.vni)) < 0 ||
		    bjson_set(o, "mode", json_string(fabric_mode_name(n->def.mode))) < 0 ||
		    bjson_set(o, "device", json_string(n->dev)) < 0 || bjson_set(o, "mtu", json_integer(n->mtu)) < 0 ||
		    bjson_set(o, "block", n->have_block ? cidr_json(&n->block) : json_null()) < 0 ||
		    bjson_set(o, "local", json_boolean(n->local_ok)) < 0)
			goto fail;
		for (size_t k = 0; k < f->n_blocks; k++) {
			const struct f_block *b = &f->blocks[k];
			json_t *x;
			char m[BMAC_STRLEN];

			if (strcmp(b->net, n->def.name) != 0)
				continue;
			x = json_object();
			if (!x || json_array_append_new(hb, x) < 0 ||
			    bjson_set(x, "node", json_string(b->val.node)) < 0 ||
			    bjson_set(x, "block", cidr_json(&b->block)) < 0 ||
			    bjson_set(x, "underlay", ip_json(b->val.underlay)) < 0 ||
			    bjson_set(x, "vtep_mac", json_string(bmac_fmt(b->val.vtep_mac, m))) < 0 ||
			    bjson_set(x, "programmed", json_boolean(b->programmed)) < 0)
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

json_t *fabric_status(struct fabric *f)
{
	json_t *s;

	pthread_mutex_lock(&f->mu);
	s = json_deep_copy(f->status);
	pthread_mutex_unlock(&f->mu);
	return s;
}

json_t *fabric_network_status(struct fabric *f, const char *name)
{
	json_t *r = NULL, *n;
	size_t i;

	pthread_mutex_lock(&f->mu);
	json_array_foreach (json_object_get(f->status, "networks"), i, n) {
		if (strcmp(json_string_value(json_object_get(n, "name")) ?: "", name) == 0) {
			r = json_deep_copy(n);
			break;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}
