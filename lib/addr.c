/* berth: parsing and validation of addresses, names and port specs from outside input. */
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int baddr_parse4(const char *s, uint32_t *ret, struct berr *e)
{
	uint32_t a = 0;
	const char *p = s;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (unsigned)(*p - '0');
			if (++digits > 3 || v > 255)
				goto fail;
			p++;
		}
		if (digits == 0 || (digits > 1 && p[-digits] == '0'))
			goto fail;
		a = (a << 8) | v;
		if (i < 3) {
			if (*p != '.')
				goto fail;
			p++;
		}
	}
	if (*p)
		goto fail;
	*ret = a;
	return 0;
fail:
	return berr_set(e, -EINVAL, "invalid IPv4 address '%s'", s);
}

int baddr_parse_cidr4(const char *s, bool allow_host_bits, struct bcidr4 *ret, struct berr *e)
{
	char buf[32];
	const char *slash;
	uint64_t prefix;
	uint32_t a;

	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return berr_set(e, -EINVAL, "invalid CIDR '%s': expected ADDRESS/PREFIX", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (baddr_parse4(buf, &a, NULL) < 0)
		return berr_set(e, -EINVAL, "invalid CIDR '%s': bad address", s);
	if (bparse_u64(slash + 1, 0, 32, &prefix) < 0)
		return berr_set(e, -EINVAL, "invalid CIDR '%s': prefix must be 0..32", s);
	if (!allow_host_bits && (a & ~baddr_mask4((uint8_t)prefix)))
		return berr_set(e, -EINVAL, "invalid CIDR '%s': host bits set", s);
	ret->addr = a;
	ret->prefix = (uint8_t)prefix;
	return 0;
}

const char *baddr_fmt4(uint32_t addr, char *buf)
{
	snprintf(buf, INET_ADDRSTRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
	return buf;
}

const char *baddr_fmt_cidr4(const struct bcidr4 *c, char *buf)
{
	char a[INET_ADDRSTRLEN];

	snprintf(buf, BADDR_CIDR4_STRLEN, "%s/%u", baddr_fmt4(c->addr, a), (unsigned)c->prefix & 63);
	return buf;
}

bool baddr_overlap4(const struct bcidr4 *a, const struct bcidr4 *b)
{
	uint8_t p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return (a->addr & baddr_mask4(p)) == (b->addr & baddr_mask4(p));
}

int baddr_parse6(const char *s, struct in6_addr *ret, struct berr *e)
{
	struct in6_addr a;

	if (!s || !strchr(s, ':') || strlen(s) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s, &a) != 1)
		return berr_set(e, -EINVAL, "invalid IPv6 address '%s'", s ? s : "");
	*ret = a;
	return 0;
}

struct in6_addr baddr_mask6(const struct in6_addr *a, uint8_t prefix)
{
	struct in6_addr m = *a;

	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;

		m.s6_addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return m;
}

int baddr_parse_cidr6(const char *s, bool allow_host_bits, struct bcidr6 *ret, struct berr *e)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash;
	struct in6_addr a, m;
	uint64_t prefix;

	slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return berr_set(e, -EINVAL, "invalid IPv6 prefix '%s': expected ADDRESS/PREFIX", s ? s : "");
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (baddr_parse6(buf, &a, NULL) < 0)
		return berr_set(e, -EINVAL, "invalid IPv6 prefix '%s': bad address", s);
	if (bparse_u64(slash + 1, 0, 128, &prefix) < 0)
		return berr_set(e, -EINVAL, "invalid IPv6 prefix '%s': prefix must be 0..128", s);
	m = baddr_mask6(&a, (uint8_t)prefix);
	if (!allow_host_bits && !baddr_eq6(&m, &a))
		return berr_set(e, -EINVAL, "invalid IPv6 prefix '%s': host bits set", s);
	ret->addr = a;
	ret->prefix = (uint8_t)prefix;
	return 0;
}

const char *baddr_fmt6(const struct in6_addr *a, char *buf)
{
	if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

const char *baddr_fmt_cidr6(const struct bcidr6 *c, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, BADDR_CIDR6_STRLEN, "%s/%u", baddr_fmt6(&c->addr, a), (unsigned)c->prefix & 255);
	return buf;
}

bool baddr_in6(const struct bcidr6 *c, const struct in6_addr *a)
{
	struct in6_addr x = baddr_mask6(a, c->prefix), y = baddr_mask6(&c->addr, c->prefix);

	return baddr_eq6(&x, &y);
}

bool baddr_overlap6(const struct bcidr6 *a, const struct bcidr6 *b)
{
	uint8_t p = a->prefix < b->prefix ? a->prefix : b->prefix;
	struct in6_addr x = baddr_mask6(&a->addr, p), y = baddr_mask6(&b->addr, p);

	return baddr_eq6(&x, &y);
}

int baddr_family(const char *s)
{
	struct in6_addr a6;
	uint32_t a4;

	if (s && baddr_parse4(s, &a4, NULL) == 0)
		return AF_INET;
	if (s && baddr_parse6(s, &a6, NULL) == 0)
		return AF_INET6;
	return 0;
}

int bparse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

bool bname_valid(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++, n++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	}
	return n <= max;
}

