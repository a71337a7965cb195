/*
 * berth --console-socket: the receiving end gets a pty master by
 * SCM_RIGHTS, and a shell in the container answers through it with the
 * pty as its controlling terminal (create, exec -t).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "tst.h"

TestSuite(rt_console, .init = tst_isolate, .fini = tst_teardown, .timeout = 60);

static void make_bundle(const char *dir)
{
	const char *cg = getenv("BERTH_TEST_CGROUP");
	char path[512];
	FILE *f;

	cr_assert_eq(tst_sh(NULL,
			    "set -e; mkdir -p %s/rootfs/bin %s/rootfs/proc %s/rootfs/dev %s/rootfs/tmp; "
			    "cp /bin/busybox %s/rootfs/bin/; for a in sh tty echo cat ls test sleep stty; do "
			    "ln -s busybox %s/rootfs/bin/$a; done",
			    dir, dir, dir, dir, dir, dir),
		     0);
	/*
	 * The sandbox's cgroup exists before berth runs, so berth does not
	 * count it as one it made and remove it under the feet of tests
	 * running in parallel (the sandbox removes it at the end).
	 */
	cr_assert_eq(
		tst_sh(NULL,
		       "for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [ -e $d/cgroup.procs ] && mkdir -p $d/%s; done; "
		       "true",
		       cg ? cg : "berth-test"),
		0);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f,
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":33,\"width\":111}"
		","
		"\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"PS1=$ \"],\"cwd\":\"/\"},"
		"\"root\":{\"path\":\"rootfs\"},\"hostname\":\"tty-test\","
		"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"mode=755\"]},"
		"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
		"\"options\":[\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]}],"
		"\"linux\":{\"cgroupsPath\":\"/%s/console\",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
		"{\"type\":\"uts\"},{\"type\":\"ipc\"},{\"type\":\"network\"}]}}",
		cg ? cg : "berth-test");
	fclose(f);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path, strerror(errno));
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

/* Accept one connection within a few seconds and take the fd it carries. */
static int receive_master(int lfd)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	char buf[256];
	int c, master = -1;
	ssize_t n;

	cr_assert_eq(poll(&p, 1, 10000), 1, "nobody connected to the console socket");
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert(c >= 0);
	n = bfd_recv(c, buf, sizeof(buf), &master);
	cr_assert_gt(n, 0, "nothing received on the console socket");
	cr_assert(master >= 0, "no fd passed on the console socket");
	close(c);
	return master;
}

/* Write cmd to the pty and read until want shows up (or 10 s). */
static void expect(int master, const char *cmd, const char *want)
{
	char out[8192];
	size_t len = 0;
	time_t end = time(NULL) + 10;

	cr_assert_eq(write(master, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	out[0] = '\0';
	while (!strstr(out, want) && time(NULL) < end) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 500) <= 0)
			continue;
		n = read(master, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
		if (len > sizeof(out) - 512) {
			memmove(out, out + len - 256, 256);
			len = 256;
			out[len] = '\0';
		}
	}
	cr_assert(strstr(out, want), "'%s' not seen on the pty; got: %s", want, out);
}

Test(rt_console, create_sends_a_working_pty_master)
{
	const char *dir = tst_path("bundle");
	const char *root = tst_path("state");
	const char *sock = tst_path("console.sock");
	char *argv[] = {(char *)tst_bin("berth"), "--root",	(char *)root, "create", "--bundle", (char *)dir,
			"--console-socket",	  (char *)sock, "con1",	      NULL};
	int lfd, master, ptn = -1;
	pid_t pid;

	make_bundle(dir);
	lfd = listen_unix(sock);
	pid = tst_spawn(NULL, argv, NULL);
	master = receive_master(lfd);
	cr_assert_eq(tst_wait(pid), 0, "berth create failed");
	cr_assert_eq(ioctl(master, TIOCGPTN, &ptn), 0, "the fd is not a pty master: %s", strerror(errno));
	cr_assert_eq(tst_sh(NULL, "%s --root %s start con1", tst_bin("berth"), root), 0);
	/* the shell's stdin is a tty that is its controlling terminal, of the size consoleSize asked for */
	expect(master, "tty; stty size; echo marker-$((6*7))\n", "marker-42");
	expect(master, "test -t 0 && echo is-a-tty; stty size\n", "33 111");
	expect(master, "echo $(hostname)-ok\n", "tty-test-ok");
	{
		char *argv2[] = {(char *)tst_bin("berth"),
				 "--root",
				 (char *)root,
				 "exec",
				 "-t",
				 "--console-socket",
				 (char *)sock,
				 "con1",
				 "sh",
				 "-c",
				 "tty; echo exec-marker-$((6*7)); sleep 1",
				 NULL};
		int m2;
		pid_t p2 = tst_spawn(NULL, argv2, NULL);

		m2 = receive_master(lfd);
		expect(m2, "", "exec-marker-42");
		cr_assert_eq(tst_wait(p2), 0, "berth exec -t failed");
		close(m2);
	}
	cr_assert_eq(tst_sh(NULL, "%s --root %s delete -f con1", tst_bin("berth"), root), 0);
	close(master);
	close(lfd);
}

Test(rt_console, terminal_needs_a_console_socket)
{
	const char *dir = tst_path("bundle");
	char *out;
	int st;

	make_bundle(dir);
	out = tst_sh_out(NULL, &st, "%s --root %s create --bundle %s con2 2>&1", tst_bin("berth"), tst_path("state"),
			 dir);
	cr_assert_neq(st, 0);
	cr_assert(strstr(out, "--console-socket is required"), "%s", out);
	free(out);
}
