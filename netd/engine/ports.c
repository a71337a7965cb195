/* Host port claims: claiming, releasing and sweeping the records of who published which host port. */
#include "netd/engine/ports.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "netd/engine/eng_int.h"

#define CLAIM_MAX_SIZE (256 * 1024)

static int claim_path(struct store *st, char *buf, size_t len, enum bproto proto, unsigned port)
{
	return store_path(st, buf, len, "ports/%s-%u.json", bproto_name(proto), port);
}

static int load_claims(const char *path, json_t **ret, struct berr *e)
{
	json_t *j = NULL;
	int r;

	r = bjson_load_file(path, CLAIM_MAX_SIZE, &j, NULL);
	if (r == -ENOENT || (r == 0 && !json_is_array(j)) || r == -EINVAL) {
		/* missing, or damaged by a crash of an older writer: start empty */
		json_decref(j);
		j = json_array();
		if (!j)
			return berr_oom(e);
	} else if (r < 0) {
		return berr_sys(e, r, "read %s", path);
	}
	*ret = j;
	return 0;
}

static int save_claims(const char *path, json_t *arr, struct berr *e)
{
	if (json_array_size(arr) == 0) {
		if (unlink(path) < 0 && errno != ENOENT)
			return berr_errno(e, "remove %s", path);
		return 0;
	}
	return store_write_json(path, arr, 0, e);
}

static const char *str_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static bool owned_by(const json_t *c, const char *network, const char *id, const char *ifname)
{
	return strcmp(str_of(c, "network"), network) == 0 && strcmp(str_of(c, "id"), id) == 0 &&
	       strcmp(str_of(c, "ifname"), ifname) == 0;
}

/* A claim's host address: a family, and the address (zero: every address of that family). */
struct claim_addr {
	bool v6;
	uint32_t ip;
	struct in6_addr ip6;
};

static struct claim_addr claim_of(const json_t *c)
{
	struct claim_addr a;
	const char *s = str_of(c, "host_ip");

	memset(&a, 0, sizeof(a));
	a.v6 = strchr(s, ':') != NULL;
	if (a.v6)
		baddr_parse6(s, &a.ip6, NULL);
	else
		baddr_parse4(s, &a.ip, NULL);
	return a;
}

static struct claim_addr port_addr(const struct nft_port *p)
{
	struct claim_addr a;

	memset(&a, 0, sizeof(a));
	a.v6 = p->v6;
	a.ip = p->host_ip;
	a.ip6 = p->host_ip6;
	return a;
}

static bool claim_any(const struct claim_addr *a)
{
	return a->v6 ? baddr_zero6(&a->ip6) : a->ip == 0;
}

static bool claim_eq(const struct claim_addr *a, const struct claim_addr *b)
{
	return a->v6 == b->v6 && (a->v6 ? baddr_eq6(&a->ip6, &b->ip6) : a->ip == b->ip);
}

/* Two claims of one port collide in one family: the same address, or either on every address. */
static bool claims_collide(const struct claim_addr *a, const struct claim_addr *b)
{
	return a->v6 == b->v6 && (claim_any(a) || claim_any(b) || claim_eq(a, b));
}

/* "0.0.0.0", "198.51.100.2", "::", "2001:db8::1" */
static const char *claim_fmt(const struct claim_addr *a, char buf[INET6_ADDRSTRLEN])
{
	return a->v6 ? baddr_fmt6(&a->ip6, buf) : baddr_fmt4(a->ip, buf);
}

static void drop_owned(json_t *arr, const struct eng_endpoint *ep, const struct claim_addr *a)
{
	for (size_t j = 0; j < json_array_size(arr);) {
		json_t *c = json_array_get(arr, j);
		struct claim_addr ca = claim_of(c);

		if (owned_by(c, ep->network, ep->id, ep->ifname) && claim_eq(&ca, a))
			json_array_remove(arr, j);
		else
			j++;
	}
}

int ports_release(struct store *st, const struct eng_endpoint *ep, struct berr *e)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ struct nft_port *hps = NULL;
	size_t n;
	int r, first = 0;

	if (ep->n_ports == 0)
		return 0;
	if (eng_nft_ports(ep, &hps, &n) < 0)
		return berr_oom(e);
	r = store_lock_ports(st, &lock, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		_cleanup_json_ json_t *arr = NULL;

		claim_path(st, path, sizeof(path), hps[i].proto, hps[i].host_port);
		r = load_claims(path, &arr, e);
		if (r < 0) {
			first = first ? first : r;
			continue;
		}
		{
			struct claim_addr a = port_addr(&hps[i]);

			drop_owned(arr, ep, &a);
		}
		r = save_claims(path, arr, e);
		if (r < 0)
			first = first ? first : r;
	}
	return first;
}

