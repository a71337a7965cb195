/* The fabric's names: this host's endpoints published in etcd on its short lease, other hosts' fed to netd's DNS. */
/*
 * One key per endpoint interface with a name or an alias, on a fabric
 * network: FABRIC_NAMES_PREFIX<network>/<node>/<id>/<ifname>, attached to
 * the host's short ("alive") lease, so a host that dies takes its names
 * with it. The value is compact JSON with sorted keys, so the same entry
 * is always the same text:
 *
 *   {"addresses":["10.70.1.2","fd70:0:1::2"],"aliases":["www"],"name":"web"}
 *
 * (the IPv4 address first, then the IPv6 one, each when the endpoint has it)
 *
 * Publishing compares what the names index holds locally (source "local",
 * which netd's attaches, detaches and the store's watch keep, berth-cni's
 * attaches included) with the keys etcd has for this host, and writes the
 * difference in transactions. Other hosts' keys go into the index under
 * "fabric:<node>": one at a time from watch events, and per (network, node)
 * with names_replace from a full listing. The index is locked only to copy
 * or change entries, never across a call to etcd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "log.h"
#include "netd/engine/names.h"
#include "netd/fabric/agent.h"

/* etcd's default --max-txn-ops is 128 */
#define TXN_OPS 100
#define SOURCE_MAX (sizeof("fabric:") + FABRIC_NAME_MAX)

/* A key of this host's in etcd. */
struct f_pub {
	char *key, *val;
	int64_t lease;
};

/* Entries of one host on one network, fed to the index. */
struct f_fed {
	char node[FABRIC_NAME_MAX + 1];
	char net[FABRIC_NAME_MAX + 1];
};

struct f_names {
	struct f_pub *pub; /* this host's keys as etcd has them, sorted by key */
	size_t n_pub, cap_pub;
	struct f_fed *fed;
	size_t n_fed, cap_fed;
	bool listed_connected; /* the last listing fed the index */
};

struct name_key {
	char net[FABRIC_NAME_MAX + 1], node[FABRIC_NAME_MAX + 1], id[ENG_ID_MAX + 1], ifname[16];
};

/* ------------------------------------------------------------------ helpers */

static struct f_names *fnames(struct fabric *f)
{
	if (!f->names)
		f->names = calloc(1, sizeof(*f->names));
	return f->names;
}

static bool names_ops(struct fabric *f, struct fabric_names_ops *ret)
{
	pthread_mutex_lock(&f->mu);
	*ret = f->names_ops;
	pthread_mutex_unlock(&f->mu);
	return ret->acquire != NULL;
}

static void source_name(char *buf, size_t len, const char *node)
{
	snprintf(buf, len, "fabric:%s", node);
}

static bool key_parse(const char *key, struct name_key *ret)
{
	char *part[4] = {ret->net, ret->node, ret->id, ret->ifname};
	const size_t cap[4] = {sizeof(ret->net), sizeof(ret->node), sizeof(ret->id), sizeof(ret->ifname)};
	const char *p = key + strlen(FABRIC_NAMES_PREFIX);

	if (strncmp(key, FABRIC_NAMES_PREFIX, strlen(FABRIC_NAMES_PREFIX)) != 0)
		return false;
	for (int i = 0; i < 4; i++) {
		const char *end = i < 3 ? strchr(p, '/') : p + strlen(p);
		size_t len;

		if (!end)
			return false;
		len = (size_t)(end - p);
		if (len == 0 || len >= cap[i])
			return false;
		memcpy(part[i], p, len);
		part[i][len] = '\0';
		p = end + 1;
	}
	return bname_valid(ret->net, FABRIC_NAME_MAX) && bname_valid(ret->node, FABRIC_NAME_MAX) &&
	       bname_valid(ret->id, ENG_ID_MAX) && bifname_valid(ret->ifname);
}

static void pub_clear(struct f_pub *p)
{
	free(p->key);
	free(p->val);
}

static void pubs_free(struct f_pub *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pub_clear(&v[i]);
	free(v);
}

