/* berth: namespace helpers that never leave the calling thread in a foreign namespace. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* Open a namespace file (e.g. /proc/PID/ns/net, a bind mount) and check its type (0: any). */
int bns_open(const char *path, int nstype, int *ret_fd, struct berr *e);

/* Check that fd refers to a namespace of type nstype (CLONE_NEW*). */
int bns_check(int fd, int nstype, struct berr *e);

/*
 * Run fn(arg) in a short-lived child that shares memory and the fd table with
 * the caller (clone CLONE_VM|CLONE_FILES|CLONE_VFORK) after setns(nsfd,
 * nstype). The calling thread never changes namespace, and fds the child
 * opens stay open in the caller. fn runs on a small private stack and must
 * only make system calls and plain memory writes (no malloc, no stdio, no
 * locks). Returns fn's result (0 or -errno) or the setns/clone error.
 */
int bns_run(int nsfd, int nstype, int (*fn)(void *arg), void *arg, struct berr *e);

/* socket(2) created inside the network namespace nsfd (born SOCK_CLOEXEC). */
int bns_socket(int nsfd, int domain, int type, int protocol, int *ret_fd, struct berr *e);

/* One sysctl write of bns_socket_sysctls. */
struct bns_sysctl {
	char path[128]; /* "/proc/sys/..." as the caller composed it (no '.' conversion), or relative to dirfd */
	int dirfd;	/* -1: path is absolute; else a directory path is relative to (a bns_procfs mount) */
	const char *value;
	int err; /* filled in: 0, or -errno of this write */
};

/*
 * A procfs instance of its own, mounted nowhere (fsopen/fsmount): *ret_fd is
 * its root. The kernel keeps the dentries of every sysctl file looked up
 * through one procfs, and those of the same name in different network
 * namespaces hash to the same chain: a lookup walks every namespace's copy,
 * so writing a sysctl in a new namespace costs O(namespaces written to
 * through that procfs). A private instance, dropped after a few uses,
 * bounds that chain (and keeps /proc's own lookups, the host's included,
 * clean). Unmounting it (its last close) takes about a millisecond.
 * -errno when the kernel has no fsopen (before 5.2) or refuses the mount.
 */
int bns_procfs(int *ret_fd, struct berr *e);

/*
 * bns_socket, and in the same short-lived child (one clone for both) these
 * sysctl writes, as seen from network namespace nsfd. A failed write does not
 * fail the call: its err says what happened.
 */
int bns_socket_sysctls(int nsfd, int domain, int type, int protocol, struct bns_sysctl *set, size_t n, int *ret_fd,
		       struct berr *e);

/*
 * Write value to /proc/sys/<key> as seen from network namespace nsfd (-1: the
 * caller's own). key uses '/' separators: "net/ipv4/ip_forward".
 */
int bns_sysctl_write(int nsfd, const char *key, const char *value, struct berr *e);

/* Read /proc/sys/<key> (trailing newline stripped) in namespace nsfd (-1: own). */
int bns_sysctl_read(int nsfd, const char *key, char *buf, size_t len, struct berr *e);

/* True when the kernel has IPv6 (/proc/sys/net/ipv6 exists in the caller's network namespace). */
bool bns_ipv6_available(void);

/* Device and inode identifying the namespace behind fd. */
int bns_ident(int fd, dev_t *ret_dev, ino_t *ret_ino);

/* True when the two fds name the same namespace. */
bool bns_same(int fd_a, int fd_b);

/* Human name of a CLONE_NEW* flag ("net"), for messages. */
const char *bns_type_name(int nstype);
