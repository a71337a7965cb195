/*
 * netd as a process: its socket protocol under bad, oversized, slow and
 * unprivileged clients, namespace fds passed with SCM_RIGHTS, and restarts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "netd/client/client.h"
#include "test_netd_fixture.h"

TestSuite(netd_daemon, .init = tst_isolate, .fini = tst_teardown, .timeout = 120);

static const char *sock_path(void)
{
	return tst_path("netd.sock");
}

/* netd's command line; the strings outlive tst_path's rotating buffers */
static char **netd_argv(void)
{
	static char bin[PATH_MAX], sock[PATH_MAX], state[PATH_MAX], run[PATH_MAX], conf[PATH_MAX];
	static char *argv[] = {bin, "--foreground", "--socket", sock, "--state-dir", state, "--run-dir",
			       run, "--config",	    conf,	NULL};

	snprintf(bin, sizeof(bin), "%s", tst_bin("netd"));
	snprintf(sock, sizeof(sock), "%s", sock_path());
	snprintf(state, sizeof(state), "%s", tst_path("state"));
	snprintf(run, sizeof(run), "%s", tst_path("run"));
	snprintf(conf, sizeof(conf), "%s", tst_path("netd.json"));
	return argv;
}

static pid_t start_netd_env(char **env)
{
	FILE *f = fopen(tst_path("netd.json"), "w");
	pid_t pid;

	cr_assert(f);
	/* a short client timeout so the slow-client test can see it act */
	fprintf(f, "{\"client_timeout_ms\": 3000, \"max_clients\": 16, \"log_level\": \"warn\"}\n");
	fclose(f);
	unlink(sock_path());
	pid = tst_spawn(NULL, netd_argv(), env);
	for (int i = 0; i < 200; i++) {
		if (access(sock_path(), F_OK) == 0)
			return pid;
		usleep(20000);
	}
	cr_assert_fail("netd did not start");
	return -1;
}

static pid_t start_netd(void)
{
	return start_netd_env(NULL);
}

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path());
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s", strerror(errno));
	return fd;
}

/* Read one reply line within timeout_ms; NULL on timeout or EOF. Static buffer. */
static const char *read_reply(int fd, int timeout_ms)
{
	static char buf[65536];
	size_t len = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return NULL;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return len ? buf : NULL;
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			return buf;
	}
}

static const char *roundtrip(const char *line)
{
	int fd = raw_connect();
	const char *rep;

	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	rep = read_reply(fd, 5000);
	close(fd);
	cr_assert(rep, "no reply to %s", line);
	return rep;
}

static void expect_error(const char *line, const char *code, const char *text)
{
	const char *rep = roundtrip(line);
	char want[64];

	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	cr_assert(strstr(rep, "\"ok\":false"), "%s -> %s", line, rep);
	cr_assert(strstr(rep, want), "%s -> %s (want %s)", line, rep, code);
	if (text)
		cr_assert(strstr(rep, text), "%s -> %s (want '%s')", line, rep, text);
}

static void expect_alive(void)
{
	cr_assert(strstr(roundtrip("{\"op\":\"ping\"}\n"), "\"ok\":true"), "netd stopped answering");
}

