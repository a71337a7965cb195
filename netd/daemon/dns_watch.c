/* netd's DNS: the state store watched with inotify, so that records any process writes (berth-cni's too) reach the
 * names index. */
/*
 * Watches: networks/ (networks come and go), networks/N (network.json,
 * the endpoints directory), networks/N/endpoints (a container's directory
 * per id) and networks/N/endpoints/ID (its records, <ifname>.json, written
 * by rename). A record renamed into place is read and put in the index
 * when complete; one removed, or not complete, leaves it. An overflowed
 * queue reads everything again.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "log.h"
#include "netd/daemon/dns_int.h"
#include "netd/engine/store.h"
#include "strv.h"

enum wkind { W_NETWORKS, W_NET, W_EPS, W_ID };

struct wrec {
	enum wkind kind;
	char *network, *id;
};

struct dns_watch {
	struct store st;
	int fd;
	struct names *nx;
	pthread_mutex_t *lock;
	struct dns_watch_ops ops;
	struct wrec **w; /* by watch descriptor */
	size_t cap;
};

#define DIR_MASK (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define REC_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR | IN_DONT_FOLLOW)

static void wrec_free(struct wrec *r)
{
	if (!r)
		return;
	free(r->network);
	free(r->id);
	free(r);
}

/* Watch path as kind; -errno (ENOENT: not there, fine for the callers). */
static int add(struct dns_watch *w, enum wkind kind, const char *network, const char *id, uint32_t mask)
{
	char path[PATH_MAX];
	struct wrec *r;
	int wd;

	if (kind == W_NETWORKS)
		store_path(&w->st, path, sizeof(path), "networks");
	else if (kind == W_NET)
		store_path(&w->st, path, sizeof(path), "networks/%s", network);
	else if (kind == W_EPS)
		store_path(&w->st, path, sizeof(path), "networks/%s/endpoints", network);
	else if (store_path(&w->st, path, sizeof(path), "networks/%s/endpoints/%s", network, id) < 0)
		return -ENAMETOOLONG;
	wd = inotify_add_watch(w->fd, path, mask);
	if (wd < 0) {
		if (errno != ENOENT)
			log_warn("dns: watch %s: %s (names of berth-cni's attaches there resolve late)", path,
				 strerror(errno));
		return -errno;
	}
	if ((size_t)wd >= w->cap) {
		size_t cap = w->cap;

		if (BARRAY_RESERVE(w->w, cap, (size_t)wd + 1) < 0)
			return -ENOMEM;
		memset(w->w + w->cap, 0, (cap - w->cap) * sizeof(*w->w));
		w->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r || (network && !(r->network = strdup(network))) || (id && !(r->id = strdup(id)))) {
		wrec_free(r);
		return -ENOMEM;
	}
	r->kind = kind;
	/* the same directory watched again (a resync) keeps its descriptor */
	wrec_free(w->w[wd]);
	w->w[wd] = r;
	return 0;
}

static void put_complete(struct dns_watch *w, const struct eng_endpoint *eps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct names_ep ne;

		names_ep_from_endpoint(&eps[i], &ne);
		if (eps[i].state != ENG_EP_COMPLETE)
			names_del(w->nx, NAMES_SOURCE_LOCAL, ne.network, ne.id, ne.ifname);
		else if (names_put(w->nx, &ne) < 0)
			log_warn("dns: out of memory indexing %s on %s", ne.id, ne.network);
	}
}

/* One container's records read again (a directory that just appeared: they may have come before the watch). */
static void scan_id(struct dns_watch *w, const char *network, const char *id)
{
	struct eng_endpoint *eps = NULL;
	size_t n = 0;

	if (add(w, W_ID, network, id, REC_MASK) == -ENOENT)
		return;
	if (store_ep_list(&w->st, network, id, false, &eps, &n, NULL) < 0)
		return;
	pthread_mutex_lock(w->lock);
	put_complete(w, eps, n);
	pthread_mutex_unlock(w->lock);
	eng_endpoints_free(eps, n);
}

