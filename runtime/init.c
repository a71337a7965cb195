/* runtime/init.c: the container's init, from clone3 to execve. */
/*
 * It runs berth's code inside the new namespaces (never a re-exec of
 * berth), paced by the parent over the sync socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/console.h"
#include "runtime/devices.h"
#include "runtime/early.h"
#include "runtime/hooks.h"
#include "runtime/inroot.h"
#include "runtime/launch.h"
#include "runtime/namespaces.h"
#include "runtime/net.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"
#include "runtime/trace.h"

/* Join the namespaces made early (early.h), if they came: the user namespace gives up the host's privileges. */
static int join_early_ns(const struct rt_launch *l, struct rt_early_ns *ens, uint64_t *flags, struct berr *e)
{
	int fds[2], mask, r = 0;

	mask = rt_early_ns_receive(l->early_ns_sock, l->spec, ens, fds);
	/* not cleared in l: the helper may share berth's memory (spawn.c), whose copy of the fd stays open */
	close(l->early_ns_sock);
	if (mask <= 0)
		return 0;
	if (fds[0] >= 0 && setns(fds[0], CLONE_NEWUSER) < 0)
		r = berr_errno(e, "join the container's user namespace");
	else if (setns(fds[1], CLONE_NEWNET) < 0)
		r = berr_errno(e, "join the container's network namespace");
	else
		*flags &= ~(uint64_t)mask;
	berth_close_safe(fds[0]);
	berth_close_safe(fds[1]);
	return r;
}

static int helper_prepare(struct rt_launch *l, struct rt_early_ns *ens, uint64_t *flags, struct berr *e)
{
	char offsets[256];
	int r;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the v1 tasks files the early child opened, if they are already there */
	if (l->early_ns_sock >= 0)
		rt_early_ns_take(l->early_ns_sock, ens);
	if (l->cg_in_helper) {
		/* pid 0: the calling thread, a self-migration (see runtime/spawn.h) */
		if (l->cg_v2_clone || !rt_cgroup_dir(l->cg, ""))
			r = rt_cgroup_enter_v1_fds(l->cg, ens->tasks, ens->n_tasks, e);
		else
			r = rt_cgroup_enter(l->cg, 0, e);
		if (r < 0)
			return berr_wrap(e, r, "enter the container's cgroup");
		rt_trace("helper in cgroup");
	}
	r = rt_ns_join(l->spec, l->ns_fds, e);
	if (r < 0)
		return r;
	if (rt_ns_time_offsets(l->spec, offsets, sizeof(offsets))) {
		/*
		 * Offsets can only be written before a process enters the time
		 * namespace, so it is made here and the container process is
		 * cloned into it, instead of clone3(CLONE_NEWTIME).
		 */
		if (unshare(CLONE_NEWTIME) < 0)
			return berr_errno(e, "create the time namespace");
		r = bfile_write_str("/proc/self/timens_offsets", offsets, e);
		if (r < 0)
			return berr_wrap(e, r, "'linux.timeOffsets'");
	}
	return l->early_ns_sock >= 0 ? join_early_ns(l, ens, flags, e) : 0;
}

int rt_init_helper_prepare(void *ctx, uint64_t *flags, struct berr *e)
{
	struct rt_early_ns ens;
	int r;

	rt_early_ns_init(&ens);
	r = helper_prepare(ctx, &ens, flags, e);
	rt_early_ns_clear(&ens);
	return r;
}

/* A state JSON for hooks run by the init, with status replaced. */
static char *state_with_status(const char *state, const char *status)
{
	_cleanup_json_ json_t *j = NULL;

	if (!state || bjson_parse(state, strlen(state), &j, NULL) < 0)
		return NULL;
	if (bjson_set(j, "status", json_string(status)) < 0)
		return NULL;
	return json_dumps(j, JSON_COMPACT);
}

/* The pty, bound over /dev/console when bind, is the init's stdio from now on. */
static int make_console(struct rt_launch *l, int rootfd, bool bind, int *ret_slave, struct berr *e)
{
	int r = rt_console_create(rootfd, &l->spec->process, l->console_sock, ret_slave, e);

	if (r < 0)
		return r;
	l->console_sock = berth_close_safe(l->console_sock);
	if (bind && (r = rt_console_bind(rootfd, *ret_slave, e)) < 0)
		return r;
	return rt_console_stdio(*ret_slave, e);
}

/* Without a mount namespace: no mounts and no device nodes (the host's), sysctls through the host's /proc. */
static int setup_shared_root(struct rt_launch *l, int rootfd, int *ret_slave, struct berr *e)
{
	const struct rt_spec *spec = l->spec;
	_cleanup_close_ int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (hostroot < 0)
		return berr_errno(e, "open /");
	if (spec->process.terminal && (r = make_console(l, rootfd, false, ret_slave, e)) < 0)
		return r;
	if ((r = rt_rootfs_sysctls(hostroot, spec, e)) < 0)
		return r;
	return rt_inroot_mkdir_p(rootfd, spec->process.cwd, 0755, NULL, e);
}

