/* runtime/sync.h: the parent <-> container-init protocol. */
/*
 * The parent <-> container-init protocol: small messages over a
 * SOCK_SEQPACKET socketpair (one message per send), so the init can report
 * a failure with its message text and the parent can pace the init through
 * creation. Both ends are close-on-exec: end of file after READY means the
 * init's execve succeeded.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum rt_sync_type {
	RT_SYNC_PID = 1,    /* helper -> parent: value = pid of the new process */
	RT_SYNC_GO,	    /* parent -> init: namespaces set up from outside; data = state JSON */
	RT_SYNC_HOOKS,	    /* init -> parent: mounts done, run prestart/createRuntime hooks */
	RT_SYNC_HOOKS_DONE, /* parent -> init */
	RT_SYNC_READY,	    /* init -> parent: ready for start (or about to exec) */
	RT_SYNC_ERROR,	    /* either way: code = -errno, data = message */
};

#define RT_SYNC_MAX_DATA (64 * 1024)

struct rt_sync_msg {
	uint32_t type;
	int32_t code;
	int64_t value;
	char *data; /* NUL-terminated, malloc'd, may be NULL */
	size_t len;
};

int rt_sync_send(int fd, uint32_t type, int32_t code, int64_t value, const char *data, size_t len);
/* Send the error in e (its message and code). */
void rt_sync_send_error(int fd, const struct berr *e);

/*
 * Receive the next message. An ERROR message becomes the return value and
 * e. End of file is -EPIPE with "what exited". Anything but want is -EPROTO.
 */
int rt_sync_expect(int fd, uint32_t want, const char *what, struct rt_sync_msg *ret, struct berr *e);
/* Like rt_sync_expect, accepting any type (ERROR and EOF still fail). */
int rt_sync_recv(int fd, const char *what, struct rt_sync_msg *ret, struct berr *e);
void rt_sync_msg_clear(struct rt_sync_msg *m);

/* After READY: end of file means the init exec'd (0); an ERROR message is its failure. */
int rt_sync_wait_exec(int fd, struct berr *e);
