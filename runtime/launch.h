/* What the parent hands the container's init across clone3 (the init has a copy of this memory). */
#pragma once

#include <stdbool.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

struct rt_launch {
	const struct rt_spec *spec;
	const char *id;
	const struct rt_seccomp *seccomp;
	struct rt_cgroup *cg;
	bool cg_in_helper; /* the spawn helper moves itself into cg before clone3 */
	int ns_fds[RT_NS_COUNT];
	int sync_parent, sync_child;
	int console_sock; /* -1 without a terminal */
	int go[2];	  /* create: start writes one byte to go[1]; run: -1 */
	int done[2];	  /* create: the init's errors after READY go to done[1]; EOF = exec'd */
	int preserve_fds;
	int state_lock;	       /* the parent's lock of the state directory: the init must not keep it */
	bool unshare_cgroupns; /* CLONE_INTO_CGROUP path: the cgroup namespace is made after joining */
	int resolv_tree;       /* a detached mount of the container's resolv.conf (net.h), -1: none */
};

/* The container's init: runs in the new namespaces, never returns. */
void rt_init_main(void *ctx) __attribute__((noreturn));

/* The spawn helper's preparation: cgroup, joined namespaces, time offsets. */
int rt_init_helper_prepare(void *ctx, struct berr *e);