bool bdns_name_valid(const char *s)
{
	size_t n = 0, label = 0;

	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++, n++) {
		if (*p == '.') {
			/* no empty label, and none starting with '-' or '_' */
			if (label == 0 || !isalnum((unsigned char)p[1]))
				return false;
			label = 0;
			continue;
		}
		if ((!isalnum((unsigned char)*p) && *p != '-' && *p != '_') || ++label > 63)
			return false;
	}
	return n <= BDNS_NAME_MAX;
}

bool bifname_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	}
	return true;
}

const char *bproto_name(enum bproto p)
{
	return p == BPROTO_UDP ? "udp" : "tcp";
}

int bproto_parse(const char *s, enum bproto *ret)
{
	if (strcasecmp(s, "tcp") == 0)
		*ret = BPROTO_TCP;
	else if (strcasecmp(s, "udp") == 0)
		*ret = BPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

static int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (!dash) {
		if (bparse_u64(s, 1, 65535, &a) < 0)
			return -EINVAL;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (bparse_u64(buf, 1, 65535, &a) < 0 || bparse_u64(dash + 1, 1, 65535, &b) < 0 || b < a)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* "[ADDR]:" (IPv6) or "ADDR:" (IPv4) at the head of a spec: into r, *rest after the ':'; 0 when there is none. */
static int parse_host_ip(char *buf, struct bportspec *r, char **rest)
{
	char *end;

	if (buf[0] != '[')
		return 0;
	end = strchr(buf, ']');
	if (!end || end[1] != ':')
		return -EINVAL;
	*end = '\0';
	if (baddr_parse6(buf + 1, &r->host_ip6, NULL) < 0)
		return -EINVAL;
	r->host_v6 = true;
	*rest = end + 2;
	return 1;
}

int bportspec_parse(const char *s, struct bportspec *ret, struct berr *e)
{
	char buf[128];
	char *parts[3];
	int n = 0, r6;
	char *p, *proto;
	struct bportspec r = {.proto = BPROTO_TCP};
	uint16_t clo, chi;

	if (!s || strlen(s) >= sizeof(buf))
		return berr_set(e, -EINVAL, "invalid port spec '%s'", s ? s : "");
	snprintf(buf, sizeof(buf), "%s", s);
	proto = strrchr(buf, '/');
	if (proto && !strchr(proto, ']')) {
		*proto++ = '\0';
		if (bproto_parse(proto, &r.proto) < 0)
			return berr_set(e, -EINVAL, "invalid port spec '%s': protocol must be tcp or udp", s);
	}
	p = buf;
	r6 = parse_host_ip(buf, &r, &p);
	if (r6 < 0)
		return berr_set(e, -EINVAL, "invalid port spec '%s': bad host address (IPv6 as [ADDRESS])", s);
	if (r6 > 0)
		parts[n++] = (char *)"";
	parts[n++] = p;
	while ((p = strchr(p, ':'))) {
		*p++ = '\0';
		if (n == 3)
			return berr_set(e, -EINVAL, "invalid port spec '%s': too many ':'", s);
		parts[n++] = p;
	}
	if (n < 2)
		return berr_set(e, -EINVAL, "invalid port spec '%s': expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]",
				s);
	if (r6 > 0 && n != 3)
		return berr_set(e, -EINVAL, "invalid port spec '%s': expected [ADDRESS]:HOSTPORT:CONTAINERPORT", s);
	if (!r6 && n == 3 && parts[0][0] && baddr_parse4(parts[0], &r.host_ip, NULL) < 0)
		return berr_set(e, -EINVAL, "invalid port spec '%s': bad host address '%s'", s, parts[0]);
	if (parse_port_range(parts[n - 2], &r.host_port, &r.host_port_end) < 0)
		return berr_set(e, -EINVAL, "invalid port spec '%s': bad host port '%s' (1-65535 or LOW-HIGH)", s,
				parts[n - 2]);
	if (parse_port_range(parts[n - 1], &clo, &chi) < 0)
		return berr_set(e, -EINVAL, "invalid port spec '%s': bad container port '%s'", s, parts[n - 1]);
	if (chi != clo && chi - clo != r.host_port_end - r.host_port)
		return berr_set(e, -EINVAL, "invalid port spec '%s': host and container ranges differ in size", s);
	r.container_port = clo;
	r.container_port_end = chi;
	*ret = r;
	return 0;
}

const char *bportspec_fmt(const struct bportspec *p, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + 3] = "", a6[INET6_ADDRSTRLEN];
	char hp[16], cp[16];

	if (p->host_v6)
		snprintf(ip, sizeof(ip), "[%s]", baddr_fmt6(&p->host_ip6, a6));
	else if (p->host_ip)
		baddr_fmt4(p->host_ip, ip);
	if (p->host_port_end != p->host_port) {
		snprintf(hp, sizeof(hp), "%u-%u", p->host_port, p->host_port_end);
		if (p->container_port_end != p->container_port)
			snprintf(cp, sizeof(cp), "%u-%u", p->container_port, p->container_port_end);
		else
			snprintf(cp, sizeof(cp), "%u", p->container_port);
	} else {
		snprintf(hp, sizeof(hp), "%u", p->host_port);
		snprintf(cp, sizeof(cp), "%u", p->container_port);
	}
	snprintf(buf, len, "%s%s%s:%s/%s", ip, ip[0] ? ":" : "", hp, cp, bproto_name(p->proto));
	return buf;
}
