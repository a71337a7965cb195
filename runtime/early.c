/* runtime/early.c: the cgroup made by a child while berth re-executes itself (see early.h). */
#include "runtime/early.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "fdpass.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/selfprot.h"
#include "runtime/spawn.h"
#include "runtime/trace.h"

#define EARLY_ENV "_BERTH_EARLY"
#define EARLY_MAX (256 * 1024)

/* The child's answer pipe, pid and namespace socket, from the environment (rt_early_adopt) until read and reaped. */
static int early_fd = -1;
static pid_t early_pid = -1;
static int early_ns_fd = -1;

/*
 * The namespaces made early: the network namespace (the costly one: its
 * sysctl tables and loopback take ~0.5 ms) and, when the container has a
 * new user namespace, that one first, so that it owns the network
 * namespace as it would had clone3 made both. Not when the user namespace
 * is joined by path (the network namespace must belong to that one).
 */
static int early_ns_flags(const struct rt_spec *spec)
{
	if (!(spec->ns_new & CLONE_NEWNET))
		return 0;
	for (size_t i = 0; i < spec->n_ns_join; i++) {
		if (spec->ns_join[i].type == CLONE_NEWUSER)
			return 0;
	}
	return CLONE_NEWNET | (spec->ns_new & CLONE_NEWUSER);
}

/*
 * After the cgroup: make the namespaces in this process and pass them to berth on sock.
 * Their kernel memory is charged to the cgroup of the process making them,
 * as when the spawn helper clones the init: a v1 memory hierarchy takes a
 * thread self-migration (cheap, see runtime/spawn.h); on v2 that helper
 * clones from berth's own cgroup, and so does this. This process leaves
 * the host's user namespace: it only has its exit left (and is reaped
 * before the cgroup can be removed).
 */
static void make_namespaces(const struct rt_cgroup *cg, int flags, int sock)
{
	const char *mem = rt_cgroup_dir(cg, "memory"), *v2 = rt_cgroup_dir(cg, "");
	char path[4096];
	int fd = -1;

	if (mem && (!v2 || strcmp(mem, v2) != 0)) {
		snprintf(path, sizeof(path), "%s/tasks", mem);
		if (bfile_write_str(path, "0", NULL) < 0)
			goto out;
	}
	if (unshare(flags) < 0)
		goto out;
	if (flags & CLONE_NEWUSER) {
		fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || bfd_send(sock, "u", 1, fd) < 0)
			goto out;
		fd = berth_close_safe(fd);
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		(void)bfd_send(sock, "n", 1, fd);
out:
	rt_trace("ns made");
	berth_close_safe(fd);
	close(sock);
}

/* Whether len bytes fit in the pipe fd without a reader (growing it if need be). */
static bool answer_fits(int fd, size_t len)
{
	int size = fcntl(fd, F_GETPIPE_SZ);

	if (size < 0 || (size_t)size >= len)
		return true;
	return len <= INT_MAX && fcntl(fd, F_SETPIPE_SZ, (int)len) >= (int)len;
}

/*
 * The child: read the config (meanwhile the parent re-executes itself and
 * reads it again for the rest), create the cgroup, write "0\n<json>" or
 * "<-errno>\n<message>" to fd; then make the namespaces (early_ns_flags)
 * and pass them on nsfd; exit.
 */
