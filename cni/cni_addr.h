/* berth-cni: parsing of the address forms CNI hands over (MACs, IPs with or without a prefix). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "cni/cni_error.h"

/*
 * "aa:bb:cc:dd:ee:ff" (either case, bmac_parse); a multicast MAC is refused
 * (code 7 naming where). Formatting is bmac_fmt (mac.h).
 */
int cni_mac_parse(const char *s, const char *where, uint8_t ret[6], struct cni_err *ce);

/* True when s looks like an IPv6 address or prefix (the family of a field that takes either). */
bool cni_is_ipv6(const char *s);

/*
 * An IPv4 address, optionally with a prefix ("10.1.2.3" or "10.1.2.3/24"):
 * *ret_prefix is 32 when absent. Anything else (an IPv6 address included,
 * where IPv4 is needed) fails with code 7 naming where.
 */
int cni_ip4_parse(const char *s, const char *where, uint32_t *ret, uint8_t *ret_prefix, struct cni_err *ce);

/* A CIDR (host bits allowed when allow_host_bits); same codes as cni_ip4_parse. */
int cni_cidr4_parse(const char *s, const char *where, bool allow_host_bits, struct bcidr4 *ret, struct cni_err *ce);

/* The same for IPv6 ("fd00::5", "fd00::5/64"; *ret_prefix 128 when absent). */
int cni_ip6_parse(const char *s, const char *where, struct in6_addr *ret, uint8_t *ret_prefix, struct cni_err *ce);
int cni_cidr6_parse(const char *s, const char *where, bool allow_host_bits, struct bcidr6 *ret, struct cni_err *ce);