static void network_def(struct dns_watch *w, const char *name)
{
	struct eng_network def;

	if (store_network_read(&w->st, name, &def, NULL) == 0 && w->ops.network)
		w->ops.network(w->ops.arg, name, &def);
}

/* A network's watches, definition and every complete record of it in place of what the index had. */
static void scan_network(struct dns_watch *w, const char *network)
{
	struct eng_endpoint *eps = NULL;
	struct names_ep *ne;
	char path[PATH_MAX], name[ENG_NAME_MAX + 1];
	size_t n = 0, k = 0;
	struct dirent *de;
	DIR *d;

	if (!bname_valid(network, ENG_NAME_MAX))
		return;
	/* a copy: network may be the record of the network's own watch, which add() replaces */
	snprintf(name, sizeof(name), "%s", network);
	if (add(w, W_NET, name, NULL, REC_MASK | IN_CREATE) < 0)
		return;
	add(w, W_EPS, name, NULL, DIR_MASK);
	network_def(w, name);
	/* every container directory watched before the records are read: nothing slips between */
	store_path(&w->st, path, sizeof(path), "networks/%s/endpoints", name);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (bname_valid(de->d_name, ENG_ID_MAX))
			add(w, W_ID, name, de->d_name, REC_MASK);
	if (d)
		closedir(d);
	if (store_ep_list(&w->st, name, NULL, false, &eps, &n, NULL) < 0)
		return;
	ne = calloc(n + 1, sizeof(*ne));
	if (ne) {
		for (size_t i = 0; i < n; i++)
			if (eps[i].state == ENG_EP_COMPLETE)
				names_ep_from_endpoint(&eps[i], &ne[k++]);
		pthread_mutex_lock(w->lock);
		if (names_replace(w->nx, NAMES_SOURCE_LOCAL, name, ne, k) < 0)
			log_warn("dns: out of memory indexing network %s", name);
		pthread_mutex_unlock(w->lock);
		free(ne);
	}
	eng_endpoints_free(eps, n);
}

static void network_gone(struct dns_watch *w, const char *name)
{
	pthread_mutex_lock(w->lock);
	names_del(w->nx, NAMES_SOURCE_LOCAL, name, NULL, NULL);
	pthread_mutex_unlock(w->lock);
	if (w->ops.network)
		w->ops.network(w->ops.arg, name, NULL);
}

struct stale {
	char **keep; /* the store's networks */
	size_t n_keep;
	char **drop;
	size_t n_drop, cap;
};

/* Local entries of a network the store no longer has. */
static int find_stale(const struct names_ep *ep, void *arg)
{
	struct stale *s = arg;

	if (strcmp(ep->source, NAMES_SOURCE_LOCAL) != 0)
		return 0;
	for (size_t i = 0; i < s->n_keep; i++)
		if (strcmp(s->keep[i], ep->network) == 0)
			return 0;
	for (size_t i = 0; i < s->n_drop; i++)
		if (strcmp(s->drop[i], ep->network) == 0)
			return 0;
	if (BARRAY_RESERVE(s->drop, s->cap, s->n_drop + 1) < 0 || !(s->drop[s->n_drop] = strdup(ep->network)))
		return -ENOMEM;
	s->n_drop++;
	return 0;
}

void dns_watch_resync(struct dns_watch *w)
{
	struct stale s = {0};

	if (add(w, W_NETWORKS, NULL, NULL, DIR_MASK) < 0 || store_network_names(&w->st, &s.keep, &s.n_keep, NULL) < 0)
		return;
	for (size_t i = 0; i < s.n_keep; i++)
		scan_network(w, s.keep[i]);
	pthread_mutex_lock(w->lock);
	names_foreach(w->nx, NULL, find_stale, &s);
	for (size_t i = 0; i < s.n_drop; i++)
		names_del(w->nx, NAMES_SOURCE_LOCAL, s.drop[i], NULL, NULL);
	pthread_mutex_unlock(w->lock);
	strv_free_n(s.keep, s.n_keep);
	strv_free_n(s.drop, s.n_drop);
}

