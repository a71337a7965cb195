/* runtime/inroot.h: paths inside the container's root, resolved so that nothing leads outside it. */
/*
 * Paths inside the container's root filesystem, resolved with openat2
 * RESOLVE_IN_ROOT so that no symlink or ".." in the bundle can lead
 * outside it, whatever the image contains.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* "/proc/self/fd/N" for fd, into buf (at least RT_FD_PATH_MAX bytes). */
#define RT_FD_PATH_MAX 32
const char *rt_fd_path(int fd, char *buf);

/* openat2(rootfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). */
int rt_inroot_open(int rootfd, const char *path, int flags, mode_t mode, int *ret_fd);

/* mkdir -p inside the root; *ret_fd (optional) gets an O_PATH fd of the directory. */
int rt_inroot_mkdir_p(int rootfd, const char *path, mode_t mode, int *ret_fd, struct berr *e);

/*
 * An O_PATH fd for a mount target inside the root, created when missing:
 * a directory, or an empty file when dir is false. no_symlinks refuses any
 * symlink on the way (for /proc and /sys).
 */
int rt_inroot_target(int rootfd, const char *path, bool dir, bool no_symlinks, int *ret_fd, struct berr *e);