static void cgroup_child(const struct rt_create_opts *o, int fd, int hold, int nsfd)
{
	struct berr e = BERR_INIT;
	struct rt_spec *spec = NULL;
	struct rt_cgroup *cg = NULL;
	json_t *j = NULL;
	char *s = NULL;
	int r;

	r = rt_spec_load(o->bundle, &spec, &e);
	if (r == 0)
		r = rt_cgroup_create(spec->cgroups_path, o->id, &spec->resources, &cg, &e);
	if (r == 0) {
		r = rt_cgroup_to_json(cg, &j, &e);
		if (r == 0 && !(s = json_dumps(j, JSON_COMPACT)))
			r = berr_oom(&e);
		if (r < 0)
			rt_cgroup_destroy(cg, NULL);
	}
	rt_trace("cg child done");
	/* the parent reads only once we have closed the pipe (wait_answer): the answer must fit in it */
	if (r == 0 && !answer_fits(fd, strlen(s) + 3)) {
		rt_cgroup_destroy(cg, NULL);
		r = berr_set(&e, -E2BIG, "the description of the cgroup (%zu bytes) does not fit in a pipe", strlen(s));
	}
	if (r == 0)
		dprintf(fd, "0\n%s", s);
	else
		dprintf(fd, "%d\n%s%s", r, spec ? "cgroup: " : "", berr_message(&e));
	/* the answer is complete (end of file) before the exit drops the overlay mount (see selfprot.h) */
	close(fd);
	rt_trace("cg answer closed");
	if (r == 0 && early_ns_flags(spec))
		make_namespaces(cg, early_ns_flags(spec), nsfd);
	else
		close(nsfd);
	/* ... and that happens only once the parent has closed its copy of the mount: ours is the last */
	if (hold >= 0) {
		char c;

		while (read(hold, &c, 1) < 0 && errno == EINTR)
			;
	}
	_exit(0);
}

/*
 * The child shares this process's memory until the execve (CLONE_VM, on a
 * stack of its own), which then leaves the old memory to it alone: no copy
 * of the page tables, no copy-on-write faults on either side, and the
 * execve no longer tears the old memory down (the child's exit does, later).
 * In between, this process only makes system calls (rt_early_reexec).
 * Sanitizer builds fork (RT_SHARED_VM).
 */
#define EARLY_STACK (1024 * 1024)

struct child_args {
	const struct rt_create_opts *o;
	int answer, hold, ns; /* the child's ends */
	int close[4];	      /* the parent's ends, closed in the child */
};

static int child_main(void *arg)
{
	const struct child_args *a = arg;

	for (int i = 0; i < 4; i++)
		berth_close_safe(a->close[i]);
	cgroup_child(a->o, a->answer, a->hold, a->ns);
	return 0;
}

static pid_t start_child(struct child_args *a)
{
#if RT_SHARED_VM
	void *stack = rt_spawn_stack(EARLY_STACK);

	return stack ? clone(child_main, stack, CLONE_VM | SIGCHLD, a) : -1;
#else
	pid_t pid = fork();

	if (pid == 0)
		_exit(child_main(a));
	return pid;
#endif
}

