/* The fabric agent: its thread, registration and leases, listing and watching etcd, blocks, local networks. */
#include "netd/fabric/agent.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "clock.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "log.h"
#include "netd/engine/link.h"

/* ------------------------------------------------------------------ model */

static struct f_block *find_block(struct fabric *f, const char *net, const struct fabric_blk *b)
{
	for (size_t i = 0; i < f->n_blocks; i++)
		if (fabric_blk_eq(&f->blocks[i].block, b) && strcmp(f->blocks[i].net, net) == 0)
			return &f->blocks[i];
	return NULL;
}

static void drop_block(struct fabric *f, struct f_block *b)
{
	size_t i = (size_t)(b - f->blocks);

	f->blocks[i] = f->blocks[--f->n_blocks];
}

/*
 * A peer whose underlay is of the other family cannot be reached: VXLAN
 * carries one family between two hosts (and the kernel refuses an FDB
 * entry of the other family). It is skipped, never half-programmed, and
 * netctl fabric says so. Warned once a block.
 */
static bool block_family_ok(struct fabric *f, struct f_block *b)
{
	char a[INET6_ADDRSTRLEN];
	bool ok = b->val.underlay.is6 == f->ul.addr.is6;

	if (!ok && !b->skipped)
		log_warn("fabric: host %s (network %s): its underlay %s is %s, this host's is %s: skipped", b->val.node,
			 b->net, fabric_ul_fmt(&b->val.underlay, a), fabric_ul_family(&b->val.underlay),
			 fabric_ul_family(&f->ul.addr));
	if (b->skipped != !ok)
		f->status_dirty = true;
	b->skipped = !ok;
	return ok;
}

/* The peer's entries are wanted: its node is alive, or went less than the grace period ago. */
static bool block_wanted(struct fabric *f, struct f_block *b, long long now)
{
	struct f_node *n;

	if (strcmp(b->val.node, f->cfg.node) == 0 || !block_family_ok(f, b))
		return false;
	n = ag_node(f, b->val.node, false);
	if (!n)
		return false;
	return n->alive || now - n->gone_ms < (long long)f->cfg.grace_ms;
}

static void set_error(struct fabric *f, const struct berr *e)
{
	snprintf(f->last_err, sizeof(f->last_err), "%s", berr_message(e));
}

/* ------------------------------------------------------------------ persisted state */

static void state_path(const struct fabric *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s/fabric.json", f->state_dir);
}

static void load_state(struct fabric *f)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	const char *node;

	state_path(f, path, sizeof(path));
	if (bjson_load_file(path, 1 << 20, &j, NULL) < 0)
		return;
	node = json_string_value(json_object_get(j, "node"));
	/* leases of another name belong to that name's history, not ours */
	if (!node || strcmp(node, f->cfg.node) != 0)
		return;
	f->node_lease = strtoll(json_string_value(json_object_get(j, "node_lease")) ?: "0", NULL, 10);
	f->block_lease = strtoll(json_string_value(json_object_get(j, "block_lease")) ?: "0", NULL, 10);
}

static void save_state(struct fabric *f)
{
	char path[PATH_MAX], a[24], b[24];
	_cleanup_json_ json_t *j = json_object();
	struct berr e = BERR_INIT;

	snprintf(a, sizeof(a), "%" PRId64, f->node_lease);
	snprintf(b, sizeof(b), "%" PRId64, f->block_lease);
	state_path(f, path, sizeof(path));
	if (!j || bjson_set(j, "node", json_string(f->cfg.node)) < 0 ||
	    bjson_set(j, "node_lease", json_string(a)) < 0 || bjson_set(j, "block_lease", json_string(b)) < 0)
		return;
	{
		_cleanup_free_ char *s = bjson_dump(j);

		if (s && bfile_write_atomic(path, s, strlen(s), 0600, 0, &e) < 0)
			log_warn("fabric: %s", berr_message(&e));
	}
}

/* ------------------------------------------------------------------ kernel */

static void net_target(struct fabric *f, const struct f_net *n, struct fk_target *t)
{
	t->ifindex = n->def.mode == FABRIC_HOSTGW ? f->ul.ifindex : n->ifindex;
	t->hostgw = n->def.mode == FABRIC_HOSTGW;
	t->scope = n->def.subnet;
	t->scope6 = n->def.subnet6;
}

static void block_peer(const struct f_block *b, struct fk_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->is6 = b->block.is6;
	p->block = b->block.v4;
	p->block6 = b->block.v6;
	p->underlay = b->val.underlay;
	p->ll = b->val.underlay_ll;
	memcpy(p->mac, b->val.vtep_mac, 6);
}

/* Another programmed block of b's host on b's network (its other family): the FDB entry serves it too. */
static bool fdb_shared(struct fabric *f, const struct f_block *b)
{
	for (size_t i = 0; i < f->n_blocks; i++) {
		const struct f_block *o = &f->blocks[i];

		if (o != b && o->programmed && strcmp(o->net, b->net) == 0 && strcmp(o->val.node, b->val.node) == 0 &&
		    memcmp(o->val.vtep_mac, b->val.vtep_mac, 6) == 0)
			return true;
	}
	return false;
}

/* Another programmed block of a VXLAN network than skip comes from this underlay address. */
static bool vxlan_source_used(struct fabric *f, const struct fabric_ul *underlay, const struct f_block *skip)
{
	for (size_t i = 0; i < f->n_blocks; i++) {
		const struct f_block *b = &f->blocks[i];
		const struct f_net *n;

		if (b == skip || !b->programmed || !fabric_ul_eq(&b->val.underlay, underlay))
			continue;
		n = ag_net(f, b->net);
		if (n && n->def.mode == FABRIC_VXLAN)
			return true;
	}
	return false;
}

