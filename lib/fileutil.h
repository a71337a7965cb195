/* berth: file helpers: whole-file reads, atomic writes, recursive create/remove. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

enum {
	BFILE_SYNC = 1 << 0, /* fsync the file and its directory (durable across power loss) */
};

/* Read a whole file into a NUL-terminated malloc'd buffer; -EFBIG past max_size. */
int bfile_read_all(const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berr *e);
int bfile_read_all_at(int atfd, const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berr *e);

/* Write via a temporary file in the same directory and rename(2) over path. */
int bfile_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int flags, struct berr *e);

/* open(O_WRONLY|O_TRUNC) and write a string, as for /proc/sys and cgroup files. */
int bfile_write_str(const char *path, const char *s, struct berr *e);
int bfile_write_str_at(int atfd, const char *path, const char *s, struct berr *e);

/* mkdir -p; existing directories are fine. */
int bfile_mkdir_p(const char *path, mode_t mode, struct berr *e);

/* rm -rf that never follows symlinks; a missing path is success. */
int bfile_rm_rf(const char *path, struct berr *e);

bool bfile_exists(const char *path);
