/* runtime/create.c: `berth create` (and the first half of `run`), the parent's side. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/early.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/namespaces.h"
#include "runtime/net.h"
#include "runtime/path.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "runtime/trace.h"

int rt_pid_file_write(const char *path, pid_t pid, struct berr *e)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	int r = bfile_write_atomic(path, buf, (size_t)n, 0644, 0, e);

	return r < 0 ? berr_wrap(e, r, "--pid-file") : 0;
}

void rt_created_clear(struct rt_created *c)
{
	c->sync_fd = berth_close_safe(c->sync_fd);
	rt_state_free(c->st);
	rt_spec_free(c->spec);
	c->st = NULL;
	c->spec = NULL;
}

static int check_preserved_fds(int n, struct berr *e)
{
	if (n < 0 || n > 65536)
		return berr_set(e, -EINVAL, "--preserve-fds must be between 0 and 65536");
	for (int fd = 3; fd < 3 + n; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			return berr_set(e, -EBADF, "--preserve-fds %d: fd %d is not open", n, fd);
	}
	return 0;
}

static int write_config_copy(const struct rt_state *st, const struct rt_spec *spec, struct berr *e)
{
	_cleanup_free_ char *s = json_dumps(spec->json, JSON_COMPACT);
	_cleanup_free_ char *path = rt_path_join(st->dir, "config.json");

	if (!s || !path)
		return berr_oom(e);
	return bfile_write_atomic(path, s, strlen(s), 0600, 0, e);
}

static int write_oom_score(pid_t pid, int adj, struct berr *e)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(val, sizeof(val), "%d", adj);
	/* from the parent: lowering it needs CAP_SYS_RESOURCE of the host, which the init lacks */
	return bfile_write_str(path, val, e) < 0 ? berr_wrap(e, e ? e->code : -EIO, "'process.oomScoreAdj'") : 0;
}

/*
 * Run prestart and createRuntime hooks for the init, in berth's own
 * namespaces. createRuntime sees "creating" as runc shows it; prestart
 * "created", which the runtime-tools suite asks for and crun shows.
 */
static int run_create_hooks(const struct rt_spec *spec, const struct rt_create_opts *o, pid_t pid, const char *state,
			    json_t *annotations, struct berr *e)
{
	_cleanup_free_ char *created = NULL;
	int r;

	if (spec->hooks.n[RT_HOOK_PRESTART]) {
		created = rt_state_hook_json(spec->oci_version, o->id, "created", pid, spec->bundle, annotations);
		if (!created)
			return berr_oom(e);
		r = rt_hooks_run(&spec->hooks, RT_HOOK_PRESTART, created, e);
		if (r < 0)
			return r;
	}
	return rt_hooks_run(&spec->hooks, RT_HOOK_CREATE_RUNTIME, state, e);
}

struct create_ctx {
	struct rt_launch l;
	struct rt_cgroup *cg;
	int cg_fd;  /* v2 cgroup for CLONE_INTO_CGROUP, -1 when the module offers none */
	bool cg_v1; /* v1 hierarchies to enter besides (v1, hybrid) */
	pid_t pid;
	pid_t helper; /* reaped once the init is set up */
	bool attached;
	json_t *annotations;
	const char *state_dir; /* root/id: where the container's resolv.conf goes */
};

static void close_launch_fds(struct rt_launch *l)
{
	l->console_sock = berth_close_safe(l->console_sock);
	l->resolv_tree = berth_close_safe(l->resolv_tree);
	for (int i = 0; i < 2; i++) {
		l->go[i] = berth_close_safe(l->go[i]);
		l->done[i] = berth_close_safe(l->done[i]);
	}
	l->early_ns_sock = berth_close_safe(l->early_ns_sock);
	rt_ns_close_all(l->ns_fds);
}

static void undo(struct create_ctx *c, const struct rt_create_opts *o, const struct rt_spec *spec, struct rt_state *st)
{
	rt_spawn_reap(c->helper);
	c->helper = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (c->attached)
		rt_net_detach_spec(spec, o->id, o->netd_socket);
	if (c->cg) {
		rt_cgroup_destroy(c->cg, NULL);
		rt_cgroup_free(c->cg);
		c->cg = NULL;
	}
	if (st)
		rt_state_remove(st, NULL);
}

static bool pids_too_tight(const struct rt_spec *spec)
{
	/* the helper is counted in the cgroup while it clones: it needs room for two */
	return spec->resources.pids_limit > 0 && spec->resources.pids_limit < 2;
}

static bool joins_time_ns(const struct rt_spec *spec)
{
	for (size_t i = 0; i < spec->n_ns_join; i++) {
		if (spec->ns_join[i].type == CLONE_NEWTIME)
			return true;
	}
	return false;
}