int rt_early_reexec(const struct rt_create_opts *o, char **argv, struct berr *e)
{
	/* in the environment across the execve (putenv: nothing to allocate once the child shares our memory) */
	static char env[96];
	struct rt_state *st = NULL;
	int p[2] = {-1, -1}, hold[2] = {-1, -1}, ns[2] = {-1, -1}, lockfd, r;
	struct child_args a;
	pid_t pid;

	if (o->preserve_fds < 0 || o->preserve_fds > 65536)
		return berr_set(e, -EINVAL, "--preserve-fds must be between 0 and 65536");
	/* before any fd of ours takes a number the caller means to preserve */
	for (int fd = 3; fd < 3 + o->preserve_fds; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, -EBADF, "--preserve-fds %d: fd %d is not open", o->preserve_fds, fd);
	}
	if ((r = rt_id_validate(o->id, e)) < 0 || (r = rt_state_create(o->root, o->id, &st, e)) < 0)
		return r;
	/* made before the child: it then holds the overlay's mount and pays for its removal */
	r = rt_selfprot_reexec_prepare(o->root, e);
	if (r == 0)
		r = berr_set(e, -EALREADY, "already running from a protected copy of berth");
	if (r < 0)
		goto fail;
	if (pipe2(p, O_CLOEXEC) < 0 || (rt_selfprot_mount_fd() >= 0 && pipe2(hold, O_CLOEXEC) < 0) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ns) < 0) {
		r = berr_errno(e, "pipe");
		goto fail;
	}
	/* across the execve: the lock (held as long as the fd lives), the child's answer and namespaces */
	lockfd = st->lockfd;
	if (fcntl(lockfd, F_SETFD, 0) < 0 || fcntl(p[0], F_SETFD, 0) < 0 || fcntl(ns[0], F_SETFD, 0) < 0) {
		r = berr_errno(e, "fcntl");
		goto fail;
	}
	snprintf(env, sizeof(env), "%s=%d,%d,%d,%d", EARLY_ENV, lockfd, p[0], INT_MAX, ns[0]);
	if (putenv(env) != 0) {
		r = berr_oom(e);
		goto fail;
	}
	a = (struct child_args){
		.o = o, .answer = p[1], .hold = hold[0], .ns = ns[1], .close = {p[0], hold[1], ns[0], -1}};
	pid = start_child(&a);
	if (pid < 0) {
		r = berr_errno(e, "fork");
		unsetenv(EARLY_ENV);
		goto fail;
	}
	/* system calls only from here to the execve (see start_child); st is left to the execve */
	rt_trace("early forked");
	early_pid = pid;
	snprintf(env, sizeof(env), "%s=%d,%d,%d,%d", EARLY_ENV, lockfd, p[0], (int)pid, ns[0]);
	close(p[1]);
	berth_close_safe(hold[0]);
	close(ns[1]);
	rt_selfprot_drop_mount();
	/* the child may leave now */
	berth_close_safe(hold[1]);
	rt_trace("reexec");
	r = rt_selfprot_reexec_now(argv, e);
	/* the child's memory is ours again once it is gone */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	early_pid = -1;
	/* the lock, the answer and the namespaces are adopted back from the environment */
	st->lockfd = -1;
	rt_state_free(st);
	rt_early_abort(o);
	return r;
fail:
	berth_close_safe(p[0]);
	berth_close_safe(p[1]);
	berth_close_safe(hold[0]);
	berth_close_safe(hold[1]);
	berth_close_safe(ns[0]);
	berth_close_safe(ns[1]);
	rt_state_remove(st, NULL);
	rt_state_free(st);
	return r;
}

void rt_early_reap(void)
{
	early_fd = berth_close_safe(early_fd);
	early_ns_fd = berth_close_safe(early_ns_fd);
	if (early_pid <= 0)
		return;
	while (waitpid(early_pid, NULL, 0) < 0 && errno == EINTR)
		;
	early_pid = -1;
}

/*
 * Wait until the child has closed its end of the pipe, not for its first
 * bytes. A pipe write wakes the reader as a "sync" wake-up (the waker is
 * expected to sleep next), which queues the reader on the child's CPU;
 * but the child goes on to make the namespaces (~0.5 ms), and berth
 * waited behind it while the other CPU sat idle. A poll for POLLHUP alone
 * is not woken by the write, only by the close, a plain wake-up that
 * lets berth run wherever a CPU is free. The child makes sure the whole
 * answer fits in the pipe (answer_fits).
 */
static void wait_answer(int fd)
{
	struct pollfd p = {.fd = fd, .events = 0};

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	rt_trace("cg answer hup");
}

