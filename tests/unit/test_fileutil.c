#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"
#include "lock.h"

static char dir[256];

static void mkscratch(void)
{
	snprintf(dir, sizeof(dir), "%s/berth-unit.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert(mkdtemp(dir));
}

static void rmscratch(void)
{
	cr_assert_eq(bfile_rm_rf(dir, NULL), 0);
	cr_assert(!bfile_exists(dir));
}

TestSuite(fileutil, .init = mkscratch, .fini = rmscratch);

Test(fileutil, atomic_write_and_read)
{
	char path[512];
	char *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/a.json", dir);
	cr_assert_eq(bfile_write_atomic(path, "hello", 5, 0600, BFILE_SYNC, NULL), 0);
	cr_assert_eq(bfile_read_all(path, 1024, &buf, &len, NULL), 0);
	cr_assert_eq(len, 5);
	cr_assert_str_eq(buf, "hello");
	free(buf);
	cr_assert_eq(bfile_write_atomic(path, "bye", 3, 0600, 0, NULL), 0);
	cr_assert_eq(bfile_read_all(path, 1024, &buf, &len, NULL), 0);
	cr_assert_str_eq(buf, "bye");
	free(buf);
}

Test(fileutil, read_limit)
{
	char path[512];
	char big[10000];
	char *buf = NULL;
	struct berr e = BERR_INIT;

	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/big", dir);
	cr_assert_eq(bfile_write_atomic(path, big, sizeof(big), 0600, 0, NULL), 0);
	cr_assert_eq(bfile_read_all(path, 5000, &buf, NULL, &e), -EFBIG);
	cr_assert_eq(bfile_read_all(path, 20000, &buf, NULL, &e), 0);
	cr_assert_eq(strlen(buf), sizeof(big));
	free(buf);
}

Test(fileutil, mkdir_p_and_rm_rf_do_not_follow_symlinks)
{
	char path[512], outside[512], link[512];

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	cr_assert_eq(bfile_mkdir_p(path, 0700, NULL), 0);
	cr_assert_eq(bfile_mkdir_p(path, 0700, NULL), 0, "existing is fine");
	snprintf(outside, sizeof(outside), "%s/keep", dir);
	cr_assert_eq(bfile_mkdir_p(outside, 0700, NULL), 0);
	snprintf(link, sizeof(link), "%s/a/b/link", dir);
	cr_assert_eq(symlink(outside, link), 0);
	snprintf(path, sizeof(path), "%s/a", dir);
	cr_assert_eq(bfile_rm_rf(path, NULL), 0);
	cr_assert(!bfile_exists(path));
	cr_assert(bfile_exists(outside), "rm_rf followed a symlink");
}

Test(lock, excludes_and_times_out)
{
	char path[512];
	int fd1 = -1, fd2 = -1;
	struct berr e = BERR_INIT;
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/lock", dir);
	cr_assert_eq(block_acquire(path, -1, &fd1, NULL), 0);
	pid = fork();
	if (pid == 0) {
		/* flock is per open file: a second open in another process must wait */
		_exit(block_acquire(path, 50, &fd2, &e) == -ETIMEDOUT ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second holder did not time out");
	close(fd1);
	cr_assert_eq(block_acquire(path, 50, &fd2, NULL), 0, "released lock must be free");
	close(fd2);
}

/* A hard link planted at the writer's temporary name must not be truncated (hardening issue, item 10). */
Test(fileutil, atomic_write_ignores_planted_link)
{
	char path[512], tmp[600], victim[512];
	char *buf = NULL;

	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	cr_assert_eq(bfile_write_atomic(victim, "precious", 8, 0600, 0, NULL), 0);
	cr_assert_eq(link(victim, tmp), 0);
	cr_assert_eq(bfile_write_atomic(path, "1234", 4, 0644, 0, NULL), 0);
	cr_assert_eq(bfile_read_all(victim, 1024, &buf, NULL, NULL), 0);
	cr_assert_str_eq(buf, "precious");
	free(buf);
	cr_assert_eq(bfile_read_all(path, 1024, &buf, NULL, NULL), 0);
	cr_assert_str_eq(buf, "1234");
	free(buf);
	cr_assert(!bfile_exists(tmp));
}