static int spawn_init(struct create_ctx *c, const struct rt_spec *spec, struct berr *e)
{
	struct rt_launch *l = &c->l;
	char offsets[256];
	bool offs = rt_ns_time_offsets(spec, offsets, sizeof(offsets));
	struct rt_spawn s = {
		.flags = (uint64_t)spec->ns_new,
		.cgroup_fd = c->cg_fd,
		.sync_child = l->sync_child,
		.prepare = rt_init_helper_prepare,
		.child_main = rt_init_main,
		.ctx = l,
	};

	if (offs)
		s.flags &= ~(uint64_t)CLONE_NEWTIME;
	if (c->cg_fd >= 0 && (s.flags & CLONE_NEWCGROUP)) {
		s.flags &= ~(uint64_t)CLONE_NEWCGROUP;
		l->unshare_cgroupns = true;
	}
	l->cg_in_helper = (c->cg_v1 || c->cg_fd < 0) && !pids_too_tight(spec);
	l->cg_v2_clone = c->cg_fd >= 0;
	/* the namespaces made early (early.h) are joined by the helper, which needs room in a pids limit */
	if (pids_too_tight(spec))
		l->early_ns_sock = berth_close_safe(l->early_ns_sock);
	s.helper = l->cg_in_helper || spec->n_ns_join || offs || l->early_ns_sock >= 0;
	/* a helper sharing berth's memory (spawn.c) cannot enter a time namespace it did not make itself */
	s.light = !offs && !joins_time_ns(spec);
	return rt_spawn_start(&s, l->sync_parent, &c->pid, &c->helper, e);
}

/* The steps the parent takes from outside once the init exists, then the init's setup. */
static int drive_init(struct create_ctx *c, const struct rt_create_opts *o, const struct rt_spec *spec, struct berr *e)
{
	_cleanup_free_ char *state = NULL;
	struct rt_sync_msg msg;
	int fd = c->l.sync_parent, r;

	if (spec->ns_new & CLONE_NEWUSER) {
		r = rt_ns_write_id_maps(c->pid, spec, e);
		if (r < 0)
			return r;
	}
	if (spec->process.has_oom_score_adj && (r = write_oom_score(c->pid, spec->process.oom_score_adj, e)) < 0)
		return r;
	if (!c->l.cg_in_helper && (c->cg_v1 || c->cg_fd < 0)) {
		r = rt_cgroup_enter(c->cg, c->pid, e);
		if (r < 0)
			return berr_wrap(e, r, "enter the container's cgroup");
	}
	if (spec->n_nets) {
		_cleanup_free_ char *resolv = rt_path_join(c->state_dir, RT_NET_RESOLV_FILE);

		if (!resolv)
			return berr_oom(e);
		r = rt_net_attach(spec, o->id, c->pid, o->netd_socket, resolv, c->annotations, e);
		if (r < 0)
			return r;
		c->attached = true;
	}
	state = rt_state_hook_json(spec->oci_version, o->id, "creating", c->pid, spec->bundle, c->annotations);
	if (!state)
		return berr_oom(e);
	r = rt_sync_send(fd, RT_SYNC_GO, 0, 0, state, strlen(state));
	rt_trace("GO sent");
	if (r < 0)
		return berr_sys(e, r, "talk to the container's init");
	for (;;) {
		r = rt_sync_recv(fd, "the container's init", &msg, e);
		if (r < 0)
			return r;
		if (msg.type == RT_SYNC_READY)
			break;
		if (msg.type != RT_SYNC_HOOKS) {
			rt_sync_msg_clear(&msg);
			return berr_set(e, -EPROTO, "unexpected message from the container's init");
		}
		r = run_create_hooks(spec, o, c->pid, state, c->annotations, e);
		if (r < 0)
			return r;
		r = rt_sync_send(fd, RT_SYNC_HOOKS_DONE, 0, 0, NULL, 0);
		if (r < 0)
			return berr_sys(e, r, "talk to the container's init");
	}
	rt_trace("READY");
	rt_sync_msg_clear(&msg);
	return 0;
}