static int read_answer(int fd, struct rt_cgroup **ret_cg, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;
	char *nl;
	int code, r;

	wait_answer(fd);
	r = bfd_read_all(fd, EARLY_MAX, &buf, NULL);
	if (r == -ENOMEM)
		return berr_oom(e);
	if (r < 0)
		return berr_sys(e, r, "cgroup: read the answer of the child creating it");
	nl = strchr(buf, '\n');
	if (!nl)
		return berr_set(e, -EIO, "cgroup: the child creating it died");
	*nl = '\0';
	code = atoi(buf);
	if (code < 0)
		return berr_set(e, code > -4096 ? code : -EIO, "%s", nl + 1);
	rt_trace("cg answer received");
	r = bjson_parse(nl + 1, strlen(nl + 1), &j, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroup");
	return rt_cgroup_from_json(j, ret_cg, e);
}

int rt_early_adopt(const struct rt_create_opts *o, struct rt_state **ret_st, struct berr *e)
{
	const char *env = getenv(EARLY_ENV);
	int lockfd = -1, fd = -1, pid = -1, nsfd = -1, r;

	*ret_st = NULL;
	if (!env)
		return 0;
	if (sscanf(env, "%d,%d,%d,%d", &lockfd, &fd, &pid, &nsfd) != 4 || lockfd < 3 || fd < 3 || pid <= 0 ||
	    fcntl(lockfd, F_GETFD) < 0 || fcntl(fd, F_GETFD) < 0 || (nsfd >= 0 && fcntl(nsfd, F_GETFD) < 0)) {
		unsetenv(EARLY_ENV);
		return berr_set(e, -EINVAL, "bad %s in the environment", EARLY_ENV);
	}
	unsetenv(EARLY_ENV);
	fcntl(lockfd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (nsfd >= 0)
		fcntl(nsfd, F_SETFD, FD_CLOEXEC);
	early_fd = fd;
	early_pid = pid;
	early_ns_fd = nsfd;
	r = rt_state_adopt(o->root, o->id, lockfd, ret_st, e);
	if (r < 0) {
		close(lockfd);
		return r;
	}
	return 1;
}

int rt_early_cgroup(struct rt_cgroup **ret_cg, struct berr *e)
{
	int r;

	*ret_cg = NULL;
	if (early_fd < 0)
		return berr_set(e, -EBADF, "cgroup: no answer from the child creating it");
	r = read_answer(early_fd, ret_cg, e);
	rt_trace("cg answer read");
	/* reaped later (rt_early_reap): its exit may still be dropping the overlay mount */
	early_fd = berth_close_safe(early_fd);
	return r;
}

int rt_early_ns_socket(void)
{
	int fd = early_ns_fd;

	early_ns_fd = -1;
	return fd;
}

int rt_early_ns_receive(int sock, const struct rt_spec *spec, int ret_fds[2])
{
	int flags = 0;

	ret_fds[0] = ret_fds[1] = -1;
	/* the network namespace comes last; end of file when the child gave up */
	while (ret_fds[1] < 0) {
		char type;
		int fd;
		ssize_t n = bfd_recv(sock, &type, 1, &fd);

		if (n <= 0)
			break;
		if (fd < 0 || (type != 'u' && type != 'n') || ret_fds[type == 'n'] >= 0) {
			berth_close_safe(fd);
			flags = -1;
			continue;
		}
		ret_fds[type == 'n'] = fd;
		if (flags >= 0)
			flags |= type == 'u' ? CLONE_NEWUSER : CLONE_NEWNET;
	}
	rt_trace("early ns received");
	/* all or nothing, and what this config asks for (the bundle could have changed since the first image read it)
	 */
	if (flags <= 0 || flags != early_ns_flags(spec)) {
		ret_fds[0] = berth_close_safe(ret_fds[0]);
		ret_fds[1] = berth_close_safe(ret_fds[1]);
		return 0;
	}
	return flags;
}

void rt_early_abort(const struct rt_create_opts *o)
{
	struct rt_state *st = NULL;
	struct rt_cgroup *cg = NULL;

	if (rt_early_adopt(o, &st, NULL) > 0)
		rt_early_cgroup(&cg, NULL);
	rt_early_reap();
	if (cg) {
		rt_cgroup_destroy(cg, NULL);
		rt_cgroup_free(cg);
	}
	if (st) {
		rt_state_remove(st, NULL);
		rt_state_free(st);
	}
}
