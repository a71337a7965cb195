/* rtnetlink sockets for the engine, opened in a given network namespace. */
/*
 * A libnl socket born in the namespace (the calling thread never enters it),
 * with the kernel's extended acks captured so that failures carry the
 * kernel's own message.
 */
#pragma once

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdarg.h>
#include <stdbool.h>

#include "cleanup.h"
#include "err.h"

struct nlsock {
	struct nl_sock *sk;
	int kerr;      /* errno of the last NLMSG_ERROR (positive), 0 when none */
	char ext[256]; /* extended ack message of that error, "" when none */
};

/* Open a NETLINK_ROUTE socket inside network namespace netns_fd (-1: the caller's own). */
int nlsock_open(int netns_fd, struct nlsock **ret, struct berr *e);
/* The same, writing these sysctls of that namespace on the way (bns_socket_sysctls: no extra clone). */
struct bns_sysctl;
int nlsock_open_sysctls(int netns_fd, struct bns_sysctl *set, size_t n, struct nlsock **ret, struct berr *e);
void nlsock_close(struct nlsock *ns);
BERTH_DEFINE_PTR_CLEANUP(nlsock_closep, struct nlsock, nlsock_close)
#define _cleanup_nlsock_ _cleanup_(nlsock_closep)

/*
 * A request: the netlink header (type, flags) followed by the family header
 * hdr (len bytes), ready for attributes. NULL when out of memory.
 */
struct nl_msg *nlsock_msg(int type, int flags, const void *hdr, size_t len);
BERTH_DEFINE_PTR_CLEANUP(nlsock_msg_freep, struct nl_msg, nlmsg_free)
#define _cleanup_nlmsg_ _cleanup_(nlsock_msg_freep)

/* Forget the last kernel error; call before each request. */
void nlsock_reset(struct nlsock *ns);

/*
 * Convert a libnl return value (negative NLE_* code) into a negative errno,
 * preferring the errno the kernel sent, and set e to "<what>: <strerror>
 * (kernel: <extended ack>)".
 */
int nlsock_fail(struct nlsock *ns, int nlerr, struct berr *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The negative errno behind a libnl return value without touching e. */
int nlsock_errno(struct nlsock *ns, int nlerr);

/* Send msg (ownership taken) and wait for the kernel's ack. Returns 0 or a libnl error. */
int nlsock_sync(struct nlsock *ns, struct nl_msg *msg);

/*
 * Send msg (ownership kept by the caller) and read the replies, calling fn for
 * each data message. A dump ends with NLMSG_DONE; a single GET is followed by
 * the kernel's ack, which is read too. Returns 0 or a libnl error.
 */
int nlsock_request(struct nlsock *ns, struct nl_msg *msg, int (*fn)(struct nl_msg *msg, void *arg), void *arg);

/* nlsock_request of a dump (type, family header hdr of len bytes, no attributes). */
int nlsock_dump(struct nlsock *ns, int type, const void *hdr, size_t len, int (*fn)(struct nl_msg *msg, void *arg),
		void *arg);
