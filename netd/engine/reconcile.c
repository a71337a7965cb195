/* Reconcile (netd start, `netctl reconcile`) and CNI GC: make the kernel and the store agree. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "netd/engine/eng_int.h"
#include "netd/engine/link.h"
#include "netd/engine/ports.h"

struct links {
	struct link_info *v;
	size_t n, cap;
};

static int collect(const struct link_info *li, void *arg)
{
	struct links *l = arg;

	/* Only what reconcile looks at: bridges and veths (a host may have many other links). */
	if (strcmp(li->kind, "veth") != 0 && strcmp(li->kind, "bridge") != 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct link_info *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *li;
	return 0;
}

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
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char(*nv)[16] = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], 16, "%s", name);
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

static int epvec_push(struct epvec *v, struct eng_endpoint *ep)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct eng_endpoint *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *ep;
	memset(ep, 0, sizeof(*ep));
	return 0;
}

/*
 * One network under its lock: repair or drop each endpoint, then rebuild its
 * bitmap. Kept endpoints move into kept; every host veth name seen goes into
 * seen (so it is not taken for an orphan).
 */
static int reconcile_network(struct eng *eng, const struct eng_network *n, const struct links *links, int bridge,
			     bool bridge_new, struct epvec *kept, struct names *seen, struct eng_reconcile_report *rep,
			     struct berr *e)
{
	struct eng_endpoint *eps = NULL;
	struct nlsock *host;
	size_t n_eps = 0, first_kept = kept->n;
	int r;

