/* runtime/sys.h: system call wrappers glibc lacks. */
/*
 * Thin wrappers for the system calls the runtime needs that glibc 2.36
 * either lacks or declares in headers that clash with the linux/ uapi ones.
 */
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* struct mount_attr and its flags, without including <linux/mount.h> (clashes with <sys/mount.h>). */
struct rt_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};
#define RT_MOUNT_ATTR_RDONLY 0x00000001
#define RT_MOUNT_ATTR_NOSUID 0x00000002
#define RT_MOUNT_ATTR_NODEV 0x00000004
#define RT_MOUNT_ATTR_NOEXEC 0x00000008
#define RT_MOUNT_ATTR__ATIME 0x00000070
#define RT_MOUNT_ATTR_RELATIME 0x00000000
#define RT_MOUNT_ATTR_NOATIME 0x00000010
#define RT_MOUNT_ATTR_STRICTATIME 0x00000020
#define RT_MOUNT_ATTR_NODIRATIME 0x00000080
#define RT_MOUNT_ATTR_NOSYMFOLLOW 0x00200000

static inline pid_t rt_sys_clone3(struct clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

static inline int rt_sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static inline int rt_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int rt_sys_pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int rt_sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int rt_sys_mount_setattr(int dirfd, const char *path, unsigned flags, struct rt_mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}

static inline int rt_sys_open_tree(int dirfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static inline int rt_sys_move_mount(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from, to_dirfd, to, flags);
}

static inline int rt_sys_memfd_create(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static inline int rt_sys_execveat(int fd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return (int)syscall(SYS_execveat, fd, path, argv, envp, flags);
}

static inline int rt_sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}