static bool is_record(const char *name, char *ifname, size_t len)
{
	size_t n = strlen(name);

	if (n <= 5 || n - 5 >= len || strcmp(name + n - 5, ".json") != 0)
		return false;
	memcpy(ifname, name, n - 5);
	ifname[n - 5] = '\0';
	return true;
}

static void record_event(struct dns_watch *w, const struct wrec *r, const struct inotify_event *ev)
{
	char ifname[64];
	struct eng_endpoint ep;

	if (!is_record(ev->name, ifname, sizeof(ifname)))
		return;
	if ((ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) &&
	    store_ep_read(&w->st, r->network, r->id, ifname, &ep, NULL) == 0) {
		pthread_mutex_lock(w->lock);
		put_complete(w, &ep, 1);
		pthread_mutex_unlock(w->lock);
		eng_endpoint_clear(&ep);
		return;
	}
	pthread_mutex_lock(w->lock);
	names_del(w->nx, NAMES_SOURCE_LOCAL, r->network, r->id, ifname);
	pthread_mutex_unlock(w->lock);
}

static void event(struct dns_watch *w, const struct inotify_event *ev)
{
	struct wrec *r = (size_t)ev->wd < w->cap ? w->w[ev->wd] : NULL;
	bool dir = ev->mask & IN_ISDIR;
	bool in = ev->mask & (IN_CREATE | IN_MOVED_TO), out = ev->mask & (IN_DELETE | IN_MOVED_FROM);

	if (!r)
		return;
	if (ev->mask & IN_IGNORED) {
		wrec_free(r);
		w->w[ev->wd] = NULL;
		return;
	}
	if (!ev->len)
		return;
	switch (r->kind) {
	case W_NETWORKS:
		if (dir && in)
			scan_network(w, ev->name);
		else if (dir && out)
			network_gone(w, ev->name);
		break;
	case W_NET:
		if (strcmp(ev->name, "network.json") == 0 && (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)))
			network_def(w, r->network);
		else if (dir && in && strcmp(ev->name, "endpoints") == 0)
			scan_network(w, r->network);
		break;
	case W_EPS:
		if (dir && in && bname_valid(ev->name, ENG_ID_MAX))
			scan_id(w, r->network, ev->name);
		else if (dir && out) {
			pthread_mutex_lock(w->lock);
			names_del(w->nx, NAMES_SOURCE_LOCAL, r->network, ev->name, NULL);
			pthread_mutex_unlock(w->lock);
		}
		break;
	case W_ID:
		record_event(w, r, ev);
		break;
	}
}

void dns_watch_read(struct dns_watch *w)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				log_warn("dns: the state store's event queue overflowed: reading every record again");
				dns_watch_resync(w);
			} else {
				event(w, ev);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

int dns_watch_open(const char *root, struct names *nx, pthread_mutex_t *lock, const struct dns_watch_ops *ops,
		   struct dns_watch **ret, int *ret_fd, struct berr *e)
{
	struct dns_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return berr_oom(e);
	w->nx = nx;
	w->lock = lock;
	w->ops = *ops;
	w->fd = -1;
	r = store_init(&w->st, root, 1000, e);
	if (r < 0) {
		free(w);
		return r;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		r = berr_errno(e, "inotify");
		dns_watch_close(w);
		return r;
	}
	dns_watch_resync(w);
	*ret = w;
	*ret_fd = w->fd;
	return 0;
}

void dns_watch_close(struct dns_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->cap; i++)
		wrec_free(w->w[i]);
	free(w->w);
	store_fini(&w->st);
	free(w);
}
