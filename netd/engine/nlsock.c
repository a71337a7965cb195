/* rtnetlink sockets: opening one in a namespace, requests, and errors that carry the kernel's message. */
#include "netd/engine/nlsock.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netns.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/*
 * libnl 3.7 drops the kernel's extended ack; this handler keeps the errno and
 * the NLMSGERR_ATTR_MSG text of each error so the failure can name them.
 */
static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlsock *ns = arg;
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	size_t off;

	(void)nla;
	ns->kerr = err->error < 0 ? -err->error : err->error;
	ns->ext[0] = '\0';
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = NLMSG_HDRLEN + sizeof(*err);
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > sizeof(struct nlmsghdr))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = NLMSG_ALIGN(off);
	if (off < hdr->nlmsg_len) {
		struct nlattr *a =
			nla_find((struct nlattr *)((char *)hdr + off), (int)(hdr->nlmsg_len - off), NLMSGERR_ATTR_MSG);
		if (a && nla_len(a) > 0) {
			size_t n = (size_t)nla_len(a);

			if (n >= sizeof(ns->ext))
				n = sizeof(ns->ext) - 1;
			memcpy(ns->ext, nla_data(a), n);
			ns->ext[n] = '\0';
			/* the attribute is NUL-terminated; drop trailing newline noise too */
			n = strlen(ns->ext);
			while (n > 0 && (ns->ext[n - 1] == '\n' || ns->ext[n - 1] == ' '))
				ns->ext[--n] = '\0';
		}
	}
	return NL_STOP;
}

int nlsock_open(int netns_fd, struct nlsock **ret, struct berr *e)
{
	return nlsock_open_sysctls(netns_fd, NULL, 0, ret, e);
}

int nlsock_open_sysctls(int netns_fd, struct bns_sysctl *set, size_t n, struct nlsock **ret, struct berr *e)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	_cleanup_close_ int fd = -1;
	struct nlsock *ns;
	int one = 1, r;

	r = bns_socket_sysctls(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, set, n, &fd, e);
	if (r < 0)
		return berr_wrap(e, r, "open rtnetlink socket");
	/* Best effort: older kernels lack extended acks; errors then carry only errno. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berr_errno(e, "bind rtnetlink socket");
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return berr_oom(e);
	ns->sk = nl_socket_alloc();
	if (!ns->sk) {
		free(ns);
		return berr_oom(e);
	}
	r = nl_socket_set_fd(ns->sk, NETLINK_ROUTE, fd);
	if (r < 0) {
		nl_socket_free(ns->sk);
		free(ns);
		return berr_set(e, -EINVAL, "adopt rtnetlink socket: %s", nl_geterror(r));
	}
	fd = -1; /* owned by the libnl socket now */
	nl_socket_modify_err_cb(ns->sk, NL_CB_CUSTOM, err_cb, ns);
	*ret = ns;
	return 0;
}

void nlsock_close(struct nlsock *ns)
{
	if (!ns)
		return;
	nl_socket_free(ns->sk);
	free(ns);
}

struct nl_msg *nlsock_msg(int type, int flags, const void *hdr, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, (void *)hdr, len, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

void nlsock_reset(struct nlsock *ns)
{
	ns->kerr = 0;
	ns->ext[0] = '\0';
}

static int nle_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NODEV:
		return ENODEV;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return EINVAL;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_BUSY:
		return EBUSY;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_INTR:
		return EINTR;
	default:
		return EIO;
	}
}

int nlsock_errno(struct nlsock *ns, int nlerr)
{
	if (ns && ns->kerr)
		return -ns->kerr;
	return -nle_to_errno(nlerr);
}

int nlsock_fail(struct nlsock *ns, int nlerr, struct berr *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	int code = nlsock_errno(ns, nlerr);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ns && ns->kerr) {
		if (ns->ext[0])
			return berr_set(e, code, "%s: %s (kernel: %s)", what, strerror(-code), ns->ext);
		return berr_set(e, code, "%s: %s", what, strerror(-code));
	}
	return berr_set(e, code, "%s: %s", what, nl_geterror(nlerr));
}

int nlsock_sync(struct nlsock *ns, struct nl_msg *msg)
{
	nlsock_reset(ns);
	return nl_send_sync(ns->sk, msg);
}

struct req_ctx {
	int (*fn)(struct nl_msg *, void *);
	void *arg;
	int n;
};

static int req_valid(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;

	c->n++;
	return c->fn(msg, c->arg);
}

int nlsock_request(struct nlsock *ns, struct nl_msg *msg, int (*fn)(struct nl_msg *msg, void *arg), void *arg)
{
	struct req_ctx c = {.fn = fn, .arg = arg};
	struct nl_cb *scb, *cb;
	bool dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	int r;

	nlsock_reset(ns);
	r = nl_send_auto(ns->sk, msg);
	if (r < 0)
		return r;
	scb = nl_socket_get_cb(ns->sk);
	cb = nl_cb_clone(scb);
	nl_cb_put(scb);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, req_valid, &c);
	r = nl_recvmsgs(ns->sk, cb);
	nl_cb_put(cb);
	/* The kernel acks a GET (NLM_F_ACK is set by libnl) but never a dump. */
	if (r >= 0 && !dump && c.n > 0)
		r = nl_wait_for_ack(ns->sk);
	return r < 0 ? r : 0;
}

int nlsock_dump(struct nlsock *ns, int type, const void *hdr, size_t len, int (*fn)(struct nl_msg *msg, void *arg),
		void *arg)
{
	_cleanup_nlmsg_ struct nl_msg *msg = nlsock_msg(type, NLM_F_DUMP, hdr, len);

	nlsock_reset(ns);
	if (!msg)
		return -NLE_NOMEM;
	return nlsock_request(ns, msg, fn, arg);
}
