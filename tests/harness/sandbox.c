/*
 * berth test sandbox: runs a command as pid 1's child in fresh mount, network,
 * pid, uts and ipc namespaces, with a private tmpfs scratch directory, fresh
 * /proc, /sys and /run, and loopback up. Whatever the command creates in the
 * kernel (links, routes, nftables tables, netns bind mounts, processes) dies
 * with the namespaces. Cgroups are global, so tests put theirs under
 * $BERTH_TEST_CGROUP and the sandbox removes that subtree afterwards.
 *
 * usage: sandbox [--timeout SECONDS] COMMAND [ARG...]
 *
 * On SIGINT/SIGTERM/SIGHUP or when the timeout runs out, the namespace's
 * init is killed, which ends every process inside, and the scratch
 * directory and cgroups are still cleaned up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static void die(const char *what)
{
	fprintf(stderr, "sandbox: %s: %s\n", what, strerror(errno));
	_exit(125);
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS lo");
	close(fd);
}

static void remount_sys(void)
{
	int tree;

	/* Keep the host's cgroup mounts (runtime tests need them) under a fresh sysfs. */
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
	if (tree < 0)
		die("open_tree /sys/fs/cgroup");
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount sysfs");
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die("move_mount /sys/fs/cgroup");
	close(tree);
}

/*
 * A private /tmp: Criterion names its message socket /tmp/criterion_<pid>.sock
 * and a test binary has the same pid (2) in every sandbox, so sandboxes
 * running at the same time would share one socket and read each other's
 * test results. What the run needs from the old /tmp is carried over onto
 * the new one at the same paths: the scratch directory and the working
 * directory (a checkout under /tmp, as CI may use, with its build tree).
 */
#define MAX_CARRY 2

static void carry_path(const char *path, char *ret_paths[], int fds[], int *n)
{
	int fd;

	if (strncmp(path, "/tmp/", 5) != 0 || *n >= MAX_CARRY)
		return;
	for (int i = 0; i < *n; i++) {
		size_t l = strlen(ret_paths[i]);

		/* already inside a carried tree */
		if (strncmp(path, ret_paths[i], l) == 0 && (path[l] == '/' || path[l] == '\0'))
			return;
	}
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
	if (fd < 0)
		die("open_tree for the private /tmp");
	ret_paths[*n] = strdup(path);
	fds[*n] = fd;
	(*n)++;
}

static void mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		die("mkdir in the private /tmp");
}

static void private_tmp(const char *tmp)
{
	char *paths[MAX_CARRY];
	int fds[MAX_CARRY], n = 0;
	char cwd[PATH_MAX] = "";

	carry_path(tmp, paths, fds, &n);
	if (getcwd(cwd, sizeof(cwd)))
		carry_path(cwd, paths, fds, &n);
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		die("mount /tmp");
	for (int i = 0; i < n; i++) {
		mkdir_parents(paths[i]);
		if (syscall(SYS_move_mount, fds[i], "", AT_FDCWD, paths[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("move_mount into the private /tmp");
		close(fds[i]);
		free(paths[i]);
	}
	/* the old cwd inode is hidden now: re-enter the carried copy */
	if (cwd[0] && chdir(cwd) < 0)
		die("chdir");
}

static int run_init(const char *tmp, char **argv)
{
	pid_t child, pid;
	int status = 0, result = 125;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	if (mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("mount scratch tmpfs");
	private_tmp(tmp);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount /proc");
	remount_sys();
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("mount /run");
	/* Seatbelts: a test that forgot its --state-dir writes into a tmpfs, not the host. */
	if (bfile_exists("/var/lib/berth") && mount("tmpfs", "/var/lib/berth", "tmpfs", 0, "mode=0700") < 0)
		die("mount /var/lib/berth");
	if (bfile_exists("/etc/berth") && mount("tmpfs", "/etc/berth", "tmpfs", 0, "mode=0755") < 0)
		die("mount /etc/berth");
	lo_up();
	if (sethostname("berth-test", 10) < 0)
		die("sethostname");

	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], argv);
		fprintf(stderr, "sandbox: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* pid 1: reap everything; when the command ends, end the namespace. */
	for (;;) {
		pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (pid == child) {
			result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			kill(-1, SIGKILL);
		}
	}
	return result;
}

/* cgroup directories go with rmdir only (their files cannot be unlinked), deepest first */
static int rmdir_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) < sizeof(sub))
			rmdir_tree(sub);
	}
	closedir(d);
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int sweep_cgroups(const char *name)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int leaked = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], path[PATH_MAX + 300];
		char *dash = strstr(line, " - ");
		char fstype[64];

		if (!dash || sscanf(dash, " - %63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", mnt, name);
		if (!bfile_exists(path))
			continue;
		for (int tries = 0; tries < 50 && rmdir_tree(path) < 0; tries++)
			usleep(20000);
		if (bfile_exists(path)) {
			fprintf(stderr, "sandbox: a test left cgroup %s behind and it cannot be removed\n", path);
			leaked = 1;
		}
	}
	fclose(f);
	return leaked;
}

static volatile pid_t ns_child;
static volatile sig_atomic_t timed_out;

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		timed_out = 1;
	if (ns_child > 0)
		kill(ns_child, SIGKILL);
}

int main(int argc, char **argv)
{
	unsigned timeout = 0;
	struct sigaction sa = {.sa_handler = on_signal};
	char tmp[PATH_MAX];
	char cgname[64];
	const char *base = getenv("TMPDIR");
	pid_t pid;
	int status, result;

	if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
		timeout = (unsigned)atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: sandbox [--timeout SECONDS] COMMAND [ARG...]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sandbox: privileged tests need root (run: sudo make check)\n");
		return 2;
	}
	if (!base || !*base)
		base = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/berth-test.XXXXXX", base);
	if (!mkdtemp(tmp))
		die("mkdtemp");
	snprintf(cgname, sizeof(cgname), "berth-test-%d", (int)getpid());
	setenv("BERTH_TEST_TMP", tmp, 1);
	setenv("BERTH_TEST_CGROUP", cgname, 1);
	setenv("TMPDIR", tmp, 1);
	setenv("BERTH_SANDBOX", "1", 1);

	/*
	 * The namespaces belong to a child, so this process stays in the host's
	 * mount namespace and can remove the scratch directory afterwards.
	 */
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pid_t init;
		int st;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) < 0)
			die("unshare");
		init = fork();
		if (init < 0)
			die("fork");
		if (init == 0) {
			/* when this process is killed, the namespace's init follows */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(run_init(tmp, argv + 1));
		}
		signal(SIGINT, SIG_IGN);
		while (waitpid(init, &st, 0) < 0) {
			if (errno != EINTR)
				die("waitpid");
		}
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	ns_child = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (timeout)
		alarm(timeout);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid");
	}
	alarm(0);
	result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (timed_out) {
		fprintf(stderr, "sandbox: %s timed out after %u s\n", argv[1], timeout);
		result = 124;
	}
	if (sweep_cgroups(cgname) && result == 0)
		result = 1;
	if (rmdir(tmp) < 0 && errno != ENOENT)
		bfile_rm_rf(tmp, NULL);
	return result;
}
