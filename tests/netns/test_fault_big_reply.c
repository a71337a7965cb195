/*
 * Fault: replies bigger than any request. Listing many endpoints (`netctl
 * ls`, `netctl ports`, a runtime's inspect) answers with one line far
 * longer than the 256 KiB a request may have: it must reach the client
 * whole, through the library and through netctl.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "netd/client/client.h"
#include "test_netd_fixture.h"

TestSuite(fault_big_reply, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

#define N_EP 100

static char sock[PATH_MAX];

static void start_netd(void)
{
	static char bin[PATH_MAX], state[PATH_MAX], run[PATH_MAX];
	char *argv[] = {bin, "--foreground", "--socket", sock, "--state-dir", state, "--run-dir",
			run, "--log-level",  "error",	 NULL};

	snprintf(bin, sizeof(bin), "%s", tst_bin("netd"));
	snprintf(sock, sizeof(sock), "%s", tst_path("netd.sock"));
	snprintf(state, sizeof(state), "%s", tst_path("state"));
	snprintf(run, sizeof(run), "%s", tst_path("run"));
	tst_spawn(NULL, argv, NULL);
	for (int i = 0; i < 250 && access(sock, F_OK) != 0; i++)
		usleep(20000);
	cr_assert_eq(access(sock, F_OK), 0, "netd did not start");
}

/* An attach with ENG_MAX_ROUTES extra routes: about 3 KiB of endpoint JSON. Interface k of its namespace. */
static void attach_fat(int i, int k, int nsfd)
{
	json_t *req = json_pack("{s:s}", "op", "attach"), *routes = json_array(), *res = NULL;
	struct berr e = BERR_INIT;
	char id[32];

	snprintf(id, sizeof(id), "fat-container-%03d", i);
	json_object_set_new(req, "id", json_string(id));
	json_object_set_new(req, "ifname", json_sprintf("eth%d", k));
	/* one default route per namespace */
	json_object_set_new(req, "no_default_route", json_boolean(k > 0));
	for (int r = 0; r < ENG_MAX_ROUTES; r++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.%d.%d.0/24", 100 + k, r);
		json_array_append_new(routes, json_pack("{s:s}", "dst", dst));
	}
	json_object_set_new(req, "routes", routes);
	cr_assert_eq(netd_client_request(sock, req, nsfd, &res, &e), 0, "attach %s: %s", id, e.msg);
	json_decref(res);
	json_decref(req);
}

Test(fault_big_reply, listing_many_endpoints_reaches_the_client_whole)
{
	json_t *req = json_pack("{s:s}", "op", "ls"), *res = NULL;
	struct berr e = BERR_INIT;
	char *text, *out;
	int st;

	start_netd();
	/* (the harness holds at most 32 namespaces: a few interfaces in each) */
	for (int i = 0; i < N_EP; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i / 4);
		attach_fat(i, i % 4, i % 4 ? tst_netns_fd(name) : tst_netns_add(name));
	}
	cr_assert_eq(netd_client_request(sock, req, -1, &res, &e), 0, "ls: %s", e.msg);
	cr_assert_eq(json_array_size(res), N_EP);
	text = json_dumps(res, JSON_COMPACT);
	cr_assert_gt(strlen(text), NETD_MAX_LINE, "the reply (%zu bytes) is not bigger than a request line",
		     strlen(text));
	free(text);
	json_decref(res);
	json_decref(req);
	/* and through netctl, as a user runs it */
	out = tst_sh_out(NULL, &st, "BERTH_NETD_SOCKET=%s %s --json ls | jq length", sock, tst_bin("netctl"));
	cr_assert_eq(st, 0);
	cr_assert_eq(atoi(out), N_EP, "netctl ls: %s", out);
	free(out);
}
