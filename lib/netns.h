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

/*
 * Write value to /proc/sys/<key> as seen from network namespace nsfd (-1: the
 * caller's own). key uses '/' separators: "net/ipv4/ip_forward".
 */
int bns_sysctl_write(int nsfd, const char *key, const char *value, struct berr *e);

/* Read /proc/sys/<key> (trailing newline stripped) in namespace nsfd (-1: own). */
int bns_sysctl_read(int nsfd, const char *key, char *buf, size_t len, struct berr *e);

/* Device and inode identifying the namespace behind fd. */
int bns_ident(int fd, dev_t *ret_dev, ino_t *ret_ino);

/* True when the two fds name the same namespace. */
bool bns_same(int fd_a, int fd_b);

/* Human name of a CLONE_NEW* flag ("net"), for messages. */
const char *bns_type_name(int nstype);
