/* runtime/rootfs.c: mounts and pivot_root, run by the container's init. */
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/inroot.h"
#include "runtime/path.h"
#include "runtime/sys.h"

/* Flags a remount must keep: in a user namespace the kernel locks them once set. */
static unsigned long mounted_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int rt_rootfs_prepare(const struct rt_spec *spec, int *ret_rootfd, struct berr *e)
{
	unsigned long prop = MS_SLAVE | MS_REC;
	int fd;

	if (!(spec->ns_all & CLONE_NEWNS)) {
		/* the host's mount namespace: nothing may be mounted or changed in it */
		fd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return berr_errno(e, "open root.path %s", spec->rootfs);
		*ret_rootfd = fd;
		return 0;
	}
	/* Before any mount: nothing done here may propagate back to the host. */
	if (spec->rootfs_propagation & MS_PRIVATE)
		prop = MS_PRIVATE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return berr_errno(e, "make the mount tree %s", prop & MS_PRIVATE ? "private" : "slave");
	/* pivot_root needs the new root to be a mount point */
	if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_errno(e, "bind-mount root.path %s", spec->rootfs);
	fd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(e, "open root.path %s", spec->rootfs);
	*ret_rootfd = fd;
	return 0;
}

/* Remount the mount at path (resolved in the root) with flags, keeping what the kernel locks. */
static int remount_at(int rootfd, const char *dest, unsigned long flags, unsigned long clear, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	char buf[RT_FD_PATH_MAX];
	unsigned long keep;
	int r;

	r = rt_inroot_open(rootfd, dest, O_PATH, 0, &fd);
	if (r < 0)
		return berr_sys(e, r, "reopen %s", dest);
	keep = mounted_flags(fd) & ~clear;
	if (mount(NULL, rt_fd_path(fd, buf), NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL) < 0)
		return berr_errno(e, "remount %s", dest);
	return 0;
}

static int set_propagation(int rootfd, const char *dest, unsigned long prop, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	char buf[RT_FD_PATH_MAX];
	int r;

	r = rt_inroot_open(rootfd, dest, O_PATH, 0, &fd);
	if (r < 0)
		return berr_sys(e, r, "reopen %s", dest);
	if (mount(NULL, rt_fd_path(fd, buf), NULL, prop, NULL) < 0)
		return berr_errno(e, "set propagation of %s", dest);
	return 0;
}

