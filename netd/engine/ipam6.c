/* IPAM for IPv6: the window bitmap file, mapped, next-fit allocation, and the table beyond the window. */
#include "netd/engine/ipam6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cleanup.h"
#include "fileutil.h"
#include "netd/engine/bitmap.h"
#include "netd/engine/ipam.h"
#include "u128.h"

#define IPAM6_MAGIC "BIPAM601"
#define IPAM6_HDR_SIZE 64

struct ipam6_hdr {
	char magic[8];
	uint8_t subnet[16];
	uint8_t base[16]; /* the window's first address: the range's start */
	uint32_t prefix;
	uint32_t nbits;	    /* addresses in the window */
	uint32_t last;	    /* window offset of the last automatic allocation */
	uint32_t n_outside; /* entries of the table beyond the window */
};

struct ipam6 {
	void *map;
	size_t map_len;
	struct ipam6_hdr *hdr;
	uint64_t *bits;
	uint8_t (*outside)[16];
	bu128 subnet, base, gw; /* gw 0: none */
	uint8_t prefix;
	uint32_t nbits;
};

/* The subnet's host addresses: first (past the subnet-router anycast) and last. */
static void host_bounds(const struct bcidr6 *c, bu128 *first, bu128 *last)
{
	bu128 base = bu128_of6(&c->addr);

	*first = base + 1;
	*last = base + (((bu128)1 << (128 - c->prefix)) - 1);
}

/* The definition's range, defaults filled in. */
static void range_of(const struct ipam6_def *d, bu128 *lo, bu128 *hi)
{
	host_bounds(&d->subnet, lo, hi);
	if (!baddr_zero6(&d->range_start)) {
		*lo = bu128_of6(&d->range_start);
		*hi = bu128_of6(&d->range_end);
	}
}

static uint32_t window_size(const struct ipam6_def *d)
{
	bu128 lo, hi;

	range_of(d, &lo, &hi);
	return hi - lo >= IPAM6_WINDOW ? IPAM6_WINDOW : (uint32_t)(hi - lo) + 1;
}

static size_t bits_bytes(uint32_t nbits)
{
	return ((size_t)nbits + 63) / 64 * 8;
}

static size_t file_size(uint32_t nbits)
{
	return IPAM6_HDR_SIZE + bits_bytes(nbits) + (size_t)IPAM6_OUTSIDE_MAX * 16;
}

int ipam6_def_check(const struct ipam6_def *d, struct berr *e)
{
	char a[INET6_ADDRSTRLEN], b[BADDR_CIDR6_STRLEN];
	struct in6_addr m;
	bu128 first, last, v;

	if (d->subnet.prefix < IPAM6_MIN_PREFIX || d->subnet.prefix > IPAM6_MAX_PREFIX)
		return berr_set(e, -EINVAL, "subnet %s: prefix must be /%d to /%d", baddr_fmt_cidr6(&d->subnet, b),
				IPAM6_MIN_PREFIX, IPAM6_MAX_PREFIX);
	m = baddr_mask6(&d->subnet.addr, d->subnet.prefix);
	if (!baddr_eq6(&m, &d->subnet.addr))
		return berr_set(e, -EINVAL, "subnet %s has host bits set", baddr_fmt_cidr6(&d->subnet, b));
	host_bounds(&d->subnet, &first, &last);
	v = bu128_of6(&d->gateway);
	if (!baddr_zero6(&d->gateway) && (v < first || v > last))
		return berr_set(e, -EINVAL, "gateway %s is not a host address of %s", baddr_fmt6(&d->gateway, a),
				baddr_fmt_cidr6(&d->subnet, b));
	if (!baddr_zero6(&d->range_start) || !baddr_zero6(&d->range_end)) {
		bu128 s = bu128_of6(&d->range_start), t = bu128_of6(&d->range_end);

		if (s < first || s > last)
			return berr_set(e, -EINVAL, "range start %s is not a host address of %s",
					baddr_fmt6(&d->range_start, a), baddr_fmt_cidr6(&d->subnet, b));
		if (t < first || t > last)
			return berr_set(e, -EINVAL, "range end %s is not a host address of %s",
					baddr_fmt6(&d->range_end, a), baddr_fmt_cidr6(&d->subnet, b));
		if (t < s)
			return berr_set(e, -EINVAL, "range end %s is before its start", baddr_fmt6(&d->range_end, a));
	}
	return 0;
}