/* The index of key in the sorted pub[], or where it would go (*ret_found false). */
static size_t pub_find(const struct f_names *fn, const char *key, bool *ret_found)
{
	size_t lo = 0, hi = fn->n_pub;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(fn->pub[mid].key, key);

		if (c == 0) {
			*ret_found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = false;
	return lo;
}

static int pub_set(struct f_names *fn, const char *key, const char *val, size_t len, int64_t lease)
{
	bool found;
	size_t i = pub_find(fn, key, &found);
	char *v = strndup(val, len), *k = found ? NULL : strdup(key);

	if (!v || (!found && !k) || (!found && BARRAY_RESERVE(fn->pub, fn->cap_pub, fn->n_pub + 1) < 0)) {
		free(v);
		free(k);
		return -ENOMEM;
	}
	if (found) {
		free(fn->pub[i].val);
	} else {
		memmove(&fn->pub[i + 1], &fn->pub[i], (fn->n_pub - i) * sizeof(*fn->pub));
		fn->pub[i].key = k;
		fn->n_pub++;
	}
	fn->pub[i].val = v;
	fn->pub[i].lease = lease;
	return 0;
}

static void pub_remove(struct f_names *fn, const char *key)
{
	bool found;
	size_t i = pub_find(fn, key, &found);

	if (!found)
		return;
	pub_clear(&fn->pub[i]);
	memmove(&fn->pub[i], &fn->pub[i + 1], (fn->n_pub - i - 1) * sizeof(*fn->pub));
	fn->n_pub--;
}

static bool fed_has(const struct f_fed *v, size_t n, const char *node, const char *net)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].node, node) == 0 && strcmp(v[i].net, net) == 0)
			return true;
	return false;
}

static int fed_add(struct f_fed **v, size_t *n, size_t *cap, const char *node, const char *net)
{
	if (fed_has(*v, *n, node, net))
		return 0;
	if (BARRAY_RESERVE(*v, *cap, *n + 1) < 0)
		return -ENOMEM;
	snprintf((*v)[*n].node, sizeof((*v)[*n].node), "%s", node);
	snprintf((*v)[*n].net, sizeof((*v)[*n].net), "%s", net);
	(*n)++;
	return 0;
}

/*
 * Another host's entry from its key and value: pointers into k, j and al
 * (room for ENG_MAX_ALIASES). False when the value is not a valid entry
 * (no address, no name at all, or a name DNS would not carry); the first
 * address of each family counts.
 */
static bool remote_ep(const struct name_key *k, const char *source, json_t *j, const char **al, struct names_ep *ret)
{
	json_t *name = json_object_get(j, "name"), *aliases = json_object_get(j, "aliases"), *v;
	size_t i;

	*ret = (struct names_ep){.source = source, .network = k->net, .id = k->id, .ifname = k->ifname};
	if (!json_is_object(j))
		return false;
	if (name && !json_is_null(name)) {
		if (!json_is_string(name) || !bdns_name_valid(json_string_value(name)))
			return false;
		ret->name = json_string_value(name);
	}
	if (aliases && (!json_is_array(aliases) || json_array_size(aliases) > ENG_MAX_ALIASES))
		return false;
	json_array_foreach (aliases, i, v) {
		if (!json_is_string(v) || !bdns_name_valid(json_string_value(v)))
			return false;
		al[ret->n_aliases++] = json_string_value(v);
	}
	ret->aliases = al;
	json_array_foreach (json_object_get(j, "addresses"), i, v) {
		struct in_addr a;
		struct in6_addr a6;

		if (!json_is_string(v))
			continue;
		if (!ret->ip4 && inet_pton(AF_INET, json_string_value(v), &a) == 1)
			ret->ip4 = ntohl(a.s_addr);
		else if (baddr_zero6(&ret->ip6) && inet_pton(AF_INET6, json_string_value(v), &a6) == 1)
			ret->ip6 = a6;
	}
	return (ret->ip4 || !baddr_zero6(&ret->ip6)) && (ret->name || ret->n_aliases);
}

/* ------------------------------------------------------------------ a full listing */

/* One (network, node) group of a listing, fed in place of what the index had of it. */
struct group {
	struct name_key *keys;
	json_t **vals;
	const char **al; /* ENG_MAX_ALIASES per entry */
	struct names_ep *eps;
	size_t n, cap;
};

static void group_reset(struct group *g)
{
	for (size_t i = 0; i < g->n; i++)
		json_decref(g->vals[i]);
	g->n = 0;
}

static void group_free(struct group *g)
{
	group_reset(g);
	free(g->keys);
	free(g->vals);
	free(g->al);
	free(g->eps);
}

static int group_push(struct group *g, const struct name_key *k, const struct etcd_kv *kv)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct name_key *keys = realloc(g->keys, cap * sizeof(*keys));
		json_t **vals = keys ? realloc(g->vals, cap * sizeof(*vals)) : NULL;

		if (keys)
			g->keys = keys;
		if (vals)
			g->vals = vals;
		if (!keys || !vals)
			return -ENOMEM;
		g->cap = cap;
	}
	g->keys[g->n] = *k;
	g->vals[g->n] = json_loadb(kv->value, kv->value_len, 0, NULL);
	g->n++;
	return 0;
}