static int set_rec_attrs(int rootfd, const struct rt_mount *m, struct berr *e)
{
	struct rt_mount_attr attr = {.attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr};
	_cleanup_close_ int fd = -1;
	int r;

	r = rt_inroot_open(rootfd, m->destination, O_PATH, 0, &fd);
	if (r < 0)
		return berr_sys(e, r, "reopen %s", m->destination);
	if (rt_sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
		return berr_errno(e, "set recursive mount attributes of %s", m->destination);
	return 0;
}

/* A cgroup namespace of its own (new or joined): a fresh cgroup mount shows only the container's cgroup. */
static bool has_cgroupns(const struct rt_spec *spec)
{
	if (spec->ns_new & CLONE_NEWCGROUP)
		return true;
	for (size_t i = 0; i < spec->n_ns_join; i++)
		if (spec->ns_join[i].type == CLONE_NEWCGROUP)
			return true;
	return false;
}

/* Bind the container's own cgroup directory at dest, with the mount's flags (read-only unless it says rw). */
static int bind_own_cgroup(int rootfd, const struct rt_cgroup_view *v, const char *dest, unsigned long flags,
			   struct berr *e)
{
	_cleanup_close_ int fd = -1;
	char buf[RT_FD_PATH_MAX];
	int r;

	if (!v->own)
		return berr_set(e, -ENOENT,
				"cgroup hierarchy %s/%s: this process's cgroup is outside the mounted subtree",
				RT_CGROUP_ROOT, v->name);
	r = rt_inroot_target(rootfd, dest, true, false, &fd, e);
	if (r < 0)
		return r;
	if (mount(v->own, rt_fd_path(fd, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_errno(e, "bind-mount the container's cgroup %s at %s", v->own, dest);
	return flags ? remount_at(rootfd, dest, flags, 0, e) : 0;
}

/*
 * A "cgroup" mount on a v1 or hybrid host: a tmpfs holding one directory per
 * hierarchy the host mounts below /sys/fs/cgroup, and symlinks for
 * co-mounted controllers (cpu -> cpu,cpuacct). In a cgroup namespace each is
 * a fresh mount, which the kernel roots at the container's cgroup; without
 * one, the container's own cgroup directory is bind-mounted there, as runc
 * does: a fresh mount would show the host's whole tree.
 */
static int mount_cgroup_v1(int rootfd, const struct rt_mount *m, bool cgroupns, const struct rt_cgroup_view *views,
			   size_t n_views, struct berr *e)
{
	_cleanup_close_ int fd = -1, dfd = -1;
	char buf[RT_FD_PATH_MAX];
	unsigned long flags = m->flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT);
	int r;

	r = rt_inroot_target(rootfd, m->destination, true, false, &fd, e);
	if (r < 0)
		return r;
	if (mount("tmpfs", rt_fd_path(fd, buf), "tmpfs", flags, "mode=755") < 0)
		return berr_errno(e, "mount tmpfs for cgroups at %s", m->destination);
	for (size_t i = 0; i < n_views; i++) {
		const struct rt_cgroup_view *v = &views[i];
		_cleanup_free_ char *sub = NULL;
		_cleanup_close_ int sfd = -1;

		if (!*v->name)
			continue;
		sub = rt_path_join(m->destination, v->name);
		if (!sub)
			return berr_oom(e);
		if (!cgroupns) {
			r = bind_own_cgroup(rootfd, v, sub, flags | (m->flags & MS_RDONLY), e);
			if (r < 0)
				return r;
			continue;
		}
		r = rt_inroot_target(rootfd, sub, true, false, &sfd, e);
		if (r < 0)
			return r;
		if (mount(v->v2 ? "cgroup2" : "cgroup", rt_fd_path(sfd, buf), v->v2 ? "cgroup2" : "cgroup",
			  flags | (m->flags & MS_RDONLY), *v->options ? v->options : NULL) < 0)
			return berr_errno(e, "mount %s hierarchy %s at %s", v->v2 ? "cgroup2" : "cgroup",
					  v->v2 ? "(unified)" : v->options, sub);
	}
	/* the tmpfs, not the directory under it */
	r = rt_inroot_open(rootfd, m->destination, O_PATH | O_DIRECTORY, 0, &dfd);
	if (r < 0)
		return berr_sys(e, r, "reopen %s", m->destination);
	for (size_t i = 0; i < n_views; i++)
		for (char **l = views[i].links; *views[i].name && *l; l++)
			if (symlinkat(views[i].name, dfd, *l) < 0 && errno != EEXIST)
				return berr_errno(e, "symlink %s/%s", m->destination, *l);
	if (m->flags & MS_RDONLY)
		return remount_at(rootfd, m->destination, MS_RDONLY | flags, 0, e);
	return 0;
}

/*
 * A cgroup2 mount (or "cgroup" on a v2 host): in a cgroup namespace a fresh
 * mount, else the container's own cgroup directory bound there; a fresh
 * mount refused (EPERM: a user namespace not owning the cgroup namespace;
 * EBUSY) falls back to the bind, as runc and crun do.
 */
static int mount_cgroup_v2(int rootfd, const struct rt_mount *m, bool cgroupns, const struct rt_cgroup_view *views,
			   size_t n_views, struct berr *e)
{
	const struct rt_cgroup_view *v = NULL;
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	_cleanup_close_ int fd = -1;
	char buf[RT_FD_PATH_MAX];
	int r;

	for (size_t i = 0; i < n_views && !v; i++)
		if (views[i].v2)
			v = &views[i];
	if (v && !cgroupns)
		return bind_own_cgroup(rootfd, v, m->destination, flags, e);
	r = rt_inroot_target(rootfd, m->destination, true, false, &fd, e);
	if (r < 0)
		return r;
	if (mount("cgroup2", rt_fd_path(fd, buf), "cgroup2", flags, m->data) == 0)
		return 0;
	if ((errno == EPERM || errno == EBUSY) && v && v->own)
		return bind_own_cgroup(rootfd, v, m->destination, flags, e);
	return berr_errno(e, "mount cgroup2 at %s", m->destination);
}

static int mount_cgroup(int rootfd, const struct rt_mount *m, bool cgroupns, struct berr *e)
{
	struct rt_cgroup_view *views = NULL;
	size_t n_views = 0;
	bool v2_host = false;
	int r;

	r = rt_cgroup_views_read(&views, &n_views, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroup hierarchies");
	/* a v2 host: cgroup2 at /sys/fs/cgroup itself */
	for (size_t i = 0; i < n_views; i++)
		v2_host |= views[i].v2 && !*views[i].name;
	if (!v2_host && strcmp(m->type, "cgroup") == 0)
		r = mount_cgroup_v1(rootfd, m, cgroupns, views, n_views, e);
	else
		r = mount_cgroup_v2(rootfd, m, cgroupns, views, n_views, e);
	rt_cgroup_views_free(views, n_views);
	return r;
}

/* data without the options starting with prefix; malloc'd. */
static char *strip_option(const char *data, const char *prefix)
{
	_cleanup_free_ char *copy = strdup(data);
	char *out = calloc(1, strlen(data) + 1);
	char *save = NULL;
	size_t n = 0;

	if (!copy || !out) {
		free(out);
		return NULL;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, prefix, strlen(prefix)) == 0)
			continue;
		n += (size_t)sprintf(out + n, "%s%s", n ? "," : "", tok);
	}
	return out;
}

static int mount_one(int rootfd, const struct rt_mount *m, bool userns, bool cgroupns, struct berr *e)
{
	bool special = strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0 ||
		       strcmp(m->destination, "/proc") == 0 || strcmp(m->destination, "/sys") == 0;
	_cleanup_close_ int fd = -1;
	char buf[RT_FD_PATH_MAX];
	bool dir = true;
	int r;

	if (m->bind) {
		struct stat st;

		if (stat(m->source, &st) < 0)
			return berr_errno(e, "bind source %s", m->source);
		dir = S_ISDIR(st.st_mode);
	}
	if ((strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) && !m->bind)
		return mount_cgroup(rootfd, m, cgroupns, e);
	r = rt_inroot_target(rootfd, m->destination, dir, special, &fd, e);
	if (r < 0)
		return r;
	rt_fd_path(fd, buf);
	if (m->bind) {
		unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);

		if (mount(m->source, buf, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
			return berr_errno(e, "bind-mount %s", m->source);
		/* bind ignores every other flag: they take a remount */
		if (extra || m->clear) {
			r = remount_at(rootfd, m->destination, extra, m->clear, e);
			if (r < 0)
				return r;
		}
	} else if (mount(m->source, buf, m->type, m->flags & ~MS_REC, m->data) < 0) {
		int err = errno;

		if (err == EPERM && userns && strcmp(m->type, "sysfs") == 0) {
			/* sysfs of a network namespace the user namespace does not own: the host's, read-only */
			if (mount("/sys", buf, NULL, MS_BIND | MS_REC, NULL) < 0)
				return berr_errno(e, "bind-mount /sys at %s", m->destination);
			r = remount_at(rootfd, m->destination, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, e);
			if (r < 0)
				return r;
		} else if (err == EPERM && userns && strcmp(m->type, "mqueue") == 0 &&
			   access("/dev/mqueue", F_OK) == 0) {
			/* an IPC namespace the user namespace does not own: the host's queues, as they are */
			if (mount("/dev/mqueue", buf, NULL, MS_BIND | MS_REC, NULL) < 0)
				return berr_errno(e, "bind-mount /dev/mqueue at %s", m->destination);
		} else if (err == EINVAL && strcmp(m->type, "devpts") == 0 && m->data && strstr(m->data, "gid=")) {
			/* gid= names a group the user namespace does not map: mount without it */
			_cleanup_free_ char *data = strip_option(m->data, "gid=");

			if (!data)
				return berr_oom(e);
			if (mount(m->source, buf, m->type, m->flags & ~MS_REC, data) < 0)
				return berr_errno(e, "mount devpts at %s", m->destination);
		} else if (err == EPERM && userns) {
			errno = err;
			return berr_errno(
				e,
				"mount %s (%s) at %s (a namespace it needs belongs to another user namespace; "
				"list it in 'linux.namespaces')",
				m->source, m->type, m->destination);
		} else {
			errno = err;
			return berr_errno(e, "mount %s (%s) at %s", m->source, m->type, m->destination);
		}
	}
	if (m->propagation) {
		r = set_propagation(rootfd, m->destination, m->propagation, e);
		if (r < 0)
			return r;
	}
	if (m->rec_attr_set || m->rec_attr_clr)
		return set_rec_attrs(rootfd, m, e);
	return 0;
}

int rt_rootfs_mount_all(int rootfd, const struct rt_spec *spec, bool userns, struct berr *e)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		int r = mount_one(rootfd, &spec->mounts[i], userns, has_cgroupns(spec), e);

		if (r < 0)
			return berr_wrap(e, r, "'mounts[%zu]'", i);
	}
	return 0;
}

int rt_rootfs_sysctls(int rootfd, const struct rt_spec *spec, struct berr *e)
{
	for (size_t i = 0; i < spec->n_sysctls; i++) {
		char path[PATH_MAX];
		_cleanup_close_ int fd = -1;
		size_t len = strlen(spec->sysctls[i].value);
		char *p;
		int r;

		snprintf(path, sizeof(path), "/proc/sys/%s", spec->sysctls[i].key);
		for (p = path + 10; *p; p++) {
			if (*p == '.')
				*p = '/';
		}
		r = rt_inroot_open(rootfd, path, O_WRONLY | O_TRUNC, 0, &fd);
		if (r < 0)
			return berr_sys(e, r, "'linux.sysctl' %s: open %s in the container", spec->sysctls[i].key,
					path);
		if (write(fd, spec->sysctls[i].value, len) != (ssize_t)len)
			return berr_errno(e, "'linux.sysctl' %s = %s", spec->sysctls[i].key, spec->sysctls[i].value);
	}
	return 0;
}

int rt_rootfs_mask_and_protect(int rootfd, const struct rt_spec *spec, struct berr *e)
{
	for (size_t i = 0; i < spec->n_masked_paths; i++) {
		_cleanup_close_ int fd = -1;
		char buf[RT_FD_PATH_MAX];
		struct stat st;
		int r;

		r = rt_inroot_open(rootfd, spec->masked_paths[i], O_PATH, 0, &fd);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return berr_sys(e, r, "'linux.maskedPaths[%zu]' %s", i, spec->masked_paths[i]);
		if (fstat(fd, &st) < 0)
			return berr_errno(e, "'linux.maskedPaths[%zu]' %s", i, spec->masked_paths[i]);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", rt_fd_path(fd, buf), "tmpfs", MS_RDONLY, "size=0k");
		else
			r = mount("/dev/null", rt_fd_path(fd, buf), NULL, MS_BIND, NULL);
		if (r < 0)
			return berr_errno(e, "mask %s", spec->masked_paths[i]);
	}
	for (size_t i = 0; i < spec->n_readonly_paths; i++) {
		_cleanup_close_ int fd = -1;
		char buf[RT_FD_PATH_MAX];
		int r;

		r = rt_inroot_open(rootfd, spec->readonly_paths[i], O_PATH, 0, &fd);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return berr_sys(e, r, "'linux.readonlyPaths[%zu]' %s", i, spec->readonly_paths[i]);
		if (mount(rt_fd_path(fd, buf), buf, NULL, MS_BIND | MS_REC, NULL) < 0)
			return berr_errno(e, "bind %s read-only", spec->readonly_paths[i]);
		r = remount_at(rootfd, spec->readonly_paths[i], MS_RDONLY, 0, e);
		if (r < 0)
			return berr_wrap(e, r, "'linux.readonlyPaths[%zu]'", i);
	}
	return 0;
}

int rt_rootfs_pivot(int rootfd, const struct rt_spec *spec, struct berr *e)
{
	if (fchdir(rootfd) < 0)
		return berr_errno(e, "chdir to root.path");
	if (!(spec->ns_all & CLONE_NEWNS)) {
		if (chroot(".") < 0)
			return berr_errno(e, "chroot into %s (no mount namespace to pivot in)", spec->rootfs);
		return chdir("/") < 0 ? berr_errno(e, "chdir /") : 0;
	}
	/* pivot_root(".", "."): the old root ends up stacked on the new one and is detached right away */
	if (rt_sys_pivot_root(".", ".") < 0)
		return berr_errno(e, "pivot_root into %s", spec->rootfs);
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berr_errno(e, "make the old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		return berr_errno(e, "detach the old root");
	if (chdir("/") < 0)
		return berr_errno(e, "chdir /");
	if (spec->root_readonly) {
		int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		unsigned long keep = fd >= 0 ? mounted_flags(fd) : 0;

		if (fd >= 0)
			close(fd);
		if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
			return berr_errno(e, "make the root read-only ('root.readonly')");
	}
	if (spec->rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return berr_errno(e, "apply 'linux.rootfsPropagation'");
	return 0;
}
