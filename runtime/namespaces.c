/* runtime/namespaces.c: joining namespaces by path, user-namespace maps, time offsets. */
#include "runtime/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "netns.h"

const int rt_ns_types[RT_NS_COUNT] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWNET,
				      CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME};

static const struct {
	int type;
	const char *oci, *proc;
} ns_names[] = {
	{CLONE_NEWUSER, "user", "user"},       {CLONE_NEWNS, "mount", "mnt"},	{CLONE_NEWPID, "pid", "pid"},
	{CLONE_NEWNET, "network", "net"},      {CLONE_NEWIPC, "ipc", "ipc"},	{CLONE_NEWUTS, "uts", "uts"},
	{CLONE_NEWCGROUP, "cgroup", "cgroup"}, {CLONE_NEWTIME, "time", "time"},
};

int rt_ns_type_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		if (strcmp(name, ns_names[i].oci) == 0)
			return ns_names[i].type;
	}
	return -EINVAL;
}

const char *rt_ns_oci_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		if (ns_names[i].type == type)
			return ns_names[i].oci;
	}
	return "unknown";
}

const char *rt_ns_proc_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		if (ns_names[i].type == type)
			return ns_names[i].proc;
	}
	return "unknown";
}

void rt_ns_close_all(int fds[RT_NS_COUNT])
{
	for (int i = 0; i < RT_NS_COUNT; i++)
		fds[i] = berth_close_safe(fds[i]);
}

int rt_ns_open_joined(const struct rt_spec *spec, int fds[RT_NS_COUNT], struct berr *e)
{
	for (int i = 0; i < RT_NS_COUNT; i++)
		fds[i] = -1;
	for (size_t i = 0; i < spec->n_ns_join; i++) {
		int r = bns_open(spec->ns_join[i].path, spec->ns_join[i].type, &fds[i], e);

		if (r < 0) {
			rt_ns_close_all(fds);
			return berr_wrap(e, r, "'linux.namespaces' %s", rt_ns_oci_name(spec->ns_join[i].type));
		}
	}
	return 0;
}

int rt_ns_join(const struct rt_spec *spec, const int fds[RT_NS_COUNT], struct berr *e)
{
	/*
	 * Every non-user namespace first, while the caller still has the
	 * host's privileges over all of them; the user namespace last, since
	 * joining it gives up those privileges.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < spec->n_ns_join; i++) {
			int type = spec->ns_join[i].type;

			if ((type == CLONE_NEWUSER) != (pass == 1))
				continue;
			if (setns(fds[i], type) < 0)
				return berr_errno(e, "join %s namespace %s", rt_ns_oci_name(type),
						  spec->ns_join[i].path);
		}
	}
	return 0;
}

bool rt_ns_id_mapped(const struct rt_id_map *maps, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (id >= maps[i].container_id && id - maps[i].container_id < maps[i].size)
			return true;
	}
	return false;
}

static int write_map(pid_t pid, const char *file, const struct rt_id_map *maps, size_t n, struct berr *e)
{
	char path[64];
	char buf[RT_MAX_ID_MAPS * 36];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[i].container_id,
					maps[i].host_id, maps[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	/* One write(2): the kernel accepts a map only once, complete. */
	return bfile_write_str(path, buf, e);
}

int rt_ns_write_id_maps(pid_t pid, const struct rt_spec *spec, struct berr *e)
{
	char path[64];
	int r;

	/*
	 * A writer without CAP_SETGID over the parent namespace may only map
	 * gids after denying setgroups(2); root keeps it allowed so that
	 * additionalGids work.
	 */
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		r = bfile_write_str(path, "deny", e);
		if (r < 0)
			return r;
	}
	r = write_map(pid, "uid_map", spec->uid_maps, spec->n_uid_maps, e);
	if (r < 0)
		return berr_wrap(e, r, "'linux.uidMappings'");
	r = write_map(pid, "gid_map", spec->gid_maps, spec->n_gid_maps, e);
	if (r < 0)
		return berr_wrap(e, r, "'linux.gidMappings'");
	return 0;
}

bool rt_ns_time_offsets(const struct rt_spec *spec, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (spec->time_monotonic.set)
		n += (size_t)snprintf(buf + n, len - n, "monotonic %lld %u\n", (long long)spec->time_monotonic.secs,
				      spec->time_monotonic.nanosecs);
	if (spec->time_boottime.set && n < len)
		n += (size_t)snprintf(buf + n, len - n, "boottime %lld %u\n", (long long)spec->time_boottime.secs,
				      spec->time_boottime.nanosecs);
	return n > 0;
}

int rt_ns_differing(pid_t pid, int *ret_mask, struct berr *e)
{
	int mask = 0;

	for (int i = 0; i < RT_NS_COUNT; i++) {
		char theirs[64], ours[64];
		struct stat a, b;

		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, rt_ns_proc_name(rt_ns_types[i]));
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", rt_ns_proc_name(rt_ns_types[i]));
		if (stat(theirs, &a) < 0) {
			if (errno == ENOENT && stat(ours, &b) < 0)
				continue; /* the kernel lacks this namespace type */
			return berr_errno(e, "%s", theirs);
		}
		if (stat(ours, &b) < 0)
			return berr_errno(e, "%s", ours);
		if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			mask |= rt_ns_types[i];
	}
	*ret_mask = mask;
	return 0;
}
