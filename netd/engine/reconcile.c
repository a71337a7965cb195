/* Reconcile (netd start, `netctl reconcile`) and CNI GC: make the kernel and the store agree. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/link.h"
#include "netd/engine/ports.h"
#include "strv.h"

/* Only what reconcile looks at: bridges and veths (a host may have many other links). */
static bool is_bridge_or_veth(const struct link_info *li)
{
	return strcmp(li->kind, "veth") == 0 || strcmp(li->kind, "bridge") == 0;
}

struct links {
	struct link_info *v;
	size_t n;
};

static const struct link_info *find_link(const struct links *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	}
	return NULL;
}

/* "bv" + 12 lowercase hex digits: the names eng_host_ifname gives; "bx": links retired for the reaper. */
static bool is_our_name(const char *name)
{
	if ((strncmp(name, "bv", 2) != 0 && strncmp(name, "bx", 2) != 0) || strlen(name) != 14)
		return false;
	for (const char *p = name + 2; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

struct names {
	char (*v)[16];
	size_t n, cap;
};

static int names_add(struct names *s, const char *name)
{
	if (BARRAY_RESERVE(s->v, s->cap, s->n + 1) < 0)
		return -ENOMEM;
	snprintf(s->v[s->n++], sizeof(*s->v), "%s", name);
	return 0;
}

static bool names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], name) == 0)
			return true;
	}
	return false;
}

struct epvec {
	struct eng_endpoint *v;
	size_t n, cap;
};

/* Move *ep to the end of v (ep is left empty). */
static int epvec_push(struct epvec *v, struct eng_endpoint *ep)
{
	if (BARRAY_RESERVE(v->v, v->cap, v->n + 1) < 0)
		return -ENOMEM;
	v->v[v->n++] = *ep;
	memset(ep, 0, sizeof(*ep));
	return 0;
}

/* What eng_reconcile works on, from one step to the next. */
struct rec {
	struct eng *eng;
	char **names; /* every network directory, sorted */
	size_t n_names;
	int *locks;		  /* n_names + 1 slots, -1 when not held */
	struct eng_network *nets; /* the networks whose definition could be read, locked */
	int *bridges;		  /* ifindex of each network's bridge */
	size_t n_nets;
	struct nlsock *host;
	struct links links;	/* bridges and veths of the host */
	struct names seen;	/* host veth of every record: not an orphan */
	struct epvec kept;	/* endpoints kept, every network's */
	struct nft_port *ports; /* their published ports, ranges expanded */
	size_t n_ports, cap_ports;
	struct eng_reconcile_report rep;
};

static void rec_free(struct rec *c)
{
	for (size_t i = 0; c->locks && i <= c->n_names; i++)
		berth_close_safe(c->locks[i]);
	free(c->locks);
	free(c->nets);
	free(c->bridges);
	free(c->links.v);
	free(c->seen.v);
	eng_endpoints_free(c->kept.v, c->kept.n);
	free(c->ports);
	strv_free_n(c->names, c->n_names);
}

/*
 * Every network lock, in name order (the documented lock order), for a
 * consistent rebuild; a network whose creation crashed before its definition
 * was written is removed.
 */
static int lock_networks(struct rec *c, struct berr *e)
{
	struct store *st = &c->eng->st;
	int r;

	r = store_network_names(st, &c->names, &c->n_names, e);
	if (r < 0)
		return r;
	c->locks = malloc((c->n_names + 1) * sizeof(*c->locks));
	if (!c->locks)
		return berr_oom(e);
	for (size_t i = 0; i <= c->n_names; i++)
		c->locks[i] = -1;
	c->nets = calloc(c->n_names + 1, sizeof(*c->nets));
	c->bridges = calloc(c->n_names + 1, sizeof(*c->bridges));
	if (!c->nets || !c->bridges)
		return berr_oom(e);
	for (size_t i = 0; i < c->n_names; i++) {
		const char *name = c->names[i];
		int *lock = &c->locks[c->n_nets];
		char path[PATH_MAX];

		r = store_lock_network(st, name, lock, NULL);
		if (r == 0)
			r = store_network_read(st, name, &c->nets[c->n_nets], NULL);
		if (r < 0) {
			if (store_path(st, path, sizeof(path), "networks/%s/network.json", name) == 0 &&
			    !bfile_exists(path))
				store_network_remove(st, name, NULL);
			*lock = berth_close_safe(*lock);
			continue;
		}
		c->n_nets++;
	}
	return 0;
}