static int open_launch(struct create_ctx *c, const struct rt_create_opts *o, const struct rt_spec *spec, struct berr *e)
{
	struct rt_launch *l = &c->l;
	int sp[2], r;

	r = rt_ns_open_joined(spec, l->ns_fds, e);
	if (r < 0)
		return r;
	if (o->console_socket) {
		r = rt_console_connect(o->console_socket, &l->console_sock, e);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berr_errno(e, "socketpair");
	l->sync_parent = sp[0];
	l->sync_child = sp[1];
	if (!o->run && (pipe2(l->go, O_CLOEXEC) < 0 || pipe2(l->done, O_CLOEXEC) < 0))
		return berr_errno(e, "pipe");
	return 0;
}

int rt_create(const struct rt_create_opts *o, struct rt_created *ret, struct berr *e)
{
	_cleanup_spec_ struct rt_spec *spec = NULL;
	_cleanup_state_ struct rt_state *st = NULL;
	struct rt_seccomp *sc = NULL;
	struct create_ctx c = {.cg_fd = -1, .helper = -1};
	json_t *cgj = NULL;
	int init_go, init_done, early, r;

	memset(ret, 0, sizeof(*ret));
	ret->sync_fd = -1;
	c.l.sync_parent = c.l.sync_child = c.l.console_sock = c.l.resolv_tree = -1;
	c.l.go[0] = c.l.go[1] = c.l.done[0] = c.l.done[1] = -1;
	c.l.early_ns_sock = -1;
	for (int i = 0; i < RT_NS_COUNT; i++)
		c.l.ns_fds[i] = -1;

	/* the state directory reserved before berth re-executed itself (early.h); its cgroup comes below */
	early = rt_early_adopt(o, &st, e);
	rt_trace("adopted");
	if (early < 0) {
		r = early;
		goto fail;
	}
	if ((r = rt_id_validate(o->id, e)) < 0 || (r = check_preserved_fds(o->preserve_fds, e)) < 0 ||
	    (r = rt_spec_load(o->bundle, &spec, e)) < 0)
		goto fail;
	if (spec->process.terminal && !o->console_socket) {
		r = berr_set(e, -EINVAL, "'process.terminal' is true: --console-socket is required");
		goto fail;
	}
	if (!spec->process.terminal && o->console_socket) {
		r = berr_set(e, -EINVAL, "--console-socket was given but 'process.terminal' is false");
		goto fail;
	}
	rt_spec_warnings(spec, &ret->warn);
	r = rt_seccomp_build(spec->seccomp, &sc, e);
	rt_trace("seccomp");
	if (r < 0) {
		berr_wrap(e, r, "'linux.seccomp'");
		goto fail;
	}
	c.annotations = json_deep_copy(spec->annotations);
	if (!c.annotations) {
		r = berr_oom(e);
		goto fail;
	}
	if (!early && (r = rt_state_create(o->root, o->id, &st, e)) < 0)
		goto out;
	if ((r = write_config_copy(st, spec, e)) < 0)
		goto fail;
	rt_trace("config copied");
	if ((r = open_launch(&c, o, spec, e)) < 0)
		goto fail;
	rt_trace("launch opened");
	/* everything above overlapped with the early child still making the cgroup */
	if (early)
		r = rt_early_cgroup(&c.cg, e);
	else if ((r = rt_cgroup_create(spec->cgroups_path, o->id, &spec->resources, &c.cg, e)) < 0)
		berr_wrap(e, r, "cgroup");
	if (r < 0)
		goto fail;
	if (rt_cgroup_clone_fd(c.cg, &c.cg_fd, NULL) < 0)
		c.cg_fd = -1;
	c.cg_v1 = rt_cgroup_get_mode(c.cg) != RT_CGROUP_V2;
	if (early)
		c.l.early_ns_sock = rt_early_ns_socket();
	rt_trace("config+cgfd");
	c.l.spec = spec;
	c.l.id = o->id;
	c.l.seccomp = sc;
	c.l.cg = c.cg;
	c.l.preserve_fds = o->preserve_fds;
	c.l.state_lock = st->lockfd;
	if ((r = rt_net_resolv_prepare(spec, st->dir, &c.l.resolv_tree, e)) < 0)
		goto fail;
	rt_trace("spawning");
	if ((r = spawn_init(&c, spec, e)) < 0)
		goto fail;
	c.l.sync_child = -1; /* closed by rt_spawn_run */
	rt_trace("spawned");
	/* the fd numbers are the init's own: it inherited them across clone3 */
	init_go = c.l.go[1];
	init_done = c.l.done[0];
	close_launch_fds(&c.l);
	c.cg_fd = berth_close_safe(c.cg_fd);
	c.state_dir = st->dir;
	r = drive_init(&c, o, spec, e);
	rt_spawn_reap(c.helper);
	c.helper = -1;
	if (r < 0)
		goto fail;
	if ((r = rt_cgroup_to_json(c.cg, &cgj, e)) < 0)
		goto fail;
	r = rt_state_init(st, spec, c.pid, TAKE_PTR(c.annotations), cgj, init_go, init_done, e);
	if (r < 0)
		goto fail;
	r = o->run ? rt_state_mark_started(st, e) : rt_state_save(st, e);
	if (r < 0)
		goto fail;
	if (o->pid_file && (r = rt_pid_file_write(o->pid_file, c.pid, e)) < 0)
		goto fail;
	rt_trace("state saved");
	ret->pid = c.pid;
	ret->sync_fd = TAKE_FD(c.l.sync_parent);
	ret->st = TAKE_PTR(st);
	ret->spec = TAKE_PTR(spec);
	rt_cgroup_free(c.cg);
	rt_seccomp_free(sc);
	rt_early_reap();
	return 0;
fail:
	if (early > 0 && !c.cg)
		rt_early_cgroup(&c.cg, NULL);
	/* the early child may have joined the cgroup (early.c): gone before it is removed */
	rt_early_reap();
	undo(&c, o, spec, st);
out:
	c.l.sync_parent = berth_close_safe(c.l.sync_parent);
	c.l.sync_child = berth_close_safe(c.l.sync_child);
	close_launch_fds(&c.l);
	berth_close_safe(c.cg_fd);
	if (c.cg)
		rt_cgroup_free(c.cg);
	json_decref(c.annotations);
	rt_seccomp_free(sc);
	rt_early_reap();
	return r;
}
