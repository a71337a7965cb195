/* berth-cni: MACs, IPv4 and IPv6 addresses and prefixes from CNI input, refused with the field named. */
#include "cni/cni_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "mac.h"

int cni_mac_parse(const char *s, const char *where, uint8_t ret[6], struct cni_err *ce)
{
	uint8_t mac[6];

	if (bmac_parse(s, mac) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\", not a MAC address like 02:42:ac:11:00:02", where, s);
	if (bmac_is_multicast(mac))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' is \"%s\", a multicast MAC address", where,
				s);
	memcpy(ret, mac, 6);
	return 0;
}

bool cni_is_ipv6(const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET6, buf, &a) == 1;
}

int cni_ip4_parse(const char *s, const char *where, uint32_t *ret, uint8_t *ret_prefix, struct cni_err *ce)
{
	struct bcidr4 c;
	bool ok;

	if (cni_is_ipv6(s))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\": an IPv6 address where IPv4 is needed", where, s);
	if (strchr(s, '/')) {
		ok = baddr_parse_cidr4(s, true, &c, NULL) >= 0 && c.prefix > 0;
	} else {
		ok = baddr_parse4(s, &c.addr, NULL) >= 0;
		c.prefix = 32;
	}
	if (!ok)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' is \"%s\", not an IPv4 address", where, s);
	*ret = c.addr;
	if (ret_prefix)
		*ret_prefix = c.prefix;
	return 0;
}

int cni_cidr4_parse(const char *s, const char *where, bool allow_host_bits, struct bcidr4 *ret, struct cni_err *ce)
{
	struct bcidr4 c;
	struct berr e = BERR_INIT;

	if (cni_is_ipv6(s))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"'%s' is \"%s\": an IPv6 prefix where IPv4 is needed", where, s);
	if (baddr_parse_cidr4(s, allow_host_bits, &c, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s': %s", where, berr_message(&e));
	*ret = c;
	return 0;
}

int cni_ip6_parse(const char *s, const char *where, struct in6_addr *ret, uint8_t *ret_prefix, struct cni_err *ce)
{
	struct bcidr6 c;
	bool ok;

	if (strchr(s, '/')) {
		ok = baddr_parse_cidr6(s, true, &c, NULL) >= 0 && c.prefix > 0;
	} else {
		ok = baddr_parse6(s, &c.addr, NULL) >= 0;
		c.prefix = 128;
	}
	if (!ok)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s' is \"%s\", not an IPv6 address", where, s);
	*ret = c.addr;
	if (ret_prefix)
		*ret_prefix = c.prefix;
	return 0;
}

int cni_cidr6_parse(const char *s, const char *where, bool allow_host_bits, struct bcidr6 *ret, struct cni_err *ce)
{
	struct bcidr6 c;
	struct berr e = BERR_INIT;

	if (baddr_parse_cidr6(s, allow_host_bits, &c, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'%s': %s", where, berr_message(&e));
	*ret = c;
	return 0;
}
