/* The engine handle: opening and closing it, its sockets, and the helpers every operation shares. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "cleanup.h"
#include "hash.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/engine.h"
#include "netd/engine/link.h"
#include "netns.h"

int eng_open(const struct eng_opts *opts, struct eng **ret, struct berr *e)
{
	const char *dir = opts && opts->state_dir ? opts->state_dir : ENG_DEFAULT_STATE_DIR;
	int timeout = opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : ENG_DEFAULT_LOCK_TIMEOUT_MS;
	struct eng *eng;
	int r;

	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return berr_oom(e);
	eng->procfs = -1;
	r = store_init(&eng->st, dir, timeout, e);
	if (r < 0) {
		free(eng);
		return r;
	}
	eng->handoff = opts && opts->handoff_link_removal && !opts->defer_link_removal;
	if (opts && opts->defer_link_removal) {
		r = reaper_start(&eng->reaper, e);
		if (r < 0) {
			store_fini(&eng->st);
			free(eng);
			return r;
		}
	}
	*ret = eng;
	return 0;
}

void eng_close(struct eng *eng)
{
	int hold = -1;

	if (!eng)
		return;
	if (eng->procfs >= 0)
		reaper_close(eng->reaper, eng->procfs);
	reaper_stop(eng->reaper);
	if (eng->n_retired && reaper_handoff(eng->retired, eng->n_retired, nft_fd(eng->nft), &hold) < 0) {
		/* no process to hand them to: delete them here after all */
		for (size_t i = 0; i < eng->n_retired; i++) {
			struct nlsock *host;

			if (eng_host(eng, &host, NULL) == 0)
				link_delete(host, eng->retired[i], NULL);
		}
	}
	free(eng->retired);
	nlsock_close(eng->host);
	nft_close(eng->nft);
	nft_close(eng->nft_fabric);
	/* our copy of the nftables socket is closed: the deleter may close the last one */
	berth_close_safe(hold);
	store_fini(&eng->st);
	free(eng);
}

int eng_procfs(struct eng *eng)
{
	int fd;

	if (!eng->reaper || eng->procfs_none)
		return -1;
	if (eng->procfs >= 0 && eng->procfs_uses < ENG_PROCFS_USES) {
		eng->procfs_uses++;
		return eng->procfs;
	}
	if (bns_procfs(&fd, NULL) < 0) {
		/* the old one stays in use: its chains just grow */
		if (eng->procfs >= 0)
			return eng->procfs;
		eng->procfs_none = true;
		return -1;
	}
	if (eng->procfs >= 0)
		reaper_close(eng->reaper, eng->procfs);
	eng->procfs = fd;
	eng->procfs_uses = 1;
	return fd;
}

int eng_retired_add(struct eng *eng, const char *name)
{
	if (BARRAY_RESERVE(eng->retired, eng->cap_retired, eng->n_retired + 1) < 0)
		return -ENOMEM;
	snprintf(eng->retired[eng->n_retired++], sizeof(*eng->retired), "%s", name);
	return 0;
}

const char *eng_state_dir(const struct eng *eng)
{
	return eng->st.root;
}

int eng_host(struct eng *eng, struct nlsock **ret, struct berr *e)
{
	int r;

	if (!eng->host) {
		r = nlsock_open(-1, &eng->host, e);
		if (r < 0)
			return r;
	}
	*ret = eng->host;
	return 0;
}

#define OWNER_PREFIX "store "
/* The fabric of the store (its VXLAN filter): a store's rebuild keeps them, as another store's. */
#define FABRIC_OWNER_PREFIX "fabric "

/*
 * The store's name on the elements it writes: several state directories
 * share berth's tables, and a rebuild replaces only its own store's
 * elements. Its canonical path, which names it however it is spelt; a path
 * too long for a comment, by a hash of it.
 */
static void owner_name(const char *prefix, const char *root, char buf[128])
{
	char *canon = realpath(root, NULL);
	const char *path = canon ? canon : root;

	if (snprintf(buf, 128, "%s%s", prefix, path) >= 128)
		snprintf(buf, 128, "%s#%016llx", prefix, (unsigned long long)bfnv64(BFNV64_INIT, path, strlen(path)));
	free(canon);
}