/* The group into the index: in place of what it had of (network, node), or added to it (append). */
static int group_feed(const struct fabric_names_ops *ops, struct group *g, bool append)
{
	char source[SOURCE_MAX];
	size_t k = 0;
	struct names *nx;
	int r = 0;

	if (!g->n)
		return 0;
	free(g->al);
	free(g->eps);
	g->al = calloc(g->n * ENG_MAX_ALIASES, sizeof(*g->al));
	g->eps = calloc(g->n, sizeof(*g->eps));
	if (!g->al || !g->eps)
		return -ENOMEM;
	source_name(source, sizeof(source), g->keys[0].node);
	for (size_t i = 0; i < g->n; i++)
		if (remote_ep(&g->keys[i], source, g->vals[i], &g->al[i * ENG_MAX_ALIASES], &g->eps[k]))
			k++;
	nx = ops->acquire(ops->arg);
	if (append) {
		for (size_t i = 0; i < k && r == 0; i++)
			r = names_put(nx, &g->eps[i]);
	} else {
		r = names_replace(nx, source, g->keys[0].net, g->eps, k);
	}
	ops->release(ops->arg);
	return r;
}

int ag_names_listed(struct fabric *f, const struct etcd_kvs *kvs)
{
	struct f_names *fn = fnames(f);
	struct fabric_names_ops ops;
	bool connected = names_ops(f, &ops);
	struct f_fed *fed = NULL;
	size_t n_fed = 0, cap_fed = 0;
	struct group g = {0};
	int r = 0;

	if (!fn)
		return -ENOMEM;
	for (size_t i = 0; i < fn->n_pub; i++)
		pub_clear(&fn->pub[i]);
	fn->n_pub = 0;
	/* keys come sorted: one (network, node) group's keys are next to each other */
	for (size_t i = 0; r == 0 && i <= kvs->n; i++) {
		const struct etcd_kv *kv = i < kvs->n ? &kvs->v[i] : NULL;
		struct name_key k;

		if (kv && !key_parse(kv->key, &k))
			continue;
		if (kv && strcmp(k.node, f->cfg.node) == 0) {
			r = pub_set(fn, kv->key, kv->value, kv->value_len, kv->lease);
			continue;
		}
		if (kv && (!ag_net(f, k.net) || !connected))
			continue;
		if (g.n && (!kv || strcmp(g.keys[0].net, k.net) != 0 || strcmp(g.keys[0].node, k.node) != 0)) {
			bool seen = fed_has(fed, n_fed, g.keys[0].node, g.keys[0].net);

			r = group_feed(&ops, &g, seen);
			if (r == 0)
				r = fed_add(&fed, &n_fed, &cap_fed, g.keys[0].node, g.keys[0].net);
			group_reset(&g);
		}
		if (kv && r == 0)
			r = group_push(&g, &k, kv);
	}
	group_free(&g);
	if (r < 0) {
		free(fed);
		return r;
	}
	/* groups the index has that the listing does not: their host left, or took its names away */
	if (connected && fn->n_fed) {
		struct names *nx = ops.acquire(ops.arg);

		for (size_t i = 0; i < fn->n_fed; i++) {
			char source[SOURCE_MAX];

			if (fed_has(fed, n_fed, fn->fed[i].node, fn->fed[i].net))
				continue;
			source_name(source, sizeof(source), fn->fed[i].node);
			names_del(nx, source, fn->fed[i].net, NULL, NULL);
		}
		ops.release(ops.arg);
	}
	free(fn->fed);
	fn->fed = fed;
	fn->n_fed = n_fed;
	fn->cap_fed = cap_fed;
	fn->listed_connected = connected;
	return 0;
}

/* ------------------------------------------------------------------ watch events */

static int own_event(struct fabric *f, struct f_names *fn, const struct etcd_event *ev)
{
	if (ev->deleted) {
		/* deleted by hand, or our lease went: put it back if it is still ours */
		pub_remove(fn, ev->kv.key);
		atomic_store(&f->names_dirty, true);
		return 0;
	}
	return pub_set(fn, ev->kv.key, ev->kv.value, ev->kv.value_len, ev->kv.lease);
}

