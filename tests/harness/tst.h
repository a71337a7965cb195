/*
 * berth test harness for Criterion tests.
 *
 * Privileged tests call tst_isolate() first (or use .init = tst_isolate): the
 * test process moves into a network and mount namespace of its own, gets a
 * private tmpfs on /run/netns and a scratch directory, and tst_teardown()
 * (.fini) stops every helper process it started. The test binary itself runs
 * under tests/harness/sandbox, so even a crashing test leaves nothing behind.
 *
 * Topology: the test's own namespace is the "host". tst_netns_add() makes
 * "container" namespaces (visible to `ip -n NAME`), tst_upstream() makes the
 * "upstream" namespace that stands in for the outside world behind the host's
 * uplink (TEST-NET-2, 198.51.100.0/24, and the IPv6 documentation prefix
 * 2001:db8::/64; never the machine's own subnets).
 */
#pragma once

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "traffic.h"

#define TST_UPSTREAM_HOST_IP "198.51.100.2" /* host side of the uplink */
#define TST_UPSTREAM_GW_IP "198.51.100.1"   /* the upstream router / "internet" */
#define TST_UPSTREAM_IFNAME "uplink0"
#define TST_UPSTREAM_HOST_IP6 "2001:db8::2" /* host side of the uplink, IPv6 */
#define TST_UPSTREAM_GW_IP6 "2001:db8::1"   /* the upstream router, IPv6 */

/* Skip with a reason; under BERTH_TEST_NO_SKIP=1 (CI) a skip is a failure. */
#define tst_skip(...)                                                                                                  \
	do {                                                                                                           \
		if (tst_no_skip())                                                                                     \
			cr_assert_fail("skip not allowed (BERTH_TEST_NO_SKIP): " __VA_ARGS__);                         \
		else                                                                                                   \
			cr_skip_test(__VA_ARGS__);                                                                     \
	} while (0)

bool tst_no_skip(void);

/* Enter fresh network + mount namespaces with a scratch dir. */
void tst_isolate(void);
/* Kill helper processes started by this test. */
void tst_teardown(void);
/* The per-test scratch directory. */
const char *tst_tmpdir(void);
/* A path under the scratch directory (static buffer rotation: valid for a few calls). */
const char *tst_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Create a network namespace NAME bound at /run/netns/NAME; returns an O_CLOEXEC fd. */
int tst_netns_add(const char *name);
/* fd of an existing test namespace (NULL or "host": the test's own). Cached; do not close. */
int tst_netns_fd(const char *name);
const char *tst_netns_path(const char *name);

/* Build the upstream namespace and the host's uplink with a default route to it. */
void tst_upstream(void);

/* Run /bin/sh -c CMD inside namespace ns (NULL: host). Returns the exit status. */
int tst_sh(const char *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, capturing stdout (malloc'd, NUL-terminated; caller frees). */
char *tst_sh_out(const char *ns, int *ret_status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Assert the command succeeds. */
#define tst_sh_ok(ns, ...) cr_assert_eq(tst_sh(ns, __VA_ARGS__), 0, "command failed: " __VA_ARGS__)

/*
 * Start a TCP (or UDP) echo-peer server in namespace ns on addr:port (addr
 * NULL: any). For each connection (datagram) it answers "<tag> <peer-ip>\n",
 * so a client learns who answered and which source address arrived.
 * Returns once the socket is listening; stopped by tst_teardown().
 */
pid_t tst_serve(const char *ns, bool udp, const char *addr, uint16_t port, const char *tag);

/*
 * Connect from namespace ns to addr:port and read the reply into buf.
 * Returns 0, or -errno (ECONNREFUSED, ETIMEDOUT...) within timeout_ms.
 */
int tst_request(const char *ns, bool udp, const char *addr, uint16_t port, char *buf, size_t len, int timeout_ms);

/* tst_traffic_raw from namespace ns (traffic.h): 1 SYN-ACK, 2 RST, 0 no answer, -errno. */
int tst_raw(const char *ns, const struct tst_raw *p, int timeout_ms);
/* The MAC address of interface ifname in namespace ns (NULL: host). */
void tst_mac(const char *ns, const char *ifname, uint8_t ret[6]);

/* Spawn argv (NULL-terminated) in namespace ns with env additions ("K=V", NULL-terminated or NULL); tracked for
 * teardown. */
pid_t tst_spawn(const char *ns, char *const argv[], char *const env[]);
/* Wait for a spawned process; returns its exit status (128+sig when killed). */
int tst_wait(pid_t pid);

/* Path of a built program ($BERTH_BIN_DIR/NAME). */
const char *tst_bin(const char *name);
