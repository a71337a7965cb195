/* lib/netns.c: namespace-local work without the caller ever changing namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "tst.h"

TestSuite(lib_netns, .init = tst_isolate, .fini = tst_teardown);

Test(lib_netns, open_checks_type)
{
	struct berr e = BERR_INIT;
	int fd = -1;

	tst_netns_add("c1");
	cr_assert_eq(bns_open(tst_netns_path("c1"), CLONE_NEWNET, &fd, &e), 0, "%s", e.msg);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	cr_assert_eq(bns_open("/proc/self/ns/mnt", CLONE_NEWNET, &fd, &e), -EINVAL);
	cr_assert(strstr(e.msg, "expected a net namespace"), "%s", e.msg);
	cr_assert_eq(bns_open(tst_tmpdir(), CLONE_NEWNET, &fd, &e), -EINVAL);
	cr_assert(strstr(e.msg, "not a namespace"), "%s", e.msg);
	cr_assert_eq(bns_open("/nonexistent", CLONE_NEWNET, &fd, &e), -ENOENT);
}

Test(lib_netns, socket_lives_in_target_namespace)
{
	int nsfd = tst_netns_add("c1");
	int own_before = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int own_after;
	int s = -1;
	struct berr e = BERR_INIT;

	cr_assert_eq(bns_socket(nsfd, AF_INET, SOCK_STREAM, 0, &s, &e), 0, "%s", e.msg);
	cr_assert(fcntl(s, F_GETFD) & FD_CLOEXEC, "socket must be born close-on-exec");
	/* SIOCGSKNS hands back the socket's namespace: it must be c1's. */
	{
		int sk_ns = ioctl(s, SIOCGSKNS);
		cr_assert(sk_ns >= 0, "SIOCGSKNS: %s", strerror(errno));
		cr_assert(bns_same(sk_ns, nsfd), "socket was not created in c1");
		close(sk_ns);
	}
	own_after = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(bns_same(own_before, own_after), "the calling thread changed namespace");
	close(s);
	close(own_before);
	close(own_after);
}

Test(lib_netns, sysctl_is_per_namespace)
{
	int nsfd = tst_netns_add("c1");
	char v[32];

	cr_assert_eq(bns_sysctl_write(-1, "net/ipv4/ip_forward", "0", NULL), 0);
	cr_assert_eq(bns_sysctl_write(nsfd, "net.ipv4.ip_forward", "1", NULL), 0);
	cr_assert_eq(bns_sysctl_read(nsfd, "net/ipv4/ip_forward", v, sizeof(v), NULL), 0);
	cr_assert_str_eq(v, "1");
	cr_assert_eq(bns_sysctl_read(-1, "net/ipv4/ip_forward", v, sizeof(v), NULL), 0);
	cr_assert_str_eq(v, "0", "the host namespace must be untouched");
	cr_assert_eq(bns_sysctl_write(nsfd, "../etc/passwd", "x", NULL), -EINVAL);
}

static int fails_inside(void *arg)
{
	(void)arg;
	return -EADDRINUSE;
}

Test(lib_netns, run_returns_callback_result)
{
	int nsfd = tst_netns_add("c1");

	cr_assert_eq(bns_run(nsfd, CLONE_NEWNET, fails_inside, NULL, NULL), -EADDRINUSE);
}