	r = eng_host(eng, &host, e);
	if (r < 0)
		return r;
	r = store_ep_list(&eng->st, n->name, NULL, true, &eps, &n_eps, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_eps; i++) {
		struct eng_endpoint *ep = &eps[i];
		const struct link_info *li;
		bool keep = false;

		if (names_add(seen, ep->host_ifname) < 0) {
			r = berr_oom(e);
			goto out;
		}
		li = ep->state == ENG_EP_COMPLETE ? find_link(links, ep->host_ifname) : NULL;
		if (li && strcmp(li->kind, "veth") == 0) {
			keep = true;
			if (bridge_new || li->master != bridge || !(li->flags & IFF_UP)) {
				/* the bridge was re-created (ports drop off a deleted bridge) or the port was touched
				 */
				if (link_set(host, li->ifindex, IFF_UP, IFF_UP, bridge, NULL) < 0 ||
				    (n->hairpin && link_set_hairpin(host, li->ifindex, true, NULL) < 0))
					keep = false;
				else
					rep->endpoints_repaired++;
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
				link_delete(host, ep->host_ifname, NULL);
				if (ep_kernel_setup(eng, n, ep, nsfd, bridge, NULL) == 0) {
					keep = true;
					rep->endpoints_repaired++;
				}
				close(nsfd);
			}
		}
		if (keep) {
			if (epvec_push(kept, ep) < 0) {
				r = berr_oom(e);
				goto out;
			}
			rep->endpoints_kept++;
			continue;
		}
		/* nftables is rebuilt afterwards; the rest goes now */
		r = ep_teardown(eng, n, ep, true, e);
		if (r < 0)
			goto out;
		rep->endpoints_dropped++;
	}
	r = net_ipam_rebuild(eng, n, kept->v + first_kept, kept->n - first_kept, e);
out:
	eng_endpoints_free(eps, n_eps);
	return r;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int eng_reconcile(struct eng *eng, struct eng_reconcile_report *ret, struct berr *e)
{
	struct eng_reconcile_report rep = {0};
	_cleanup_close_ int glock = -1;
	char **names = NULL;
	size_t nn = 0, n_nets = 0;
	int *locks = NULL;
	struct eng_network *nets = NULL;
	int *bridges = NULL;
	struct links links = {0};
	struct names seen = {0};
	struct epvec kept = {0};
	struct nft_network *nn_v = NULL;
	struct nft_endpoint *ne_v = NULL;
	struct nft_port *ports = NULL;
	size_t n_ports = 0;
	struct nlsock *host;
	struct nft_ctx *nft;
	int r;

	r = store_lock_global(&eng->st, &glock, e);
	if (r < 0)
		return r;
	r = store_network_names(&eng->st, &names, &nn, e);
	if (r < 0)
		return r;
	locks = calloc(nn + 1, sizeof(*locks));
	nets = calloc(nn + 1, sizeof(*nets));
	bridges = calloc(nn + 1, sizeof(*bridges));
	if (!locks || !nets || !bridges) {
		r = berr_oom(e);
		goto out;
	}
	for (size_t i = 0; i <= nn; i++)
		locks[i] = -1;
	/* Every network lock, in name order (the documented lock order), for a consistent rebuild. */
	for (size_t i = 0; i < nn; i++) {
		char path[PATH_MAX];

		r = store_lock_network(&eng->st, names[i], &locks[n_nets], NULL);
		if (r == 0)
			r = store_network_read(&eng->st, names[i], &nets[n_nets], NULL);
		if (r < 0) {
			/* a network whose creation crashed before its definition was written */
			if (store_path(&eng->st, path, sizeof(path), "networks/%s/network.json", names[i]) == 0 &&
			    !bfile_exists(path)) {
				store_network_remove(&eng->st, names[i], NULL);
			}
			if (locks[n_nets] >= 0) {
				close(locks[n_nets]);
				locks[n_nets] = -1;
			}
			continue;
		}
		n_nets++;
	}
	r = eng_host(eng, &host, e);
	if (r < 0)
		goto out;
	r = link_dump(host, collect, &links, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_nets; i++) {
		bool created = false;

		r = net_kernel_ensure(eng, &nets[i], &bridges[i], &created, e);
		if (r < 0) {
			berr_wrap(e, r, "network '%s'", nets[i].name);
			goto out;
		}
		if (created)
			rep.bridges_created++;
		r = reconcile_network(eng, &nets[i], &links, bridges[i], created, &kept, &seen, &rep, e);
		if (r < 0) {
			berr_wrap(e, r, "network '%s'", nets[i].name);
			goto out;
		}
	}
	r = ports_sweep(&eng->st, NULL, kept.v, kept.n, e);
	if (r < 0)
		goto out;
	/* veths of berth's naming on berth's bridges (or on none) that no record claims */
	for (size_t i = 0; i < links.n; i++) {
		const struct link_info *li = &links.v[i];
		bool ours = li->master == 0;

		if (strcmp(li->kind, "veth") != 0 || !is_our_name(li->name) || names_has(&seen, li->name))
			continue;
		/* a retired link whose deletion a crash interrupted */
		ours = ours || strncmp(li->name, "bx", 2) == 0;
		for (size_t j = 0; j < n_nets && !ours; j++)
			ours = li->master == bridges[j];
		if (ours && link_delete(host, li->name, NULL) == 0)
			rep.links_removed++;
	}
	nn_v = calloc(n_nets + 1, sizeof(*nn_v));
	if (!nn_v) {
		r = berr_oom(e);
		goto out;
	}
	for (size_t i = 0; i < n_nets; i++)
		eng_nft_network(&nets[i], &nn_v[i]);
	ne_v = calloc(kept.n + 1, sizeof(*ne_v));
	if (!ne_v) {
		r = berr_oom(e);
		goto out;
	}
	for (size_t i = 0; i < kept.n; i++)
		eng_nft_endpoint(&kept.v[i], &ne_v[i]);
	for (size_t i = 0; i < kept.n; i++) {
		struct nft_port *p = NULL, *nv;
		size_t np = 0;

		if (eng_nft_ports(&kept.v[i], &p, &np) < 0 ||
		    !(nv = realloc(ports, (n_ports + np + 1) * sizeof(*ports)))) {
			free(p);
			r = berr_oom(e);
			goto out;
		}
		ports = nv;
		memcpy(ports + n_ports, p, np * sizeof(*p));
		n_ports += np;
		free(p);
	}
	r = eng_nft(eng, &nft, e);
	if (r < 0)
		goto out;
	r = nft_rebuild(nft, nn_v, n_nets, ne_v, kept.n, ports, n_ports, e);
	if (r < 0)
		goto out;
	rep.networks = n_nets;
	rep.ports = n_ports;
	if (ret)
		*ret = rep;
	r = 0;
out:
	for (size_t i = 0; locks && i <= nn; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	free(nets);
	free(bridges);
	free(links.v);
	free(seen.v);
	eng_endpoints_free(kept.v, kept.n);
	free(nn_v);
	free(ne_v);
	free(ports);
	free_names(names, nn);
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
	_cleanup_close_ int nlock = -1;
	struct eng_endpoint *eps = NULL;
	struct epvec kept = {0};
	struct eng_network n;
	struct links links = {0};
	struct nlsock *host;
	struct nft_ctx *nft;
	struct link_info br;
	struct nft_port *have = NULL, *stale = NULL;
	size_t n_eps = 0, removed = 0, nh = 0, ns = 0;
	char owner[ENG_OWNER_MAX + 1];
	int r;

	if (!network || !bname_valid(network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", network ? network : "");
	r = store_lock_network(&eng->st, network, &nlock, e);
	if (r < 0)
		return r;
	r = store_network_read(&eng->st, network, &n, e);
	if (r < 0)
		return r;
	r = store_ep_list(&eng->st, network, NULL, true, &eps, &n_eps, e);
	if (r < 0)
		return r;
	snprintf(owner, sizeof(owner), ENG_OWNER_CNI "%s", network);
	for (size_t i = 0; i < n_eps; i++) {
		/* another owner's endpoint is no runtime attachment of this network: kept whole, as it is */
		if (strcmp(eps[i].owner, owner) != 0 ||
		    (eps[i].state == ENG_EP_COMPLETE && in_keep(&eps[i], keep, n_keep))) {
			if (epvec_push(&kept, &eps[i]) < 0) {
				r = berr_oom(e);
				goto out;
			}
			continue;
		}
		r = ep_teardown(eng, &n, &eps[i], false, e);
		if (r < 0)
			goto out;
		removed++;
	}
	/* leftovers of crashed attaches: leases, claims, map elements, veths */
	r = net_ipam_rebuild(eng, &n, kept.v, kept.n, e);
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

		if (!baddr_in4(&n.subnet, have[i].dest_ip))
			continue;
		for (size_t j = 0; j < kept.n && !live; j++)
			live = kept.v[j].ip == have[i].dest_ip;
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
	r = link_dump(host, collect, &links, e);
	if (r < 0)
		goto out;
	br.ifindex = -1;
	(void)link_get(host, n.bridge, &br, NULL);
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
	eng_endpoints_free(eps, n_eps);
	eng_endpoints_free(kept.v, kept.n);
	free(links.v);
	free(have);
	free(stale);
	return r;
}
