/* Reading and writing cgroup control files, walking a cgroup's subtree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "runtime/cgroup/cgroup_internal.h"

#define CG_TREE_DEPTH 64
#define CG_PROCS_MAX (16 * 1024 * 1024)

int cg_write(const char *dir, const char *file, const char *value, struct berr *e)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return berr_set(e, -ENAMETOOLONG, "path too long: %s/%s", dir, file);
	return bfile_write_str(path, value, e);
}

int cg_write_u64(const char *dir, const char *file, uint64_t v, struct berr *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf, e);
}

int cg_write_i64(const char *dir, const char *file, int64_t v, struct berr *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, e);
}

int cg_write_max(const char *dir, const char *file, int64_t v, struct berr *e)
{
	return v < 0 ? cg_write(dir, file, "max", e) : cg_write_i64(dir, file, v, e);
}

int cg_read(const char *dir, const char *file, char *buf, size_t len, struct berr *e)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t got = 0;

	if (len == 0)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return berr_set(e, -ENAMETOOLONG, "path too long: %s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berr_errno(e, "open %s", path);
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_errno(e, "read %s", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	while (got > 0 && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return 0;
}

bool cg_has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	char buf[4096];
	size_t kl = strlen(key);
	int r;

	r = cg_read(dir, file, buf, sizeof(buf), NULL);
	if (r < 0)
		return r;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			char *end;
			unsigned long long v = strtoull(line + kl + 1, &end, 10);

			if (end == line + kl + 1)
				return -EBADMSG;
			*ret = v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

static int append_pids(const char *dir, pid_t **pids, size_t *n, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX];
	size_t cap = *n; /* at least: the capacity is not kept between calls */
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return berr_set(e, -ENAMETOOLONG, "path too long: %s", dir);
	r = bfile_read_all(path, CG_PROCS_MAX, &buf, NULL, e);
	if (r < 0)
		return r;
	for (char *p = buf; *p;) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p) {
			p++;
			continue;
		}
		p = end;
		/* 0: a process outside this pid namespace */
		if (v <= 0)
			continue;
		if (BARRAY_RESERVE(*pids, cap, *n + 1) < 0)
			return berr_oom(e);
		(*pids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

/* The next child cgroup of the open directory d (of path dir), as "dir/name" into sub; false at the end. */
static bool next_child(DIR *d, const char *dir, char sub[static PATH_MAX])
{
	struct dirent *de;

	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, PATH_MAX, "%s/%s", dir, de->d_name) >= PATH_MAX)
			continue;
		return true;
	}
	return false;
}

static int pids_walk(const char *dir, int depth, pid_t **pids, size_t *n, struct berr *e)
{
	char sub[PATH_MAX];
	DIR *d;
	int r;

	if (depth > CG_TREE_DEPTH)
		return berr_set(e, -ELOOP, "%s: cgroup tree too deep", dir);
	r = append_pids(dir, pids, n, e);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berr_errno(e, "open %s", dir);
	while (next_child(d, dir, sub)) {
		r = pids_walk(sub, depth + 1, pids, n, e);
		/* a nested cgroup removed while we walk is fine */
		if (r < 0 && r != -ENOENT) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

int cg_pids_tree(const char *dir, pid_t **pids, size_t *n, struct berr *e)
{
	return pids_walk(dir, 0, pids, n, e);
}

void cg_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static int rmdir_walk(const char *dir, int depth)
{
	char sub[PATH_MAX];
	DIR *d;
	int r = 0;

	if (depth > CG_TREE_DEPTH)
		return -ELOOP;
	/* usually there is nothing below: no listing then */
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (next_child(d, dir, sub)) {
		int k;

		k = rmdir_walk(sub, depth + 1);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return r;
}

int cg_rmdir_tree(const char *dir, bool wait, struct berr *e)
{
	int r = 0;

	/*
	 * A cgroup stays busy for a moment after its last process was reaped
	 * (the exit finishes asynchronously, v2 "populated" lags): retry for up
	 * to about two seconds before calling it busy.
	 */
	for (int i = 0; i < 100; i++) {
		r = rmdir_walk(dir, 0);
		if (r == 0 || r != -EBUSY || !wait)
			break;
		cg_sleep_ms(i < 10 ? 5 : 20);
	}
	if (r < 0)
		return berr_sys(e, r, "remove cgroup %s", dir);
	return 0;
}

static uint64_t sum_walk(const char *dir, const char *file, const char *key, int depth)
{
	uint64_t sum = 0, v = 0;
	char sub[PATH_MAX];
	DIR *d;

	if (depth > CG_TREE_DEPTH)
		return 0;
	if (cg_read_key(dir, file, key, &v) == 0)
		sum += v;
	d = opendir(dir);
	if (!d)
		return sum;
	while (next_child(d, dir, sub))
		sum += sum_walk(sub, file, key, depth + 1);
	closedir(d);
	return sum;
}

uint64_t cg_sum_key_tree(const char *dir, const char *file, const char *key)
{
	return sum_walk(dir, file, key, 0);
}
