/*
 * Fault: netd under a flood of bad and slow clients. Hundreds of
 * connections that connect and hold, hold half a line, send an oversized
 * line, send garbage without ever reading the replies, or connect and hang
 * up at once, all while good clients work: every good request (ping,
 * attach with a published port, detach) completes, promptly, long before
 * any client timeout could have cleared the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netd/client/client.h"
#include "test_netd_fixture.h"

TestSuite(fault_flood, .init = tst_isolate, .fini = tst_teardown, .timeout = 180);

#define N_HOLD 200
#define N_PARTIAL 100
#define N_BIG 20
#define N_GARBAGE 20
#define GOOD_ROUNDS 12
/* Generous on a loaded 2-core machine; the point is "well before client_timeout_ms". */
#define GOOD_MAX_MS 3000

static char sock[PATH_MAX];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pid_t start_netd(void)
{
	static char bin[PATH_MAX], state[PATH_MAX], run[PATH_MAX], conf[PATH_MAX];
	char *argv[] = {bin, "--foreground", "--socket", sock, "--state-dir", state, "--run-dir",
			run, "--config",     conf,	 NULL};
	FILE *f;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s", tst_bin("netd"));
	snprintf(sock, sizeof(sock), "%s", tst_path("netd.sock"));
	snprintf(state, sizeof(state), "%s", tst_path("state"));
	snprintf(run, sizeof(run), "%s", tst_path("run"));
	snprintf(conf, sizeof(conf), "%s", tst_path("netd.json"));
	f = fopen(conf, "w");
	cr_assert(f);
	/* the shipped limits: 128 clients, 30 s before a silent one is dropped */
	fprintf(f, "{\"log_level\": \"error\"}\n");
	fclose(f);
	pid = tst_spawn(NULL, argv, NULL);
	for (int i = 0; i < 250; i++) {
		if (access(sock, F_OK) == 0)
			return pid;
		usleep(20000);
	}
	cr_assert_fail("netd did not start");
	return -1;
}

/* A connection; blocking connect (netd's backlog may be full for a moment), then nonblocking. */
static int dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Write as much of buf as the socket takes now; -1 when netd hung up. */
static int push(int fd, const char *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? -1 : 0;
}

/* True when netd closed the connection (EOF or error); drains what it said. */
static bool hung_up(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			return true;
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
	}
}

static void flood_kind(int *fds, size_t n, int kind, const char *big, size_t big_len)
{
	static const char partial[] = "{\"op\":\"attach\",\"id\":\"slow";
	static const char garbage[] =
		"\x01\x02{{{\n[1,2]\n{\"op\":\"nope\"}\n\xff\xfe\n   \n{\"op\":\"ping\",\"x\":1}\nnull\n";

	for (size_t i = 0; i < n; i++) {
		/* a connection netd dropped (evicted, timed out, refused) is made again */
		if (fds[i] >= 0 && hung_up(fds[i])) {
			close(fds[i]);
			fds[i] = -1;
		}
		if (fds[i] < 0) {
			fds[i] = dial();
			if (fds[i] < 0)
				continue;
			if (kind == 1 && push(fds[i], partial, sizeof(partial) - 1) < 0)
				goto drop;
		}
		if (kind == 2 && push(fds[i], big, big_len) < 0)
			goto drop;
		if (kind == 3) {
			for (int k = 0; k < 8; k++)
				if (push(fds[i], garbage, sizeof(garbage) - 1) < 0)
					goto drop;
		}
		continue;
	drop:
		close(fds[i]);
		fds[i] = -1;
	}
}

/* The flooder: opens every bad connection, says so on ready, then keeps the pressure up until killed. */
static void flooder(int ready)
{
	static int hold[N_HOLD], partial[N_PARTIAL], big[N_BIG], garbage[N_GARBAGE];
	static char line[NETD_MAX_LINE + 65536];
	struct rlimit rl = {4096, 4096};

	setrlimit(RLIMIT_NOFILE, &rl);
	memset(line, 'x', sizeof(line));
	memset(hold, -1, sizeof(hold));
	memset(partial, -1, sizeof(partial));
	memset(big, -1, sizeof(big));
	memset(garbage, -1, sizeof(garbage));
	flood_kind(hold, N_HOLD, 0, NULL, 0);
	flood_kind(partial, N_PARTIAL, 1, NULL, 0);
	flood_kind(big, N_BIG, 2, line, sizeof(line));
	flood_kind(garbage, N_GARBAGE, 3, NULL, 0);
	if (write(ready, "1", 1) != 1)
		_exit(1);
	for (;;) {
		/* and clients that connect, send half a line and hang up at once */
		for (int k = 0; k < 10; k++) {
			int fd = dial();

			if (fd >= 0) {
				push(fd, "{\"op\":", 6);
				close(fd);
			}
		}
		flood_kind(garbage, N_GARBAGE, 3, NULL, 0);
		flood_kind(big, N_BIG, 2, line, sizeof(line));
		flood_kind(partial, N_PARTIAL, 1, NULL, 0);
		flood_kind(hold, N_HOLD, 0, NULL, 0);
		usleep(2000);
	}
}

/* Run one good request in a child (a stuck request must not hang the test); its time in ms, -1 on failure. */
static long long good(int op, int nsfd)
{
	long long t0 = now_ms();
	pid_t pid = fork();
	int st;

	cr_assert(pid >= 0);
	if (pid == 0) {
		static const char *const ports[] = {"8080:80", NULL};
		struct netd_attach_args a = {.id = "good", .ports = ports};
		struct berr e = BERR_INIT;
		json_t *req = json_pack("{s:s}", "op", "ping"), *res = NULL;
		int r;

		alarm(20);
		if (op == 0)
			r = netd_client_request(sock, req, -1, &res, &e);
		else if (op == 1)
			r = netd_client_attach(sock, &a, nsfd, &res, &e);
		else
			r = netd_client_detach(sock, "good", NULL, &e);
		if (r < 0)
			fprintf(stderr, "good client (op %d): %s\n", op, e.msg);
		_exit(r < 0 ? 1 : 0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return now_ms() - t0;
}

Test(fault_flood, good_clients_are_served_promptly_under_a_flood)
{
	int p[2], nsfd;
	long long worst = 0;
	pid_t netd, fl;
	char c;

	netd = start_netd();
	nsfd = tst_netns_add("c1");
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	fl = fork();
	cr_assert(fl >= 0);
	if (fl == 0) {
		close(p[0]);
		flooder(p[1]);
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "the flooder did not get its connections up");
	close(p[0]);
	for (int i = 0; i < GOOD_ROUNDS; i++) {
		long long t = good(i % 3 == 2 ? 1 : 0, nsfd);

		cr_assert_geq(t, 0, "a good request failed under the flood (round %d)", i);
		if (i % 3 == 2) {
			long long d = good(2, nsfd);

			cr_assert_geq(d, 0, "a good detach failed under the flood (round %d)", i);
			t = t > d ? t : d;
		}
		worst = t > worst ? t : worst;
	}
	kill(fl, SIGKILL);
	waitpid(fl, NULL, 0);
	cr_log_info("slowest good request under the flood: %lld ms", worst);
	cr_assert_leq(worst, GOOD_MAX_MS, "a good request took %lld ms under the flood", worst);
	/* netd is still there, and serves once the flood is gone */
	cr_assert_eq(kill(netd, 0), 0, "netd died under the flood");
	cr_assert_geq(good(0, nsfd), 0);
	fx_assert_clean("berth0");
}