/*
 * One network under its lock: repair or drop each endpoint, then rebuild its
 * bitmap. Kept endpoints move into c->kept; every host veth name seen goes
 * into c->seen (so it is not taken for an orphan).
 */
static int reconcile_network(struct rec *c, const struct eng_network *n, int bridge, bool bridge_new, struct berr *e)
{
	struct eng *eng = c->eng;
	struct eng_endpoint *eps = NULL;
	size_t n_eps = 0, first_kept = c->kept.n;
	int r;

	r = store_ep_list(&eng->st, n->name, NULL, true, &eps, &n_eps, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_eps; i++) {
		struct eng_endpoint *ep = &eps[i];
		const struct link_info *li;
		bool keep = false;

		if (names_add(&c->seen, ep->host_ifname) < 0) {
			r = berr_oom(e);
			goto out;
		}
		li = ep->state == ENG_EP_COMPLETE ? find_link(&c->links, ep->host_ifname) : NULL;
		if (li && strcmp(li->kind, "veth") == 0) {
			keep = true;
			if (bridge_new || li->master != bridge || !(li->flags & IFF_UP)) {
				/* the bridge was re-created (ports drop off a deleted bridge) or the port was touched
				 */
				if (link_set(c->host, li->ifindex, IFF_UP, IFF_UP, bridge, NULL) < 0 ||
				    (n->hairpin && link_set_hairpin(c->host, li->ifindex, true, NULL) < 0))
					keep = false;
				else
					c->rep.endpoints_repaired++;
			}
		} else if (ep->state == ENG_EP_COMPLETE && ep->netns_cookie) {
			int nsfd = -1;

			/*
			 * The veth is gone but the container may live on: wire it again,
			 * only into the namespace with the recorded cookie (an inode
			 * number alone may be another namespace's by now; a record
			 * without a cookie cannot prove it and is dropped).
			 */
			if (eng_endpoint_netns(ep, &nsfd, NULL) == 0) {
				link_delete(c->host, ep->host_ifname, NULL);
				if (ep_kernel_setup(eng, n, ep, nsfd, bridge, NULL) == 0) {
					keep = true;
					c->rep.endpoints_repaired++;
				}
				close(nsfd);
			}
		}
		if (keep) {
			if (epvec_push(&c->kept, ep) < 0) {
				r = berr_oom(e);
				goto out;
			}
			c->rep.endpoints_kept++;
			continue;
		}
		/* nftables is rebuilt afterwards; the rest goes now */
		r = ep_teardown(eng, n, ep, true, e);
		if (r < 0)
			goto out;
		c->rep.endpoints_dropped++;
	}
	r = net_ipam_rebuild(eng, n, c->kept.v + first_kept, c->kept.n - first_kept, e);
out:
	eng_endpoints_free(eps, n_eps);
	return r;
}

/* Each network's bridge and kernel state, then its endpoints. */
static int reconcile_networks(struct rec *c, struct berr *e)
{
	int r;

	for (size_t i = 0; i < c->n_nets; i++) {
		bool created = false;

		r = net_kernel_ensure(c->eng, &c->nets[i], &c->bridges[i], &created, e);
		if (r >= 0) {
			if (created)
				c->rep.bridges_created++;
			r = reconcile_network(c, &c->nets[i], c->bridges[i], created, e);
		}
		if (r < 0)
			return berr_wrap(e, r, "network '%s'", c->nets[i].name);
	}
	return 0;
}

