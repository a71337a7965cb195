/* runtime/exec.c: `berth exec`, a new process inside an existing container. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/caps.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/namespaces.h"
#include "runtime/path.h"
#include "runtime/process.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "strv.h"

struct exec_ctx {
	struct rt_process proc;
	const struct rt_seccomp *seccomp;
	struct rt_cgroup *cg;
	int pidfd;
	int ns_mask;
	int sync_parent, sync_child;
	int console_sock;
	int preserve_fds;
	int cg_fd;   /* v2 directory for CLONE_INTO_CGROUP, -1: none */
	int root_fd; /* the init's root when it has no mount namespace of its own (chroot'ed), else -1 */
};

static int helper_prepare(void *arg, struct berr *e)
{
	struct exec_ctx *x = arg;
	int r;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (x->cg) {
		r = rt_cgroup_enter(x->cg, 0, e);
		if (r < 0)
			return berr_wrap(e, r, "enter the container's cgroup");
	}
	/* all namespaces of the init at once; the kernel orders the user namespace right */
	if (x->ns_mask && setns(x->pidfd, x->ns_mask) < 0)
		return berr_errno(e, "join the container's namespaces");
	return 0;
}

__attribute__((noreturn)) static void child_main(void *arg)
{
	struct exec_ctx *x = arg;
	struct berr e = BERR_INIT;
	struct rt_sync_msg go;
	struct rt_proc_final fin = {.console_slave = -1};
	_cleanup_free_ char *path = NULL;
	int r;

	close(x->sync_parent);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (rt_sync_expect(x->sync_child, RT_SYNC_GO, "berth", &go, &e) < 0)
		_exit(1);
	rt_sync_msg_clear(&go);
	if (x->root_fd >= 0 && (fchdir(x->root_fd) < 0 || chroot(".") < 0)) {
		berr_errno(&e, "enter the container's root");
		goto fail;
	}
	if (x->proc.terminal) {
		_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (rootfd < 0) {
			berr_errno(&e, "open the container's root");
			goto fail;
		}
		r = rt_console_create(rootfd, &x->proc, x->console_sock, &fin.console_slave, &e);
		if (r < 0)
			goto fail;
		close(x->console_sock);
	}
	if (rt_process_resolve(&x->proc, &path, &e) < 0 || rt_process_env(&x->proc, &fin.env, &e) < 0)
		goto fail;
	if (rt_sync_send(x->sync_child, RT_SYNC_READY, 0, 0, NULL, 0) < 0)
		_exit(1);
	fin.p = &x->proc;
	fin.path = path;
	fin.seccomp = x->seccomp;
	fin.preserve_fds = x->preserve_fds;
	rt_process_exec(&fin, &e);
fail:
	rt_sync_send_error(x->sync_child, &e);
	_exit(127);
}