static int setup_root(struct rt_launch *l, int rootfd, int *ret_slave, struct berr *e)
{
	const struct rt_spec *spec = l->spec;
	bool userns = spec->ns_new & CLONE_NEWUSER;
	int r;

	if (!(spec->ns_all & CLONE_NEWNS))
		return setup_shared_root(l, rootfd, ret_slave, e);
	if ((r = rt_rootfs_mount_all(rootfd, spec, userns, e)) < 0)
		return r;
	rt_trace("init mounts");
	if ((r = rt_devices_setup(rootfd, spec, userns, e)) < 0)
		return r;
	if (spec->process.terminal && (r = make_console(l, rootfd, true, ret_slave, e)) < 0)
		return r;
	rt_trace("init devices");
	if ((r = rt_rootfs_sysctls(rootfd, spec, e)) < 0)
		return r;
	if ((r = rt_rootfs_mask_and_protect(rootfd, spec, e)) < 0)
		return r;
	rt_trace("init masked");
	/* runc creates a missing cwd; do it while the root is still writable */
	return rt_inroot_mkdir_p(rootfd, spec->process.cwd, 0755, NULL, e);
}

static int wait_start(struct rt_launch *l, struct berr *e)
{
	char c;
	ssize_t n;

	do
		n = read(l->go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return berr_set(e, -EPIPE, "the start signal never came");
	return 0;
}

static void report_after_ready(struct rt_launch *l, const struct berr *e)
{
	const char *m = berr_message(e);

	if (l->done[1] >= 0) {
		if (write(l->done[1], m, strlen(m)) < 0) {
			/* start is gone: nobody left to tell */
		}
	} else {
		rt_sync_send_error(l->sync_child, e);
	}
}

void rt_init_main(void *ctx)
{
	struct rt_launch *l = ctx;
	const struct rt_spec *spec = l->spec;
	struct berr e = BERR_INIT;
	struct rt_sync_msg go = {0}, msg = {0};
	struct rt_proc_final fin = {0};
	_cleanup_free_ char *created = NULL, *path = NULL;
	int rootfd = -1, slave = -1, r;

	close(l->sync_parent);
	/* a flock stays held while any copy of its file description lives */
	if (l->state_lock >= 0)
		close(l->state_lock);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(0);
	r = rt_sync_expect(l->sync_child, RT_SYNC_GO, "berth", &go, &e);
	rt_trace("init GO");
	if (r < 0)
		_exit(1);
	if (spec->ns_new & CLONE_NEWUSER) {
		/* the maps are written: become the namespace's root for the setup */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			berr_errno(&e, "become root in the user namespace");
			goto fail;
		}
	}
	if (l->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
		berr_errno(&e, "create the cgroup namespace");
		goto fail;
	}
	if (spec->hostname && *spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		berr_errno(&e, "set 'hostname'");
		goto fail;
	}
	if (spec->domainname && *spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
		berr_errno(&e, "set 'domainname'");
		goto fail;
	}
	rt_trace("init ids/host");
	if ((r = rt_rootfs_prepare(spec, &rootfd, &e)) < 0 || (r = setup_root(l, rootfd, &slave, &e)) < 0 ||
	    (r = rt_net_resolv_mount(rootfd, TAKE_FD(l->resolv_tree), go.data, &e)) < 0)
		goto fail;
	if (spec->hooks.n[RT_HOOK_PRESTART] || spec->hooks.n[RT_HOOK_CREATE_RUNTIME]) {
		if (rt_sync_send(l->sync_child, RT_SYNC_HOOKS, 0, 0, NULL, 0) < 0 ||
		    rt_sync_expect(l->sync_child, RT_SYNC_HOOKS_DONE, "berth", &msg, &e) < 0)
			_exit(1);
		rt_sync_msg_clear(&msg);
	}
	/* createContainer: in the container's namespaces, path resolved before pivot_root (runtime's view) */
	if ((r = rt_hooks_run(&spec->hooks, RT_HOOK_CREATE_CONTAINER, go.data ? go.data : "{}", &e)) < 0)
		goto fail;
	rt_trace("init pre-pivot");
	if ((r = rt_rootfs_pivot(rootfd, spec, &e)) < 0)
		goto fail;
	rootfd = berth_close_safe(rootfd);
	rt_trace("init pivoted");
	if ((r = rt_process_resolve(&spec->process, &path, &e)) < 0 ||
	    (r = rt_process_env(&spec->process, &fin.env, &e)) < 0)
		goto fail;
	if (rt_sync_send(l->sync_child, RT_SYNC_READY, 0, 0, NULL, 0) < 0)
		_exit(1);
	if (l->go[0] >= 0 && wait_start(l, &e) < 0)
		_exit(1);
	if (spec->hooks.n[RT_HOOK_START_CONTAINER]) {
		created = state_with_status(go.data, "created");
		r = rt_hooks_run(&spec->hooks, RT_HOOK_START_CONTAINER, created ? created : "{}", &e);
		if (r < 0) {
			report_after_ready(l, &e);
			_exit(1);
		}
	}
	rt_trace("init exec");
	fin.p = &spec->process;
	fin.path = path;
	fin.seccomp = l->seccomp;
	fin.preserve_fds = l->preserve_fds;
	fin.console_slave = slave;
	rt_process_exec(&fin, &e);
	report_after_ready(l, &e);
	_exit(127);
fail:
	rt_sync_send_error(l->sync_child, &e);
	_exit(1);
}