int ag_names_event(struct fabric *f, const struct etcd_event *ev)
{
	struct f_names *fn = fnames(f);
	struct fabric_names_ops ops;
	_cleanup_json_ json_t *j = NULL;
	const char *al[ENG_MAX_ALIASES];
	char source[SOURCE_MAX];
	struct names_ep ep;
	struct name_key k;
	struct names *nx;
	int r = 0;

	if (!key_parse(ev->kv.key, &k))
		return 0;
	if (!fn)
		return -ENOMEM;
	if (strcmp(k.node, f->cfg.node) == 0)
		return own_event(f, fn, ev);
	if (!ag_net(f, k.net) || !names_ops(f, &ops))
		return 0;
	source_name(source, sizeof(source), k.node);
	if (!ev->deleted)
		j = json_loadb(ev->kv.value, ev->kv.value_len, 0, NULL);
	nx = ops.acquire(ops.arg);
	/* an entry that is no longer valid leaves, as a deleted one */
	if (!ev->deleted && remote_ep(&k, source, j, al, &ep))
		r = names_put(nx, &ep);
	else
		names_del(nx, source, k.net, k.id, k.ifname);
	ops.release(ops.arg);
	if (r == 0 && !ev->deleted)
		r = fed_add(&fn->fed, &fn->n_fed, &fn->cap_fed, k.node, k.net);
	return r;
}

void ag_names_net_gone(struct fabric *f, const char *network)
{
	struct f_names *fn = f->names;
	struct fabric_names_ops ops;
	struct names *nx;

	if (!fn || !names_ops(f, &ops))
		return;
	nx = ops.acquire(ops.arg);
	for (size_t i = 0; i < fn->n_fed;) {
		char source[SOURCE_MAX];

		if (strcmp(fn->fed[i].net, network) != 0) {
			i++;
			continue;
		}
		source_name(source, sizeof(source), fn->fed[i].node);
		names_del(nx, source, network, NULL, NULL);
		fn->fed[i] = fn->fed[--fn->n_fed];
	}
	ops.release(ops.arg);
}

/* ------------------------------------------------------------------ publishing */

/* What this host should have in etcd: a key and its value. */
struct want {
	char *key, *val;
};

struct snap {
	struct fabric *f;
	struct want *v;
	size_t n, cap;
};

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->key, ((const struct want *)b)->key);
}

/*
 * A local entry as a key and value (called with the index locked: no JSON
 * library, only copies; names are DNS names, which need no escaping).
 */