int ports_claim(struct store *st, const struct eng_endpoint *ep, struct berr *e)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ struct nft_port *hps = NULL;
	json_t **arrs = NULL;
	size_t n, written = 0;
	int r;

	if (ep->n_ports == 0)
		return 0;
	if (eng_nft_ports(ep, &hps, &n) < 0)
		return berr_oom(e);
	arrs = calloc(n, sizeof(*arrs));
	if (!arrs)
		return berr_oom(e);
	r = store_lock_ports(st, &lock, e);
	if (r < 0)
		goto out;
	/* First check every port, then write: a conflict leaves nothing claimed. */
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], ipb[INET6_ADDRSTRLEN];
		struct claim_addr mine = port_addr(&hps[i]);
		json_t *c;
		size_t j;

		/* one file per protocol and port: both families' claims of it go into one array */
		for (size_t k = 0; k < i && !arrs[i]; k++)
			if (hps[k].proto == hps[i].proto && hps[k].host_port == hps[i].host_port)
				arrs[i] = json_incref(arrs[k]);
		claim_path(st, path, sizeof(path), hps[i].proto, hps[i].host_port);
		if (!arrs[i]) {
			r = load_claims(path, &arrs[i], e);
			if (r < 0)
				goto out;
		}
		json_array_foreach (arrs[i], j, c) {
			struct claim_addr theirs = claim_of(c);

			/* a stale claim of this very endpoint (its record is gone) is not a conflict */
			if (!claims_collide(&mine, &theirs) || owned_by(c, ep->network, ep->id, ep->ifname))
				continue;
			r = berr_set(
				e, -EADDRINUSE,
				"host port %s/%u%s%s%s is already published by container '%s' (%s on network '%s')",
				bproto_name(hps[i].proto), hps[i].host_port, claim_any(&theirs) ? "" : " on ",
				claim_any(&theirs) ? "" : claim_fmt(&theirs, ipb), theirs.v6 ? " (IPv6)" : "",
				str_of(c, "id"), str_of(c, "ifname"), str_of(c, "network"));
			goto out;
		}
		for (size_t k = 0; k < i; k++) {
			struct claim_addr other = port_addr(&hps[k]);

			if (hps[k].proto == hps[i].proto && hps[k].host_port == hps[i].host_port &&
			    claims_collide(&mine, &other)) {
				r = berr_set(e, -EINVAL, "host port %s/%u is published twice",
					     bproto_name(hps[i].proto), hps[i].host_port);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], ipb[INET6_ADDRSTRLEN];
		struct claim_addr mine = port_addr(&hps[i]);
		json_t *c;

		drop_owned(arrs[i], ep, &mine);
		c = json_object();
		if (!c || json_array_append_new(arrs[i], c) < 0 ||
		    bjson_set(c, "host_ip", json_string(claim_fmt(&mine, ipb))) < 0 ||
		    bjson_set(c, "network", json_string(ep->network)) < 0 ||
		    bjson_set(c, "id", json_string(ep->id)) < 0 ||
		    bjson_set(c, "ifname", json_string(ep->ifname)) < 0) {
			r = berr_oom(e);
			goto fail;
		}
		claim_path(st, path, sizeof(path), hps[i].proto, hps[i].host_port);
		r = save_claims(path, arrs[i], e);
		if (r < 0)
			goto fail;
		written++;
	}
	r = 0;
	goto out;
fail:
	for (size_t i = 0; i < written; i++) {
		char path[PATH_MAX];
		json_t *arr = arrs[i];
		struct claim_addr mine = port_addr(&hps[i]);

		drop_owned(arr, ep, &mine);
		claim_path(st, path, sizeof(path), hps[i].proto, hps[i].host_port);
		save_claims(path, arr, NULL);
	}
out:
	for (size_t i = 0; i < n; i++)
		json_decref(arrs[i]);
	free(arrs);
	return r;
}

static bool is_live(const json_t *c, const struct eng_endpoint *live, size_t n_live)
{
	for (size_t i = 0; i < n_live; i++) {
		if (owned_by(c, live[i].network, live[i].id, live[i].ifname))
			return true;
	}
	return false;
}

int ports_sweep(struct store *st, const char *network, const struct eng_endpoint *live, size_t n_live, struct berr *e)
{
	_cleanup_close_ int lock = -1;
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int r, dropped = 0;

	r = store_lock_ports(st, &lock, e);
	if (r < 0)
		return r;
	store_path(st, dir, sizeof(dir), "ports");
	d = opendir(dir);
	if (!d)
		return berr_errno(e, "open %s", dir);
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		_cleanup_json_ json_t *arr = NULL;
		size_t len = strlen(de->d_name), j, before;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0) {
			/* temporary file of a writer that crashed */
			if (strstr(de->d_name, ".tmp."))
				unlink(path);
			continue;
		}
		if (load_claims(path, &arr, NULL) < 0)
			continue;
		before = json_array_size(arr);
		for (j = 0; j < json_array_size(arr);) {
			json_t *c = json_array_get(arr, j);

			if ((!network || strcmp(str_of(c, "network"), network) == 0) && !is_live(c, live, n_live))
				json_array_remove(arr, j);
			else
				j++;
		}
		if (json_array_size(arr) != before) {
			dropped += (int)(before - json_array_size(arr));
			save_claims(path, arr, NULL);
		}
	}
	closedir(d);
	return dropped;
}
