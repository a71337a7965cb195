/* runtime/spec_warn.c: what a config asks for that berth accepts without applying, as warnings. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>

#include "runtime/caps.h"
#include "runtime/spec.h"

/* Without a mount namespace nothing is mounted: that would change the host's own mounts. */
static void no_mount_ns(const struct rt_spec *spec, struct berr *warn)
{
	struct {
		bool set;
		const char *name;
	} unapplied[] = {
		{spec->n_mounts > 0, "mounts"},
		{spec->n_masked_paths > 0, "linux.maskedPaths"},
		{spec->n_readonly_paths > 0, "linux.readonlyPaths"},
		{spec->n_devices > 0, "linux.devices"},
		{spec->root_readonly, "root.readonly"},
		{spec->rootfs_propagation != 0, "linux.rootfsPropagation"},
	};
	struct berr w = BERR_INIT;
	char names[256] = "";
	size_t n = 0;

	if (spec->ns_all & CLONE_NEWNS)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(unapplied); i++) {
		if (unapplied[i].set && n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s'%s'", n ? ", " : "", unapplied[i].name);
	}
	if (!n)
		return;
	berr_set(&w, -ENOTSUP,
		 "%s not applied: 'linux.namespaces' has no mount namespace, so the container shares the host's "
		 "mounts (it is chrooted into root.path)",
		 names);
	berr_append(warn, NULL, &w);
}

void rt_spec_warnings(const struct rt_spec *spec, struct berr *warn)
{
	no_mount_ns(spec, warn);
	if (spec->process.has_caps)
		rt_caps_warnings(&spec->process.caps, "process", warn);
	rt_cgroup_resources_warnings(&spec->resources, warn);
}
