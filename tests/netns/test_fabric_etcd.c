/* The etcd JSON-gateway client against a real etcd started by the test in its own namespace. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "netd/fabric/etcd.h"
#include "tst.h"
#include "tstetcd.h"

TestSuite(fabric_etcd, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

static char url[64];

static struct etcd *client(pid_t *ret_pid)
{
	const char *eps[1] = {url};
	struct etcd_opts o = {.endpoints = eps, .n_endpoints = 1};
	struct berr e = BERR_INIT;
	struct etcd *c;

	*ret_pid = tst_etcd_start(NULL, "127.0.0.1", "a", url, sizeof(url));
	cr_assert(etcd_open(&o, &c, &e) == 0, "%s", berr_message(&e));
	return c;
}

Test(fabric_etcd, put_range_delete)
{
	struct berr e = BERR_INIT;
	struct etcd_kvs kvs = {0};
	int64_t rev = 0, n = 0;
	pid_t pid;
	struct etcd *c = client(&pid);

	cr_assert(etcd_put(c, "/t/a", "one", 3, 0, &rev, &e) == 0, "%s", berr_message(&e));
	cr_assert(rev > 1);
	cr_assert(etcd_put(c, "/t/b", "two\0x", 5, 0, NULL, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_put(c, "/u", "", 0, 0, NULL, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_range(c, "/t/", true, &kvs, &e) == 0, "%s", berr_message(&e));
	cr_assert_eq(kvs.n, 2);
	cr_assert_str_eq(kvs.v[0].key, "/t/a");
	cr_assert_str_eq(kvs.v[0].value, "one");
	cr_assert_eq(kvs.v[1].value_len, 5);
	cr_assert(memcmp(kvs.v[1].value, "two\0x", 5) == 0);
	cr_assert_eq(kvs.v[0].create_rev, rev);
	cr_assert(kvs.rev >= rev + 2);
	etcd_kvs_clear(&kvs);
	cr_assert(etcd_range(c, "/u", false, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 1);
	cr_assert_eq(kvs.v[0].value_len, 0);
	cr_assert_str_eq(kvs.v[0].value, "");
	etcd_kvs_clear(&kvs);
	cr_assert(etcd_range(c, "/none", false, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 0);
	etcd_kvs_clear(&kvs);
	cr_assert(etcd_delete(c, "/t/", true, &n, &e) == 0, "%s", berr_message(&e));
	cr_assert_eq(n, 2);
	cr_assert(etcd_range(c, "/t/", true, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 0);
	etcd_kvs_clear(&kvs);
	etcd_close(c);
	tst_etcd_stop(pid);
}

/* The block lease's transaction: create only when absent, else read who has it. */
static int claim(struct etcd *c, const char *key, const char *who, int64_t lease, bool *ret_ok, char *holder,
		 size_t len)
{
	struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL, .num = 0};
	struct etcd_op put = {.type = ETCD_OP_PUT, .key = key, .value = who, .value_len = strlen(who), .lease = lease};
	struct etcd_op get = {.type = ETCD_OP_RANGE, .key = key};
	struct etcd_kvs kvs = {0};
	int r;

	r = etcd_txn(c, &cmp, 1, &put, 1, &get, 1, ret_ok, &kvs, NULL);
	if (r == 0) {
		snprintf(holder, len, "%s", kvs.n ? kvs.v[0].value : "");
		etcd_kvs_clear(&kvs);
	}
	return r;
}

Test(fabric_etcd, txn_create_if_absent)
{
	struct berr e = BERR_INIT;
	char holder[32];
	bool ok = false;
	pid_t pid;
	struct etcd *c = client(&pid);

	cr_assert(claim(c, "/blocks/1", "host1", 0, &ok, holder, sizeof(holder)) == 0);
	cr_assert(ok);
	cr_assert(claim(c, "/blocks/1", "host2", 0, &ok, holder, sizeof(holder)) == 0);
	cr_assert(!ok);
	cr_assert_str_eq(holder, "host1");
	{
		struct etcd_cmp cmp = {.key = "/blocks/1", .target = ETCD_CMP_VALUE, .value = "host1"};
		struct etcd_op del = {.type = ETCD_OP_DELETE, .key = "/blocks/1"};

		cr_assert(etcd_txn(c, &cmp, 1, &del, 1, NULL, 0, &ok, NULL, &e) == 0, "%s", berr_message(&e));
		cr_assert(ok);
	}
	cr_assert(claim(c, "/blocks/1", "host2", 0, &ok, holder, sizeof(holder)) == 0);
	cr_assert(ok);
	etcd_close(c);
	tst_etcd_stop(pid);
}