static int want_local(const struct names_ep *ep, void *arg)
{
	struct snap *s = arg;
	_cleanup_bbuf_ struct bbuf key = BBUF_INIT, val = BBUF_INIT;
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(ep->ip4)};
	bool named = ep->name && bdns_name_valid(ep->name), has6 = !baddr_zero6(&ep->ip6);
	int r;

	if (strcmp(ep->source, NAMES_SOURCE_LOCAL) != 0 || (!ep->ip4 && !has6) || !bname_valid(ep->id, ENG_ID_MAX) ||
	    !bifname_valid(ep->ifname))
		return 0;
	for (size_t i = 0; i < ep->n_aliases && !named; i++)
		named = bdns_name_valid(ep->aliases[i]);
	if (!named)
		return 0;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	inet_ntop(AF_INET6, &ep->ip6, ip6, sizeof(ip6));
	r = bbuf_printf(&key, "%s%s/%s/%s/%s", FABRIC_NAMES_PREFIX, ep->network, s->f->cfg.node, ep->id, ep->ifname);
	/* an IPv4-only endpoint's value is the text of the versions before IPv6 */
	if (r == 0)
		r = bbuf_printf(&val, "{\"addresses\":[%s%s%s%s%s%s%s],\"aliases\":[", ep->ip4 ? "\"" : "",
				ep->ip4 ? ip : "", ep->ip4 ? "\"" : "", ep->ip4 && has6 ? "," : "", has6 ? "\"" : "",
				has6 ? ip6 : "", has6 ? "\"" : "");
	for (size_t i = 0, k = 0; r == 0 && i < ep->n_aliases; i++)
		if (bdns_name_valid(ep->aliases[i]))
			r = bbuf_printf(&val, "%s\"%s\"", k++ ? "," : "", ep->aliases[i]);
	if (r == 0 && ep->name && bdns_name_valid(ep->name))
		r = bbuf_printf(&val, "],\"name\":\"%s\"}", ep->name);
	else if (r == 0)
		r = bbuf_append(&val, "]}", 2);
	if (r < 0 || BARRAY_RESERVE(s->v, s->cap, s->n + 1) < 0)
		return -ENOMEM;
	s->v[s->n].key = bbuf_steal(&key, NULL);
	s->v[s->n].val = bbuf_steal(&val, NULL);
	if (!s->v[s->n].key || !s->v[s->n].val) {
		free(s->v[s->n].key);
		free(s->v[s->n].val);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static void wants_free(struct want *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

/* This host's entries on its fabric networks, sorted by key. */
static int snapshot(struct fabric *f, const struct fabric_names_ops *ops, struct snap *s)
{
	struct names *nx = ops->acquire(ops->arg);
	int r = 0;

	for (size_t i = 0; r == 0 && i < f->n_nets; i++)
		if (f->nets[i].local_ok)
			r = names_foreach(nx, f->nets[i].def.name, want_local, s);
	ops->release(ops->arg);
	if (r < 0)
		return r;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_want);
	return 0;
}

static int run_ops(struct fabric *f, const struct etcd_op *ops, size_t n, struct berr *e)
{
	bool ok;

	return n ? etcd_txn(f->etcd, NULL, 0, ops, n, NULL, 0, &ok, NULL, e) : 0;
}

int ag_names_publish(struct fabric *f, struct berr *e)
{
	struct f_names *fn = fnames(f);
	struct fabric_names_ops nops;
	struct snap s = {.f = f};
	struct etcd_op ops[TXN_OPS];
	size_t i = 0, k = 0, n_ops = 0, puts = 0, dels = 0;
	int r;

	atomic_store(&f->names_dirty, false);
	if (!fn)
		return berr_oom(e);
	if (!names_ops(f, &nops))
		return 0;
	if (!fn->listed_connected) {
		/* connected since the last listing: list again, which feeds the index */
		f->relist = true;
		return 0;
	}
	r = snapshot(f, &nops, &s);
	if (r < 0) {
		wants_free(s.v, s.n);
		return berr_oom(e);
	}
	/* a merge of two sorted lists: what is missing or differs is put, what is no longer here deleted */
	while (r == 0 && (i < s.n || k < fn->n_pub)) {
		int c = i == s.n ? 1 : k == fn->n_pub ? -1 : strcmp(s.v[i].key, fn->pub[k].key);

		if (c < 0 ||
		    (c == 0 && (strcmp(s.v[i].val, fn->pub[k].val) != 0 || fn->pub[k].lease != f->node_lease))) {
			ops[n_ops++] = (struct etcd_op){.type = ETCD_OP_PUT,
							.key = s.v[i].key,
							.value = s.v[i].val,
							.value_len = strlen(s.v[i].val),
							.lease = f->node_lease};
			puts++;
		} else if (c > 0) {
			ops[n_ops++] = (struct etcd_op){.type = ETCD_OP_DELETE, .key = fn->pub[k].key};
			dels++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			k++;
		if (n_ops == TXN_OPS) {
			r = run_ops(f, ops, n_ops, e);
			n_ops = 0;
		}
	}
	if (r == 0)
		r = run_ops(f, ops, n_ops, e);
	if (r < 0) {
		/* some went, some not: the next listing says which */
		wants_free(s.v, s.n);
		return berr_wrap(e, r, "publishing this host's names");
	}
	/* etcd now holds exactly the snapshot */
	for (i = 0; i < fn->n_pub; i++)
		pub_clear(&fn->pub[i]);
	fn->n_pub = 0;
	if (BARRAY_RESERVE(fn->pub, fn->cap_pub, s.n) < 0) {
		wants_free(s.v, s.n);
		return berr_oom(e);
	}
	for (i = 0; i < s.n; i++)
		fn->pub[i] = (struct f_pub){.key = s.v[i].key, .val = s.v[i].val, .lease = f->node_lease};
	fn->n_pub = s.n;
	free(s.v);
	if (puts || dels)
		log_debug("fabric: names: %zu put, %zu deleted", puts, dels);
	return 0;
}

void ag_names_free(struct fabric *f)
{
	if (!f->names)
		return;
	pubs_free(f->names->pub, f->names->n_pub);
	free(f->names->fed);
	free(f->names);
	f->names = NULL;
}

/* ------------------------------------------------------------------ netd's side */

void fabric_names_connect(struct fabric *f, const struct fabric_names_ops *ops)
{
	pthread_mutex_lock(&f->mu);
	f->names_ops = ops ? *ops : (struct fabric_names_ops){0};
	pthread_mutex_unlock(&f->mu);
	fabric_names_changed(f);
}

void fabric_names_changed(void *arg)
{
	struct fabric *f = arg;
	uint64_t one = 1;

	atomic_store(&f->names_dirty, true);
	if (write(f->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the agent wakes anyway */
	}
}