/*
 * The input filter accepts VXLAN from exactly the underlay addresses of
 * the programmed peers, while this host has a VXLAN network (a resync).
 */
static void vxlan_sources_sync(struct fabric *f)
{
	_cleanup_free_ uint32_t *peers = calloc(f->n_blocks + 1, sizeof(*peers));
	_cleanup_free_ struct in6_addr *peers6 = calloc(f->n_blocks + 1, sizeof(*peers6));
	struct berr e = BERR_INIT;
	bool on = false;
	size_t k = 0, k6 = 0;

	if (!peers || !peers6) {
		log_warn("fabric: VXLAN sources: out of memory");
		return;
	}
	for (size_t i = 0; i < f->n_nets; i++)
		on = on || (f->nets[i].local_ok && f->nets[i].def.mode == FABRIC_VXLAN);
	for (size_t i = 0; i < f->n_blocks; i++) {
		const struct f_block *b = &f->blocks[i];
		const struct f_net *n = ag_net(f, b->net);

		if (!b->programmed || !n || n->def.mode != FABRIC_VXLAN)
			continue;
		if (b->val.underlay.is6)
			peers6[k6++] = b->val.underlay.v6;
		else
			peers[k++] = b->val.underlay.v4;
	}
	if (eng_vxlan_sync(f->eng, (uint16_t)f->cfg.vxlan_port, on, peers, k, peers6, k6, &e) < 0) {
		log_warn("fabric: %s", berr_message(&e));
		set_error(f, &e);
	}
}

/* One VXLAN source more or less (after an event); removed only when no other block comes from it. */
static void vxlan_source(struct fabric *f, const struct f_block *b, const struct fabric_ul *underlay, bool add)
{
	uint16_t port = (uint16_t)f->cfg.vxlan_port;
	struct berr e = BERR_INIT;
	int r;

	if (!add && vxlan_source_used(f, underlay, b))
		return;
	r = underlay->is6 ? eng_vxlan_peer6(f->eng, port, &underlay->v6, add, &e)
			  : eng_vxlan_peer(f->eng, port, underlay->v4, add, &e);
	if (r < 0) {
		log_warn("fabric: %s", berr_message(&e));
		set_error(f, &e);
	}
}

/* Program or remove one remote block now (after an event); a failure waits for the next resync. */
static void program_block(struct fabric *f, struct f_block *b, bool add)
{
	struct f_net *n = ag_net(f, b->net);
	struct berr e = BERR_INIT;
	struct fk_target t;
	struct fk_peer p;
	int r;

	if (!n || !n->local_ok || (add && !block_family_ok(f, b)))
		return;
	net_target(f, n, &t);
	block_peer(b, &p);
	p.fdb_shared = !add && fdb_shared(f, b);
	/* a new peer's VXLAN is let in before anything is routed to it (its answers come that way) */
	if (add && n->def.mode == FABRIC_VXLAN)
		vxlan_source(f, b, &b->val.underlay, true);
	r = add ? fk_peer_add(f->nl, &t, &p, &e) : fk_peer_del(f->nl, &t, &p, &e);
	if (r < 0) {
		log_warn("fabric: network %s: %s", n->def.name, berr_message(&e));
		set_error(f, &e);
		return;
	}
	if (!add && n->def.mode == FABRIC_VXLAN)
		vxlan_source(f, b, &b->val.underlay, false);
	b->programmed = add;
}

static void program_node(struct fabric *f, const char *node, bool add)
{
	for (size_t i = 0; i < f->n_blocks; i++)
		if (strcmp(f->blocks[i].val.node, node) == 0 && f->blocks[i].programmed != add)
			program_block(f, &f->blocks[i], add);
}

/* The network's device, local engine network and every wanted peer, exactly (a resync). */
static int sync_net(struct fabric *f, struct f_net *n, struct berr *e)
{
	_cleanup_free_ struct fk_peer *peers = NULL;
	struct fk_sync_report rep;
	long long now = bclock_now_ms();
	struct fk_target t;
	size_t k = 0;
	int r;

	r = ag_local_ensure(f, n, e);
	if (r < 0)
		return r;
	peers = calloc(f->n_blocks + 1, sizeof(*peers));
	if (!peers)
		return berr_oom(e);
	for (size_t i = 0; i < f->n_blocks; i++) {
		struct f_block *b = &f->blocks[i];

		if (strcmp(b->net, n->def.name) != 0)
			continue;
		b->programmed = block_wanted(f, b, now);
		if (b->programmed)
			block_peer(b, &peers[k++]);
	}
	net_target(f, n, &t);
	r = fk_sync(f->nl, &t, peers, k, &rep, e);
	if (r < 0)
		return berr_wrap(e, r, "network %s", n->def.name);
	if (rep.added || rep.removed)
		log_info("fabric: network %s: %zu peer(s) kept, %zu written, %zu stale route(s) removed", n->def.name,
			 rep.kept, rep.added, rep.removed);
	vxlan_sources_sync(f);
	return 0;
}

/* ------------------------------------------------------------------ etcd: leases, node, blocks */

