/* berth: file helpers: whole-file reads, atomic writes, recursive create/remove. */
#include "fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int bfile_read_all_at(int atfd, const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;

	fd = openat(atfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berr_errno(e, "open %s", path);
	buf = malloc(cap + 1);
	if (!buf)
		return berr_oom(e);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max_size)
				return berr_set(e, -EFBIG, "%s is larger than %zu bytes", path, max_size);
			cap = cap * 2 > max_size ? max_size : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return berr_oom(e);
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_errno(e, "read %s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int bfile_read_all(const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berr *e)
{
	return bfile_read_all_at(AT_FDCWD, path, max_size, ret_buf, ret_len, e);
}

static int write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bfile_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int flags, struct berr *e)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return berr_set(e, -ENAMETOOLONG, "path too long: %s", path);
	/*
	 * O_EXCL: in a directory others can write (a --pid-file's), a link planted
	 * at the temporary name must never be opened and truncated by root. A file
	 * left there by a crashed writer of the same pid is removed (unlink removes
	 * the link, never its target) and the create tried once more.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return berr_errno(e, "create %s", tmp);
	r = write_full(fd, data, len);
	if (r < 0) {
		unlink(tmp);
		return berr_sys(e, r, "write %s", tmp);
	}
	if ((flags & BFILE_SYNC) && fsync(fd) < 0) {
		r = berr_errno(e, "fsync %s", tmp);
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		r = berr_errno(e, "rename %s", path);
		unlink(tmp);
		return r;
	}
	if (flags & BFILE_SYNC) {
		char dir[PATH_MAX];
		char *slash;
		_cleanup_close_ int dfd = -1;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
}

int bfile_write_str_at(int atfd, const char *path, const char *s, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = openat(atfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berr_errno(e, "open %s", path);
	r = write_full(fd, s, strlen(s));
	if (r < 0)
		return berr_sys(e, r, "write '%s' to %s", s, path);
	return 0;
}

int bfile_write_str(const char *path, const char *s, struct berr *e)
{
	return bfile_write_str_at(AT_FDCWD, path, s, e);
}

int bfile_mkdir_p(const char *path, mode_t mode, struct berr *e)
{
	char buf[PATH_MAX];
	size_t len;

	len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return berr_set(e, -EINVAL, "invalid directory path '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return berr_errno(e, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return berr_errno(e, "mkdir %s", buf);
	return 0;
}

static int rm_rf_at(int atfd, const char *name, int depth)
{
	struct stat st;
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (depth > 128)
		return -ELOOP;
	if (fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(atfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int k;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		k = rm_rf_at(dirfd(d), de->d_name, depth + 1);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);
	if (unlinkat(atfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int bfile_rm_rf(const char *path, struct berr *e)
{
	int r = rm_rf_at(AT_FDCWD, path, 0);

	if (r < 0)
		return berr_sys(e, r, "remove %s", path);
	return 0;
}

bool bfile_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
