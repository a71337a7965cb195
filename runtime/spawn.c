/* runtime/spawn.c: clone3 with every namespace flag, directly or through the cgroup helper. */
#include "runtime/spawn.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "runtime/sys.h"
#include "runtime/trace.h"

static pid_t clone_into(uint64_t flags, int cgroup_fd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = flags;
	if (!(flags & CLONE_PARENT))
		args.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return rt_sys_clone3(&args);
}

static void helper_main(const struct rt_spawn *s)
{
	struct berr e = BERR_INIT;
	uint64_t flags = s->flags;
	pid_t pid;
	int r;

	r = s->prepare ? s->prepare(s->ctx, &flags, &e) : 0;
	rt_trace("helper prepared");
	if (r < 0) {
		rt_sync_send_error(s->sync_child, &e);
		_exit(1);
	}
	pid = clone_into(flags | CLONE_PARENT, s->cgroup_fd);
	if (pid > 0)
		rt_trace("helper cloned");
	if (pid < 0) {
		berr_errno(&e, "clone3 of the container process");
		rt_sync_send_error(s->sync_child, &e);
		_exit(1);
	}
	if (pid == 0)
		s->child_main(s->ctx);
	if (rt_sync_send(s->sync_child, RT_SYNC_PID, 0, pid, NULL, 0) < 0)
		_exit(1);
	_exit(0);
}

int rt_spawn_start(const struct rt_spawn *s, int sync_parent, pid_t *ret_pid, pid_t *ret_helper, struct berr *e)
{
	struct rt_sync_msg msg;
	pid_t helper, pid;
	int r;

	*ret_helper = -1;
	if (!s->helper) {
		pid = clone_into(s->flags, s->cgroup_fd);
		if (pid < 0)
			return berr_errno(e, "clone3 of the container process");
		if (pid == 0)
			s->child_main(s->ctx);
		close(s->sync_child);
		*ret_pid = pid;
		return 0;
	}
	/*
	 * The helper itself starts in the v2 cgroup when there is one, so its
	 * self-migration only has v1 left to do: the cheap thread move.
	 */
	helper = clone_into(0, s->cgroup_fd);
	if (helper < 0)
		return berr_errno(e, "fork the spawn helper");
	if (helper == 0)
		helper_main(s);
	close(s->sync_child);
	r = rt_sync_expect(sync_parent, RT_SYNC_PID, "the spawn helper", &msg, e);
	if (r < 0) {
		rt_spawn_reap(helper);
		return r;
	}
	rt_trace("got pid");
	*ret_pid = (pid_t)msg.value;
	*ret_helper = helper;
	rt_sync_msg_clear(&msg);
	return 0;
}

void rt_spawn_reap(pid_t helper)
{
	if (helper <= 0)
		return;
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
}

int rt_spawn_run(const struct rt_spawn *s, int sync_parent, pid_t *ret_pid, struct berr *e)
{
	pid_t helper;
	int r = rt_spawn_start(s, sync_parent, ret_pid, &helper, e);

	rt_spawn_reap(helper);
	return r;
}