/* Another store's elements are kept while its directory is there: one removed whole left them behind. */
static bool owner_alive(const char *owner)
{
	char path[PATH_MAX];
	struct stat st;
	size_t skip;

	if (strncmp(owner, OWNER_PREFIX "/", strlen(OWNER_PREFIX "/")) == 0)
		skip = strlen(OWNER_PREFIX);
	else if (strncmp(owner, FABRIC_OWNER_PREFIX "/", strlen(FABRIC_OWNER_PREFIX "/")) == 0)
		skip = strlen(FABRIC_OWNER_PREFIX);
	else
		return true; /* not a path: nothing to tell */
	snprintf(path, sizeof(path), "%s/networks", owner + skip);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int nft_ctx_get(struct eng *eng, struct nft_ctx **slot, const char *prefix, struct nft_ctx **ret, struct berr *e)
{
	char owner[128];
	int r;

	if (!*slot) {
		owner_name(prefix, eng->st.root, owner);
		r = nft_open(-1, slot, e);
		if (r < 0)
			return berr_wrap(e, r, "nftables");
		nft_set_owner(*slot, owner, owner_alive);
	}
	*ret = *slot;
	return 0;
}

int eng_nft(struct eng *eng, struct nft_ctx **ret, struct berr *e)
{
	return nft_ctx_get(eng, &eng->nft, OWNER_PREFIX, ret, e);
}

int eng_vxlan_sync(struct eng *eng, uint16_t port, bool on, const uint32_t *peers, size_t n,
		   const struct in6_addr *peers6, size_t n6, struct berr *e)
{
	struct nft_ctx *nft;
	int r = nft_ctx_get(eng, &eng->nft_fabric, FABRIC_OWNER_PREFIX, &nft, e);

	return r < 0 ? r : nft_vxlan_sync(nft, port, on, peers, n, peers6, n6, e);
}

int eng_vxlan_peer(struct eng *eng, uint16_t port, uint32_t peer, bool add, struct berr *e)
{
	struct nft_ctx *nft;
	int r = nft_ctx_get(eng, &eng->nft_fabric, FABRIC_OWNER_PREFIX, &nft, e);

	return r < 0 ? r : nft_vxlan_peer(nft, port, peer, add, e);
}

int eng_vxlan_peer6(struct eng *eng, uint16_t port, const struct in6_addr *peer, bool add, struct berr *e)
{
	struct nft_ctx *nft;
	int r = nft_ctx_get(eng, &eng->nft_fabric, FABRIC_OWNER_PREFIX, &nft, e);

	return r < 0 ? r : nft_vxlan_peer6(nft, port, peer, add, e);
}

void eng_nft_network(const struct eng_network *n, struct nft_network *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->bridge, sizeof(ret->bridge), "%s", n->bridge);
	snprintf(ret->tunnel, sizeof(ret->tunnel), "%s", n->tunnel);
	ret->fabric = n->fabric_subnet;
	ret->fabric6 = n->fabric_subnet6;
	ret->subnet = n->subnet;
	ret->masquerade = n->masquerade;
	ret->internal = n->internal;
	ret->subnet6 = n->subnet6;
	ret->masquerade6 = n->masquerade6;
}

void eng_nft_endpoint(const struct eng_endpoint *ep, struct nft_endpoint *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", ep->host_ifname);
	ret->ip = ep->ip;
	ret->ip6 = ep->ip6;
	memcpy(ret->mac, ep->mac, 6);
}

size_t eng_host_port_count(const struct eng_endpoint *ep)
{
	size_t n = 0;

	for (size_t i = 0; i < ep->n_ports; i++)
		n += (size_t)(ep->ports[i].host_port_end - ep->ports[i].host_port) + 1;
	return n;
}

/*
 * A spec without a host address publishes on every address of each family
 * the endpoint has; one with an IPv4 address only on it; one with an IPv6
 * address (:: for every one) only in IPv6.
 */
static bool spec_v4(const struct bportspec *p, const struct eng_endpoint *ep)
{
	return !p->host_v6 && ep->ip;
}

static bool spec_v6(const struct bportspec *p, const struct eng_endpoint *ep)
{
	return (p->host_v6 || !p->host_ip) && ep->prefix6;
}

int eng_nft_ports(const struct eng_endpoint *ep, struct nft_port **ret, size_t *ret_n)
{
	size_t n = 2 * eng_host_port_count(ep), k = 0;
	struct nft_port *v;

	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct bportspec *p = &ep->ports[i];

		for (unsigned hp = p->host_port, j = 0; hp <= p->host_port_end; hp++, j++) {
			struct nft_port np = {.host_port = (uint16_t)hp, .proto = p->proto};

			/* a container range maps port by port; a single container port takes the whole host range */
			np.dest_port = (uint16_t)(p->container_port_end != p->container_port ? p->container_port + j
											     : p->container_port);
			if (spec_v4(p, ep)) {
				v[k] = np;
				v[k].host_ip = p->host_ip;
				v[k++].dest_ip = ep->ip;
			}
			if (spec_v6(p, ep)) {
				v[k] = np;
				v[k].v6 = true;
				v[k].host_ip6 = p->host_ip6;
				v[k++].dest_ip6 = ep->ip6;
			}
		}
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

bool eng_nft_port_eq(const struct nft_port *a, const struct nft_port *b)
{
	if (a->v6 != b->v6 || a->host_port != b->host_port || a->proto != b->proto || a->dest_port != b->dest_port)
		return false;
	if (a->v6)
		return baddr_eq6(&a->host_ip6, &b->host_ip6) && baddr_eq6(&a->dest_ip6, &b->dest_ip6);
	return a->host_ip == b->host_ip && a->dest_ip == b->dest_ip;
}

void eng_host_ifname(const char *network, const char *id, const char *ifname, char buf[16])
{
	/* FNV-1a 64 over "network\0id\0ifname"; 48 bits are ample for a host's endpoints. */
	uint64_t h = BFNV64_INIT;
	const char *parts[3] = {network, id, ifname};

	for (int i = 0; i < 3; i++)
		h = bfnv64(h, parts[i], strlen(parts[i]) + 1);
	snprintf(buf, 16, "bv%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

void eng_failpoint(const char *name)
{
	const char *fp = getenv("BERTH_FAILPOINT");

	if (fp && strcmp(fp, name) == 0)
		raise(SIGKILL);
}
