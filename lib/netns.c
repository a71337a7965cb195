/* berth: namespace helpers that never leave the calling thread in a foreign namespace. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#define CHILD_STACK_SIZE (64 * 1024)

const char *bns_type_name(int nstype)
{
	switch (nstype) {
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	default:
		return "unknown";
	}
}

int bns_check(int fd, int nstype, struct berr *e)
{
	int t;

	t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0) {
		if (errno == ENOTTY || errno == EINVAL)
			return berr_set(e, -EINVAL, "not a namespace file");
		return berr_errno(e, "query namespace type");
	}
	if (nstype && t != nstype)
		return berr_set(e, -EINVAL, "is a %s namespace, expected a %s namespace", bns_type_name(t),
				bns_type_name(nstype));
	return 0;
}

int bns_open(const char *path, int nstype, int *ret_fd, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berr_errno(e, "open namespace %s", path);
	r = bns_check(fd, nstype, e);
	if (r < 0)
		return berr_wrap(e, r, "%s", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

struct ns_child {
	int nsfd;
	int nstype;
	int (*fn)(void *);
	void *arg;
	int result;
};

static int ns_child_main(void *p)
{
	struct ns_child *c = p;

	if (c->nsfd >= 0 && setns(c->nsfd, c->nstype) < 0) {
		c->result = -errno;
		return 1;
	}
	c->result = c->fn(c->arg);
	return 0;
}

int bns_run(int nsfd, int nstype, int (*fn)(void *arg), void *arg, struct berr *e)
{
	struct ns_child c = {.nsfd = nsfd, .nstype = nstype, .fn = fn, .arg = arg, .result = -EIO};
	cpu_set_t mask, here;
	sigset_t all, old;
	bool pinned = false;
	void *stack;
	pid_t pid;
	int st, saved, cpu;

	stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return berr_errno(e, "allocate namespace helper stack");
	/*
	 * We sleep until the child is done (CLONE_VFORK), so it runs best on
	 * our CPU: left to the scheduler, a new task goes to the idlest CPU by
	 * its last load figures, and on a busy host it then waits there for
	 * milliseconds while ours idles. The child inherits the one-CPU mask;
	 * ours is restored once it is gone.
	 */
	cpu = sched_getcpu();
	if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_ISSET(cpu, &mask)) {
		CPU_ZERO(&here);
		CPU_SET(cpu, &here);
		pinned = sched_setaffinity(0, sizeof(here), &here) == 0;
	}
	/* The child shares our memory: no signal handler may run on its stack. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(ns_child_main, (char *)stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_FILES | CLONE_VFORK | SIGCHLD,
		    &c);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pinned)
		sched_setaffinity(0, sizeof(mask), &mask);
	if (pid < 0) {
		munmap(stack, CHILD_STACK_SIZE);
		errno = saved;
		return berr_errno(e, "clone namespace helper");
	}
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
	munmap(stack, CHILD_STACK_SIZE);
	if (c.result < 0 && nsfd >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return berr_sys(e, c.result, "enter %s namespace", bns_type_name(nstype));
	return c.result;
}

struct sock_args {
	int domain, type, protocol;
	int fd;
	struct bns_sysctl *set;
	size_t n;
};

static void sysctls_in_ns(struct bns_sysctl *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(set[i].value);
		int fd = set[i].dirfd >= 0 ? openat(set[i].dirfd, set[i].path, O_WRONLY | O_CLOEXEC)
					   : open(set[i].path, O_WRONLY | O_CLOEXEC);

		set[i].err = 0;
		if (fd < 0) {
			set[i].err = -errno;
			continue;
		}
		if (write(fd, set[i].value, l) != (ssize_t)l)
			set[i].err = -EIO;
		close(fd);
	}
}

static int sock_in_ns(void *p)
{
	struct sock_args *a = p;

	a->fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);
	if (a->fd < 0)
		return -errno;
	sysctls_in_ns(a->set, a->n);
	return 0;
}

int bns_procfs(int *ret_fd, struct berr *e)
{
#if defined(SYS_fsopen) && defined(SYS_fsconfig) && defined(SYS_fsmount)
	int fs, mnt;

	fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return berr_errno(e, "fsopen proc");
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int r = berr_errno(e, "create a procfs instance");

		close(fs);
		return r;
	}
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	close(fs);
	if (mnt < 0)
		return berr_errno(e, "fsmount proc");
	*ret_fd = mnt;
	return 0;
#else
	(void)ret_fd;
	return berr_set(e, -ENOSYS, "no fsopen");
#endif
}

int bns_socket(int nsfd, int domain, int type, int protocol, int *ret_fd, struct berr *e)
{
	return bns_socket_sysctls(nsfd, domain, type, protocol, NULL, 0, ret_fd, e);
}

int bns_socket_sysctls(int nsfd, int domain, int type, int protocol, struct bns_sysctl *set, size_t n, int *ret_fd,
		       struct berr *e)
{
	struct sock_args a = {domain, type, protocol, -1, set, n};
	int r;

	if (nsfd < 0) {
		a.fd = socket(domain, type | SOCK_CLOEXEC, protocol);
		if (a.fd < 0)
			return berr_errno(e, "socket");
		sysctls_in_ns(set, n);
		*ret_fd = a.fd;
		return 0;
	}
	r = bns_run(nsfd, CLONE_NEWNET, sock_in_ns, &a, e);
	if (r < 0) {
		if (e && !e->msg[0])
			berr_sys(e, r, "socket in network namespace");
		return r;
	}
	*ret_fd = a.fd;
	return 0;
}

struct sysctl_args {
	const char *path;
	const char *value;
	char *buf;
	size_t len;
	int write;
};

static int sysctl_in_ns(void *p)
{
	struct sysctl_args *a = p;
	ssize_t n;
	int fd;

	fd = open(a->path, (a->write ? O_WRONLY | O_TRUNC : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (a->write) {
		size_t l = strlen(a->value);
		n = write(fd, a->value, l);
		if (n >= 0 && (size_t)n != l)
			n = -1, errno = EIO;
	} else {
		n = read(fd, a->buf, a->len - 1);
		if (n >= 0) {
			a->buf[n] = '\0';
			while (n > 0 && (a->buf[n - 1] == '\n' || a->buf[n - 1] == ' '))
				a->buf[--n] = '\0';
		}
	}
	if (n < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

static int sysctl_path(const char *key, char *path, size_t len, struct berr *e)
{
	if (!key[0] || strstr(key, "..") || key[0] == '/')
		return berr_set(e, -EINVAL, "invalid sysctl key '%s'", key);
	if ((size_t)snprintf(path, len, "/proc/sys/%s", key) >= len)
		return berr_set(e, -ENAMETOOLONG, "sysctl key too long");
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

int bns_sysctl_write(int nsfd, const char *key, const char *value, struct berr *e)
{
	char path[512];
	struct sysctl_args a = {.path = path, .value = value, .write = 1};
	int r;

	r = sysctl_path(key, path, sizeof(path), e);
	if (r < 0)
		return r;
	r = nsfd < 0 ? sysctl_in_ns(&a) : bns_run(nsfd, CLONE_NEWNET, sysctl_in_ns, &a, e);
	if (r < 0)
		return berr_sys(e, r, "set sysctl %s=%s", key, value);
	return 0;
}

bool bns_ipv6_available(void)
{
	return access("/proc/sys/net/ipv6", F_OK) == 0;
}

int bns_sysctl_read(int nsfd, const char *key, char *buf, size_t len, struct berr *e)
{
	char path[512];
	struct sysctl_args a = {.path = path, .buf = buf, .len = len};
	int r;

	if (len < 2)
		return berr_set(e, -EINVAL, "sysctl buffer too small");
	r = sysctl_path(key, path, sizeof(path), e);
	if (r < 0)
		return r;
	r = nsfd < 0 ? sysctl_in_ns(&a) : bns_run(nsfd, CLONE_NEWNET, sysctl_in_ns, &a, e);
	if (r < 0)
		return berr_sys(e, r, "read sysctl %s", key);
	return 0;
}

int bns_ident(int fd, dev_t *ret_dev, ino_t *ret_ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (ret_dev)
		*ret_dev = st.st_dev;
	if (ret_ino)
		*ret_ino = st.st_ino;
	return 0;
}

bool bns_same(int fd_a, int fd_b)
{
	dev_t da = 0, db = 0;
	ino_t ia = 0, ib = 0;

	if (bns_ident(fd_a, &da, &ia) < 0 || bns_ident(fd_b, &db, &ib) < 0)
		return false;
	return da == db && ia == ib;
}
