/* berth: parsing and validation of addresses, names and port specs from outside input. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

/* An IPv4 prefix; addr in host byte order. */
struct bcidr4 {
	uint32_t addr;
	uint8_t prefix;
};

/* Dotted quad only (no shorthand like "10.1"); ret in host byte order. */
int baddr_parse4(const char *s, uint32_t *ret, struct berr *e);
/* "a.b.c.d/n"; host bits must be zero unless allow_host_bits. */
int baddr_parse_cidr4(const char *s, bool allow_host_bits, struct bcidr4 *ret, struct berr *e);
/* Format into buf (at least INET_ADDRSTRLEN). Returns buf. */
const char *baddr_fmt4(uint32_t addr, char *buf);
#define BADDR_CIDR4_STRLEN 24
/* "a.b.c.d/n" into buf (at least BADDR_CIDR4_STRLEN bytes). */
const char *baddr_fmt_cidr4(const struct bcidr4 *c, char *buf);

static inline uint32_t baddr_mask4(uint8_t prefix)
{
	return prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}
static inline bool baddr_in4(const struct bcidr4 *c, uint32_t a)
{
	return (a & baddr_mask4(c->prefix)) == (c->addr & baddr_mask4(c->prefix));
}
bool baddr_overlap4(const struct bcidr4 *a, const struct bcidr4 *b);

/* An IPv6 prefix (addr in network byte order, as in6_addr always is); prefix 0 with addr :: means "none". */
struct bcidr6 {
	struct in6_addr addr;
	uint8_t prefix;
};

/* An IPv6 address as inet_pton reads it (no zone, no brackets). */
int baddr_parse6(const char *s, struct in6_addr *ret, struct berr *e);
/* "ADDR/n" (n 0..128); host bits must be zero unless allow_host_bits. */
int baddr_parse_cidr6(const char *s, bool allow_host_bits, struct bcidr6 *ret, struct berr *e);
/* Format into buf (at least INET6_ADDRSTRLEN). Returns buf. */
const char *baddr_fmt6(const struct in6_addr *a, char *buf);
#define BADDR_CIDR6_STRLEN (INET6_ADDRSTRLEN + 4)
const char *baddr_fmt_cidr6(const struct bcidr6 *c, char *buf);
/* a with every bit past prefix cleared. */
struct in6_addr baddr_mask6(const struct in6_addr *a, uint8_t prefix);
bool baddr_in6(const struct bcidr6 *c, const struct in6_addr *a);
bool baddr_overlap6(const struct bcidr6 *a, const struct bcidr6 *b);
static inline bool baddr_zero6(const struct in6_addr *a)
{
	static const struct in6_addr any = IN6ADDR_ANY_INIT;

	return memcmp(a, &any, sizeof(any)) == 0;
}
static inline bool baddr_eq6(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}
/* Unique local (fd00::/8, the half of fc00::/7 in use): private, masqueraded by default. */
static inline bool baddr_ula6(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfd;
}
/* An address of either family as text ("10.1.2.3" or "fd00::2"); family AF_INET or AF_INET6, 0 when neither. */
int baddr_family(const char *s);

/* Strict decimal integer in [min, max]. */
int bparse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Names of networks and containers: [A-Za-z0-9][A-Za-z0-9_.-]*, at most max bytes. */
bool bname_valid(const char *s, size_t max);
/*
 * A name in DNS (a container's name or alias in netd's DNS): labels of
 * [A-Za-z0-9_-], 1..63 bytes each, starting with a letter or a digit,
 * joined by single dots, at most BDNS_NAME_MAX bytes in all.
 */
#define BDNS_NAME_MAX 253
bool bdns_name_valid(const char *s);
/* Linux interface name: 1..15 bytes, no '/', ':', whitespace, not "." or "..". */
bool bifname_valid(const char *s);

enum bproto { BPROTO_TCP = 6, BPROTO_UDP = 17 };
const char *bproto_name(enum bproto p);
int bproto_parse(const char *s, enum bproto *ret);

/*
 * A published port: [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|/udp],
 * HOSTIP an IPv4 address or an IPv6 one in brackets ("[2001:db8::1]",
 * "[::]" for every IPv6 address). Without HOSTIP (or with 0.0.0.0) the port
 * is published on every address of both families the endpoint has.
 */
struct bportspec {
	uint32_t host_ip; /* 0: every host address (unless host_v6) */
	uint16_t host_port;
	uint16_t host_port_end; /* == host_port for a single port */
	uint16_t container_port;
	/* == container_port when every host port maps to that one port, else a range as wide as the host's */
	uint16_t container_port_end;
	enum bproto proto;
	bool host_v6; /* IPv6 only: on host_ip6 (:: every IPv6 address) */
	struct in6_addr host_ip6;
};

int bportspec_parse(const char *s, struct bportspec *ret, struct berr *e);
/* Format back to the canonical spec into buf (at least 96 bytes). */
const char *bportspec_fmt(const struct bportspec *p, char *buf, size_t len);
