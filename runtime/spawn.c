/* runtime/spawn.c: clone3 with every namespace flag, directly or through the cgroup helper. */
#include "runtime/spawn.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
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

static void helper_main(const struct rt_spawn *s) __attribute__((noreturn));
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

/*
 * The helper shares berth's memory (CLONE_VM) and berth waits, suspended,
 * until it has exited (CLONE_VFORK), as posix_spawn's child does: no copy
 * of the page tables and no copy-on-write faults for a process that lives
 * a fraction of a millisecond. It runs on a stack of its own, and so does
 * the init it clones (a copy of that stack) until its execve. The helper
 * must not change berth's memory in ways berth would not expect: prepare
 * callbacks keep to local state (and closing their own copies of fds).
 * Sanitizer builds fork the helper as before (RT_SHARED_VM). A helper
 * cloned this way is not in
 * the v2 cgroup; the process it clones is placed there by CLONE_INTO_CGROUP
 * and it moves itself into v1 hierarchies only (rt_cgroup_enter_v1).
 * Only for callers that ask (s->light): a process sharing its memory with
 * another cannot join a time namespace (setns fails with EUSERS), which
 * berth exec does.
 */
#define HELPER_STACK (8UL << 20)

void *rt_spawn_stack(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1,
		       0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, 4096, PROT_NONE) < 0) {
		munmap(p, size);
		return NULL;
	}
	return p + size;
}

#if RT_SHARED_VM
static int helper_entry(void *arg)
{
	helper_main(arg);
	return 1;
}
#endif

static pid_t start_helper(const struct rt_spawn *s)
{
	pid_t pid;
#if RT_SHARED_VM
	/* reused: each helper has exited before berth goes on */
	static void *stack;

	if (s->light && !stack && !(stack = rt_spawn_stack(HELPER_STACK)))
		return -1;
	if (s->light)
		return clone(helper_entry, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)s);
#endif
	/* in the v2 cgroup from the start: its self-migration only has v1 left to do */
	pid = clone_into(0, s->cgroup_fd);
	if (pid == 0)
		helper_main(s);
	return pid;
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
	helper = start_helper(s);
	if (helper < 0)
		return berr_errno(e, "fork the spawn helper");
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