Test(netd_daemon, every_bad_request_gets_an_error_and_netd_keeps_serving)
{
	char line[512];

	start_netd();
	tst_netns_add("c1");
	tst_netns_add("c2");
	expect_error("{\"op\":\n", "EINVAL", "malformed request");
	expect_error("[1,2,3]\n", "EINVAL", "expected a JSON object");
	expect_error("\n", "EINVAL", "malformed");
	expect_error("{\"id\":\"x\"}\n", "EINVAL", "op");
	expect_error("{\"op\":\"explode\"}\n", "EOPNOTSUPP", "unknown op 'explode'");
	expect_error("{\"op\":\"ping\",\"extra\":1}\n", "EINVAL", "extra");
	expect_error("{\"op\":\"attach\",\"id\":\"../etc\",\"netns\":\"/run/netns/c1\"}\n", "EINVAL", "id");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"network\":\"nope\",\"netns\":\"/run/netns/c1\"}\n", "ENOENT",
		     "unknown network 'nope'");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"ip\":\"10.99.0.5\",\"netns\":\"/run/netns/c1\"}\n", "EINVAL",
		     "not a host address of network 'berth0'");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"ip\":\"10.66.0.1\",\"netns\":\"/run/netns/c1\"}\n", "EINVAL",
		     "not a host address");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"ports\":[\"99999:80\"],\"netns\":\"/run/netns/c1\"}\n",
		     "EINVAL", "ports[0]");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"netns\":\"/run/netns/none\"}\n", "ENOENT", "netns");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\"}\n", "EINVAL", "netns: missing");
	expect_error("{\"op\":\"network.create\",\"name\":\"n1\",\"subnet\":\"10.66.1.0/24\"}\n", "EEXIST",
		     "overlaps network 'berth0'");
	expect_error("{\"op\":\"network.create\",\"name\":\"n1\",\"subnet\":\"10.1.0.0/33\"}\n", "EINVAL", "subnet");
	cr_assert(strstr(roundtrip("{\"op\":\"attach\",\"id\":\"c1\",\"ports\":[\"8080:80\"],\"netns\":\"/run/netns/"
				   "c1\"}\n"),
			 "\"ok\":true"));
	expect_error("{\"op\":\"attach\",\"id\":\"c2\",\"ports\":[\"8080:81\"],\"netns\":\"/run/netns/c2\"}\n",
		     "EADDRINUSE", "already published by container 'c1'");
	expect_error("{\"op\":\"attach\",\"id\":\"c2\",\"ip\":\"10.66.0.2\",\"netns\":\"/run/netns/c2\"}\n",
		     "EADDRINUSE", "in use by container 'c1'");
	expect_error("{\"op\":\"attach\",\"id\":\"c1\",\"netns\":\"/run/netns/c1\"}\n", "EEXIST", "already has eth0");
	expect_error("{\"op\":\"detach\",\"id\":\"ghost\"}\n", "ENOENT", "no endpoint");
	expect_error("{\"op\":\"network.rm\",\"name\":\"berth0\"}\n", "EBUSY", "1 endpoint");
	/* several requests in one write, answered in order */
	snprintf(line, sizeof(line), "{\"op\":\"ping\"}\n{\"op\":\"nope\"}\n");
	{
		int fd = raw_connect();
		const char *rep;

		cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
		usleep(200000);
		rep = read_reply(fd, 3000);
		cr_assert(rep && strstr(rep, "\"ok\":true") && strstr(rep, "unknown op 'nope'"), "%s", rep ? rep : "");
		close(fd);
	}
	expect_alive();
	/* and nothing of the refused attaches is left */
	cr_assert_str_eq(fx_out("c2", "ip -o link show | wc -l"), "1");
}

Test(netd_daemon, oversized_line_is_refused_and_the_connection_closed)
{
	size_t big = NETD_MAX_LINE + 4096;
	char *buf = malloc(big);
	int fd;
	const char *rep;
	size_t off = 0;

	start_netd();
	memset(buf, 'x', big);
	fd = raw_connect();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (off < big) {
		ssize_t n = write(fd, buf + off, big - off);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (poll(&p, 1, 2000) <= 0)
				break;
			continue;
		}
		if (n <= 0)
			break; /* netd closed: expected once it saw too much */
		off += (size_t)n;
	}
	fcntl(fd, F_SETFL, 0);
	rep = read_reply(fd, 5000);
	cr_assert(rep && strstr(rep, "EMSGSIZE"), "reply: %s", rep ? rep : "(none)");
	cr_assert_null(read_reply(fd, 2000), "connection still open");
	close(fd);
	free(buf);
	expect_alive();
}

Test(netd_daemon, slow_client_holding_a_partial_line_blocks_no_one)
{
	struct timespec t0, t1;
	const char *rep;
	int slow;

	start_netd();
	slow = raw_connect();
	cr_assert_eq(write(slow, "{\"op\":", 6), 6);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20; i++)
		expect_alive();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 3, "others were held up");
	/* the slow one finishes its line and is answered too */
	cr_assert_eq(write(slow, "\"ping\"}\n", 8), 8);
	rep = read_reply(slow, 3000);
	cr_assert(rep && strstr(rep, "\"ok\":true"), "%s", rep ? rep : "");
	/* one that stays silent past client_timeout_ms is dropped */
	cr_assert_eq(write(slow, "{\"op\"", 5), 5);
	cr_assert_null(read_reply(slow, 6000), "a silent client was not dropped");
	close(slow);
	expect_alive();
}

