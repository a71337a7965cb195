/* The fabric's records in etcd: key names and parsing, JSON values, block choice. */
#include "netd/fabric/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hash.h"
#include "jsonutil.h"
#include "mac.h"

static int fmt_key(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fmt_key(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fabric_key_node(char *buf, size_t len, const char *node)
{
	return fmt_key(buf, len, FABRIC_PREFIX "nodes/%s", node);
}

int fabric_key_network(char *buf, size_t len, const char *name)
{
	return fmt_key(buf, len, FABRIC_PREFIX "networks/%s", name);
}

int fabric_key_vni(char *buf, size_t len, uint32_t vni)
{
	return fmt_key(buf, len, FABRIC_PREFIX "vnis/%" PRIu32, vni);
}

int fabric_key_blocks(char *buf, size_t len, const char *network)
{
	return fmt_key(buf, len, FABRIC_PREFIX "blocks/%s/", network);
}

bool fabric_blk_eq(const struct fabric_blk *a, const struct fabric_blk *b)
{
	if (a->is6 != b->is6)
		return false;
	if (a->is6)
		return a->v6.prefix == b->v6.prefix && baddr_eq6(&a->v6.addr, &b->v6.addr);
	return a->v4.addr == b->v4.addr && a->v4.prefix == b->v4.prefix;
}

const char *fabric_blk_fmt(const struct fabric_blk *b, char *buf)
{
	return b->is6 ? baddr_fmt_cidr6(&b->v6, buf) : baddr_fmt_cidr4(&b->v4, buf);
}

int fabric_key_block(char *buf, size_t len, const char *network, const struct fabric_blk *block)
{
	char a[INET6_ADDRSTRLEN];

	if (block->is6)
		return fmt_key(buf, len, FABRIC_PREFIX "blocks/%s/%s-%u", network, baddr_fmt6(&block->v6.addr, a),
			       block->v6.prefix);
	return fmt_key(buf, len, FABRIC_PREFIX "blocks/%s/%s-%u", network, baddr_fmt4(block->v4.addr, a),
		       block->v4.prefix);
}

static bool copy_name(const char *s, size_t n, char *out)
{
	if (n == 0 || n > FABRIC_NAME_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return bname_valid(out, FABRIC_NAME_MAX);
}

enum fabric_key_kind fabric_key_parse(const char *key, struct fabric_key *ret)
{
	const size_t pl = strlen(FABRIC_PREFIX);
	const char *rest, *slash;

	memset(ret, 0, sizeof(*ret));
	if (strncmp(key, FABRIC_PREFIX, pl) != 0)
		return FK_NONE;
	rest = key + pl;
	if (strncmp(rest, "nodes/", 6) == 0 && copy_name(rest + 6, strlen(rest + 6), ret->name))
		return ret->kind = FK_NODE;
	if (strncmp(rest, "networks/", 9) == 0 && copy_name(rest + 9, strlen(rest + 9), ret->name))
		return ret->kind = FK_NETWORK;
	if (strncmp(rest, "vnis/", 5) == 0) {
		uint64_t v;

		if (bparse_u64(rest + 5, 1, 0xffffff, &v) < 0)
			return FK_NONE;
		ret->vni = (uint32_t)v;
		return ret->kind = FK_VNI;
	}
	if (strncmp(rest, "blocks/", 7) == 0 && (slash = strchr(rest + 7, '/'))) {
		char cidr[BADDR_CIDR6_STRLEN], *dash;

		if (!copy_name(rest + 7, (size_t)(slash - rest - 7), ret->name) || strlen(slash + 1) >= sizeof(cidr))
			return FK_NONE;
		snprintf(cidr, sizeof(cidr), "%s", slash + 1);
		dash = strrchr(cidr, '-');
		if (!dash)
			return FK_NONE;
		*dash = '/';
		ret->block.is6 = strchr(cidr, ':') != NULL;
		if (ret->block.is6 ? baddr_parse_cidr6(cidr, false, &ret->block.v6, NULL) < 0
				   : baddr_parse_cidr4(cidr, false, &ret->block.v4, NULL) < 0)
			return FK_NONE;
		return ret->kind = FK_BLOCK;
	}
	return FK_NONE;
}

const char *fabric_mode_name(enum fabric_mode m)
{
	return m == FABRIC_HOSTGW ? "host-gw" : "vxlan";
}

int fabric_mode_parse(const char *s, enum fabric_mode *ret)
{
	if (strcmp(s, "vxlan") == 0)
		*ret = FABRIC_VXLAN;
	else if (strcmp(s, "host-gw") == 0)
		*ret = FABRIC_HOSTGW;
	else
		return -EINVAL;
	return 0;
}

static char *dump_and_free(json_t *o)
{
	char *s = o ? bjson_dump(o) : NULL;

	json_decref(o);
	return s;
}

bool fabric_ul_eq(const struct fabric_ul *a, const struct fabric_ul *b)
{
	return a->is6 == b->is6 && (a->is6 ? baddr_eq6(&a->v6, &b->v6) : a->v4 == b->v4);
}

bool fabric_ul_none(const struct fabric_ul *a)
{
	return a->is6 ? baddr_zero6(&a->v6) : a->v4 == 0;
}

const char *fabric_ul_fmt(const struct fabric_ul *a, char *buf)
{
	return a->is6 ? baddr_fmt6(&a->v6, buf) : baddr_fmt4(a->v4, buf);
}

int fabric_ul_parse(const char *s, struct fabric_ul *ret, struct berr *e)
{
	struct fabric_ul a = {.is6 = strchr(s, ':') != NULL};
	int r = a.is6 ? baddr_parse6(s, &a.v6, e) : baddr_parse4(s, &a.v4, e);

	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

/* An IPv4 underlay is written as the versions before IPv6 wrote it. */
static int put_ip(json_t *o, const char *key, const struct fabric_ul *ip)
{
	char a[INET6_ADDRSTRLEN];

	return bjson_set(o, key, json_string(fabric_ul_fmt(ip, a)));
}

static int get_ip(const json_t *j, const char *key, const char *where, struct fabric_ul *ret, struct berr *e)
{
	const char *s;
	int r = bjson_req_str(j, key, where, &s, e);

	if (r < 0)
		return r;
	r = fabric_ul_parse(s, ret, e);
	return r < 0 ? berr_wrap(e, r, "%s.%s", where, key) : 0;
}

static int get_name(const json_t *j, const char *key, const char *where, char *out, struct berr *e)
{
	const char *s;
	int r = bjson_req_str(j, key, where, &s, e);

	if (r < 0)
		return r;
	if (!bname_valid(s, FABRIC_NAME_MAX))
		return berr_set(e, -EINVAL, "%s.%s: invalid name '%s'", where, key, s);
	snprintf(out, FABRIC_NAME_MAX + 1, "%s", s);
	return 0;
}

char *fabric_node_to_json(const struct fabric_node *n)
{
	json_t *o = json_object();

	if (!o || bjson_set(o, "node", json_string(n->node)) < 0 || put_ip(o, "underlay", &n->underlay) < 0 ||
	    bjson_set(o, "started", json_integer(n->started)) < 0) {
		json_decref(o);
		return NULL;
	}
	return dump_and_free(o);
}

int fabric_node_from_json(const char *text, size_t len, struct fabric_node *ret, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	struct fabric_node n = {.started = 0};
	int r;

	if ((r = bjson_parse(text, len, &j, e)) < 0 || (r = get_name(j, "node", "node", n.node, e)) < 0 ||
	    (r = get_ip(j, "underlay", "node", &n.underlay, e)) < 0 ||
	    (r = bjson_get_int(j, "started", "node", 0, INT64_MAX, &n.started, e)) < 0)
		return r;
	*ret = n;
	return 0;
}

char *fabric_net_to_json(const struct fabric_net *n)
{
	json_t *o = json_object();
	char c[BADDR_CIDR6_STRLEN];

	/* an IPv4-only network's record is the text of the versions before IPv6 */
	if (!o || bjson_set(o, "name", json_string(n->name)) < 0 ||
	    (fabric_net_has4(n) && (bjson_set(o, "subnet", json_string(baddr_fmt_cidr4(&n->subnet, c))) < 0 ||
				    bjson_set(o, "host_prefix", json_integer(n->host_prefix)) < 0)) ||
	    (fabric_net_has6(n) && (bjson_set(o, "subnet6", json_string(baddr_fmt_cidr6(&n->subnet6, c))) < 0 ||
				    bjson_set(o, "host_prefix6", json_integer(n->host_prefix6)) < 0)) ||
	    bjson_set(o, "vni", json_integer(n->vni)) < 0 ||
	    bjson_set(o, "mode", json_string(fabric_mode_name(n->mode))) < 0) {
		json_decref(o);
		return NULL;
	}
	return dump_and_free(o);
}

int fabric_net_from_json(const char *text, size_t len, struct fabric_net *ret, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	struct fabric_net n = {.mode = FABRIC_VXLAN};
	const char *s;
	int64_t v;
	int r;

	if ((r = bjson_parse(text, len, &j, e)) < 0 || (r = get_name(j, "name", "network", n.name, e)) < 0 ||
	    (r = bjson_get_cidr4(j, "subnet", "network", &n.subnet, e)) < 0)
		return r;
	if (r > 0) {
		v = 24;
		if ((r = bjson_get_int(j, "host_prefix", "network", 1, 32, &v, e)) < 0)
			return r;
		n.host_prefix = (uint8_t)v;
	}
	/* records of the versions before IPv6 have neither: IPv4 only */
	r = bjson_get_cidr6(j, "subnet6", "network", &n.subnet6, e);
	if (r < 0)
		return r;
	if (r > 0) {
		v = fabric_default_host_prefix6(n.subnet6.prefix);
		if ((r = bjson_get_int(j, "host_prefix6", "network", 1, 128, &v, e)) < 0)
			return r;
		n.host_prefix6 = (uint8_t)v;
	}
	if (!fabric_net_has4(&n) && !fabric_net_has6(&n))
		return berr_set(e, -EINVAL, "network: neither subnet nor subnet6");
	v = 0;
	if ((r = bjson_get_int(j, "vni", "network", 1, 0xffffff, &v, e)) < 0)
		return r;
	n.vni = (uint32_t)v;
	r = bjson_get_str(j, "mode", "network", &s, e);
	if (r < 0)
		return r;
	if (r > 0 && fabric_mode_parse(s, &n.mode) < 0)
		return berr_set(e, -EINVAL, "network.mode: '%s' is not vxlan or host-gw", s);
	r = fabric_net_check(&n, e);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

char *fabric_block_to_json(const struct fabric_block *b)
{
	json_t *o = json_object();
	char m[BMAC_STRLEN], ll[INET6_ADDRSTRLEN];

	if (!o || bjson_set(o, "node", json_string(b->node)) < 0 || put_ip(o, "underlay", &b->underlay) < 0 ||
	    bjson_set(o, "vtep_mac", json_string(bmac_fmt(b->vtep_mac, m))) < 0 ||
	    (!baddr_zero6(&b->underlay_ll) &&
	     bjson_set(o, "underlay_ll", json_string(baddr_fmt6(&b->underlay_ll, ll))) < 0)) {
		json_decref(o);
		return NULL;
	}
	return dump_and_free(o);
}

int fabric_block_from_json(const char *text, size_t len, struct fabric_block *ret, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	struct fabric_block b;
	const char *s;
	int r;

	memset(&b, 0, sizeof(b));
	if ((r = bjson_parse(text, len, &j, e)) < 0 || (r = get_name(j, "node", "block", b.node, e)) < 0 ||
	    (r = get_ip(j, "underlay", "block", &b.underlay, e)) < 0 ||
	    (r = bjson_req_str(j, "vtep_mac", "block", &s, e)) < 0)
		return r;
	if (bmac_parse(s, b.vtep_mac) < 0 || bmac_is_multicast(b.vtep_mac))
		return berr_set(e, -EINVAL, "block.vtep_mac: '%s' is not a unicast MAC address", s);
	r = bjson_get_str(j, "underlay_ll", "block", &s, e);
	if (r < 0)
		return r;
	if (r > 0 && (baddr_parse6(s, &b.underlay_ll, NULL) < 0 || !IN6_IS_ADDR_LINKLOCAL(&b.underlay_ll)))
		return berr_set(e, -EINVAL, "block.underlay_ll: '%s' is not a link-local IPv6 address", s);
	*ret = b;
	return 0;
}

static int net_check6(const struct fabric_net *n, struct berr *e)
{
	char c[BADDR_CIDR6_STRLEN];

	if (n->subnet6.prefix < 16 || n->subnet6.prefix > 112)
		return berr_set(e, -EINVAL, "fabric network '%s': subnet6 %s: give a prefix of /16 to /112", n->name,
				baddr_fmt_cidr6(&n->subnet6, c));
	if (n->host_prefix6 <= n->subnet6.prefix || n->host_prefix6 > 120)
		return berr_set(e, -EINVAL,
				"fabric network '%s': IPv6 host prefix /%u: longer than the subnet6's /%u and at most "
				"/120",
				n->name, n->host_prefix6, n->subnet6.prefix);
	if (n->host_prefix6 - n->subnet6.prefix > 24)
		return berr_set(e, -EINVAL, "fabric network '%s': more than 2^24 IPv6 host blocks", n->name);
	return 0;
}

int fabric_net_check(const struct fabric_net *n, struct berr *e)
{
	char c[BADDR_CIDR4_STRLEN];

	if (!bname_valid(n->name, FABRIC_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid network name '%s'", n->name);
	if (!fabric_net_has4(n) && !fabric_net_has6(n))
		return berr_set(e, -EINVAL, "fabric network '%s': give a subnet, a subnet6 or both", n->name);
	if (fabric_net_has6(n)) {
		int r = net_check6(n, e);

		if (r < 0)
			return r;
	}
	if (!fabric_net_has4(n))
		return 0;
	if (n->subnet.prefix < 8 || n->subnet.prefix > 28)
		return berr_set(e, -EINVAL, "fabric network '%s': subnet %s: give a prefix of /8 to /28", n->name,
				baddr_fmt_cidr4(&n->subnet, c));
	if (n->host_prefix <= n->subnet.prefix || n->host_prefix > 30)
		return berr_set(e, -EINVAL,
				"fabric network '%s': host prefix /%u: longer than the subnet's /%u and at most /30",
				n->name, n->host_prefix, n->subnet.prefix);
	if (n->host_prefix - n->subnet.prefix > 20)
		return berr_set(e, -EINVAL, "fabric network '%s': more than 2^20 host blocks", n->name);
	return 0;
}

bool fabric_net_same(const struct fabric_net *a, const struct fabric_net *b)
{
	return strcmp(a->name, b->name) == 0 && a->subnet.addr == b->subnet.addr &&
	       a->subnet.prefix == b->subnet.prefix && a->host_prefix == b->host_prefix &&
	       a->subnet6.prefix == b->subnet6.prefix && baddr_eq6(&a->subnet6.addr, &b->subnet6.addr) &&
	       a->host_prefix6 == b->host_prefix6 && a->mode == b->mode;
}

uint8_t fabric_default_host_prefix6(uint8_t subnet6_prefix)
{
	unsigned p = subnet6_prefix <= 48 ? 64 : subnet6_prefix + 16u;

	if (p - subnet6_prefix > 24)
		p = subnet6_prefix + 24u;
	return (uint8_t)(p > 120 ? 120 : p);
}

uint32_t fabric_block_count(const struct fabric_net *n, bool is6)
{
	return is6 ? 1u << (n->host_prefix6 - n->subnet6.prefix) : 1u << (n->host_prefix - n->subnet.prefix);
}

struct fabric_blk fabric_block_nth(const struct fabric_net *n, bool is6, uint32_t i)
{
	struct fabric_blk b = {.is6 = is6};

	if (!is6) {
		b.v4.addr = n->subnet.addr + (i << (32 - n->host_prefix));
		b.v4.prefix = n->host_prefix;
		return b;
	}
	/* the block number goes into bits subnet6.prefix .. host_prefix6 - 1 (most significant first) */
	b.v6 = n->subnet6;
	b.v6.prefix = n->host_prefix6;
	for (unsigned k = 0; k < (unsigned)(n->host_prefix6 - n->subnet6.prefix); k++) {
		unsigned bit = n->host_prefix6 - 1u - k;

		if (i >> k & 1u)
			b.v6.addr.s6_addr[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	return b;
}

static uint32_t name_hash(const char *s)
{
	return bfnv32(BFNV32_INIT, s, strlen(s));
}

int fabric_block_pick(const struct fabric_net *n, bool is6, const char *node, const struct fabric_blk *taken,
		      size_t n_taken, uint32_t skip, struct fabric_blk *ret)
{
	uint32_t count = fabric_block_count(n, is6), start = name_hash(node) % count;

	for (uint32_t k = 0; k < count; k++) {
		struct fabric_blk b = fabric_block_nth(n, is6, (start + k) % count);
		bool used = false;

		for (size_t i = 0; i < n_taken && !used; i++)
			used = fabric_blk_eq(&taken[i], &b);
		if (used)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		*ret = b;
		return 0;
	}
	return -ENOSPC;
}
