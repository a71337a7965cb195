/* berth: passing file descriptors over Unix sockets (SCM_RIGHTS). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Send len bytes (at least one) with fd attached (fd < 0: none). Returns 0 or -errno. */
int bfd_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receive up to len bytes; a passed fd arrives O_CLOEXEC in *ret_fd (-1 when
 * none; extra fds are closed). Returns bytes read (0 at EOF) or -errno.
 */
ssize_t bfd_recv(int sock, void *buf, size_t len, int *ret_fd);
