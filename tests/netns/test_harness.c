/* The harness itself: isolation, topology and the traffic helpers the other tests rely on. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tst.h"

TestSuite(harness, .init = tst_isolate, .fini = tst_teardown);

Test(harness, isolated_from_host)
{
	int st;
	char *out = tst_sh_out(NULL, &st, "ip -o link show | grep -v ' lo:' | wc -l");

	cr_assert_eq(st, 0);
	cr_assert_eq(atoi(out), 0, "the test namespace must start with only lo");
	free(out);
	cr_assert(strncmp(tst_tmpdir(), getenv("BERTH_TEST_TMP"), strlen(getenv("BERTH_TEST_TMP"))) == 0);
}

Test(harness, upstream_sees_host_uplink_address)
{
	char reply[128];

	tst_upstream();
	tst_serve("upstream", false, TST_UPSTREAM_GW_IP, 8000, "up");
	cr_assert_eq(tst_request(NULL, false, TST_UPSTREAM_GW_IP, 8000, reply, sizeof(reply), 2000), 0);
	cr_assert_str_eq(reply, "up " TST_UPSTREAM_HOST_IP "\n");
}

Test(harness, udp_and_refused)
{
	char reply[128];

	tst_netns_add("c1");
	tst_sh_ok("c1", "ip addr add 127.0.0.2/8 dev lo 2>/dev/null; true");
	tst_serve("c1", true, "127.0.0.1", 5353, "dns");
	cr_assert_eq(tst_request("c1", true, "127.0.0.1", 5353, reply, sizeof(reply), 2000), 0);
	cr_assert_str_eq(reply, "dns 127.0.0.1\n");
	cr_assert_eq(tst_request("c1", false, "127.0.0.1", 5354, reply, sizeof(reply), 2000), -ECONNREFUSED);
	/* the same port in the host namespace is a different socket space */
	cr_assert_neq(tst_request(NULL, true, "127.0.0.1", 5353, reply, sizeof(reply), 200), 0);
}

Test(harness, run_netns_visible_to_ip)
{
	tst_netns_add("c1");
	tst_netns_add("c2");
	tst_sh_ok(NULL, "test \"$(ip netns list | wc -l)\" = 2");
}
