/* runtime/early.c: the cgroup made by a child while berth re-executes itself (see early.h). */
#include "runtime/early.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
 * Make the namespaces in this process and pass them to berth on sock. Their
 * kernel memory is charged to the cgroup of the process making them, as
 * when the spawn helper clones the init: with a v1 memory hierarchy, this
 * process first moves into the container's directory there (tasks, a
 * thread self-migration: cheap, see runtime/spawn.h); on v2 the helper
 * clones from berth's own cgroup, and so does this (tasks NULL). This
 * process leaves the host's user namespace: it only has its exit left.
 * The socket stays open: the cgroup child sends on it too and closes it.
 */
static void make_namespaces(const char *tasks, int flags, int sock)
{
	int fd = -1;

	if (tasks && bfile_write_str(tasks, "0", NULL) < 0)
		goto out;
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
}

/*
 * The namespaces are made by a process of their own (the "maker"), started
 * as soon as the memory they use is charged to the container
 * (rt_cgroup_create_early): the v1 memory directory made and limited
 * first, before the other hierarchies' directories and limits, which the
 * cgroup child makes meanwhile. It shares the cgroup child's memory and
 * file descriptors (CLONE_VM | CLONE_FILES, on a stack of its own), so it
 * makes system calls only and holds no copy of the answer's pipe. The
 * cgroup child closes the socket once the maker is done. It reaps it before removing a cgroup it may have
 * joined, and before exiting (berth reaps the cgroup child before removing
 * the cgroup). Sanitizer builds fork it (RT_SHARED_VM).
 */
#define MAKER_STACK (64 * 1024)

struct maker {
	/* what the maker reads: not written once it runs (it shares this memory) */
	int flags, sock;
	int answer, hold; /* the cgroup child's: a forked maker closes its copies */
	bool has_tasks;
	char tasks[PATH_MAX];
	/* the cgroup child's own */
	pid_t pid;
};

static int maker_main(void *arg)
{
	struct maker *m = arg;

	make_namespaces(m->has_tasks ? m->tasks : NULL, m->flags, m->sock);
	return 0;
}

static void maker_start(const char *memory_dir, void *ctx)
{
	struct maker *m = ctx;

	if (!m->flags || m->pid > 0)
		return;
	m->has_tasks = memory_dir != NULL;
	if (memory_dir && (size_t)snprintf(m->tasks, sizeof(m->tasks), "%s/tasks", memory_dir) >= sizeof(m->tasks))
		return;
#if RT_SHARED_VM
	{
		void *stack = rt_spawn_stack(MAKER_STACK);

		m->pid = stack ? clone(maker_main, stack, CLONE_VM | CLONE_FILES | SIGCHLD, m) : -1;
	}
#else
	m->pid = fork();
	if (m->pid == 0) {
		close(m->answer);
		berth_close_safe(m->hold);
		_exit(maker_main(m));
	}
#endif
}

static void maker_wait(void *ctx)
{
	struct maker *m = ctx;

	if (m->pid <= 0)
		return;
	while (waitpid(m->pid, NULL, 0) < 0 && errno == EINTR)
		;
	m->pid = -1;
}

/* One message of type with n fds (n <= RT_EARLY_TASKS_MAX). */
static int send_fds(int sock, char type, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RT_EARLY_TASKS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &type, .iov_len = 1};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * The cgroup's v1 tasks files, opened, for the spawn helper: opening them
 * (a path walk each, a lookup in a directory just made) is most of the
 * cost of its self-migration, and here it overlaps the parent reading the
 * answer. The helper opens them itself when they have not come yet.
 */