/* The container's process with the command-line overrides of runc exec. */
static int build_process(const struct rt_exec_opts *o, const struct rt_spec *spec, struct rt_process *p,
			 json_t **ret_json, struct berr *e)
{
	int r;

	if (o->process_file) {
		_cleanup_json_ json_t *j = NULL;

		r = bjson_load_file(o->process_file, RT_CONFIG_MAX_SIZE, &j, e);
		if (r < 0)
			return berr_wrap(e, r, "--process");
		r = rt_process_parse(j, "process", p, e);
		if (r < 0)
			return berr_wrap(e, r, "--process %s", o->process_file);
		*ret_json = TAKE_PTR(j);
	} else {
		/* a copy of the container's process; its strings stay owned by spec->json */
		r = rt_process_parse(json_object_get(spec->json, "process"), "process", p, e);
		if (r < 0)
			return r;
		free(p->args);
		p->args = calloc(strv_len(o->cmd) + 1, sizeof(char *));
		if (!p->args)
			return berr_oom(e);
		memcpy(p->args, o->cmd, strv_len(o->cmd) * sizeof(char *));
		p->terminal = o->tty;
	}
	if (o->env && o->env[0]) {
		size_t n = strv_len(p->env), m = strv_len(o->env), k = 0;
		char **env = calloc(n + m + 1, sizeof(char *));

		if (!env)
			return berr_oom(e);
		for (size_t i = 0; i < n; i++) {
			const char *eq = strchr(p->env[i], '=');
			bool overridden = false;

			for (size_t j = 0; j < m && eq; j++)
				overridden |= strncmp(o->env[j], p->env[i], (size_t)(eq - p->env[i] + 1)) == 0;
			if (!overridden)
				env[k++] = p->env[i];
		}
		for (size_t j = 0; j < m; j++)
			env[k++] = o->env[j];
		free(p->env);
		p->env = env;
	}
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return berr_set(e, -EINVAL, "--cwd must be an absolute path");
		p->cwd = o->cwd;
	}
	if (o->user) {
		uint64_t uid, gid = p->gid;
		_cleanup_free_ char *u = strdup(o->user);
		char *colon = u ? strchr(u, ':') : NULL;

		if (!u)
			return berr_oom(e);
		if (colon)
			*colon = '\0';
		if (bparse_u64(u, 0, UINT32_MAX - 1, &uid) < 0 ||
		    (colon && bparse_u64(colon + 1, 0, UINT32_MAX - 1, &gid) < 0))
			return berr_set(e, -EINVAL, "--user takes UID[:GID] numbers, not '%s'", o->user);
		p->uid = (uint32_t)uid;
		p->gid = (uint32_t)gid;
	}
	for (char **c = o->caps; c && *c; c++) {
		int cap = rt_cap_from_name(*c);

		if (cap < 0)
			return berr_set(e, -EINVAL, "--cap: unknown capability '%s'", *c);
		p->has_caps = true;
		p->caps.bounding |= 1ULL << cap;
		p->caps.effective |= 1ULL << cap;
		p->caps.permitted |= 1ULL << cap;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (p->terminal && !o->console_socket)
		return berr_set(e, -EINVAL, "the process wants a terminal: --console-socket is required");
	if (!p->terminal && o->console_socket)
		return berr_set(e, -EINVAL, "--console-socket was given but the process has no terminal");
	return 0;
}

static int load_spec(const struct rt_state *st, struct rt_spec **ret, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *path = rt_path_join(st->dir, "config.json");
	int r;

	if (!path)
		return berr_oom(e);
	r = bjson_load_file(path, RT_CONFIG_MAX_SIZE, &j, e);
	if (r < 0)
		return r;
	return rt_spec_from_json(j, st->bundle, ret, e);
}

static int write_oom_score(pid_t pid, int adj, struct berr *e)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(val, sizeof(val), "%d", adj);
	return bfile_write_str(path, val, e);
}