Test(netd_daemon, non_root_peers_are_refused)
{
	pid_t pid;
	int st;

	start_netd();
	/* with the socket's 0600 the kernel refuses already */
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path());
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EACCES ? 0 : 11);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "socket file was reachable (%d)", WEXITSTATUS(st));
	cr_assert_str_eq(fx_out(NULL, "stat -c %a "
				      "$BERTH_TEST_DIR/netd.sock"),
			 "600");
	/* with the file mode opened up, SO_PEERCRED still refuses a non-root peer */
	tst_sh_ok(NULL, "chmod 0666 %s && chmod 0755 %s %s", sock_path(), tst_tmpdir(), getenv("BERTH_TEST_TMP"));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		const char *rep;
		int fd;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = raw_connect();
		if (send(fd, "{\"op\":\"ping\"}\n", 14, MSG_NOSIGNAL) != 14) {
			/* netd may already have closed; the reply is what counts */
		}
		rep = read_reply(fd, 3000);
		_exit(rep && strstr(rep, "EPERM") && strstr(rep, "root only") ? 0 : 12);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a non-root peer was served (%d)", WEXITSTATUS(st));
	expect_alive();
}

Test(netd_daemon, namespace_passed_as_fd_and_routes_read_inside)
{
	struct berr e = BERR_INIT;
	struct netd_attach_args a = {.id = "fdonly"};
	static const char *const ports[] = {"8080:80", NULL};
	char *argv[] = {"sleep", "100", NULL};
	json_t *res = NULL, *req;
	int fd;

	start_netd();
	fd = tst_netns_add("c1");
	a.ports = ports;
	cr_assert_eq(netd_client_attach(sock_path(), &a, fd, &res, &e), 0, "%s", e.msg);
	cr_assert_str_eq(json_string_value(json_object_get(res, "ip")), "10.66.0.2");
	cr_assert_null(json_object_get(res, "netns"), "no path was given");
	json_decref(res);
	cr_assert_str_eq(fx_out("c1", "ip -4 -o addr show dev eth0 | awk '{print $4}'"), "10.66.0.2/16");
	/* without a path netd finds the namespace through a process in it */
	tst_spawn("c1", argv, NULL);
	usleep(100000);
	req = json_pack("{s:s,s:s}", "op", "routes", "id", "fdonly");
	cr_assert_eq(netd_client_request(sock_path(), req, -1, &res, &e), 0, "%s", e.msg);
	{
		char *s = json_dumps(res, JSON_COMPACT);

		cr_assert(
			strstr(s, "\"dst\":\"default\",\"gateway\":\"10.66.0.1\",\"dev\":\"eth0\",\"table\":\"main\""),
			"%s", s);
		cr_assert(strstr(s, "\"table\":\"local\""), "every table: %s", s);
		free(s);
	}
	json_decref(res);
	json_decref(req);
	cr_assert_eq(netd_client_detach(sock_path(), "fdonly", NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(netd_client_detach(sock_path(), "fdonly", NULL, &e), 0, "detach twice: %s", e.msg);
	fx_assert_clean("berth0");
}

Test(netd_daemon, restart_after_kill_9_reconciles)
{
	static const char *const ports[] = {"8080:80", NULL};
	struct netd_attach_args a = {.id = "web", .netns_path = "/run/netns/c1", .ports = ports};
	struct berr e = BERR_INIT;
	json_t *res = NULL;
	pid_t pid;
	char *env[] = {"BERTH_FAILPOINT=attach-linked", NULL};
	int fd;

	pid = start_netd();
	kill(pid, SIGKILL);
	tst_wait(pid);
	/* a netd that dies (kill -9) in the middle of an attach */
	pid = start_netd_env(env);
	fd = tst_netns_add("c1");
	cr_assert_neq(netd_client_attach(sock_path(), &a, fd, &res, &e), 0, "the attach cannot have succeeded");
	cr_assert_eq(tst_wait(pid), 128 + SIGKILL);
	/* half-made: the veth is there, the record pending */
	cr_assert_str_eq(fx_out("c1", "ip -o link show | wc -l"), "2");
	start_netd();
	cr_assert_str_eq(fx_out("c1", "ip -o link show | wc -l"), "1", "reconcile left the interface");
	fx_assert_clean("berth0");
	/* and it serves: the same attach now works */
	cr_assert_eq(netd_client_attach(sock_path(), &a, fd, &res, &e), 0, "%s", e.msg);
	json_decref(res);
}