/* Veths of berth's naming on berth's bridges (or on none) that no record claims. */
static void sweep_orphans(struct rec *c)
{
	for (size_t i = 0; i < c->links.n; i++) {
		const struct link_info *li = &c->links.v[i];
		bool ours = li->master == 0;

		if (strcmp(li->kind, "veth") != 0 || !is_our_name(li->name) || names_has(&c->seen, li->name))
			continue;
		/* a retired link whose deletion a crash interrupted */
		ours = ours || strncmp(li->name, "bx", 2) == 0;
		for (size_t j = 0; j < c->n_nets && !ours; j++)
			ours = li->master == c->bridges[j];
		if (ours && link_delete(c->host, li->name, NULL) == 0)
			c->rep.links_removed++;
	}
}

/* The published ports of every kept endpoint, as the nftables map elements. */
static int collect_ports(struct rec *c, struct berr *e)
{
	for (size_t i = 0; i < c->kept.n; i++) {
		_cleanup_free_ struct nft_port *p = NULL;
		size_t np = 0;

		if (eng_nft_ports(&c->kept.v[i], &p, &np) < 0 ||
		    BARRAY_RESERVE(c->ports, c->cap_ports, c->n_ports + np) < 0)
			return berr_oom(e);
		if (np)
			memcpy(c->ports + c->n_ports, p, np * sizeof(*p));
		c->n_ports += np;
	}
	return 0;
}

/* Table inet berth rebuilt whole from the networks and the kept endpoints' ports. */
static int rebuild_nft(struct rec *c, struct berr *e)
{
	_cleanup_free_ struct nft_network *nets = NULL;
	_cleanup_free_ struct nft_endpoint *eps = NULL;
	struct nft_ctx *nft;
	int r;

	nets = calloc(c->n_nets + 1, sizeof(*nets));
	eps = calloc(c->kept.n + 1, sizeof(*eps));
	if (!nets || !eps)
		return berr_oom(e);
	for (size_t i = 0; i < c->n_nets; i++)
		eng_nft_network(&c->nets[i], &nets[i]);
	for (size_t i = 0; i < c->kept.n; i++)
		eng_nft_endpoint(&c->kept.v[i], &eps[i]);
	r = eng_nft(c->eng, &nft, e);
	if (r < 0)
		return r;
	return nft_rebuild(nft, nets, c->n_nets, eps, c->kept.n, c->ports, c->n_ports, e);
}

int eng_reconcile(struct eng *eng, struct eng_reconcile_report *ret, struct berr *e)
{
	_cleanup_close_ int glock = -1;
	struct rec c = {.eng = eng};
	int r;

	r = store_lock_global(&eng->st, &glock, e);
	if (r < 0)
		return r;
	r = lock_networks(&c, e);
	if (r < 0)
		goto out;
	r = eng_host(eng, &c.host, e);
	if (r < 0)
		goto out;
	r = link_list(c.host, is_bridge_or_veth, &c.links.v, &c.links.n, e);
	if (r < 0)
		goto out;
	r = reconcile_networks(&c, e);
	if (r < 0)
		goto out;
	r = ports_sweep(&eng->st, NULL, c.kept.v, c.kept.n, e);
	if (r < 0)
		goto out;
	sweep_orphans(&c);
	r = collect_ports(&c, e);
	if (r < 0)
		goto out;
	r = rebuild_nft(&c, e);
	if (r < 0)
		goto out;
	c.rep.networks = c.n_nets;
	c.rep.ports = c.n_ports;
	if (ret)
		*ret = c.rep;
	r = 0;
out:
	rec_free(&c);
	return r;
}

static bool in_keep(const struct eng_endpoint *ep, const struct eng_key *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i].id && strcmp(keep[i].id, ep->id) == 0 &&
		    strcmp(keep[i].ifname ? keep[i].ifname : ENG_DEFAULT_IFNAME, ep->ifname) == 0)
			return true;
	}
	return false;
}