/* Point ip's fields at a mapped or built file of d. */
static void setup(struct ipam6 *ip, void *map, const struct ipam6_def *d)
{
	ip->hdr = map;
	ip->bits = (uint64_t *)((uint8_t *)map + IPAM6_HDR_SIZE);
	ip->nbits = window_size(d);
	ip->outside = (uint8_t(*)[16])((uint8_t *)map + IPAM6_HDR_SIZE + bits_bytes(ip->nbits));
	ip->subnet = bu128_of6(&d->subnet.addr);
	ip->prefix = d->subnet.prefix;
	{
		bu128 lo, hi;

		range_of(d, &lo, &hi);
		ip->base = lo;
	}
	ip->gw = baddr_zero6(&d->gateway) ? 0 : bu128_of6(&d->gateway);
	if (ip->gw && ip->gw - ip->base < ip->nbits)
		bitmap_set(ip->bits, (uint32_t)(ip->gw - ip->base));
}

/* Index of a in the table beyond the window, or -1. */
static int outside_find(const struct ipam6 *ip, const struct in6_addr *a)
{
	for (uint32_t i = 0; i < ip->hdr->n_outside && i < IPAM6_OUTSIDE_MAX; i++)
		if (memcmp(ip->outside[i], a->s6_addr, 16) == 0)
			return (int)i;
	return -1;
}

static bool in_window(const struct ipam6 *ip, bu128 v, uint32_t *ret_off)
{
	if (v < ip->base || v - ip->base >= ip->nbits)
		return false;
	*ret_off = (uint32_t)(v - ip->base);
	return true;
}

int ipam6_create(const char *path, const struct ipam6_def *d, const struct in6_addr *used, size_t n_used,
		 struct berr *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct ipam6 ip = {0};
	size_t len;
	int r;

	r = ipam6_def_check(d, e);
	if (r < 0)
		return r;
	len = file_size(window_size(d));
	buf = calloc(1, len);
	if (!buf)
		return berr_oom(e);
	setup(&ip, buf, d);
	memcpy(ip.hdr->magic, IPAM6_MAGIC, 8);
	memcpy(ip.hdr->subnet, d->subnet.addr.s6_addr, 16);
	{
		struct in6_addr b = bu128_addr6(ip.base);

		memcpy(ip.hdr->base, b.s6_addr, 16);
	}
	ip.hdr->prefix = d->subnet.prefix;
	ip.hdr->nbits = ip.nbits;
	/* the first search starts at the window's first address (the range's start) */
	ip.hdr->last = ip.nbits - 1;
	for (size_t i = 0; i < n_used; i++) {
		if (!ipam6_in_subnet(&ip, &used[i]))
			continue;
		if (ipam6_set(&ip, &used[i], false) < 0)
			return berr_set(e, -ENOSPC,
					"more than %d requested IPv6 addresses beyond the allocation window",
					IPAM6_OUTSIDE_MAX);
		{
			uint32_t off;

			if (in_window(&ip, bu128_of6(&used[i]), &off))
				ip.hdr->last = off;
		}
	}
	return bfile_write_atomic(path, buf, len, 0600, 0, e);
}

