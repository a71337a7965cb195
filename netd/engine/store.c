/* The state store: paths, locks, network definitions and endpoint records under the state directory. */
#include "netd/engine/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "lock.h"
#include "netd/engine/record.h"
#include "strv.h"

#define RECORD_MAX_SIZE (1024 * 1024)

int store_init(struct store *st, const char *root, int timeout_ms, struct berr *e)
{
	char path[PATH_MAX];
	int r;

	st->root = strdup(root);
	if (!st->root)
		return berr_oom(e);
	st->timeout_ms = timeout_ms;
	if ((r = bfile_mkdir_p(root, 0700, e)) < 0 || (r = store_path(st, path, sizeof(path), "networks")) < 0 ||
	    (r = bfile_mkdir_p(path, 0700, e)) < 0 || (r = store_path(st, path, sizeof(path), "ports")) < 0 ||
	    (r = bfile_mkdir_p(path, 0700, e)) < 0) {
		store_fini(st);
		return berr_wrap(e, r, "state directory %s", root);
	}
	return 0;
}

void store_fini(struct store *st)
{
	free(st->root);
	st->root = NULL;
}

int store_path(const struct store *st, char *buf, size_t len, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel) || (size_t)snprintf(buf, len, "%s/%s", st->root, rel) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int lock_file(struct store *st, const char *rel, const char *what, int *ret_fd, struct berr *e)
{
	char path[PATH_MAX];
	int r;

	if (store_path(st, path, sizeof(path), "%s", rel) < 0)
		return berr_set(e, -ENAMETOOLONG, "state directory path too long");
	r = block_acquire(path, st->timeout_ms, ret_fd, e);
	return r < 0 ? berr_wrap(e, r, "%s", what) : 0;
}

int store_lock_global(struct store *st, int *ret_fd, struct berr *e)
{
	return lock_file(st, "lock", "state lock", ret_fd, e);
}

int store_lock_ports(struct store *st, int *ret_fd, struct berr *e)
{
	return lock_file(st, "ports/lock", "ports lock", ret_fd, e);
}