Test(fabric_etcd, leases)
{
	struct berr e = BERR_INIT;
	struct etcd_kvs kvs = {0};
	int64_t id = 0, ttl = 0, fixed = 0;
	pid_t pid;
	struct etcd *c = client(&pid);

	cr_assert(etcd_lease_grant(c, 30, 0, &id, &e) == 0, "%s", berr_message(&e));
	cr_assert(id != 0);
	cr_assert(etcd_lease_grant(c, 30, 0x1234, &fixed, &e) == 0, "%s", berr_message(&e));
	cr_assert_eq(fixed, 0x1234);
	cr_assert(etcd_put(c, "/l/a", "x", 1, id, NULL, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_range(c, "/l/a", false, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 1);
	cr_assert_eq(kvs.v[0].lease, id);
	etcd_kvs_clear(&kvs);
	cr_assert(etcd_lease_keepalive(c, id, &ttl, &e) == 0, "%s", berr_message(&e));
	cr_assert_eq(ttl, 30);
	cr_assert(etcd_lease_ttl(c, id, &ttl, &e) == 0, "%s", berr_message(&e));
	cr_assert(ttl > 0 && ttl <= 30);
	cr_assert(etcd_lease_revoke(c, id, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_range(c, "/l/a", false, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 0, "a revoked lease takes its keys");
	etcd_kvs_clear(&kvs);
	cr_assert_eq(etcd_lease_keepalive(c, id, &ttl, &e), -ENOENT);
	cr_assert_eq(etcd_lease_ttl(c, id, &ttl, &e), -ENOENT);
	cr_assert_eq(etcd_lease_revoke(c, id, &e), 0, "revoking a lease that is gone is fine");
	/* expiry: the shortest lease etcd grants runs out by itself */
	cr_assert(etcd_lease_grant(c, 2, 0, &id, &e) == 0);
	cr_assert(etcd_put(c, "/l/b", "x", 1, id, NULL, &e) == 0);
	for (int i = 0; i < 100; i++) {
		cr_assert(etcd_range(c, "/l/b", false, &kvs, &e) == 0);
		if (!kvs.n)
			break;
		etcd_kvs_clear(&kvs);
		usleep(100000);
	}
	cr_assert_eq(kvs.n, 0, "the key went with its expired lease");
	etcd_kvs_clear(&kvs);
	etcd_close(c);
	tst_etcd_stop(pid);
}

struct seen {
	int puts, dels;
	char last[64];
	char prev[64];
};

static int on_event(void *arg, const struct etcd_event *ev, int64_t rev)
{
	struct seen *s = arg;

	cr_assert(rev > 0);
	if (ev->deleted) {
		s->dels++;
		snprintf(s->prev, sizeof(s->prev), "%s", ev->prev.key ? ev->prev.value : "");
	} else {
		s->puts++;
	}
	snprintf(s->last, sizeof(s->last), "%s", ev->kv.key);
	return 0;
}

static int poll_until(struct etcd_watch *w, struct seen *s, int puts, int dels, struct berr *e)
{
	long long end = bclock_now_ms() + 5000;
	int r = 0;

	while (r == 0 && (s->puts < puts || s->dels < dels) && bclock_now_ms() < end)
		r = etcd_watch_poll(w, 100, -1, on_event, s, e);
	return r;
}

Test(fabric_etcd, watch_events_and_compaction)
{
	struct berr e = BERR_INIT;
	struct etcd_watch *w;
	struct seen s = {0};
	int64_t rev = 0;
	pid_t pid;
	struct etcd *c = client(&pid);

	cr_assert(etcd_put(c, "/w/a", "1", 1, 0, &rev, &e) == 0);
	/* from the revision of the first put: that put is delivered too */
	cr_assert(etcd_watch_open(c, "/w/", rev, &w, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_put(c, "/w/b", "2", 1, 0, NULL, &e) == 0);
	cr_assert(etcd_put(c, "/x", "outside", 7, 0, NULL, &e) == 0);
	cr_assert(etcd_delete(c, "/w/a", false, NULL, &e) == 0);
	cr_assert(poll_until(w, &s, 2, 1, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_watch_created(w));
	cr_assert_eq(s.puts, 2);
	cr_assert_eq(s.dels, 1);
	cr_assert_str_eq(s.last, "/w/a");
	cr_assert_str_eq(s.prev, "1", "a delete carries the previous value");
	cr_assert(etcd_watch_rev(w) > rev);
	etcd_watch_close(w);

	/* a watch from a compacted revision is cancelled and says from where to list again */
	cr_assert(etcd_put(c, "/w/c", "3", 1, 0, &rev, &e) == 0);
	cr_assert(etcd_compact(c, rev, &e) == 0, "%s", berr_message(&e));
	cr_assert(etcd_watch_open(c, "/w/", rev - 2, &w, &e) == 0);
	memset(&s, 0, sizeof(s));
	{
		long long end = bclock_now_ms() + 5000;
		int r = 0;

		while (r == 0 && bclock_now_ms() < end)
			r = etcd_watch_poll(w, 100, -1, on_event, &s, &e);
		cr_assert_eq(r, -ECANCELED, "%d %s", r, berr_message(&e));
		cr_assert_eq(etcd_watch_compact_rev(w), rev);
	}
	etcd_watch_close(w);
	etcd_close(c);
	tst_etcd_stop(pid);
}

Test(fabric_etcd, watch_breaks_when_etcd_stops_and_wakes_on_fd)
{
	struct berr e = BERR_INIT;
	struct etcd_watch *w;
	struct seen s = {0};
	int p[2];
	long long t0;
	int r = 0;
	pid_t pid;
	struct etcd *c = client(&pid);

	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	cr_assert(etcd_watch_open(c, "/w/", 0, &w, &e) == 0);
	for (int i = 0; i < 50 && !etcd_watch_created(w); i++)
		cr_assert(etcd_watch_poll(w, 100, -1, on_event, &s, &e) == 0);
	cr_assert(etcd_watch_created(w));
	/* a readable wake fd ends the wait early */
	cr_assert(write(p[1], "x", 1) == 1);
	t0 = bclock_now_ms();
	cr_assert(etcd_watch_poll(w, 3000, p[0], on_event, &s, &e) == 0);
	cr_assert(bclock_now_ms() - t0 < 1000);
	tst_etcd_stop(pid);
	t0 = bclock_now_ms();
	while (r == 0 && bclock_now_ms() - t0 < 5000)
		r = etcd_watch_poll(w, 100, -1, on_event, &s, &e);
	cr_assert_eq(r, -EPIPE, "%d %s", r, berr_message(&e));
	etcd_watch_close(w);
	close(p[0]);
	close(p[1]);
	/* nobody answers now */
	r = etcd_put(c, "/w/a", "1", 1, 0, NULL, &e);
	cr_assert(etcd_unreachable(r), "%d %s", r, berr_message(&e));
	etcd_close(c);
}

Test(fabric_etcd, next_endpoint_when_one_is_down)
{
	struct berr e = BERR_INIT;
	struct etcd_kvs kvs = {0};
	pid_t pid = tst_etcd_start(NULL, "127.0.0.1", "b", url, sizeof(url));
	const char *eps[2] = {"http://127.0.0.1:2479", url};
	struct etcd_opts o = {.endpoints = eps, .n_endpoints = 2, .timeout_ms = 1000};
	struct etcd *c;

	cr_assert(etcd_open(&o, &c, &e) == 0);
	cr_assert(etcd_put(c, "/k", "v", 1, 0, NULL, &e) == 0, "%s", berr_message(&e));
	cr_assert_str_eq(etcd_endpoint(c), url);
	cr_assert(etcd_range(c, "/k", false, &kvs, &e) == 0);
	cr_assert_eq(kvs.n, 1);
	etcd_kvs_clear(&kvs);
	etcd_close(c);
	tst_etcd_stop(pid);
}