static int node_register(struct fabric *f, struct berr *e)
{
	struct fabric_node node = {.started = f->started};
	_cleanup_free_ char *val = NULL;
	char key[FABRIC_KEY_MAX];
	int r;

	if (f->node_lease) {
		r = etcd_lease_keepalive(f->etcd, f->node_lease, NULL, e);
		if (r == -ENOENT) {
			berr_clear(e);
			f->node_lease = 0;
		} else if (r < 0) {
			return r;
		}
	}
	if (!f->node_lease) {
		r = etcd_lease_grant(f->etcd, f->cfg.node_ttl_s, 0, &f->node_lease, e);
		if (r < 0)
			return r;
		f->state_dirty = true;
	}
	snprintf(node.node, sizeof(node.node), "%s", f->cfg.node);
	node.underlay = f->ul.addr;
	val = fabric_node_to_json(&node);
	if (!val || fabric_key_node(key, sizeof(key), f->cfg.node) < 0)
		return berr_oom(e);
	r = etcd_put(f->etcd, key, val, strlen(val), f->node_lease, NULL, e);
	if (r < 0)
		return r;
	f->node_ka_at = bclock_now_ms() + (long long)f->cfg.node_ttl_s * 1000 / 3;
	return 0;
}

static int block_lease_ensure(struct fabric *f, struct berr *e)
{
	int r;

	if (f->block_lease) {
		r = etcd_lease_keepalive(f->etcd, f->block_lease, NULL, e);
		if (r == -ENOENT) {
			/* it ran out (a long outage): our blocks are free; claim them again below */
			log_warn("fabric: the block lease expired; claiming the blocks again");
			berr_clear(e);
			f->block_lease = 0;
		} else if (r < 0) {
			return r;
		}
	}
	if (!f->block_lease) {
		r = etcd_lease_grant(f->etcd, f->cfg.block_ttl_s, 0, &f->block_lease, e);
		if (r < 0)
			return r;
		f->state_dirty = true;
	}
	f->block_ka_at = bclock_now_ms() + ag_block_ka_ms(f);
	return 0;
}

long long ag_block_ka_ms(const struct fabric *f)
{
	long long ms = (long long)f->cfg.block_ttl_s * 1000 / 3;

	return ms > 60000 ? 60000 : ms;
}

static void own_block_value(struct fabric *f, const struct f_net *n, struct fabric_block *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->node, sizeof(ret->node), "%s", f->cfg.node);
	ret->underlay = f->ul.addr;
	fk_vtep_mac(n->def.vni, &f->ul.addr, ret->vtep_mac);
	/* host-gw's IPv6 blocks over an IPv4 underlay: peers route them via this link-local address */
	if (n->def.mode == FABRIC_HOSTGW && fabric_net_has6(&n->def) && !f->ul.addr.is6)
		ret->underlay_ll = f->ul.ll;
}

/*
 * Claim block b for this host: put it only if the key does not exist
 * (create_revision == 0) or is ours already (same node, any lease: re-put
 * on our current lease). 1 claimed, 0 someone else has it.
 */
static int claim(struct fabric *f, struct f_net *n, const struct fabric_blk *b, struct berr *e)
{
	struct fabric_block val;
	struct etcd_kvs kvs = {0};
	_cleanup_free_ char *text = NULL;
	char key[FABRIC_KEY_MAX];
	bool ok = false;
	int r;

	own_block_value(f, n, &val);
	text = fabric_block_to_json(&val);
	if (!text || fabric_key_block(key, sizeof(key), n->def.name, b) < 0)
		return berr_oom(e);
	{
		struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL, .num = 0};
		struct etcd_op put = {.type = ETCD_OP_PUT,
				      .key = key,
				      .value = text,
				      .value_len = strlen(text),
				      .lease = f->block_lease};
		struct etcd_op get = {.type = ETCD_OP_RANGE, .key = key};

		r = etcd_txn(f->etcd, &cmp, 1, &put, 1, &get, 1, &ok, &kvs, e);
		if (r < 0)
			return r;
	}
	if (!ok && kvs.n == 1) {
		struct fabric_block cur;

		/* ours from an earlier life: take it over onto the current lease, unless it changed meanwhile */
		if (fabric_block_from_json(kvs.v[0].value, kvs.v[0].value_len, &cur, NULL) == 0 &&
		    strcmp(cur.node, f->cfg.node) == 0) {
			struct etcd_cmp cmp = {
				.key = key, .target = ETCD_CMP_MOD, .result = ETCD_CMP_EQUAL, .num = kvs.v[0].mod_rev};
			struct etcd_op put = {.type = ETCD_OP_PUT,
					      .key = key,
					      .value = text,
					      .value_len = strlen(text),
					      .lease = f->block_lease};

			r = etcd_txn(f->etcd, &cmp, 1, &put, 1, NULL, 0, &ok, NULL, e);
			if (r < 0) {
				etcd_kvs_clear(&kvs);
				return r;
			}
		}
	}
	etcd_kvs_clear(&kvs);
	if (ok) {
		struct f_block *fb = find_block(f, n->def.name, b);

		if (!fb && BARRAY_RESERVE(f->blocks, f->cap_blocks, f->n_blocks + 1) == 0) {
			fb = &f->blocks[f->n_blocks++];
			memset(fb, 0, sizeof(*fb));
			snprintf(fb->net, sizeof(fb->net), "%s", n->def.name);
			fb->block = *b;
		}
		if (fb) {
			fb->val = val;
			fb->lease = f->block_lease;
		}
	}
	return ok ? 1 : 0;
}

