/* IPAM: the allocation bitmap file, mapped, and next-fit allocation over it. */
#include "netd/engine/ipam.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fileutil.h"
#include "netd/engine/bitmap.h"

#define IPAM_MAGIC "BIPAM001"
#define IPAM_HDR_SIZE 64

struct ipam_hdr {
	char magic[8];
	uint32_t subnet;
	uint32_t prefix;
	uint32_t last; /* offset of the last automatic allocation */
	uint32_t nbits;
};

struct ipam {
	void *map;
	size_t map_len;
	struct ipam_hdr *hdr;
	uint64_t *bits;
	uint32_t base;	 /* subnet address */
	uint32_t size;	 /* addresses in the subnet */
	uint32_t lo, hi; /* allocation range, offsets, inclusive */
	uint32_t gw;	 /* gateway offset, 0: none */
};

static uint32_t subnet_size(uint8_t prefix)
{
	return (uint32_t)1 << (32 - prefix);
}

static size_t file_size(uint32_t nbits)
{
	return IPAM_HDR_SIZE + ((size_t)nbits + 63) / 64 * 8;
}

int ipam_def_check(const struct ipam_def *d, struct berr *e)
{
	char a[INET_ADDRSTRLEN], b[BADDR_CIDR4_STRLEN];
	uint32_t size, first, last;

	if (d->subnet.prefix < IPAM_MIN_PREFIX || d->subnet.prefix > IPAM_MAX_PREFIX)
		return berr_set(e, -EINVAL, "subnet %s: prefix must be /%d to /%d", baddr_fmt_cidr4(&d->subnet, b),
				IPAM_MIN_PREFIX, IPAM_MAX_PREFIX);
	if (d->subnet.addr & ~baddr_mask4(d->subnet.prefix))
		return berr_set(e, -EINVAL, "subnet %s has host bits set", baddr_fmt_cidr4(&d->subnet, b));
	size = subnet_size(d->subnet.prefix);
	first = d->subnet.addr + 1;
	last = d->subnet.addr + size - 2;
	if (d->gateway && (d->gateway < first || d->gateway > last))
		return berr_set(e, -EINVAL, "gateway %s is not a host address of %s", baddr_fmt4(d->gateway, a),
				baddr_fmt_cidr4(&d->subnet, b));
	if (d->range_start || d->range_end) {
		if (d->range_start < first || d->range_start > last)
			return berr_set(e, -EINVAL, "range start %s is not a host address of %s",
					baddr_fmt4(d->range_start, a), baddr_fmt_cidr4(&d->subnet, b));
		if (d->range_end < first || d->range_end > last)
			return berr_set(e, -EINVAL, "range end %s is not a host address of %s",
					baddr_fmt4(d->range_end, a), baddr_fmt_cidr4(&d->subnet, b));
		if (d->range_end < d->range_start)
			return berr_set(e, -EINVAL, "range end %s is before its start", baddr_fmt4(d->range_end, a));
	}
	return 0;
}

int ipam_create(const char *path, const struct ipam_def *d, const uint32_t *used, size_t n_used, struct berr *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct ipam_hdr *hdr;
	uint64_t *bits;
	uint32_t size;
	size_t len;
	int r;

	r = ipam_def_check(d, e);
	if (r < 0)
		return r;
	size = subnet_size(d->subnet.prefix);
	len = file_size(size);
	buf = calloc(1, len);
	if (!buf)
		return berr_oom(e);
	hdr = (struct ipam_hdr *)buf;
	memcpy(hdr->magic, IPAM_MAGIC, 8);
	hdr->subnet = d->subnet.addr;
	hdr->prefix = d->subnet.prefix;
	hdr->nbits = size;
	bits = (uint64_t *)(buf + IPAM_HDR_SIZE);
	bitmap_set(bits, 0);
	bitmap_set(bits, size - 1);
	if (d->gateway)
		bitmap_set(bits, d->gateway - d->subnet.addr);
	for (size_t i = 0; i < n_used; i++) {
		if (baddr_in4(&d->subnet, used[i])) {
			bitmap_set(bits, used[i] - d->subnet.addr);
			hdr->last = used[i] - d->subnet.addr;
		}
	}
	return bfile_write_atomic(path, buf, len, 0600, 0, e);
}

