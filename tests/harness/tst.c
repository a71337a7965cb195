#include "tst.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "mac.h"
#include "traffic.h"

#define MAX_NS 32
#define MAX_PIDS 256

static char tmpdir[PATH_MAX];
static struct {
	char name[64];
	int fd;
} nss[MAX_NS];
static int n_nss;
static pid_t pids[MAX_PIDS];
static int n_pids;
static int host_fd = -1;

bool tst_no_skip(void)
{
	const char *v = getenv("BERTH_TEST_NO_SKIP");
	return v && *v && strcmp(v, "0") != 0;
}

const char *tst_tmpdir(void)
{
	return tmpdir;
}

const char *tst_path(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 8];
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	return b;
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	cr_assert(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up: %s", strerror(errno));
	close(fd);
}

void tst_isolate(void)
{
	const char *base = getenv("BERTH_TEST_TMP");

	if (!getenv("BERTH_SANDBOX"))
		cr_assert_fail("privileged tests must run under tests/harness/sandbox (make check does this)");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		cr_assert_fail("unshare: %s", strerror(errno));
	cr_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	lo_up();
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.%d", base ? base : "/tmp", (int)getpid());
	cr_assert(mkdir(tmpdir, 0700) == 0, "mkdir %s: %s", tmpdir, strerror(errno));
	/* A private /run/netns per test, so `ip -n NAME` sees only this test's namespaces. */
	mkdir("/run/netns", 0755);
	cr_assert(mount("tmpfs", "/run/netns", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") == 0);
	host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(host_fd >= 0);
	setenv("BERTH_TEST_DIR", tmpdir, 1);
}

void tst_teardown(void)
{
	for (int i = 0; i < n_pids; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	}
	n_pids = 0;
	for (int i = 0; i < n_nss; i++)
		close(nss[i].fd);
	n_nss = 0;
}

static void track(pid_t pid)
{
	if (n_pids < MAX_PIDS)
		pids[n_pids++] = pid;
}

static void untrack(pid_t pid)
{
	for (int i = 0; i < n_pids; i++)
		if (pids[i] == pid)
			pids[i] = 0;
}

const char *tst_netns_path(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "/run/netns/%s", name);
	return b;
}

int tst_netns_add(const char *name)
{
	const char *path = tst_netns_path(name);
	pid_t pid;
	int fd, st;

	cr_assert(n_nss < MAX_NS);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	cr_assert(fd >= 0, "create %s: %s", path, strerror(errno));
	close(fd);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	cr_assert(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "create netns %s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	snprintf(nss[n_nss].name, sizeof(nss[n_nss].name), "%s", name);
	nss[n_nss].fd = fd;
	n_nss++;
	cr_assert(tst_sh(name, "ip link set lo up") == 0);
	return fd;
}

int tst_netns_fd(const char *name)
{
	if (!name || strcmp(name, "host") == 0)
		return host_fd;
	for (int i = 0; i < n_nss; i++)
		if (strcmp(nss[i].name, name) == 0)
			return nss[i].fd;
	cr_assert_fail("unknown test namespace %s", name);
	return -1;
}

static void enter(const char *ns)
{
	int fd = tst_netns_fd(ns);

	if (fd >= 0 && setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setns %s: %s\n", ns ? ns : "host", strerror(errno));
		_exit(126);
	}
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		cr_assert_fail("out of memory");
	return s;
}

static int sh_run(const char *ns, const char *cmd, char **ret_out)
{
	int p[2] = {-1, -1};
	pid_t pid;
	int st;

	if (ret_out)
		cr_assert(pipe2(p, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		enter(ns);
		if (ret_out)
			dup2(p[1], STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (ret_out) {
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		ssize_t n;

		close(p[1]);
		cr_assert(buf);
		for (;;) {
			if (len + 1 >= cap) {
				cap *= 2;
				buf = realloc(buf, cap);
				cr_assert(buf);
			}
			n = read(p[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		buf[len] = '\0';
		close(p[0]);
		*ret_out = buf;
	}
	st = wait_status(pid);
	return st;
}

int tst_sh(const char *ns, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int r;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	r = sh_run(ns, cmd, NULL);
	free(cmd);
	return r;
}

char *tst_sh_out(const char *ns, int *ret_status, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out = NULL;
	int r;

	va_start(ap, fmt);
	cmd = vformat(fmt, ap);
	va_end(ap);
	r = sh_run(ns, cmd, &out);
	free(cmd);
	if (ret_status)
		*ret_status = r;
	return out;
}

void tst_upstream(void)
{
	tst_netns_add("upstream");
	tst_sh_ok(NULL, "ip link add " TST_UPSTREAM_IFNAME " type veth peer name wan0 netns upstream");
	tst_sh_ok(NULL, "ip addr add " TST_UPSTREAM_HOST_IP "/24 dev " TST_UPSTREAM_IFNAME
			" && ip link set " TST_UPSTREAM_IFNAME " up");
	tst_sh_ok("upstream", "ip addr add " TST_UPSTREAM_GW_IP "/24 dev wan0 && ip link set wan0 up");
	tst_sh_ok(NULL, "ip route add default via " TST_UPSTREAM_GW_IP);
	/* IPv6 too, where the kernel has it; nodad: usable at once */
	if (access("/proc/sys/net/ipv6", F_OK) == 0) {
		tst_sh_ok(NULL, "ip addr add " TST_UPSTREAM_HOST_IP6 "/64 dev " TST_UPSTREAM_IFNAME " nodad");
		tst_sh_ok("upstream", "ip addr add " TST_UPSTREAM_GW_IP6 "/64 dev wan0 nodad");
		tst_sh_ok(NULL, "ip -6 route add default via " TST_UPSTREAM_GW_IP6);
	}
}

pid_t tst_serve(const char *ns, bool udp, const char *addr, uint16_t port, const char *tag)
{
	int p[2];
	pid_t pid;
	char ok = 0;

	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		enter(ns);
		fd = tst_traffic_listen(udp, addr, port);
		if (fd < 0)
			_exit(1);
		if (write(p[1], "1", 1) != 1)
			_exit(1);
		close(p[1]);
		tst_traffic_serve(fd, udp, tag);
	}
	close(p[1]);
	if (read(p[0], &ok, 1) != 1)
		ok = 0;
	close(p[0]);
	cr_assert(ok == '1', "server %s:%u in %s failed to start", addr ? addr : "*", port, ns ? ns : "host");
	track(pid);
	return pid;
}

struct req_result {
	int err;
	char buf[512];
};

int tst_request(const char *ns, bool udp, const char *addr, uint16_t port, char *buf, size_t len, int timeout_ms)
{
	struct req_result *res;
	pid_t pid;
	int r;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(res != MAP_FAILED);
	res->err = -EIO;
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		enter(ns);
		res->err = tst_traffic_request(udp, addr, port, res->buf, sizeof(res->buf), timeout_ms);
		_exit(0);
	}
	wait_status(pid);
	r = res->err;
	if (buf && len) {
		snprintf(buf, len, "%s", r == 0 ? res->buf : "");
	}
	munmap(res, sizeof(*res));
	return r;
}

int tst_raw(const char *ns, const struct tst_raw *p, int timeout_ms)
{
	int *res = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int r;

	cr_assert(res != MAP_FAILED);
	*res = -EIO;
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		enter(ns);
		*res = tst_traffic_raw(p, timeout_ms);
		_exit(0);
	}
	wait_status(pid);
	r = *res;
	munmap(res, sizeof(int));
	return r;
}

void tst_mac(const char *ns, const char *ifname, uint8_t ret[6])
{
	int st;
	char *out =
		tst_sh_out(ns, &st, "ip -o link show dev %s | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2", ifname);

	cr_assert(out);
	out[strcspn(out, "\n")] = '\0';
	cr_assert(st == 0 && bmac_parse(out, ret) == 0, "no MAC for %s in %s: '%s'", ifname, ns ? ns : "host", out);
	free(out);
}

pid_t tst_spawn(const char *ns, char *const argv[], char *const env[])
{
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		enter(ns);
		for (char *const *e = env; e && *e; e++)
			putenv(*e);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	track(pid);
	return pid;
}

int tst_wait(pid_t pid)
{
	int st = wait_status(pid);

	untrack(pid);
	return st;
}

const char *tst_bin(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];
	const char *dir = getenv("BERTH_BIN_DIR");

	snprintf(b, PATH_MAX, "%s/%s", dir && *dir ? dir : "build/rel/bin", name);
	return b;
}
