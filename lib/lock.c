/* berth: inter-process file locks shared by netd, berth-cni and the runtime. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"

int block_acquire_at(int dirfd, const char *name, int timeout_ms, int *ret_fd, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	long long deadline;
	long delay_us = 20;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_errno(e, "open lock %s", name);
	if (timeout_ms < 0) {
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR)
				return berr_errno(e, "lock %s", name);
		}
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	/*
	 * flock has no timed wait; poll with a short exponential backoff. Holders
	 * keep the lock for a few netlink round trips, so the first retries win.
	 */
	deadline = bclock_now_ms() + timeout_ms;
	for (;;) {
		struct timespec ts;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return berr_errno(e, "lock %s", name);
		if (bclock_now_ms() >= deadline)
			return berr_set(e, -ETIMEDOUT, "timed out after %d ms waiting for lock %s", timeout_ms, name);
		ts.tv_sec = 0;
		ts.tv_nsec = delay_us * 1000;
		nanosleep(&ts, NULL);
		if (delay_us < 5000)
			delay_us *= 2;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int block_acquire(const char *path, int timeout_ms, int *ret_fd, struct berr *e)
{
	return block_acquire_at(AT_FDCWD, path, timeout_ms, ret_fd, e);
}