int ipam6_open(const char *path, const struct ipam6_def *d, struct ipam6 **ret, struct berr *e)
{
	struct ipam6 *ip;
	struct in6_addr base;
	uint32_t nbits;
	void *map;
	int r;

	r = ipam6_def_check(d, e);
	if (r < 0)
		return r;
	nbits = window_size(d);
	r = ipam_map_file(path, file_size(nbits), "IPv6 allocation file", &map, e);
	if (r < 0)
		return r;
	ip = calloc(1, sizeof(*ip));
	if (!ip) {
		munmap(map, file_size(nbits));
		return berr_oom(e);
	}
	ip->map = map;
	ip->map_len = file_size(nbits);
	ip->hdr = map;
	{
		bu128 lo, hi;

		range_of(d, &lo, &hi);
		base = bu128_addr6(lo);
	}
	if (memcmp(ip->hdr->magic, IPAM6_MAGIC, 8) != 0 || memcmp(ip->hdr->subnet, d->subnet.addr.s6_addr, 16) != 0 ||
	    memcmp(ip->hdr->base, base.s6_addr, 16) != 0 || ip->hdr->prefix != d->subnet.prefix ||
	    ip->hdr->nbits != nbits || ip->hdr->n_outside > IPAM6_OUTSIDE_MAX) {
		ipam6_close(ip);
		return berr_set(e, -EBADMSG, "IPv6 allocation file %s does not match the network", path);
	}
	/* whatever a damaged file says, the gateway is never handed out */
	setup(ip, map, d);
	if (ip->hdr->last >= nbits)
		ip->hdr->last = 0;
	*ret = ip;
	return 0;
}

void ipam6_close(struct ipam6 *ip)
{
	if (!ip)
		return;
	munmap(ip->map, ip->map_len);
	free(ip);
}

bool ipam6_in_subnet(const struct ipam6 *ip, const struct in6_addr *a)
{
	return (bu128_of6(a) ^ ip->subnet) >> (128 - ip->prefix) == 0;
}

bool ipam6_reserved(const struct ipam6 *ip, const struct in6_addr *a)
{
	bu128 v = bu128_of6(a);

	return v == ip->subnet || (ip->gw && v == ip->gw);
}

bool ipam6_test(const struct ipam6 *ip, const struct in6_addr *a)
{
	uint32_t off;

	if (!ipam6_in_subnet(ip, a))
		return false;
	if (in_window(ip, bu128_of6(a), &off))
		return bitmap_test(ip->bits, off);
	return outside_find(ip, a) >= 0;
}

int ipam6_next(const struct ipam6 *ip, struct in6_addr *ret)
{
	uint32_t start = ip->hdr->last + 1, hit;

	if (start >= ip->nbits)
		start = 0;
	hit = bitmap_find_clear(ip->bits, start, ip->nbits - 1);
	if (hit == UINT32_MAX && start > 0)
		hit = bitmap_find_clear(ip->bits, 0, start - 1);
	if (hit == UINT32_MAX)
		return -ENOSPC;
	*ret = bu128_addr6(ip->base + hit);
	return 0;
}

int ipam6_set(struct ipam6 *ip, const struct in6_addr *a, bool automatic)
{
	uint32_t off;

	if (!ipam6_in_subnet(ip, a))
		return 0;
	if (in_window(ip, bu128_of6(a), &off)) {
		bitmap_set(ip->bits, off);
		if (automatic)
			ip->hdr->last = off;
		return 0;
	}
	if (outside_find(ip, a) >= 0)
		return 0;
	if (ip->hdr->n_outside >= IPAM6_OUTSIDE_MAX)
		return -ENOSPC;
	memcpy(ip->outside[ip->hdr->n_outside++], a->s6_addr, 16);
	return 0;
}

void ipam6_clear(struct ipam6 *ip, const struct in6_addr *a)
{
	uint32_t off;
	int k;

	if (!ipam6_in_subnet(ip, a) || ipam6_reserved(ip, a))
		return;
	if (in_window(ip, bu128_of6(a), &off)) {
		bitmap_clear(ip->bits, off);
		return;
	}
	k = outside_find(ip, a);
	if (k < 0)
		return;
	ip->hdr->n_outside--;
	memcpy(ip->outside[k], ip->outside[ip->hdr->n_outside], 16);
	memset(ip->outside[ip->hdr->n_outside], 0, 16);
}

static bool gw_in_window(const struct ipam6 *ip)
{
	uint32_t off;

	return ip->gw && in_window(ip, ip->gw, &off);
}

size_t ipam6_capacity(const struct ipam6 *ip)
{
	return ip->nbits - (gw_in_window(ip) ? 1 : 0);
}

size_t ipam6_used(const struct ipam6 *ip)
{
	return (size_t)bitmap_count(ip->bits, 0, ip->nbits - 1) - (gw_in_window(ip) ? 1 : 0) + ip->hdr->n_outside;
}
