/* The names index: entries per endpoint, hashed by name, by address and by container. */
#include "netd/engine/names.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "strv.h"

struct nent;

/* One name or alias of an entry in the name table. */
struct nkey {
	uint64_t h;
	const char *s; /* the entry's string */
	struct nent *e;
	struct nkey *next;
};

struct nent {
	char *source, *network, *id, *ifname, *name;
	char **aliases;
	size_t n_aliases;
	uint32_t ip4;
	struct in6_addr ip6;
	uint64_t netns_dev, netns_ino;
	uint64_t h_ip, h_ip6, h_ctr, h_key;
	struct nent *next_ip, *next_ip6, *next_ctr, *next_key; /* chains of the address, container and key tables */
	struct nent *prev, *next;			       /* every entry */
	struct nkey *keys;				       /* 1 + n_aliases (the name first, when there is one) */
	size_t n_keys;
};

struct table {
	void **b;
	size_t cap; /* power of two */
};

struct names {
	struct table by_name, by_ip, by_ip6, by_ctr, by_key;
	struct nent *all;
	size_t n, n_keys;
};

/* FNV-1a, folding case */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)tolower((unsigned char)s[i]);
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_name(const char *network, const char *name, size_t len)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ULL, network, strlen(network));

	h = hash_bytes(h ^ 0xff, "\0", 1);
	return hash_bytes(h, name, len);
}

static uint64_t hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_ip(const char *network, uint32_t ip)
{
	return hash_mix(hash_bytes(0xcbf29ce484222325ULL, network, strlen(network)) ^ ip);
}

static uint64_t hash_ip6(const char *network, const struct in6_addr *ip)
{
	uint64_t hi, lo;

	memcpy(&hi, ip->s6_addr, 8);
	memcpy(&lo, ip->s6_addr + 8, 8);
	return hash_mix(hash_bytes(0xcbf29ce484222325ULL, network, strlen(network)) ^ hi ^ hash_mix(lo));
}

/* (source, network, id): an endpoint's interfaces share it */
static uint64_t hash_key(const char *source, const char *network, const char *id)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ULL, source, strlen(source) + 1);

	h = hash_bytes(h, network, strlen(network) + 1);
	return hash_bytes(h, id, strlen(id));
}

static uint64_t hash_ctr(uint64_t dev, uint64_t ino)
{
	return hash_mix(dev * 0x9e3779b97f4a7c15ULL ^ ino);
}

static bool name_eq(const char *s, const char *name, size_t len)
{
	return strncasecmp(s, name, len) == 0 && s[len] == '\0';
}