int store_lock_network(struct store *st, const char *name, int *ret_fd, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int lfd = -1;
	struct stat a, b;
	int r;

	if (store_path(st, path, sizeof(path), "networks/%s", name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		if (errno == ENOENT)
			return berr_set(e, -ENOENT, "unknown network '%s'", name);
		return berr_errno(e, "open %s", path);
	}
	r = block_acquire_at(dfd, "lock", st->timeout_ms, &lfd, e);
	if (r < 0)
		return berr_wrap(e, r, "network '%s'", name);
	/* The network may have been removed (or re-created) while we waited. */
	if (fstat(dfd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev ||
	    faccessat(dfd, "network.json", F_OK, 0) < 0)
		return berr_set(e, -ENOENT, "unknown network '%s'", name);
	*ret_fd = TAKE_FD(lfd);
	return 0;
}

int store_network_read(struct store *st, const char *name, struct eng_network *ret, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	int r;

	if (store_path(st, path, sizeof(path), "networks/%s/network.json", name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	r = bjson_load_file(path, RECORD_MAX_SIZE, &j, e);
	if (r < 0) {
		if (r == -ENOENT)
			return berr_set(e, -ENOENT, "unknown network '%s'", name);
		return r;
	}
	r = record_network_from_json(j, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s", path);
	return 0;
}

int store_write_json(const char *path, const json_t *j, int flags, struct berr *e)
{
	_cleanup_free_ char *s = NULL;
	size_t len;

	s = bjson_dump_line(j, &len);
	if (!s)
		return berr_oom(e);
	return bfile_write_atomic(path, s, len, 0600, flags, e);
}

int store_network_write(struct store *st, const struct eng_network *n, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	int r;

	if (store_path(st, path, sizeof(path), "networks/%s/endpoints", n->name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	r = bfile_mkdir_p(path, 0700, e);
	if (r < 0)
		return r;
	j = record_network_to_json(n);
	if (!j)
		return berr_oom(e);
	store_path(st, path, sizeof(path), "networks/%s/network.json", n->name);
	/* Definitions change rarely and are worth a power loss: written durably. */
	return store_write_json(path, j, BFILE_SYNC, e);
}

int store_network_remove(struct store *st, const char *name, struct berr *e)
{
	char path[PATH_MAX];

	if (store_path(st, path, sizeof(path), "networks/%s", name) < 0)
		return berr_set(e, -ENAMETOOLONG, "network name too long");
	return bfile_rm_rf(path, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of a directory that pass keep(), sorted. */
static int list_dir(const char *path, bool (*keep)(const struct dirent *), char ***ret, size_t *ret_n, struct berr *e)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	d = opendir(path);
	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		return berr_errno(e, "open %s", path);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !keep(de))
			continue;
		if (BARRAY_RESERVE(v, cap, n + 1) < 0 || !(v[n] = strdup(de->d_name)))
			goto fail;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	closedir(d);
	strv_free_n(v, n);
	return berr_oom(e);
}

static bool is_name(const struct dirent *de)
{
	return bname_valid(de->d_name, ENG_NAME_MAX > ENG_ID_MAX ? ENG_NAME_MAX : ENG_ID_MAX);
}

static bool is_record(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && strcmp(de->d_name + n - 5, ".json") == 0;
}

int store_network_names(struct store *st, char ***ret, size_t *ret_n, struct berr *e)
{
	char path[PATH_MAX];

	store_path(st, path, sizeof(path), "networks");
	return list_dir(path, is_name, ret, ret_n, e);
}

int store_ipam_path(const struct store *st, const char *network, char *buf, size_t len)
{
	return store_path(st, buf, len, "networks/%s/ipam", network);
}

int store_ipam6_path(const struct store *st, const char *network, char *buf, size_t len)
{
	return store_path(st, buf, len, "networks/%s/ipam6", network);
}

static int ep_path(struct store *st, char *buf, size_t len, const char *network, const char *id, const char *ifname)
{
	if (ifname)
		return store_path(st, buf, len, "networks/%s/endpoints/%s/%s.json", network, id, ifname);
	return store_path(st, buf, len, "networks/%s/endpoints/%s", network, id);
}

int store_ep_read(struct store *st, const char *network, const char *id, const char *ifname, struct eng_endpoint *ret,
		  struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	int r;

	if (ep_path(st, path, sizeof(path), network, id, ifname) < 0)
		return berr_set(e, -ENAMETOOLONG, "endpoint name too long");
	r = bjson_load_file(path, RECORD_MAX_SIZE, &j, e);
	if (r < 0)
		return r;
	r = record_endpoint_from_json(j, ret, e);
	return r < 0 ? berr_wrap(e, r, "%s", path) : 0;
}

int store_ep_write(struct store *st, const struct eng_endpoint *ep, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	int r;

	if (ep_path(st, path, sizeof(path), ep->network, ep->id, NULL) < 0)
		return berr_set(e, -ENAMETOOLONG, "endpoint name too long");
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berr_errno(e, "create %s", path);
	ep_path(st, path, sizeof(path), ep->network, ep->id, ep->ifname);
	j = record_endpoint_to_json(ep);
	if (!j)
		return berr_oom(e);
	r = store_write_json(path, j, 0, e);
	return r < 0 ? berr_wrap(e, r, "endpoint record") : 0;
}

int store_ep_remove(struct store *st, const char *network, const char *id, const char *ifname, struct berr *e)
{
	char path[PATH_MAX];

	if (ep_path(st, path, sizeof(path), network, id, ifname) < 0)
		return berr_set(e, -ENAMETOOLONG, "endpoint name too long");
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_errno(e, "remove %s", path);
	ep_path(st, path, sizeof(path), network, id, NULL);
	/* The container's directory goes with its last interface. */
	if (rmdir(path) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
		return berr_errno(e, "remove %s", path);
	return 0;
}

static int cmp_ep(const void *a, const void *b)
{
	const struct eng_endpoint *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : strcmp(x->ifname, y->ifname);
}

static int push_ep(struct eng_endpoint **v, size_t *n, size_t *cap, struct eng_endpoint *ep)
{
	if (BARRAY_RESERVE(*v, *cap, *n + 1) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = *ep;
	return 0;
}

void store_ep_sweep(struct store *st, const char *network, const char *id)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (ep_path(st, path, sizeof(path), network, id, NULL) < 0)
		return;
	d = opendir(path);
	if (!d)
		return;
	/* bfile_write_atomic's "<ifname>.json.tmp.<pid>" of a writer that died before its rename */
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".json.tmp."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(path);
}

static int list_id(struct store *st, const char *network, const char *id, bool remove_bad, struct eng_endpoint **v,
		   size_t *n, size_t *cap, struct berr *e)
{
	char path[PATH_MAX];
	char **files = NULL;
	size_t nf = 0;
	int r;

	ep_path(st, path, sizeof(path), network, id, NULL);
	r = list_dir(path, is_record, &files, &nf, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nf; i++) {
		struct eng_endpoint ep;
		char ifname[64];
		size_t len = strlen(files[i]) - 5;

		if (len == 0 || len >= sizeof(ifname))
			continue;
		memcpy(ifname, files[i], len);
		ifname[len] = '\0';
		r = store_ep_read(st, network, id, ifname, &ep, NULL);
		if (r < 0 || strcmp(ep.network, network) != 0 || strcmp(ep.id, id) != 0 ||
		    strcmp(ep.ifname, ifname) != 0) {
			if (r == 0)
				eng_endpoint_clear(&ep);
			/* a record a crash or a hand truncated; reconcile drops it */
			if (remove_bad) {
				ep_path(st, path, sizeof(path), network, id, ifname);
				unlink(path);
			}
			continue;
		}
		if (push_ep(v, n, cap, &ep) < 0) {
			eng_endpoint_clear(&ep);
			strv_free_n(files, nf);
			return berr_oom(e);
		}
	}
	strv_free_n(files, nf);
	if (remove_bad)
		store_ep_sweep(st, network, id);
	return 0;
}

int store_ep_list(struct store *st, const char *network, const char *id, bool remove_bad, struct eng_endpoint **ret,
		  size_t *ret_n, struct berr *e)
{
	char path[PATH_MAX];
	struct eng_endpoint *v = NULL;
	size_t n = 0, cap = 0;
	char **ids = NULL;
	size_t nids = 0;
	int r = 0;

	if (id) {
		r = list_id(st, network, id, remove_bad, &v, &n, &cap, e);
	} else {
		store_path(st, path, sizeof(path), "networks/%s/endpoints", network);
		r = list_dir(path, is_name, &ids, &nids, e);
		for (size_t i = 0; r >= 0 && i < nids; i++)
			r = list_id(st, network, ids[i], remove_bad, &v, &n, &cap, e);
		strv_free_n(ids, nids);
	}
	if (r < 0) {
		eng_endpoints_free(v, n);
		return r;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_ep);
	*ret = v;
	*ret_n = n;
	return 0;
}

int store_net_lock(struct store *st, const char *name, struct store_net *ret, struct berr *e)
{
	_cleanup_close_ int lock = -1;
	int r;

	r = store_lock_network(st, name, &lock, e);
	if (r < 0)
		return r;
	r = store_network_read(st, name, &ret->def, e);
	if (r < 0)
		return r;
	ret->lock = TAKE_FD(lock);
	return 0;
}

int store_net_open(struct store *st, const char *name, const char *id, bool remove_bad, struct store_net *ret,
		   struct berr *e)
{
	struct store_net sn = STORE_NET_INIT;
	int r;

	r = store_net_lock(st, name, &sn, e);
	if (r >= 0)
		r = store_ep_list(st, name, id, remove_bad, &sn.eps, &sn.n_eps, e);
	if (r < 0) {
		store_net_close(&sn);
		return r;
	}
	*ret = sn;
	return 0;
}

void store_net_close(struct store_net *sn)
{
	if (!sn)
		return;
	sn->lock = berth_close_safe(sn->lock);
	eng_endpoints_free(sn->eps, sn->n_eps);
	sn->eps = NULL;
	sn->n_eps = 0;
}
