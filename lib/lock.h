/* berth: inter-process file locks shared by netd, berth-cni and the runtime. */
#pragma once

#include "err.h"

/*
 * Take an exclusive flock(2) on path (created 0600 when missing) and return the
 * open fd in *ret_fd; closing the fd releases the lock, also when the holder
 * dies. Waits at most timeout_ms (-1: forever); -ETIMEDOUT when it runs out.
 */
int block_acquire(const char *path, int timeout_ms, int *ret_fd, struct berr *e);

/* Same, for a lock file inside an open directory. */
int block_acquire_at(int dirfd, const char *name, int timeout_ms, int *ret_fd, struct berr *e);