/* The block the local network has of the family, if any. */
static bool net_block(const struct f_net *n, bool is6, struct fabric_blk *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->is6 = is6;
	ret->v4 = n->block;
	ret->v6 = n->block6;
	return is6 ? n->have_block6 : n->have_block;
}

static void net_block_set(struct f_net *n, const struct fabric_blk *b, bool have)
{
	if (b->is6) {
		n->have_block6 = have;
		if (have)
			n->block6 = b->v6;
	} else {
		n->have_block = have;
		if (have)
			n->block = b->v4;
	}
}

/* This host's block of n of the family: the one etcd says is ours (re-put on our lease when needed), else a new one. */
static int own_block_ensure_family(struct fabric *f, struct f_net *n, bool is6, struct berr *e)
{
	_cleanup_free_ struct fabric_blk *taken = NULL;
	struct fabric_blk cur;
	size_t n_taken = 0;
	int r;

	for (size_t i = 0; i < f->n_blocks; i++) {
		struct f_block *b = &f->blocks[i];
		struct fabric_blk mine;
		struct fabric_block want;

		if (b->block.is6 != is6 || strcmp(b->net, n->def.name) != 0 || strcmp(b->val.node, f->cfg.node) != 0)
			continue;
		own_block_value(f, n, &want);
		mine = b->block;
		/* on another lease (an earlier life) or with an old underlay: put it again as it is now */
		if (b->lease != f->block_lease || !fabric_ul_eq(&b->val.underlay, &want.underlay) ||
		    memcmp(b->val.vtep_mac, want.vtep_mac, 6) != 0 ||
		    !baddr_eq6(&b->val.underlay_ll, &want.underlay_ll)) {
			r = claim(f, n, &mine, e);
			if (r < 0)
				return r;
			if (r == 0)
				continue; /* lost it meanwhile */
		}
		net_block_set(n, &mine, true);
		return 0;
	}
	/* the block the local network already has (etcd lost it, or our lease ran out): ask for it again */
	if (net_block(n, is6, &cur)) {
		char c[BADDR_CIDR6_STRLEN];

		r = claim(f, n, &cur, e);
		if (r < 0)
			return r;
		if (r == 1)
			return 0;
		log_error("fabric: network %s: block %s of this host was taken by another host meanwhile", n->def.name,
			  fabric_blk_fmt(&cur, c));
		net_block_set(n, &cur, false);
	}
	taken = calloc(f->n_blocks + 64, sizeof(*taken));
	if (!taken)
		return berr_oom(e);
	for (size_t i = 0; i < f->n_blocks; i++)
		if (f->blocks[i].block.is6 == is6 && strcmp(f->blocks[i].net, n->def.name) == 0)
			taken[n_taken++] = f->blocks[i].block;
	for (int attempt = 0; attempt < 64; attempt++) {
		struct fabric_blk b;

		if (fabric_block_pick(&n->def, is6, f->cfg.node, taken, n_taken, 0, &b) < 0)
			return berr_set(e, -ENOSPC, "fabric network %s: every %sblock is taken", n->def.name,
					is6 ? "IPv6 " : "");
		r = claim(f, n, &b, e);
		if (r < 0)
			return r;
		if (r == 1) {
			net_block_set(n, &b, true);
			return 0;
		}
		/* another host got it first: skip it */
		taken[n_taken++] = b;
	}
	return berr_set(e, -EAGAIN, "fabric network %s: no %sblock could be claimed after 64 tries", n->def.name,
			is6 ? "IPv6 " : "");
}

/* This host's blocks of n: one of each family the network has. */
static int own_block_ensure(struct fabric *f, struct f_net *n, struct berr *e)
{
	int r = 0;

	if (fabric_net_has4(&n->def))
		r = own_block_ensure_family(f, n, false, e);
	if (r == 0 && fabric_net_has6(&n->def))
		r = own_block_ensure_family(f, n, true, e);
	return r;
}

/* ------------------------------------------------------------------ listing */

static int apply_kv(struct fabric *f, const struct etcd_kv *kv, long long now)
{
	struct fabric_key k;

	switch (fabric_key_parse(kv->key, &k)) {
	case FK_NODE: {
		struct fabric_node v;
		struct f_node *n;

		if (fabric_node_from_json(kv->value, kv->value_len, &v, NULL) < 0)
			return 0;
		n = ag_node(f, k.name, true);
		if (!n)
			return -ENOMEM;
		n->underlay = v.underlay;
		n->started = v.started;
		n->alive = true;
		n->expired = false;
		n->gone_ms = 0;
		n->seen = time(NULL);
		n->mark = true;
		return 0;
	}
	case FK_NETWORK: {
		struct fabric_net v;
		struct f_net *n;

		if (fabric_net_from_json(kv->value, kv->value_len, &v, NULL) < 0)
			return 0;
		n = ag_net(f, k.name);
		if (!n) {
			if (BARRAY_RESERVE(f->nets, f->cap_nets, f->n_nets + 1) < 0)
				return -ENOMEM;
			n = &f->nets[f->n_nets++];
			memset(n, 0, sizeof(*n));
		}
		n->def = v;
		n->mark = true;
		return 0;
	}
	case FK_BLOCK: {
		struct fabric_block v;
		struct f_block *b;

		if (fabric_block_from_json(kv->value, kv->value_len, &v, NULL) < 0)
			return 0;
		b = find_block(f, k.name, &k.block);
		if (!b) {
			if (BARRAY_RESERVE(f->blocks, f->cap_blocks, f->n_blocks + 1) < 0)
				return -ENOMEM;
			b = &f->blocks[f->n_blocks++];
			memset(b, 0, sizeof(*b));
			snprintf(b->net, sizeof(b->net), "%s", k.name);
			b->block = k.block;
		}
		b->val = v;
		b->lease = kv->lease;
		b->mark = true;
		(void)now;
		return 0;
	}
	default:
		return 0;
	}
}