int rt_exec(const struct rt_exec_opts *o, int *ret_status, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_spec_ struct rt_spec *spec = NULL;
	_cleanup_json_ json_t *pjson = NULL;
	struct rt_seccomp *sc = NULL;
	struct exec_ctx x = {
		.pidfd = -1, .sync_parent = -1, .sync_child = -1, .console_sock = -1, .cg_fd = -1, .root_fd = -1};
	enum rt_status status;
	sigset_t set, old;
	bool blocked = false;
	pid_t pid = -1;
	int sp[2], r;

	r = rt_state_open(o->root, o->id, false, &st, e);
	if (r < 0)
		return r;
	status = rt_state_status(st);
	if (status == RT_STATUS_STOPPED)
		return berr_set(e, -ESRCH, "cannot exec in container '%s': it has stopped", o->id);
	if (status == RT_STATUS_PAUSED)
		return berr_set(e, -EBUSY, "cannot exec in container '%s': it is paused", o->id);
	if (status == RT_STATUS_CREATING)
		return berr_set(e, -EBUSY, "container '%s' is still being created", o->id);
	for (int fd = 3; fd < 3 + o->preserve_fds; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, -EBADF, "--preserve-fds %d: fd %d is not open", o->preserve_fds, fd);
	}
	if ((r = load_spec(st, &spec, e)) < 0 || (r = build_process(o, spec, &x.proc, &pjson, e)) < 0)
		goto out;
	if (x.proc.has_caps)
		rt_caps_warnings(&x.proc.caps, "process", o->warn);
	r = rt_seccomp_build(spec->seccomp, &sc, e);
	if (r < 0) {
		berr_wrap(e, r, "'linux.seccomp'");
		goto out;
	}
	x.seccomp = sc;
	x.preserve_fds = o->preserve_fds;
	if ((r = rt_state_cgroup(st, &x.cg, e)) < 0)
		goto out;
	if (x.cg && rt_cgroup_clone_fd(x.cg, &x.cg_fd, NULL) < 0)
		x.cg_fd = -1;
	r = rt_state_pidfd(st, &x.pidfd);
	if (r < 0) {
		berr_set(e, r, "cannot exec in container '%s': its init is gone", o->id);
		goto out;
	}
	if ((r = rt_ns_differing(st->pid, &x.ns_mask, e)) < 0)
		goto out;
	if (!(x.ns_mask & CLONE_NEWNS)) {
		char path[64];

		/* our mount namespace: the init was chroot'ed (rootfs.h), and so is this process */
		snprintf(path, sizeof(path), "/proc/%d/root", (int)st->pid);
		x.root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (x.root_fd < 0) {
			r = berr_errno(e, "open the root of container '%s'", o->id);
			goto out;
		}
	}
	if (o->console_socket && (r = rt_console_connect(o->console_socket, &x.console_sock, e)) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = berr_errno(e, "socketpair");
		goto out;
	}
	x.sync_parent = sp[0];
	x.sync_child = sp[1];
	rt_forward_set(&set);
	if (!o->detach)
		blocked = sigprocmask(SIG_BLOCK, &set, &old) == 0;
	{
		struct rt_spawn s = {.flags = 0,
				     .cgroup_fd = x.cg_fd,
				     .helper = true,
				     .sync_child = x.sync_child,
				     .prepare = helper_prepare,
				     .child_main = child_main,
				     .ctx = &x};

		r = rt_spawn_run(&s, x.sync_parent, &pid, e);
		x.sync_child = -1;
	}
	if (r < 0)
		goto out;
	x.console_sock = berth_close_safe(x.console_sock);
	if (x.proc.has_oom_score_adj && (r = write_oom_score(pid, x.proc.oom_score_adj, e)) < 0)
		goto fail;
	if ((r = rt_sync_send(x.sync_parent, RT_SYNC_GO, 0, 0, NULL, 0)) < 0) {
		berr_sys(e, r, "talk to the exec'd process");
		goto fail;
	}
	{
		struct rt_sync_msg m;

		if ((r = rt_sync_expect(x.sync_parent, RT_SYNC_READY, "the exec'd process", &m, e)) < 0)
			goto fail;
		rt_sync_msg_clear(&m);
	}
	if ((r = rt_sync_wait_exec(x.sync_parent, e)) < 0)
		goto fail;
	if (o->pid_file && (r = rt_pid_file_write(o->pid_file, pid, e)) < 0)
		goto fail;
	if (o->detach) {
		*ret_status = 0;
		goto out;
	}
	r = rt_wait_forwarding(pid, &set, ret_status, e);
	goto out;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out:
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	berth_close_safe(x.pidfd);
	berth_close_safe(x.sync_parent);
	berth_close_safe(x.sync_child);
	berth_close_safe(x.console_sock);
	berth_close_safe(x.cg_fd);
	berth_close_safe(x.root_fd);
	if (x.cg)
		rt_cgroup_free(x.cg);
	rt_seccomp_free(sc);
	rt_process_clear(&x.proc);
	return r;
}