static int table_init(struct table *t)
{
	t->cap = 64;
	t->b = calloc(t->cap, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

/* Chains are linked through a next pointer at offset off in each node. */
#define NEXT(node, off) (*(void **)((char *)(node) + (off)))

static void table_grow(struct table *t, size_t n, size_t off, uint64_t (*hof)(const void *))
{
	void **nb;
	size_t cap = t->cap * 2;

	if (n < t->cap)
		return;
	nb = calloc(cap, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->cap; i++) {
		void *node = t->b[i], *next;

		for (; node; node = next) {
			size_t k = hof(node) & (cap - 1);

			next = NEXT(node, off);
			NEXT(node, off) = nb[k];
			nb[k] = node;
		}
	}
	free(t->b);
	t->b = nb;
	t->cap = cap;
}

static void table_unlink(struct table *t, void *node, uint64_t h, size_t off)
{
	void **pp = &t->b[h & (t->cap - 1)];

	for (; *pp; pp = &NEXT(*pp, off)) {
		if (*pp == node) {
			*pp = NEXT(node, off);
			return;
		}
	}
}

static uint64_t key_hash(const void *k)
{
	return ((const struct nkey *)k)->h;
}
static uint64_t ent_hash_ip(const void *e)
{
	return ((const struct nent *)e)->h_ip;
}
static uint64_t ent_hash_ip6(const void *e)
{
	return ((const struct nent *)e)->h_ip6;
}
static uint64_t ent_hash_ctr(const void *e)
{
	return ((const struct nent *)e)->h_ctr;
}
static uint64_t ent_hash_key(const void *e)
{
	return ((const struct nent *)e)->h_key;
}

int names_new(struct names **ret)
{
	struct names *nx = calloc(1, sizeof(*nx));

	if (!nx)
		return -ENOMEM;
	if (table_init(&nx->by_name) < 0 || table_init(&nx->by_ip) < 0 || table_init(&nx->by_ip6) < 0 ||
	    table_init(&nx->by_ctr) < 0 || table_init(&nx->by_key) < 0) {
		names_free(nx);
		return -ENOMEM;
	}
	*ret = nx;
	return 0;
}

static void ent_free(struct nent *e)
{
	if (!e)
		return;
	free(e->source);
	free(e->network);
	free(e->id);
	free(e->ifname);
	free(e->name);
	strv_free_n(e->aliases, e->n_aliases);
	free(e->keys);
	free(e);
}

void names_free(struct names *nx)
{
	struct nent *e, *next;

	if (!nx)
		return;
	for (e = nx->all; e; e = next) {
		next = e->next;
		ent_free(e);
	}
	free(nx->by_name.b);
	free(nx->by_ip.b);
	free(nx->by_ip6.b);
	free(nx->by_ctr.b);
	free(nx->by_key.b);
	free(nx);
}

size_t names_count(const struct names *nx)
{
	return nx->n;
}

void names_ep_from_endpoint(const struct eng_endpoint *ep, struct names_ep *ret)
{
	*ret = (struct names_ep){
		.source = NAMES_SOURCE_LOCAL,
		.network = ep->network,
		.id = ep->id,
		.ifname = ep->ifname,
		.name = ep->name,
		.aliases = (const char *const *)ep->aliases,
		.n_aliases = ep->n_aliases,
		.ip4 = ep->ip,
		.ip6 = ep->prefix6 ? ep->ip6 : (struct in6_addr)IN6ADDR_ANY_INIT,
		.netns_dev = ep->netns_dev,
		.netns_ino = ep->netns_ino,
	};
}

static struct nent *ent_new(const struct names_ep *ep)
{
	_cleanup_free_ struct nent *e = calloc(1, sizeof(*e));

	if (!e || !(e->source = strdup(ep->source)) || !(e->network = strdup(ep->network)) ||
	    !(e->id = strdup(ep->id)) || !(e->ifname = strdup(ep->ifname ? ep->ifname : "")) ||
	    (ep->name && !(e->name = strdup(ep->name))))
		goto fail;
	if (ep->n_aliases && !(e->aliases = calloc(ep->n_aliases, sizeof(*e->aliases))))
		goto fail;
	for (; e->n_aliases < ep->n_aliases; e->n_aliases++)
		if (!(e->aliases[e->n_aliases] = strdup(ep->aliases[e->n_aliases])))
			goto fail;
	e->keys = calloc(1 + ep->n_aliases, sizeof(*e->keys));
	if (!e->keys)
		goto fail;
	if (e->name)
		e->keys[e->n_keys++].s = e->name;
	for (size_t i = 0; i < e->n_aliases; i++)
		e->keys[e->n_keys++].s = e->aliases[i];
	for (size_t i = 0; i < e->n_keys; i++) {
		e->keys[i].e = e;
		e->keys[i].h = hash_name(e->network, e->keys[i].s, strlen(e->keys[i].s));
	}
	e->ip4 = ep->ip4;
	e->ip6 = ep->ip6;
	e->netns_dev = ep->netns_dev;
	e->netns_ino = ep->netns_ino;
	e->h_ip = hash_ip(e->network, e->ip4);
	e->h_ip6 = hash_ip6(e->network, &e->ip6);
	e->h_ctr = hash_ctr(e->netns_dev, e->netns_ino);
	e->h_key = hash_key(e->source, e->network, e->id);
	return TAKE_PTR(e);
fail:
	ent_free(TAKE_PTR(e));
	return NULL;
}

static bool ent_is(const struct nent *e, const char *source, const char *network, const char *id, const char *ifname)
{
	return (!source || strcmp(e->source, source) == 0) && (!network || strcmp(e->network, network) == 0) &&
	       (!id || strcmp(e->id, id) == 0) && (!ifname || strcmp(e->ifname, ifname) == 0);
}

static void ent_unlink(struct names *nx, struct nent *e)
{
	for (size_t i = 0; i < e->n_keys; i++)
		table_unlink(&nx->by_name, &e->keys[i], e->keys[i].h, offsetof(struct nkey, next));
	table_unlink(&nx->by_ip, e, e->h_ip, offsetof(struct nent, next_ip));
	table_unlink(&nx->by_ip6, e, e->h_ip6, offsetof(struct nent, next_ip6));
	table_unlink(&nx->by_ctr, e, e->h_ctr, offsetof(struct nent, next_ctr));
	table_unlink(&nx->by_key, e, e->h_key, offsetof(struct nent, next_key));
	if (e->prev)
		e->prev->next = e->next;
	else
		nx->all = e->next;
	if (e->next)
		e->next->prev = e->prev;
	nx->n--;
	nx->n_keys -= e->n_keys;
}

static void ent_link(struct names *nx, struct nent *e)
{
	table_grow(&nx->by_name, nx->n_keys + e->n_keys, offsetof(struct nkey, next), key_hash);
	table_grow(&nx->by_ip, nx->n + 1, offsetof(struct nent, next_ip), ent_hash_ip);
	table_grow(&nx->by_ip6, nx->n + 1, offsetof(struct nent, next_ip6), ent_hash_ip6);
	table_grow(&nx->by_ctr, nx->n + 1, offsetof(struct nent, next_ctr), ent_hash_ctr);
	table_grow(&nx->by_key, nx->n + 1, offsetof(struct nent, next_key), ent_hash_key);
	for (size_t i = 0; i < e->n_keys; i++) {
		void **b = &nx->by_name.b[e->keys[i].h & (nx->by_name.cap - 1)];

		e->keys[i].next = *b;
		*b = &e->keys[i];
	}
	e->next_ip = nx->by_ip.b[e->h_ip & (nx->by_ip.cap - 1)];
	nx->by_ip.b[e->h_ip & (nx->by_ip.cap - 1)] = e;
	e->next_ip6 = nx->by_ip6.b[e->h_ip6 & (nx->by_ip6.cap - 1)];
	nx->by_ip6.b[e->h_ip6 & (nx->by_ip6.cap - 1)] = e;
	e->next_ctr = nx->by_ctr.b[e->h_ctr & (nx->by_ctr.cap - 1)];
	nx->by_ctr.b[e->h_ctr & (nx->by_ctr.cap - 1)] = e;
	e->next_key = nx->by_key.b[e->h_key & (nx->by_key.cap - 1)];
	nx->by_key.b[e->h_key & (nx->by_key.cap - 1)] = e;
	e->prev = NULL;
	e->next = nx->all;
	if (nx->all)
		nx->all->prev = e;
	nx->all = e;
	nx->n++;
	nx->n_keys += e->n_keys;
}

/* The entry of (source, network, id, ifname). */
static struct nent *ent_find(struct names *nx, const struct names_ep *ep)
{
	uint64_t h = hash_key(ep->source, ep->network, ep->id);

	for (struct nent *e = nx->by_key.b[h & (nx->by_key.cap - 1)]; e; e = e->next_key)
		if (ent_is(e, ep->source, ep->network, ep->id, ep->ifname ? ep->ifname : ""))
			return e;
	return NULL;
}

int names_put(struct names *nx, const struct names_ep *ep)
{
	struct nent *e = ent_new(ep), *old;

	if (!e)
		return -ENOMEM;
	old = ent_find(nx, ep);
	if (old) {
		ent_unlink(nx, old);
		ent_free(old);
	}
	ent_link(nx, e);
	return 0;
}

size_t names_del(struct names *nx, const char *source, const char *network, const char *id, const char *ifname)
{
	struct nent *e, *next;
	size_t n = 0;

	if (source && network && id) {
		/* one container's interfaces: the chain of its key */
		uint64_t h = hash_key(source, network, id);

		for (e = nx->by_key.b[h & (nx->by_key.cap - 1)]; e; e = next) {
			next = e->next_key;
			if (ent_is(e, source, network, id, ifname)) {
				ent_unlink(nx, e);
				ent_free(e);
				n++;
			}
		}
		return n;
	}
	for (e = nx->all; e; e = next) {
		next = e->next;
		if (ent_is(e, source, network, id, ifname)) {
			ent_unlink(nx, e);
			ent_free(e);
			n++;
		}
	}
	return n;
}

int names_replace(struct names *nx, const char *source, const char *network, const struct names_ep *eps, size_t n)
{
	struct nent **fresh = calloc(n + 1, sizeof(*fresh));

	if (!fresh)
		return -ENOMEM;
	/* everything allocated before anything changes: a failure leaves the index as it was */
	for (size_t i = 0; i < n; i++) {
		if (!(fresh[i] = ent_new(&eps[i]))) {
			for (size_t k = 0; k < i; k++)
				ent_free(fresh[k]);
			free(fresh);
			return -ENOMEM;
		}
	}
	names_del(nx, source, network, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		ent_link(nx, fresh[i]);
	free(fresh);
	return 0;
}

static const struct nent *ent_by_ip(const struct names *nx, const char *network, uint32_t ip)
{
	uint64_t h = hash_ip(network, ip);

	for (const struct nent *e = nx->by_ip.b[h & (nx->by_ip.cap - 1)]; e; e = e->next_ip)
		if (e->ip4 == ip && strcmp(e->network, network) == 0)
			return e;
	return NULL;
}

static const struct nent *ent_by_ip6(const struct names *nx, const char *network, const struct in6_addr *ip)
{
	uint64_t h = hash_ip6(network, ip);

	if (baddr_zero6(ip))
		return NULL;
	for (const struct nent *e = nx->by_ip6.b[h & (nx->by_ip6.cap - 1)]; e; e = e->next_ip6)
		if (baddr_eq6(&e->ip6, ip) && strcmp(e->network, network) == 0)
			return e;
	return NULL;
}

/* network, then the other networks of the container of entry me (NULL: none known). */
static size_t client_networks(const struct names *nx, const char *network, const struct nent *me, const char **ret,
			      size_t max)
{
	size_t n = 0;
	uint64_t h;

	if (max == 0)
		return 0;
	ret[n++] = network;
	if (!me || (me->netns_dev == 0 && me->netns_ino == 0))
		return n;
	h = me->h_ctr;
	for (const struct nent *e = nx->by_ctr.b[h & (nx->by_ctr.cap - 1)]; e && n < max; e = e->next_ctr) {
		bool seen = false;

		if (e->netns_dev != me->netns_dev || e->netns_ino != me->netns_ino)
			continue;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(ret[i], e->network) == 0;
		if (!seen)
			ret[n++] = e->network;
	}
	return n;
}

size_t names_client_networks(const struct names *nx, const char *network, uint32_t ip, const char **ret, size_t max)
{
	return client_networks(nx, network, ent_by_ip(nx, network, ip), ret, max);
}

size_t names_client_networks6(const struct names *nx, const char *network, const struct in6_addr *ip, const char **ret,
			      size_t max)
{
	return client_networks(nx, network, ent_by_ip6(nx, network, ip), ret, max);
}

size_t names_lookup4(const struct names *nx, const char *network, const char *name, size_t len, uint32_t *ret,
		     size_t max)
{
	uint64_t h = hash_name(network, name, len);
	size_t n = 0;

	for (const struct nkey *k = nx->by_name.b[h & (nx->by_name.cap - 1)]; k && n < max; k = k->next) {
		bool seen = false;

		if (k->h != h || !k->e->ip4 || !name_eq(k->s, name, len) || strcmp(k->e->network, network) != 0)
			continue;
		for (size_t i = 0; i < n && !seen; i++)
			seen = ret[i] == k->e->ip4;
		if (!seen)
			ret[n++] = k->e->ip4;
	}
	return n;
}

size_t names_lookup6(const struct names *nx, const char *network, const char *name, size_t len, struct in6_addr *ret,
		     size_t max)
{
	uint64_t h = hash_name(network, name, len);
	size_t n = 0;

	for (const struct nkey *k = nx->by_name.b[h & (nx->by_name.cap - 1)]; k && n < max; k = k->next) {
		bool seen = false;

		if (k->h != h || IN6_IS_ADDR_UNSPECIFIED(&k->e->ip6) || !name_eq(k->s, name, len) ||
		    strcmp(k->e->network, network) != 0)
			continue;
		for (size_t i = 0; i < n && !seen; i++)
			seen = memcmp(&ret[i], &k->e->ip6, sizeof(ret[i])) == 0;
		if (!seen)
			ret[n++] = k->e->ip6;
	}
	return n;
}

const char *names_reverse4(const struct names *nx, const char *network, uint32_t ip)
{
	uint64_t h = hash_ip(network, ip);

	for (const struct nent *e = nx->by_ip.b[h & (nx->by_ip.cap - 1)]; e; e = e->next_ip)
		if (e->ip4 == ip && strcmp(e->network, network) == 0 && e->n_keys)
			return e->keys[0].s;
	return NULL;
}

const char *names_reverse6(const struct names *nx, const char *network, const struct in6_addr *ip)
{
	uint64_t h = hash_ip6(network, ip);

	if (baddr_zero6(ip))
		return NULL;
	for (const struct nent *e = nx->by_ip6.b[h & (nx->by_ip6.cap - 1)]; e; e = e->next_ip6)
		if (baddr_eq6(&e->ip6, ip) && strcmp(e->network, network) == 0 && e->n_keys)
			return e->keys[0].s;
	return NULL;
}

int names_foreach(const struct names *nx, const char *network, int (*fn)(const struct names_ep *ep, void *arg),
		  void *arg)
{
	for (const struct nent *e = nx->all; e; e = e->next) {
		struct names_ep ep = {
			.source = e->source,
			.network = e->network,
			.id = e->id,
			.ifname = e->ifname,
			.name = e->name,
			.aliases = (const char *const *)e->aliases,
			.n_aliases = e->n_aliases,
			.ip4 = e->ip4,
			.ip6 = e->ip6,
			.netns_dev = e->netns_dev,
			.netns_ino = e->netns_ino,
		};
		int r;

		if (network && strcmp(e->network, network) != 0)
			continue;
		r = fn(&ep, arg);
		if (r < 0)
			return r;
	}
	return 0;
}

int names_advertise(const char *state_dir, const char *domain, int *ret_fd, struct berr *e)
{
	_cleanup_json_ json_t *j = json_pack("{s:s?}", "domain", domain);
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	size_t len;

	if (!j || !(text = json_dumps(j, JSON_COMPACT)))
		return berr_oom(e);
	len = strlen(text);
	if ((size_t)snprintf(path, sizeof(path), "%s/" NAMES_ADVERTISE_FILE, state_dir) >= sizeof(path))
		return berr_set(e, -ENAMETOOLONG, "state directory path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_errno(e, "open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return berr_set(e, -EBUSY, "%s is locked: another netd serves DNS for this state directory",
					path);
		return berr_errno(e, "lock %s", path);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len)
		return berr_errno(e, "write %s", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int names_served(const char *state_dir, char **ret_domain)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX], buf[512];
	const char *dom;
	ssize_t n;

	*ret_domain = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/" NAMES_ADVERTISE_FILE, state_dir) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* a lock we can take is nobody's: netd is not running */
	if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return 0;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0 && (j = json_loadb(buf, (size_t)n, 0, NULL)) &&
	    (dom = json_string_value(json_object_get(j, "domain"))))
		*ret_domain = strdup(dom);
	return 1;
}
