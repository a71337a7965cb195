/* netd's configuration of the fabric: the underlay and its family. */
#include <criterion/criterion.h>
#include <string.h>

#include "netd/daemon/config.h"

static int parse(const char *fabric, struct cfg *c, struct berr *e)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"fabric\": %s}", fabric);
	cr_assert_eq(cfg_defaults(c, e), 0, "%s", e->msg);
	return cfg_parse(c, text, strlen(text), e);
}

/* Without underlay_family the interface's IPv4 address is taken first (as before IPv6 underlays): 0. */
Test(fabric_config, underlay_family)
{
	static const struct {
		const char *fabric;
		unsigned family;
	} ok[] = {
		{"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"eth0\"}", 0},
		{"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"eth0\", \"underlay_family\": \"ipv4\"}", 4},
		{"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"eth0\", \"underlay_family\": \"ipv6\"}", 6},
		{"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"2001:db8::11\"}", 0},
	};
	static const char *const bad[] = {
		"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"eth0\", \"underlay_family\": \"inet6\"}",
		"{\"etcd\": [\"http://192.0.2.1:2379\"], \"underlay\": \"eth0\", \"underlay_family\": 6}",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct cfg c;
		struct berr e = BERR_INIT;

		cr_assert_eq(parse(ok[i].fabric, &c, &e), 0, "%s: %s", ok[i].fabric, e.msg);
		cr_assert_not_null(c.fabric);
		cr_assert_eq(c.fabric->underlay_family, ok[i].family, "%s", ok[i].fabric);
		cfg_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfg c;
		struct berr e = BERR_INIT;

		cr_assert_lt(parse(bad[i], &c, &e), 0, "%s", bad[i]);
		cr_assert(strstr(e.msg, "underlay_family"), "%s", e.msg);
		cfg_free(&c);
	}
}