/* Rebuild the model from a full listing; what vanished is dropped (nodes: they start their grace period). */
static int list_all(struct fabric *f, struct berr *e)
{
	struct etcd_kvs kvs = {0};
	long long now = bclock_now_ms();
	int r;

	r = etcd_range(f->etcd, FABRIC_PREFIX, true, &kvs, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n_nodes; i++)
		f->nodes[i].mark = false;
	for (size_t i = 0; i < f->n_nets; i++)
		f->nets[i].mark = false;
	for (size_t i = 0; i < f->n_blocks; i++)
		f->blocks[i].mark = false;
	for (size_t i = 0; r == 0 && i < kvs.n; i++)
		r = apply_kv(f, &kvs.v[i], now);
	if (r == 0)
		r = ag_names_listed(f, &kvs);
	f->rev = kvs.rev;
	etcd_kvs_clear(&kvs);
	if (r < 0)
		return berr_oom(e);
	for (size_t i = 0; i < f->n_nodes; i++) {
		struct f_node *n = &f->nodes[i];

		if (!n->mark && n->alive) {
			n->alive = false;
			n->seen = time(NULL);
			n->gone_ms = now;
		}
	}
	/* a block's node never seen alive: it counts as gone since now */
	for (size_t i = 0; i < f->n_blocks;) {
		struct f_block *b = &f->blocks[i];

		if (!b->mark) {
			drop_block(f, b);
			continue;
		}
		if (!ag_node(f, b->val.node, false)) {
			struct f_node *n = ag_node(f, b->val.node, true);

			if (!n)
				return berr_oom(e);
			n->underlay = b->val.underlay;
			n->gone_ms = now;
		}
		i++;
	}
	return 0;
}

/* A network etcd no longer has: take it down here (it stays while it has endpoints). */
static void net_gone(struct fabric *f, struct f_net *n)
{
	struct berr e = BERR_INIT;

	if (ag_local_remove(f, n, &e) < 0) {
		log_warn("fabric: network %s was removed from the fabric: %s", n->def.name, berr_message(&e));
		return;
	}
	for (size_t i = 0; i < f->n_blocks;) {
		if (strcmp(f->blocks[i].net, n->def.name) == 0)
			drop_block(f, &f->blocks[i]);
		else
			i++;
	}
	ag_names_net_gone(f, n->def.name);
	*n = f->nets[--f->n_nets];
	vxlan_sources_sync(f);
}

/* This host's names into etcd (names.c): only etcd out of reach is an error here, the rest waits for a resync. */
static int publish_names(struct fabric *f, struct berr *e)
{
	int r = ag_names_publish(f, e);

	if (r < 0 && !etcd_unreachable(r)) {
		log_warn("fabric: %s", berr_message(e));
		set_error(f, e);
		berr_clear(e);
		r = 0;
	}
	return r;
}

/* Register, keep the leases, list, claim blocks, build the local networks, program everything, watch. */
static int go_online(struct fabric *f, struct berr *e)
{
	long long t0 = bclock_now_ms();
	int r;

	etcd_watch_close(f->watch);
	f->watch = NULL;
	if ((r = node_register(f, e)) < 0 || (r = block_lease_ensure(f, e)) < 0 || (r = list_all(f, e)) < 0)
		return r;
	if (f->state_dirty) {
		save_state(f);
		f->state_dirty = false;
	}
	for (size_t i = 0; i < f->n_nets;) {
		struct f_net *n = &f->nets[i];

		if (!n->mark) {
			net_gone(f, n);
			continue;
		}
		r = own_block_ensure(f, n, e);
		if (r < 0)
			return berr_wrap(e, r, "network %s", n->def.name);
		r = sync_net(f, n, e);
		if (r < 0) {
			/* one network's trouble does not hold up the others */
			log_warn("fabric: %s", berr_message(e));
			set_error(f, e);
			berr_clear(e);
		}
		i++;
	}
	r = publish_names(f, e);
	if (r < 0)
		return r;
	f->watch_next = f->rev + 1;
	r = etcd_watch_open(f->etcd, FABRIC_PREFIX, f->watch_next, &f->watch, e);
	if (r < 0)
		return r;
	f->synced_at = time(NULL);
	f->resync_at = bclock_now_ms() + f->cfg.resync_ms;
	log_debug("fabric: listed at revision %" PRId64 ": %zu host(s), %zu block(s), %zu network(s) in %lld ms",
		  f->rev, f->n_nodes, f->n_blocks, f->n_nets, bclock_now_ms() - t0);
	return 0;
}

/* ------------------------------------------------------------------ creating and removing networks */

/* The VNIs etcd has given out. */
static int vnis_taken(struct fabric *f, uint32_t *ret_max, struct berr *e)
{
	struct etcd_kvs kvs = {0};
	uint32_t max = 0;
	int r;

	r = etcd_range(f->etcd, FABRIC_PREFIX "vnis/", true, &kvs, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < kvs.n; i++) {
		struct fabric_key k;

		if (fabric_key_parse(kvs.v[i].key, &k) == FK_VNI && k.vni > max)
			max = k.vni;
	}
	etcd_kvs_clear(&kvs);
	*ret_max = max;
	return 0;
}

