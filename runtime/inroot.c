/* runtime/inroot.c: path resolution confined to the container's root. */
#include "runtime/inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/path.h"
#include "runtime/sys.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

const char *rt_fd_path(int fd, char *buf)
{
	snprintf(buf, RT_FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

int rt_inroot_open(int rootfd, const char *path, int flags, mode_t mode, int *ret_fd)
{
	int fd;

	do
		fd = rt_sys_openat2(rootfd, rt_path_rel(path), (uint64_t)(flags | O_CLOEXEC), mode, IN_ROOT);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/*
 * mkdir -p of clean (absolute, cleaned, modified in place and restored):
 * missing parents first. missing: the caller just found clean missing.
 */
static int mkdir_clean(int rootfd, char *clean, mode_t mode, bool missing, int *ret_fd, struct berr *e)
{
	_cleanup_close_ int parent = -1;
	char *slash;
	int fd = -1, r = -ENOENT;

	if (!missing)
		r = rt_inroot_open(rootfd, clean, O_PATH | O_DIRECTORY, 0, &fd);
	if (r == 0) {
		*ret_fd = fd;
		return 0;
	}
	if (r != -ENOENT)
		return berr_sys(e, r, "open %s in the container", clean);
	slash = strrchr(clean, '/');
	if (slash == clean) {
		parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
		if (parent < 0)
			return berr_errno(e, "dup");
	} else {
		*slash = '\0';
		r = mkdir_clean(rootfd, clean, mode, false, &parent, e);
		*slash = '/';
		if (r < 0)
			return r;
	}
	if (mkdirat(parent, slash + 1, mode) < 0 && errno != EEXIST)
		return berr_errno(e, "mkdir %s in the container", clean);
	r = rt_inroot_open(rootfd, clean, O_PATH | O_DIRECTORY, 0, &fd);
	if (r < 0)
		return berr_sys(e, r, "open %s in the container", clean);
	*ret_fd = fd;
	return 0;
}

int rt_inroot_mkdir_p(int rootfd, const char *path, mode_t mode, int *ret_fd, struct berr *e)
{
	_cleanup_free_ char *clean = rt_path_clean(path);
	int fd = -1, r;

	if (!clean)
		return berr_oom(e);
	r = mkdir_clean(rootfd, clean, mode, false, &fd, e);
	if (r < 0)
		return r;
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return 0;
}

int rt_inroot_target(int rootfd, const char *path, bool dir, bool no_symlinks, int *ret_fd, struct berr *e)
{
	uint64_t resolve = IN_ROOT | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
	_cleanup_free_ char *clean = rt_path_clean(path);
	int fd, r;

	if (!clean)
		return berr_oom(e);
	fd = rt_sys_openat2(rootfd, rt_path_rel(clean), O_PATH | O_CLOEXEC, 0, resolve);
	if (fd < 0 && errno == ELOOP && no_symlinks)
		return berr_set(e, -ELOOP, "mount destination %s is, or goes through, a symlink; refused", clean);
	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	if (errno != ENOENT)
		return berr_errno(e, "open mount destination %s", clean);
	if (dir) {
		r = mkdir_clean(rootfd, clean, 0755, true, &fd, e);
		if (r < 0)
			return r;
	} else {
		char *slash = strrchr(clean, '/');

		/* a fresh file to mount on; the fd itself is the target */
		fd = rt_sys_openat2(rootfd, rt_path_rel(clean), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY,
				    0644, resolve);
		if (fd < 0 && errno == ENOENT && slash != clean) {
			_cleanup_close_ int pfd = -1;

			*slash = '\0';
			r = mkdir_clean(rootfd, clean, 0755, false, &pfd, e);
			*slash = '/';
			if (r < 0)
				return r;
			fd = rt_sys_openat2(rootfd, rt_path_rel(clean),
					    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644, resolve);
		}
		if (fd < 0)
			return berr_errno(e, "create %s in the container", clean);
	}
	if (no_symlinks) {
		/* what was just created is checked like an existing target */
		int checked = rt_sys_openat2(rootfd, rt_path_rel(clean), O_PATH | O_CLOEXEC, 0, resolve);

		close(fd);
		if (checked < 0)
			return berr_errno(e, "open mount destination %s", clean);
		fd = checked;
	}
	*ret_fd = fd;
	return 0;
}