static void send_tasks(const struct rt_cgroup *cg, int sock)
{
	int fds[RT_EARLY_TASKS_MAX];
	int n = rt_cgroup_open_v1_tasks(cg, fds, RT_EARLY_TASKS_MAX);

	if (n > 0)
		(void)send_fds(sock, 't', fds, (size_t)n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	rt_trace("tasks sent");
}

/*
 * "<code> <length>\n<text>": the JSON of the cgroup (code 0) or an error
 * message (a negative errno), in one write when it fits in the pipe.
 * berth reads the length it is told (read_answer), not up to the end of
 * the file: the wake-up of a pipe write is a "sync" one (the waker is
 * expected to sleep next), which queues berth on this process's CPU, and
 * this process then only waits for the namespace maker or exits, while a
 * wake-up at the close (a plain one) often queued berth behind the busy
 * maker instead.
 */
static void write_answer(int fd, int code, const char *text, bool prefix)
{
	const char *pre = prefix ? "cgroup: " : "";
	size_t len = strlen(pre) + strlen(text);

	dprintf(fd, "%d %zu\n%s%s", code, len, pre, text);
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
	struct maker m = {.sock = nsfd, .answer = fd, .hold = hold, .pid = -1};
	struct rt_cgroup_early early = {.memory_ready = maker_start, .undo = maker_wait, .ctx = &m};
	json_t *j = NULL;
	char *s = NULL;
	int r;

	r = rt_spec_load(o->bundle, &spec, &e);
	if (r == 0) {
		m.flags = early_ns_flags(spec);
		r = rt_cgroup_create_early(spec->cgroups_path, o->id, &spec->resources, &early, &cg, &e);
	}
	if (r == 0) {
		r = rt_cgroup_to_json(cg, &j, &e);
		if (r == 0 && !(s = json_dumps(j, JSON_COMPACT)))
			r = berr_oom(&e);
	}
	rt_trace("cg child done");
	if (r < 0 && cg) {
		/* the maker may sit in the memory directory */
		maker_wait(&m);
		rt_cgroup_destroy(cg, NULL);
	}
	write_answer(fd, r, r == 0 ? s : berr_message(&e), r < 0 && spec);
	/* the answer is complete (end of file) before the exit drops the overlay mount (see selfprot.h) */
	close(fd);
	rt_trace("cg answer closed");
	if (r == 0)
		send_tasks(cg, m.sock);
	maker_wait(&m);
	close(m.sock);
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

/* The answer's code and text (write_answer), the text in a buffer of its own. */
static int read_text(int fd, int *ret_code, char **ret_text, struct berr *e)
{
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;
	size_t start = 0, want = 0;

	for (;;) {
		ssize_t n = bbuf_read_once(&b, fd, EARLY_MAX);

		if (n < 0)
			return n == -ENOMEM ? berr_oom(e) : berr_sys(e, (int)n, "cgroup: read the child's answer");
		if (!start && b.len) {
			char *nl = memchr(b.p, '\n', b.len);
			unsigned long long len;

			if (nl) {
				if (sscanf(b.p, "%d %llu", ret_code, &len) != 2 || len > EARLY_MAX)
					return berr_set(e, -EIO, "cgroup: a bad answer from the child creating it");
				start = (size_t)(nl - b.p) + 1;
				want = start + (size_t)len;
			}
		}
		if (start && b.len >= want)
			break;
		if (n == 0)
			return berr_set(e, -EIO, "cgroup: the child creating it died");
	}
	*ret_text = strndup(b.p + start, want - start);
	return *ret_text ? 0 : berr_oom(e);
}

static int read_answer(int fd, struct rt_cgroup **ret_cg, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *j = NULL;
	int code, r;

	r = read_text(fd, &code, &text, e);
	if (r < 0)
		return r;
	if (code < 0)
		return berr_set(e, code > -4096 ? code : -EIO, "%s", text);
	rt_trace("cg answer received");
	r = bjson_parse(text, strlen(text), &j, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroup");
	return rt_cgroup_from_json_trusted(j, ret_cg, e);
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

void rt_early_ns_init(struct rt_early_ns *ns)
{
	memset(ns, 0, sizeof(*ns));
	ns->fds[0] = ns->fds[1] = -1;
}

void rt_early_ns_clear(struct rt_early_ns *ns)
{
	while (ns->n_tasks > 0)
		close(ns->tasks[--ns->n_tasks]);
	ns->fds[0] = berth_close_safe(ns->fds[0]);
	ns->fds[1] = berth_close_safe(ns->fds[1]);
}

/* One message into ns: 1, 0 at the end (or an error), -EAGAIN when none is there and !wait. */
static int recv_one(int sock, bool wait, struct rt_early_ns *ns)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RT_EARLY_TASKS_MAX)];
		struct cmsghdr align;
	} u;
	char type = 0;
	struct iovec iov = {.iov_base = &type, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	int fds[RT_EARLY_TASKS_MAX];
	size_t n = 0;
	ssize_t got;

	do
		got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN && !wait ? -EAGAIN : 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < RT_EARLY_TASKS_MAX)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	if (got == 0)
		return 0;
	if (type == 't' && ns->n_tasks == 0 && n > 0 && !(msg.msg_flags & MSG_CTRUNC)) {
		memcpy(ns->tasks, fds, n * sizeof(int));
		ns->n_tasks = n;
		return 1;
	}
	if ((type == 'u' || type == 'n') && n == 1 && ns->fds[type == 'n'] < 0) {
		ns->fds[type == 'n'] = fds[0];
		ns->done = type == 'n';
		return 1;
	}
	/* anything else: dropped, and no namespace is trusted */
	while (n > 0)
		close(fds[--n]);
	ns->bad = true;
	return 1;
}

void rt_early_ns_take(int sock, struct rt_early_ns *ns)
{
	while (!ns->done && recv_one(sock, false, ns) > 0)
		;
	rt_trace("early taken");
}

int rt_early_ns_receive(int sock, const struct rt_spec *spec, struct rt_early_ns *ns, int ret_fds[2])
{
	int flags = 0;

	/* the network namespace comes last; end of file when the child gave up */
	while (!ns->done) {
		if (recv_one(sock, true, ns) <= 0)
			ns->done = true;
	}
	rt_trace("early ns received");
	if (ns->fds[0] >= 0)
		flags |= CLONE_NEWUSER;
	if (ns->fds[1] >= 0)
		flags |= CLONE_NEWNET;
	/* all or nothing, and what this config asks for (the bundle could have changed since the first image read it)
	 */
	if (ns->bad || !(flags & CLONE_NEWNET) || flags != early_ns_flags(spec)) {
		ns->fds[0] = berth_close_safe(ns->fds[0]);
		ns->fds[1] = berth_close_safe(ns->fds[1]);
		return 0;
	}
	ret_fds[0] = ns->fds[0];
	ret_fds[1] = ns->fds[1];
	ns->fds[0] = ns->fds[1] = -1;
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