int ag_network_create(struct fabric *f, const struct fabric_net *req, struct berr *e)
{
	struct fabric_net def = *req;
	char nkey[FABRIC_KEY_MAX], vkey[FABRIC_KEY_MAX];
	struct f_net *n;
	uint32_t max;
	int r;

	r = fabric_net_check(&def, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n_nets; i++) {
		const struct fabric_net *o = &f->nets[i].def;
		char c[BADDR_CIDR6_STRLEN];

		if (strcmp(o->name, def.name) == 0)
			continue;
		if (fabric_net_has4(o) && fabric_net_has4(&def) && baddr_overlap4(&o->subnet, &def.subnet))
			return berr_set(e, -EEXIST, "subnet of fabric network '%s' overlaps fabric network '%s' (%s)",
					def.name, o->name, baddr_fmt_cidr4(&o->subnet, c));
		if (fabric_net_has6(o) && fabric_net_has6(&def) && baddr_overlap6(&o->subnet6, &def.subnet6))
			return berr_set(e, -EEXIST, "subnet6 of fabric network '%s' overlaps fabric network '%s' (%s)",
					def.name, o->name, baddr_fmt_cidr6(&o->subnet6, c));
	}
	if (fabric_key_network(nkey, sizeof(nkey), def.name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	r = vnis_taken(f, &max, e);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *text = NULL;
		struct etcd_kvs kvs = {0};
		bool ok = false;

		if (attempt == 16)
			return berr_set(e, -EAGAIN, "fabric network '%s': no VNI could be taken after 16 tries",
					def.name);
		def.vni = max + 1 + (uint32_t)attempt;
		text = fabric_net_to_json(&def);
		if (!text || fabric_key_vni(vkey, sizeof(vkey), def.vni) < 0)
			return berr_oom(e);
		{
			struct etcd_cmp cmp[2] = {
				{.key = nkey, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL},
				{.key = vkey, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL},
			};
			struct etcd_op put[2] = {
				{.type = ETCD_OP_PUT, .key = nkey, .value = text, .value_len = strlen(text)},
				{.type = ETCD_OP_PUT, .key = vkey, .value = def.name, .value_len = strlen(def.name)},
			};
			struct etcd_op get = {.type = ETCD_OP_RANGE, .key = nkey};

			r = etcd_txn(f->etcd, cmp, 2, put, 2, &get, 1, &ok, &kvs, e);
			if (r < 0)
				return r;
		}
		if (ok)
			break;
		if (kvs.n == 1) {
			struct fabric_net cur;
			char c[BADDR_CIDR4_STRLEN], c6[BADDR_CIDR6_STRLEN];

			r = fabric_net_from_json(kvs.v[0].value, kvs.v[0].value_len, &cur, e);
			etcd_kvs_clear(&kvs);
			if (r < 0)
				return r;
			if (!fabric_net_same(&cur, &def))
				return berr_set(
					e, -EEXIST,
					"fabric network '%s' exists with subnet %s, host prefix /%u, subnet6 %s, "
					"IPv6 host prefix /%u, mode %s",
					def.name, fabric_net_has4(&cur) ? baddr_fmt_cidr4(&cur.subnet, c) : "none",
					cur.host_prefix,
					fabric_net_has6(&cur) ? baddr_fmt_cidr6(&cur.subnet6, c6) : "none",
					cur.host_prefix6, fabric_mode_name(cur.mode));
			def = cur; /* the same definition: creating it again is success */
			break;
		}
		etcd_kvs_clear(&kvs);
	}
	n = ag_net(f, def.name);
	if (!n) {
		if (BARRAY_RESERVE(f->nets, f->cap_nets, f->n_nets + 1) < 0)
			return berr_oom(e);
		n = &f->nets[f->n_nets++];
		memset(n, 0, sizeof(*n));
	}
	n->def = def;
	n->mark = true;
	r = own_block_ensure(f, n, e);
	if (r == 0)
		r = sync_net(f, n, e);
	return r;
}

int ag_network_remove(struct fabric *f, const char *name, struct berr *e)
{
	struct eng_endpoint *eps = NULL;
	char nkey[FABRIC_KEY_MAX], vkey[FABRIC_KEY_MAX], bkey[FABRIC_KEY_MAX];
	struct f_net *n = ag_net(f, name);
	size_t n_eps = 0;
	bool ok;
	int r;

	if (!n)
		return berr_set(e, -ENOENT, "no fabric network '%s'", name);
	r = eng_endpoint_list(f->eng, name, NULL, &eps, &n_eps, NULL);
	eng_endpoints_free(eps, n_eps);
	if (r == 0 && n_eps)
		return berr_set(e, -EBUSY, "network '%s' has %zu endpoint%s on this host: detach them first", name,
				n_eps, n_eps == 1 ? "" : "s");
	if (fabric_key_network(nkey, sizeof(nkey), name) < 0 || fabric_key_vni(vkey, sizeof(vkey), n->def.vni) < 0 ||
	    fabric_key_blocks(bkey, sizeof(bkey), name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	{
		struct etcd_op del[3] = {
			{.type = ETCD_OP_DELETE, .key = nkey},
			{.type = ETCD_OP_DELETE, .key = vkey},
			{.type = ETCD_OP_DELETE, .key = bkey, .prefix = true},
		};

		r = etcd_txn(f->etcd, NULL, 0, del, 3, NULL, 0, &ok, NULL, e);
		if (r < 0)
			return r;
	}
	r = ag_local_remove(f, n, e);
	if (r < 0)
		return r;
	net_gone(f, n);
	return 0;
}

/* ------------------------------------------------------------------ watch events */

static int on_event(void *arg, const struct etcd_event *ev, int64_t rev)
{
	struct fabric *f = arg;
	long long now = bclock_now_ms();
	struct fabric_key k;

	f->status_dirty = true;
	if (rev > f->rev)
		f->rev = rev;
	if (ev->kv.mod_rev > f->watch_next)
		f->watch_next = ev->kv.mod_rev;
	switch (fabric_key_parse(ev->kv.key, &k)) {
	case FK_NODE: {
		struct f_node *n = ag_node(f, k.name, false);

		if (ev->deleted) {
			if (strcmp(k.name, f->cfg.node) == 0) {
				/* our own registration went (lease lost, or deleted by hand): register again */
				log_warn("fabric: this host's node key was deleted; registering again");
				f->relist = true;
				return 0;
			}
			if (n && n->alive) {
				log_info("fabric: host %s left; its routes go in %u ms unless it returns", k.name,
					 f->cfg.grace_ms);
				n->alive = false;
				n->seen = time(NULL);
				n->gone_ms = now;
			}
			return 0;
		}
		if (apply_kv(f, &ev->kv, now) < 0)
			return -ENOMEM;
		n = ag_node(f, k.name, false);
		if (n && strcmp(k.name, f->cfg.node) != 0)
			program_node(f, k.name, true);
		return 0;
	}
	case FK_NETWORK: {
		struct f_net *n = ag_net(f, k.name);
		struct berr e = BERR_INIT;

		if (ev->deleted) {
			if (n)
				net_gone(f, n);
			return 0;
		}
		if (apply_kv(f, &ev->kv, now) < 0)
			return -ENOMEM;
		n = ag_net(f, k.name);
		if (!n)
			return 0;
		if (own_block_ensure(f, n, &e) < 0 || sync_net(f, n, &e) < 0) {
			log_warn("fabric: network %s: %s", k.name, berr_message(&e));
			set_error(f, &e);
		}
		return 0;
	}
	case FK_BLOCK: {
		struct f_block *b = find_block(f, k.name, &k.block);
		struct fabric_ul old = {0};
		struct fabric_block oldval = {.node = ""};

		if (ev->deleted) {
			if (!b)
				return 0;
			if (strcmp(b->val.node, f->cfg.node) == 0) {
				/* our block's key went (by hand, or our lease): claim it again */
				log_warn("fabric: this host's block of %s was deleted in etcd; claiming it again",
					 k.name);
				f->relist = true;
				return 0;
			}
			if (b->programmed)
				program_block(f, b, false);
			drop_block(f, b);
			return 0;
		}
		if (b && b->programmed) {
			old = b->val.underlay;
			oldval = b->val;
		}
		if (apply_kv(f, &ev->kv, now) < 0)
			return -ENOMEM;
		b = find_block(f, k.name, &k.block);
		if (b && block_wanted(f, b, now)) {
			program_block(f, b, true);
		} else if (b && b->programmed) {
			/* no longer wanted (its underlay is now of the other family): its entries go, as they were */
			struct fabric_block cur = b->val;

			b->val = oldval;
			program_block(f, b, false);
			b->val = cur;
		}
		/* the host came back with another underlay address: the old one is no source any more */
		if (b && !fabric_ul_none(&old) && !fabric_ul_eq(&old, &b->val.underlay)) {
			struct f_net *n = ag_net(f, b->net);

			if (n && n->def.mode == FABRIC_VXLAN)
				vxlan_source(f, NULL, &old, false);
		}
		return 0;
	}
	default:
		return ag_names_event(f, ev);
	}
}

/* ------------------------------------------------------------------ timers */

static bool node_has_blocks(struct fabric *f, const char *node)
{
	for (size_t i = 0; i < f->n_blocks; i++)
		if (strcmp(f->blocks[i].val.node, node) == 0)
			return true;
	return false;
}

static void grace_expire(struct fabric *f, long long now)
{
	for (size_t i = 0; i < f->n_nodes;) {
		struct f_node *n = &f->nodes[i];

		/* gone, and its blocks returned to the pool: nothing left to show */
		if (n->expired && !node_has_blocks(f, n->name)) {
			f->nodes[i] = f->nodes[--f->n_nodes];
			f->status_dirty = true;
			continue;
		}
		i++;
		if (n->alive || n->expired || now - n->gone_ms < (long long)f->cfg.grace_ms)
			continue;
		log_info("fabric: host %s is gone: removing its routes", n->name);
		n->expired = true;
		program_node(f, n->name, false);
		f->status_dirty = true;
	}
}

static long long next_timer(struct fabric *f, long long now)
{
	long long t = now + 1000;

	if (f->online) {
		if (f->node_ka_at < t)
			t = f->node_ka_at;
		if (f->block_ka_at < t)
			t = f->block_ka_at;
		if (f->resync_at < t)
			t = f->resync_at;
	}
	for (size_t i = 0; i < f->n_nodes; i++) {
		struct f_node *n = &f->nodes[i];
		long long at = n->gone_ms + f->cfg.grace_ms;

		if (!n->alive && !n->expired && at < t)
			t = at;
	}
	return t;
}

static void went_offline(struct fabric *f, const struct berr *e)
{
	if (!f->degraded)
		log_warn("fabric: etcd: %s; the data plane stays as it is", berr_message(e));
	f->degraded = etcd_unreachable(e->code);
	f->online = false;
	set_error(f, e);
	f->retry_at = bclock_now_ms() + 1000;
	f->status_dirty = true;
	etcd_watch_close(f->watch);
	f->watch = NULL;
}

static void timers(struct fabric *f, long long now)
{
	struct berr e = BERR_INIT;
	int r = 0;

	grace_expire(f, now);
	if (!f->online)
		return;
	if (f->relist || now >= f->resync_at) {
		f->relist = false;
		f->online = false;
		f->retry_at = now;
		return;
	}
	if (now >= f->node_ka_at) {
		r = etcd_lease_keepalive(f->etcd, f->node_lease, NULL, &e);
		f->node_ka_at = now + (long long)f->cfg.node_ttl_s * 1000 / 3;
	}
	if (r == 0 && now >= f->block_ka_at) {
		r = etcd_lease_keepalive(f->etcd, f->block_lease, NULL, &e);
		f->block_ka_at = now + ag_block_ka_ms(f);
	}
	if (r == -ENOENT) {
		/* a lease ran out: go_online takes a new one and puts our keys back */
		f->online = false;
		f->retry_at = now;
	} else if (r < 0) {
		went_offline(f, &e);
	}
}

/*
 * A stream that broke after etcd had confirmed it (a connection reset, a
 * proxy's timeout) is picked up where it broke: a watch from the last
 * event's revision, no listing. When etcd has compacted that revision
 * meanwhile it cancels the new watch, and the agent lists again. A stream
 * that breaks again within a second, or one that never started, is listed
 * again at once. 0: watching again.
 */
static int watch_resume(struct fabric *f, int err, struct berr *e)
{
	long long now = bclock_now_ms();
	struct berr e2 = BERR_INIT;

	if (err != -EPIPE || !etcd_watch_created(f->watch) || now - f->resumed_at < 1000)
		return -EAGAIN;
	etcd_watch_close(f->watch);
	f->watch = NULL;
	if (etcd_watch_open(f->etcd, FABRIC_PREFIX, f->watch_next, &f->watch, &e2) < 0)
		return berr_set(e, e2.code, "watching again: %s", berr_message(&e2));
	log_info("fabric: %s: watching again from revision %" PRId64, berr_message(e), f->watch_next);
	f->resumed_at = now;
	return 0;
}

/* ------------------------------------------------------------------ the thread */

static void *agent_main(void *arg)
{
	struct fabric *f = arg;
	struct berr e = BERR_INIT;

	load_state(f);
	while (!ag_stopping(f)) {
		long long now = bclock_now_ms();
		int timeout;

		if (!f->have_ul) {
			berr_clear(&e);
			int family = f->cfg.underlay_family == 6   ? AF_INET6
				     : f->cfg.underlay_family == 4 ? AF_INET
								   : AF_UNSPEC;

			if (fk_underlay_find(f->nl, f->cfg.underlay, family, &f->ul, &e) == 0) {
				f->have_ul = true;
			} else if (strcmp(f->last_err, berr_message(&e)) != 0) {
				log_error("fabric: %s", berr_message(&e));
				set_error(f, &e);
				f->status_dirty = true;
			}
		}
		if (f->have_ul && !f->online && now >= f->retry_at) {
			berr_clear(&e);
			if (go_online(f, &e) < 0) {
				went_offline(f, &e);
			} else {
				if (f->degraded || f->last_err[0])
					log_info("fabric: joined through %s", etcd_endpoint(f->etcd));
				f->online = true;
				f->degraded = false;
				f->last_err[0] = '\0';
				f->status_dirty = true;
			}
		}
		if (f->online && atomic_load(&f->names_dirty)) {
			berr_clear(&e);
			if (publish_names(f, &e) < 0)
				went_offline(f, &e);
		}
		ag_requests(f);
		if (ag_resync_asked(f))
			f->relist = true;
		timers(f, bclock_now_ms());
		if (f->status_dirty)
			ag_publish(f);
		now = bclock_now_ms();
		timeout = (int)(next_timer(f, now) - now);
		if (timeout < 0)
			timeout = 0;
		if (f->online && f->watch) {
			bool created = etcd_watch_created(f->watch);
			int r;

			berr_clear(&e);
			r = etcd_watch_poll(f->watch, timeout, f->wake_fd, on_event, f, &e);
			if (r == 0 && !created && etcd_watch_created(f->watch))
				f->status_dirty = true; /* in sync from now on */
			if (r < 0 && watch_resume(f, r, &e) == 0) {
				f->status_dirty = true;
			} else if (r < 0) {
				log_info("fabric: %s: listing again", berr_message(&e));
				etcd_watch_close(f->watch);
				f->watch = NULL;
				f->online = false;
				f->retry_at = bclock_now_ms() + (r == -ECANCELED ? 0 : 200);
				f->status_dirty = true;
			}
		} else {
			struct pollfd p = {.fd = f->wake_fd, .events = POLLIN};

			poll(&p, 1, timeout);
		}
		{
			uint64_t v;

			if (read(f->wake_fd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
	}
	etcd_watch_close(f->watch);
	f->watch = NULL;
	return NULL;
}

int ag_thread_start(struct fabric *f, struct berr *e)
{
	int r = pthread_create(&f->thread, NULL, agent_main, f);

	if (r != 0)
		return berr_sys(e, -r, "fabric: start the agent thread");
	f->thread_started = true;
	return 0;
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
