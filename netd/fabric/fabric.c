/* The fabric's API for netd: start and stop, queued operations and their outcome, the status, local networks. */
#include "netd/fabric/fabric.h"

#include <errno.h>
#include <fcntl.h>
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
	ag_names_free(f);
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
	if (cfg->underlay_family && baddr_family(cfg->underlay) &&
	    baddr_family(cfg->underlay) != (cfg->underlay_family == 6 ? AF_INET6 : AF_INET))
		return berr_set(e, -EINVAL, "fabric: underlay %s is no IPv%u address (underlay_family)", cfg->underlay,
				cfg->underlay_family);
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

void fabric_resync(struct fabric *f)
{
	pthread_mutex_lock(&f->mu);
	f->resync = true;
	pthread_mutex_unlock(&f->mu);
	wake(f);
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

int fabric_network_create(struct fabric *f, const struct fabric_net *def, const char *mode, uint64_t *ret_ticket,
			  struct berr *e)
{
	struct f_req req = {.op = F_REQ_CREATE};
	int r;

	req.def = *def;
	req.def.vni = 0;
	if (fabric_net_has4(def) && !def->host_prefix)
		req.def.host_prefix = FABRIC_DEFAULT_HOST_PREFIX;
	if (fabric_net_has6(def) && !def->host_prefix6)
		req.def.host_prefix6 = fabric_default_host_prefix6(def->subnet6.prefix);
	if (fabric_mode_parse(mode ? mode : f->cfg.mode, &req.def.mode) < 0)
		return berr_set(e, -EINVAL, "fabric mode '%s' is not vxlan or host-gw", mode);
	if (def->host_prefix > 32 || def->host_prefix6 > 128)
		return berr_set(e, -EINVAL, "host prefix /%u is not a prefix",
				def->host_prefix > 32 ? def->host_prefix : def->host_prefix6);
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

/* The host (node, underlay) of the block dst names (of either family), from a network's status. */
static const json_t *block_host(const json_t *net, const char *dst)
{
	const json_t *h;
	size_t i;

	json_array_foreach (json_object_get(net, "hosts"), i, h)
		if (strcmp(json_string_value(json_object_get(h, "block")) ?: "", dst) == 0 ||
		    strcmp(json_string_value(json_object_get(h, "block6")) ?: "", dst) == 0)
			return h;
	return NULL;
}

/* An overlay route of the network: ours (protocol), and inside its subnet of the route's family. */
static bool overlay_route(const struct eng_nsroute *rt, const struct bcidr4 *subnet, const struct bcidr6 *subnet6)
{
	if (rt->protocol != FABRIC_RTPROT)
		return false;
	if (rt->family == AF_INET6) {
		struct bcidr6 dst;

		return subnet6->prefix && baddr_parse_cidr6(rt->dst, false, &dst, NULL) == 0 &&
		       dst.prefix >= subnet6->prefix && baddr_in6(subnet6, &dst.addr);
	}
	if (rt->family == AF_INET) {
		struct bcidr4 dst;

		return subnet->prefix && baddr_parse_cidr4(rt->dst, false, &dst, NULL) == 0 &&
		       dst.prefix >= subnet->prefix && baddr_in4(subnet, dst.addr);
	}
	return false;
}

json_t *fabric_network_routes(struct fabric *f, const char *name, struct berr *e)
{
	_cleanup_json_ json_t *net = fabric_network_status(f, name), *out = NULL;
	_cleanup_free_ struct eng_nsroute *rts = NULL;
	_cleanup_close_ int nsfd = -1;
	struct bcidr4 subnet = {0};
	struct bcidr6 subnet6 = {.prefix = 0};
	size_t n = 0;

	if (!net)
		return NULL;
	/* either may be null: a network of one family */
	baddr_parse_cidr4(json_string_value(json_object_get(net, "subnet")) ?: "", false, &subnet, NULL);
	baddr_parse_cidr6(json_string_value(json_object_get(net, "subnet6")) ?: "", false, &subnet6, NULL);
	if (!subnet.prefix && !subnet6.prefix)
		return NULL;
	/* netd's own namespace: the host's */
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		berr_errno(e, "open /proc/self/ns/net");
		return NULL;
	}
	if (eng_netns_routes(nsfd, &rts, &n, e) < 0)
		return NULL;
	out = json_array();
	if (!out) {
		berr_oom(e);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct eng_nsroute *rt = &rts[i];
		const json_t *h = block_host(net, rt->dst);
		char p[16];
		json_t *o;

		if (!overlay_route(rt, &subnet, &subnet6))
			continue;
		o = json_object();
		if (!o || json_array_append_new(out, o) < 0 || bjson_set(o, "dst", json_string(rt->dst)) < 0 ||
		    bjson_set(o, "gateway", json_string(rt->gateway)) < 0 ||
		    bjson_set(o, "dev", json_string(rt->dev)) < 0 ||
		    bjson_set(o, "protocol", json_string(eng_route_proto_name(rt->protocol, p, sizeof(p)))) < 0 ||
		    bjson_set(o, "host", json_string(h ? json_string_value(json_object_get(h, "node")) : "")) < 0 ||
		    bjson_set(o, "underlay", json_string(h ? json_string_value(json_object_get(h, "underlay")) : "")) <
			    0) {
			berr_oom(e);
			return NULL;
		}
	}
	return TAKE_PTR(out);
}