int eng_gc(struct eng *eng, const char *network, const struct eng_key *keep, size_t n_keep, size_t *ret_removed,
	   struct berr *e)
{
	_cleanup_(store_net_close) struct store_net sn = STORE_NET_INIT;
	struct epvec kept = {0};
	struct links links = {0};
	struct nlsock *host;
	struct nft_ctx *nft;
	struct link_info br;
	struct nft_port *have = NULL, *stale = NULL;
	size_t removed = 0, nh = 0, ns = 0;
	char owner[ENG_OWNER_MAX + 1];
	int r;

	if (!network || !bname_valid(network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", network ? network : "");
	r = store_net_open(&eng->st, network, NULL, true, &sn, e);
	if (r < 0)
		return r;
	snprintf(owner, sizeof(owner), ENG_OWNER_CNI "%s", network);
	for (size_t i = 0; i < sn.n_eps; i++) {
		struct eng_endpoint *ep = &sn.eps[i];

		/* another owner's endpoint is no runtime attachment of this network: kept whole, as it is */
		if (strcmp(ep->owner, owner) != 0 || (ep->state == ENG_EP_COMPLETE && in_keep(ep, keep, n_keep))) {
			if (epvec_push(&kept, ep) < 0) {
				r = berr_oom(e);
				goto out;
			}
			continue;
		}
		r = ep_teardown(eng, &sn.def, ep, false, e);
		if (r < 0)
			goto out;
		removed++;
	}
	/* leftovers of crashed attaches: leases, claims, map elements, veths */
	r = net_ipam_rebuild(eng, &sn.def, kept.v, kept.n, e);
	if (r < 0)
		goto out;
	r = ports_sweep(&eng->st, network, kept.v, kept.n, e);
	if (r < 0)
		goto out;
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		goto out;
	r = nft_ports_list(nft, &have, &nh, e);
	if (r < 0)
		goto out;
	stale = calloc(nh + 1, sizeof(*stale));
	if (!stale) {
		r = berr_oom(e);
		goto out;
	}
	for (size_t i = 0; i < nh; i++) {
		bool live = false;

		if (have[i].v6 ? !eng_network_has6(&sn.def) || !baddr_in6(&sn.def.subnet6, &have[i].dest_ip6)
			       : !eng_network_has4(&sn.def) || !baddr_in4(&sn.def.subnet, have[i].dest_ip))
			continue;
		for (size_t j = 0; j < kept.n && !live; j++)
			live = have[i].v6 ? baddr_eq6(&kept.v[j].ip6, &have[i].dest_ip6)
					  : kept.v[j].ip == have[i].dest_ip;
		if (!live)
			stale[ns++] = have[i];
	}
	if (ns) {
		r = nft_ports_del(nft, stale, ns, e);
		if (r < 0)
			goto out;
	}
	r = eng_host(eng, &host, e);
	if (r < 0)
		goto out;
	r = link_list(host, is_bridge_or_veth, &links.v, &links.n, e);
	if (r < 0)
		goto out;
	br.ifindex = -1;
	(void)link_get(host, sn.def.bridge, &br, NULL);
	for (size_t i = 0; i < links.n; i++) {
		bool live = false;

		if (strcmp(links.v[i].kind, "veth") != 0 || !is_our_name(links.v[i].name))
			continue;
		/* retired and off every bridge: a deletion handed off or queued that never happened */
		if (strncmp(links.v[i].name, "bx", 2) == 0 && links.v[i].master == 0) {
			if (!eng->handoff || eng_retired_add(eng, links.v[i].name) < 0)
				link_delete(host, links.v[i].name, NULL);
			continue;
		}
		if (links.v[i].master != br.ifindex)
			continue;
		for (size_t j = 0; j < kept.n && !live; j++)
			live = strcmp(kept.v[j].host_ifname, links.v[i].name) == 0;
		if (!live)
			link_delete(host, links.v[i].name, NULL);
	}
	if (ret_removed)
		*ret_removed = removed;
	r = 0;
out:
	eng_endpoints_free(kept.v, kept.n);
	free(links.v);
	free(have);
	free(stale);
	return r;
}