int ipam_map_file(const char *path, size_t size, const char *what, void **ret, struct berr *e)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	void *map;

	if (fd < 0)
		return berr_errno(e, "open %s %s", what, path);
	if (fstat(fd, &st) < 0)
		return berr_errno(e, "stat %s", path);
	if ((size_t)st.st_size != size)
		return berr_set(e, -EBADMSG, "%s %s has the wrong size", what, path);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return berr_errno(e, "map %s", path);
	*ret = map;
	return 0;
}

int ipam_open(const char *path, const struct ipam_def *d, struct ipam **ret, struct berr *e)
{
	struct ipam *ip;
	uint32_t size;
	void *map;
	int r;

	r = ipam_def_check(d, e);
	if (r < 0)
		return r;
	size = subnet_size(d->subnet.prefix);
	r = ipam_map_file(path, file_size(size), "allocation bitmap", &map, e);
	if (r < 0)
		return r;
	ip = calloc(1, sizeof(*ip));
	if (!ip) {
		munmap(map, file_size(size));
		return berr_oom(e);
	}
	ip->map = map;
	ip->map_len = file_size(size);
	ip->hdr = map;
	ip->bits = (uint64_t *)((uint8_t *)map + IPAM_HDR_SIZE);
	if (memcmp(ip->hdr->magic, IPAM_MAGIC, 8) != 0 || ip->hdr->subnet != d->subnet.addr ||
	    ip->hdr->prefix != d->subnet.prefix || ip->hdr->nbits != size) {
		ipam_close(ip);
		return berr_set(e, -EBADMSG, "allocation bitmap %s does not match the network", path);
	}
	ip->base = d->subnet.addr;
	ip->size = size;
	if (d->range_start || d->range_end) {
		ip->lo = d->range_start - ip->base;
		ip->hi = d->range_end - ip->base;
	} else {
		ip->lo = 1;
		ip->hi = size - 2;
	}
	ip->gw = d->gateway ? d->gateway - ip->base : 0;
	if (ip->hdr->last >= size)
		ip->hdr->last = 0;
	/*
	 * Whatever a damaged or hand-edited file says, the network, broadcast and
	 * gateway addresses are never handed out (and the counts never go below zero).
	 */
	bitmap_set(ip->bits, 0);
	bitmap_set(ip->bits, size - 1);
	if (ip->gw)
		bitmap_set(ip->bits, ip->gw);
	*ret = ip;
	return 0;
}

void ipam_close(struct ipam *ip)
{
	if (!ip)
		return;
	munmap(ip->map, ip->map_len);
	free(ip);
}

bool ipam_in_subnet(const struct ipam *ip, uint32_t addr)
{
	return addr - ip->base < ip->size;
}

bool ipam_reserved(const struct ipam *ip, uint32_t addr)
{
	uint32_t off = addr - ip->base;

	return off == 0 || off == ip->size - 1 || (ip->gw && off == ip->gw);
}

bool ipam_test(const struct ipam *ip, uint32_t addr)
{
	if (!ipam_in_subnet(ip, addr))
		return false;
	return bitmap_test(ip->bits, addr - ip->base);
}

int ipam_next(const struct ipam *ip, uint32_t *ret_addr)
{
	uint32_t start = ip->hdr->last + 1, hit = UINT32_MAX;

	if (start < ip->lo || start > ip->hi)
		start = ip->lo;
	hit = bitmap_find_clear(ip->bits, start, ip->hi);
	if (hit == UINT32_MAX && start > ip->lo)
		hit = bitmap_find_clear(ip->bits, ip->lo, start - 1);
	if (hit == UINT32_MAX)
		return -ENOSPC;
	*ret_addr = ip->base + hit;
	return 0;
}

void ipam_set(struct ipam *ip, uint32_t addr, bool automatic)
{
	uint32_t off = addr - ip->base;

	if (off >= ip->size)
		return;
	bitmap_set(ip->bits, off);
	if (automatic)
		ip->hdr->last = off;
}

void ipam_clear(struct ipam *ip, uint32_t addr)
{
	if (!ipam_in_subnet(ip, addr) || ipam_reserved(ip, addr))
		return;
	bitmap_clear(ip->bits, addr - ip->base);
}

size_t ipam_capacity(const struct ipam *ip)
{
	size_t n = (size_t)(ip->hi - ip->lo) + 1;

	if (ip->gw && ip->gw >= ip->lo && ip->gw <= ip->hi)
		n--;
	return n;
}

size_t ipam_used(const struct ipam *ip)
{
	size_t n = (size_t)bitmap_count(ip->bits, ip->lo, ip->hi);

	if (ip->gw && ip->gw >= ip->lo && ip->gw <= ip->hi)
		n--;
	return n;
}
