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

int rt_inroot_mkdir_p(int rootfd, const char *path, mode_t mode, int *ret_fd, struct berr *e)
{
	_cleanup_free_ char *clean = rt_path_clean(path);
	_cleanup_close_ int parent = -1;
	int fd = -1, r;
	char *p;

	if (!clean)
		return berr_set(e, -ENOMEM, "out of memory");
	r = rt_inroot_open(rootfd, clean, O_PATH | O_DIRECTORY, 0, &fd);
	if (r == 0)
		goto done;
	if (r != -ENOENT)
		return berr_sys(e, r, "open %s in the container", clean);
	/* Walk down from the root, creating each missing component; each prefix is resolved in the root. */
	p = clean;
	for (;;) {
		char *slash = strchr(p + 1, '/');
		char saved = 0;

		if (slash) {
			saved = *slash;
			*slash = '\0';
		}
		r = rt_inroot_open(rootfd, clean, O_PATH | O_DIRECTORY, 0, &fd);
		if (r == -ENOENT) {
			const char *base = strrchr(clean, '/') + 1;

			if (mkdirat(parent >= 0 ? parent : rootfd, base, mode) < 0 && errno != EEXIST)
				return berr_errno(e, "mkdir %s in the container", clean);
			r = rt_inroot_open(rootfd, clean, O_PATH | O_DIRECTORY, 0, &fd);
		}
		if (r < 0)
			return berr_sys(e, r, "open %s in the container", clean);
		if (!slash)
			break;
		*slash = saved;
		parent = berth_close_safe(parent);
		parent = TAKE_FD(fd);
		p = slash;
	}
done:
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
		return berr_set(e, -ENOMEM, "out of memory");
	fd = rt_sys_openat2(rootfd, rt_path_rel(clean), O_PATH | O_CLOEXEC, 0, resolve);
	if (fd < 0 && errno == ELOOP && no_symlinks)
		return berr_set(e, -ELOOP, "mount destination %s is, or goes through, a symlink; refused", clean);
	if (fd < 0 && errno == ENOENT) {
		if (dir) {
			r = rt_inroot_mkdir_p(rootfd, clean, 0755, NULL, e);
			if (r < 0)
				return r;
		} else {
			_cleanup_free_ char *parent = strdup(clean);
			int f;

			if (!parent)
				return berr_set(e, -ENOMEM, "out of memory");
			*strrchr(parent, '/') = '\0';
			if (*parent && (r = rt_inroot_mkdir_p(rootfd, parent, 0755, NULL, e)) < 0)
				return r;
			f = rt_sys_openat2(rootfd, rt_path_rel(clean), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644,
					   resolve);
			if (f < 0)
				return berr_errno(e, "create %s in the container", clean);
			close(f);
		}
		fd = rt_sys_openat2(rootfd, rt_path_rel(clean), O_PATH | O_CLOEXEC, 0, resolve);
	}
	if (fd < 0)
		return berr_errno(e, "open mount destination %s", clean);
	*ret_fd = fd;
	return 0;
}
