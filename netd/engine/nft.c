/* nftables transport: the netfilter socket, atomic batches and their acks, and the few GET requests. */
/*
 * The NETLINK_NETFILTER socket is opened inside the target network
 * namespace; batches carry extended acks; the GET requests are the ones the
 * engine needs (generation id, set elements).
 */
/* glibc's netinet/in.h must come before the kernel's linux/in.h (pulled in by linux/netfilter.h). */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "netd/engine/nft_int.h"
#include "netns.h"

/* libnftnl writes attributes without bounds checks: every message gets this much room. */
#define NFT_MSG_ROOM (64 * 1024)
/* Room in front of the first message for BATCH_BEGIN (header, nfgenmsg, genid). */
#define NFT_BEGIN_ROOM 32
/*
 * Elements per NEWSETELEM/DELSETELEM message: the element list is one nested
 * attribute whose length is 16 bits, and the largest element here is about
 * 100 bytes.
 */
#define NFT_ELEMS_PER_MSG 256
#define NFT_RX_SIZE (64 * 1024)
/* Receive-buffer cost of one ack (the skb's truesize), generously. */
#define NFT_ACK_COST 2048
#define NFT_TRANSACT_TRIES 16

struct nft_msg {
	size_t off;
	uint32_t seq;
	uint16_t type;
	char what[96];
	const char *set;
	const struct nft_elem *elems;
	size_t n_elems;
	nft_describe_fn describe;
	const void *darg;
};

BERTH_DEFINE_PTR_CLEANUP(nftnl_set_freep, struct nftnl_set, nftnl_set_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_gen_freep, struct nftnl_gen, nftnl_gen_free)

/* ------------------------------------------------------------------ socket */

static int sock_fd(struct nft_ctx *ctx)
{
	return mnl_socket_get_fd(ctx->nl);
}

static int read_bufsizes(struct nft_ctx *ctx)
{
	socklen_t l = sizeof(int);

	if (getsockopt(sock_fd(ctx), SOL_SOCKET, SO_SNDBUF, &ctx->sndbuf, &l) < 0)
		return -errno;
	l = sizeof(int);
	if (getsockopt(sock_fd(ctx), SOL_SOCKET, SO_RCVBUF, &ctx->rcvbuf, &l) < 0)
		return -errno;
	return 0;
}

/*
 * Grow a socket buffer to at least want bytes (as the kernel counts them).
 * SO_*BUFFORCE (CAP_NET_ADMIN, which nftables needs anyway) passes the
 * net.core.*mem_max cap; the kernel doubles what it is given.
 */
static int grow_buf(struct nft_ctx *ctx, bool snd, size_t want, struct berr *e)
{
	int *cur = snd ? &ctx->sndbuf : &ctx->rcvbuf;
	int v;

	if ((size_t)*cur >= want)
		return 0;
	if (want > INT32_MAX / 2)
		return berr_set(e, -EMSGSIZE, "nftables batch of %zu bytes is too large", want);
	v = (int)(want / 2 + 1);
	if (setsockopt(sock_fd(ctx), SOL_SOCKET, snd ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(sock_fd(ctx), SOL_SOCKET, snd ? SO_SNDBUF : SO_RCVBUF, &v, sizeof(v));
	if (read_bufsizes(ctx) < 0)
		return berr_errno(e, "read netlink socket buffer sizes");
	if ((size_t)*cur < want)
		return berr_set(e, -EMSGSIZE, "cannot grow the netlink %s buffer to %zu bytes (have %d)",
				snd ? "send" : "receive", want, *cur);
	return 0;
}

int nft_open(int netns_fd, struct nft_ctx **ret, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	struct nft_ctx *ctx;
	int one = 1, r;

	if (netns_fd >= 0) {
		r = bns_socket(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER, &fd, e);
		if (r < 0)
			return berr_wrap(e, r, "open netfilter netlink socket");
	} else {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		if (fd < 0)
			return berr_errno(e, "open netfilter netlink socket");
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return berr_oom(e);
	ctx->rx_len = NFT_RX_SIZE;
	ctx->rx = malloc(ctx->rx_len);
	ctx->nl = ctx->rx ? mnl_socket_fdopen(fd) : NULL;
	if (!ctx->nl) {
		nft_close(ctx);
		return berr_oom(e);
	}
	fd = -1; /* owned by ctx->nl now */
	/* Extended acks carry the kernel's reason; capped acks do not echo our (large) messages back. */
	(void)setsockopt(sock_fd(ctx), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(sock_fd(ctx), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(ctx->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = berr_errno(e, "bind netfilter netlink socket");
		nft_close(ctx);
		return r;
	}
	ctx->portid = mnl_socket_get_portid(ctx->nl);
	ctx->seq = (uint32_t)time(NULL);
	r = read_bufsizes(ctx);
	if (r < 0) {
		nft_close(ctx);
		return berr_sys(e, r, "read netlink socket buffer sizes");
	}
	*ret = ctx;
	return 0;
}

void nft_close(struct nft_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->nl)
		mnl_socket_close(ctx->nl);
	free(ctx->rx);
	free(ctx);
}

int nft_fd(const struct nft_ctx *ctx)
{
	return ctx && ctx->nl ? mnl_socket_get_fd(ctx->nl) : -1;
}

int nft_set_owner(struct nft_ctx *ctx, const char *owner, bool (*alive)(const char *owner))
{
	if (owner && strlen(owner) >= sizeof(ctx->owner))
		return -EINVAL;
	snprintf(ctx->owner, sizeof(ctx->owner), "%s", owner ? owner : "");
	ctx->owner_alive = alive;
	return 0;
}

void nft_ctx_force_no_destroy(struct nft_ctx *ctx, bool on)
{
	ctx->no_destroy = on;
}

/* ------------------------------------------------------------------ acks */

int nft_parse_ack(const struct nlmsghdr *nlh, struct nft_ack *ack)
{
	const struct nlmsgerr *err;
	size_t hlen, tlv_off;
	const struct nlattr *a;

	memset(ack, 0, sizeof(*ack));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*err))
		return -EBADMSG;
	err = mnl_nlmsg_get_payload(nlh);
	ack->error = err->error;
	ack->seq = err->msg.nlmsg_seq;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* TLVs follow our echoed message, or only its header when the ack is capped. */
	hlen = (nlh->nlmsg_flags & NLM_F_CAPPED) ? sizeof(*err) : sizeof(*err) - sizeof(err->msg) + err->msg.nlmsg_len;
	tlv_off = NLMSG_HDRLEN + NLMSG_ALIGN(hlen);
	if (tlv_off > nlh->nlmsg_len)
		return 0;
	for (a = (const struct nlattr *)((const char *)nlh + tlv_off);
	     mnl_attr_ok(a, (int)((const char *)nlh + nlh->nlmsg_len - (const char *)a)); a = mnl_attr_next(a)) {
		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ack->kmsg, sizeof(ack->kmsg), "%.*s", (int)mnl_attr_get_payload_len(a),
				 (const char *)mnl_attr_get_payload(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_get_payload_len(a) >= sizeof(uint32_t))
				ack->bad_off = mnl_attr_get_u32(a);
			break;
		default:
			break;
		}
	}
	return 0;
}

static int ack_error(struct berr *e, const struct nft_ack *ack, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ack_error(struct berr *e, const struct nft_ack *ack, const char *fmt, ...)
{
	char what[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ack->kmsg[0])
		return berr_set(e, ack->error, "%s: %s (kernel: %s)", what, strerror(-ack->error), ack->kmsg);
	return berr_set(e, ack->error, "%s: %s", what, strerror(-ack->error));
}

/* ------------------------------------------------------------------ batches */

void nft_batch_init(struct nft_batch *b, struct nft_ctx *ctx)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
	b->len = NFT_BEGIN_ROOM;
	b->seq_begin = ctx->seq++;
}

void nft_batch_free(struct nft_batch *b)
{
	for (size_t i = 0; i < b->n_owned; i++)
		free(b->owned[i]);
	free(b->owned);
	b->owned = NULL;
	b->n_owned = b->cap_owned = 0;
	free(b->buf);
	free(b->msgs);
	b->buf = NULL;
	b->msgs = NULL;
	b->len = b->cap = 0;
	b->n_msgs = b->cap_msgs = 0;
}

int nft_batch_pin(struct nft_batch *b, struct berr *e)
{
	int r;

	if (b->pinned)
		return 0;
	r = nft_genid(b->ctx, &b->genid, e);
	if (r < 0)
		return r;
	b->pinned = true;
	return 0;
}

/* Account for the last message's final length. */
static void batch_close_msg(struct nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->n_msgs == 0)
		return;
	nlh = (struct nlmsghdr *)(b->buf + b->msgs[b->n_msgs - 1].off);
	if (b->len == b->msgs[b->n_msgs - 1].off)
		b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Room for room more bytes, zeroed (libnftnl leaves padding as it finds it). */
static int batch_reserve(struct nft_batch *b, size_t room)
{
	size_t old = b->cap;

	if (BARRAY_RESERVE(b->buf, b->cap, b->len + room) < 0)
		return -ENOMEM;
	memset(b->buf + old, 0, b->cap - old);
	return 0;
}

struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t family, uint16_t type, uint16_t flags, const char *what)
{
	struct nft_msg *m;

	batch_close_msg(b);
	if (batch_reserve(b, NFT_MSG_ROOM) < 0)
		return NULL;
	if (BARRAY_RESERVE(b->msgs, b->cap_msgs, b->n_msgs + 1) < 0)
		return NULL;
	m = &b->msgs[b->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->off = b->len;
	m->seq = b->ctx->seq++;
	m->type = type;
	snprintf(m->what, sizeof(m->what), "%s", what);
	/* Every message is acked, so that a batch the kernel never ran cannot pass for a success. */
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags | NLM_F_ACK, m->seq);
}

int nft_batch_own(struct nft_batch *b, void *p)
{
	if (BARRAY_RESERVE(b->owned, b->cap_owned, b->n_owned + 1) < 0) {
		free(p);
		return -ENOMEM;
	}
	b->owned[b->n_owned++] = p;
	return 0;
}

/*
 * The element's owner as its comment (the userdata `nft list` prints). The
 * kernel takes no userdata on the end element of an interval: an interval
 * belongs to the owner of its start.
 */
static void put_owner(const struct nft_batch *b, struct nftnl_set_elem *se, const struct nft_elem *el)
{
	const char *owner = el->owner[0] ? el->owner : b->owner ? b->owner : b->ctx->owner;
	uint8_t ud[2 + NFT_OWNER_LEN];
	size_t len = strlen(owner) + 1;

	if (len == 1 || len > NFT_OWNER_LEN)
		return;
	ud[0] = NFTNL_UDATA_SET_ELEM_COMMENT;
	ud[1] = (uint8_t)len;
	memcpy(ud + 2, owner, len);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_USERDATA, ud, (uint32_t)(2 + len));
}

/* The comment of an element read back, "" when it has none. */
static void get_owner(struct nftnl_set_elem *se, struct nft_elem *el)
{
	uint32_t n = 0;
	const uint8_t *ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &n);

	for (uint32_t off = 0; ud && off + 2 <= n && off + 2 + ud[off + 1] <= n; off += 2 + ud[off + 1]) {
		if (ud[off] == NFTNL_UDATA_SET_ELEM_COMMENT && ud[off + 1] > 0 && ud[off + 1] <= NFT_OWNER_LEN &&
		    ud[off + 2 + ud[off + 1] - 1] == '\0') {
			memcpy(el->owner, ud + off + 2, ud[off + 1]);
			return;
		}
	}
}

static const char *op_verb(enum nft_elem_op op)
{
	return op == NFT_ELEMS_DESTROY ? "delete from" : "add to";
}

/*
 * Kernels before 6.3 have no DESTROYSETELEM and DELSETELEM fails the whole
 * batch on a missing element: keep only the elements that exist. The batch
 * is pinned to the generation read before the checks, so nothing can change
 * between check and commit without the kernel refusing the batch.
 */
static int filter_existing(struct nft_batch *b, const char *set, const struct nft_elem *elems, size_t n,
			   struct nft_elem **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ struct nft_elem *keep = NULL;
	size_t k = 0;
	int r;

	r = nft_batch_pin(b, e);
	if (r < 0)
		return r;
	keep = calloc(n, sizeof(*keep));
	if (!keep)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		r = nft_elem_get(b->ctx, set, &elems[i], NULL, e);
		if (r < 0)
			return r;
		if (r > 0)
			keep[k++] = elems[i];
	}
	*ret = TAKE_PTR(keep);
	*ret_n = k;
	return 0;
}

int nft_batch_elems(struct nft_batch *b, enum nft_elem_op op, const char *set, const struct nft_elem *elems, size_t n,
		    nft_describe_fn describe, const void *describe_arg, struct berr *e)
{
	uint16_t type, flags = 0;
	char what[96];
	int r;

	if (n == 0)
		return 0;
	switch (op) {
	case NFT_ELEMS_ADD_EXCL:
		flags = NLM_F_EXCL;
		/* fall through */
	case NFT_ELEMS_ADD:
		type = NFT_MSG_NEWSETELEM;
		flags |= NLM_F_CREATE;
		break;
	case NFT_ELEMS_DESTROY:
	default:
		type = NFT_MSG_DESTROYSETELEM_;
		if (b->ctx->no_destroy) {
			struct nft_elem *keep = NULL;

			r = filter_existing(b, set, elems, n, &keep, &n, e);
			if (r < 0)
				return r;
			if (nft_batch_own(b, keep) < 0)
				return berr_oom(e);
			type = NFT_MSG_DELSETELEM;
			elems = keep;
		}
		break;
	}
	snprintf(what, sizeof(what), "%s %s", op_verb(op), set);
	for (size_t i = 0; i < n; i += NFT_ELEMS_PER_MSG) {
		size_t cnt = n - i < NFT_ELEMS_PER_MSG ? n - i : NFT_ELEMS_PER_MSG;
		_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		struct nft_msg *m;

		if (!s)
			return berr_oom(e);
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		for (size_t j = i; j < i + cnt; j++) {
			struct nftnl_set_elem *se = nftnl_set_elem_alloc();

			if (!se)
				return berr_oom(e);
			nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, elems[j].key, elems[j].key_len);
			if (elems[j].key_end_len)
				nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, elems[j].key_end, elems[j].key_end_len);
			if (elems[j].data_len && op != NFT_ELEMS_DESTROY)
				nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, elems[j].data, elems[j].data_len);
			if (op != NFT_ELEMS_DESTROY && !(elems[j].flags & NFT_SET_ELEM_INTERVAL_END))
				put_owner(b, se, &elems[j]);
			if (elems[j].flags)
				nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS, elems[j].flags);
			nftnl_set_elem_add(s, se);
		}
		nlh = nft_batch_msg(b, nft_set_family(set), type, flags, what);
		if (!nlh)
			return berr_oom(e);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		m = &b->msgs[b->n_msgs - 1];
		m->set = set;
		m->elems = elems + i;
		m->n_elems = cnt;
		m->describe = describe;
		m->darg = describe_arg;
	}
	return 0;
}

/* Which element of message m does the kernel's bad-attribute offset point into? */
static bool find_bad_elem(const struct nft_batch *b, const struct nft_msg *m, uint32_t off, size_t *ret)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->buf + m->off);
	const struct nlattr *a, *el;

	if (!m->n_elems || off == 0 || off >= nlh->nlmsg_len)
		return false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		size_t k = 0;

		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			size_t start = (size_t)((const char *)el - (const char *)nlh);

			if (off >= start && off < start + el->nla_len && k < m->n_elems) {
				*ret = k;
				return true;
			}
			k++;
		}
	}
	return false;
}

/* Messages get increasing sequence numbers (queries made while building the batch take some in between). */
static const struct nft_msg *msg_by_seq(const struct nft_batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->n_msgs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->msgs[mid].seq == seq)
			return &b->msgs[mid];
		if (b->msgs[mid].seq - b->seq_begin < seq - b->seq_begin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int batch_fail(struct nft_batch *b, const struct nft_ack *ack, struct berr *e)
{
	const struct nft_msg *m = msg_by_seq(b, ack->seq);
	char elem[192] = "";
	size_t k;

	if (!m) {
		if (ack->error == -ERESTART)
			return berr_set(e, -ERESTART, "nftables ruleset changed during the update");
		return ack_error(e, ack, "nftables batch");
	}
	if (m->type == NFT_MSG_DESTROYSETELEM_ && (ack->error == -EINVAL || ack->error == -EOPNOTSUPP))
		b->destroy_unsupported = true;
	if (find_bad_elem(b, m, ack->bad_off, &k)) {
		b->failed_elem = true;
		b->failed_tag = m->elems[k].tag;
		b->failed_set = m->set;
		if (m->describe)
			m->describe(m->darg, m->elems[k].tag, elem, sizeof(elem));
	}
	if (elem[0])
		return ack_error(e, ack, "%s: %s", m->what, elem);
	return ack_error(e, ack, "%s", m->what);
}

static void put_batch_hdr(char *buf, uint16_t type, uint32_t seq, bool with_genid, uint32_t genid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	if (with_genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
}

/* Drop replies left over from an earlier exchange (a failed request, an interrupted dump). */
static void drain(struct nft_ctx *ctx)
{
	while (recv(sock_fd(ctx), ctx->rx, ctx->rx_len, MSG_DONTWAIT) > 0 || errno == EINTR || errno == ENOBUFS)
		;
}

int nft_batch_send(struct nft_batch *b, struct berr *e)
{
	struct nft_ctx *ctx = b->ctx;
	struct nft_ack first = {0};
	size_t start, total, acked = 0;
	uint32_t seq_end;
	char begin[NFT_BEGIN_ROOM];
	struct nlmsghdr *nlh;
	bool failed = false;
	ssize_t n;
	int r;

	batch_close_msg(b);
	if (b->n_msgs == 0)
		return 0;
	if (batch_reserve(b, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg))) < 0)
		return berr_oom(e);
	seq_end = ctx->seq++;
	put_batch_hdr(b->buf + b->len, NFNL_MSG_BATCH_END, seq_end, false, 0);
	b->len += ((struct nlmsghdr *)(b->buf + b->len))->nlmsg_len;
	put_batch_hdr(begin, NFNL_MSG_BATCH_BEGIN, b->seq_begin, b->pinned, b->genid);
	nlh = (struct nlmsghdr *)begin;
	start = NFT_BEGIN_ROOM - NLMSG_ALIGN(nlh->nlmsg_len);
	memcpy(b->buf + start, begin, nlh->nlmsg_len);
	total = b->len - start;

	/* The whole batch is one datagram: the kernel runs a batch only when BEGIN and END share one skb. */
	r = grow_buf(ctx, true, total + 64, e);
	if (r < 0)
		return r;
	r = grow_buf(ctx, false, b->n_msgs * NFT_ACK_COST + 64 * 1024, e);
	if (r < 0)
		return r;
	drain(ctx);
	if (mnl_socket_sendto(ctx->nl, b->buf + start, total) < 0)
		return berr_errno(e, "send nftables batch (%zu bytes)", total);

	/*
	 * nfnetlink processes the batch synchronously inside sendmsg(), so
	 * every ack is already queued: read until the queue is empty.
	 */
	for (;;) {
		n = recv(sock_fd(ctx), ctx->rx, ctx->rx_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS)
				return berr_set(e, -ENOBUFS,
						"nftables acks lost (receive buffer overrun); state unknown");
			return berr_errno(e, "receive nftables acks");
		}
		int left = (int)n;

		for (nlh = (struct nlmsghdr *)ctx->rx; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nft_ack ack;

			if (nlh->nlmsg_type != NLMSG_ERROR || nft_parse_ack(nlh, &ack) < 0)
				continue;
			if (ack.seq - b->seq_begin > seq_end - b->seq_begin)
				continue; /* not ours */
			if (ack.seq != b->seq_begin)
				acked++;
			if (ack.error && !failed) {
				failed = true;
				first = ack;
			}
		}
	}
	if (failed)
		return batch_fail(b, &first, e);
	if (acked < b->n_msgs)
		return berr_set(e, -EIO, "nftables acknowledged %zu of %zu messages", acked, b->n_msgs);
	return 0;
}

int nft_transact(struct nft_ctx *ctx, nft_build_fn build, const void *arg, struct nft_fail *fail, struct berr *e)
{
	int r = 0;

	for (int i = 0; i < NFT_TRANSACT_TRIES; i++) {
		struct nft_batch b;
		bool retry;

		nft_batch_init(&b, ctx);
		r = build(&b, arg, e);
		if (r == 0)
			r = nft_batch_send(&b, e);
		retry = r == -ERESTART || (r < 0 && b.destroy_unsupported && !ctx->no_destroy);
		if (r < 0 && b.destroy_unsupported)
			ctx->no_destroy = true;
		if (fail) {
			fail->elem = b.failed_elem;
			fail->tag = b.failed_tag;
			fail->set = b.failed_set;
		}
		nft_batch_free(&b);
		if (!retry)
			return r;
		berr_clear(e);
	}
	return berr_set(e, r ? r : -EAGAIN, "nftables ruleset kept changing; gave up after %d attempts",
			NFT_TRANSACT_TRIES);
}

/* ------------------------------------------------------------------ queries */

struct nlmsghdr *nft_req(struct nft_ctx *ctx, char *buf, uint16_t type, uint16_t family, uint16_t flags)
{
	memset(buf, 0, NFT_REQ_SIZE);
	/* A plain GET is acked so that it has a terminator like a dump's NLMSG_DONE. */
	if (!(flags & NLM_F_DUMP))
		flags |= NLM_F_ACK;
	return nftnl_nlmsg_build_hdr(buf, type, family, flags, ctx->seq++);
}

int nft_query(struct nft_ctx *ctx, struct nlmsghdr *req, nft_reply_fn cb, void *arg, struct berr *e)
{
	bool intr = false, done = false;
	int cb_err = 0;

	drain(ctx);
	if (mnl_socket_sendto(ctx->nl, req, req->nlmsg_len) < 0)
		return berr_errno(e, "send nftables request");
	while (!done) {
		ssize_t n = recv(sock_fd(ctx), ctx->rx, ctx->rx_len, 0);
		const struct nlmsghdr *nlh;
		int left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berr_errno(e, "receive nftables reply");
		}
		if (n == 0)
			return berr_set(e, -EIO, "nftables socket closed");
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)ctx->rx; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq || nlh->nlmsg_pid != ctx->portid)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nft_ack ack;

				done = true;
				if (nft_parse_ack(nlh, &ack) < 0)
					return berr_set(e, -EBADMSG, "truncated nftables ack");
				if (ack.error)
					return ack_error(e, &ack, "nftables request");
			} else if (!cb_err && cb) {
				cb_err = cb(nlh, arg);
			}
		}
	}
	if (cb_err < 0)
		return berr_sys(e, cb_err, "parse nftables reply");
	if (intr)
		return berr_set(e, -EINTR, "nftables dump interrupted by a concurrent change");
	return 0;
}

static int gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	_cleanup_(nftnl_gen_freep) struct nftnl_gen *g = nftnl_gen_alloc();

	if (!g)
		return -ENOMEM;
	if (nftnl_gen_nlmsg_parse(nlh, g) < 0)
		return -EBADMSG;
	*(uint32_t *)arg = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	return 0;
}

int nft_genid(struct nft_ctx *ctx, uint32_t *ret, struct berr *e)
{
	char buf[NFT_REQ_SIZE];
	uint32_t id = 0;
	int r;

	r = nft_query(ctx, nft_req(ctx, buf, NFT_MSG_GETGEN, AF_UNSPEC, 0), gen_cb, &id, e);
	if (r < 0)
		return berr_wrap(e, r, "read nftables generation");
	*ret = id;
	return 0;
}

struct dump_state {
	struct nftnl_set *s;
};

static int elems_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *d = arg;

	return nftnl_set_elems_nlmsg_parse(nlh, d->s) < 0 ? -EBADMSG : 0;
}

/* One byte field of an element (0, its length 0, when the element has none); -EBADMSG when too long. */
static int elem_bytes(struct nftnl_set_elem *se, uint16_t attr, uint8_t *dst, size_t cap, uint8_t *ret_len)
{
	const void *p;
	uint32_t len = 0;

	if (!nftnl_set_elem_is_set(se, attr))
		return 0;
	p = nftnl_set_elem_get(se, attr, &len);
	if (!p || len > cap)
		return -EBADMSG;
	memcpy(dst, p, len);
	*ret_len = (uint8_t)len;
	return 0;
}

static int elem_from_nftnl(struct nftnl_set_elem *se, struct nft_elem *el)
{
	memset(el, 0, sizeof(*el));
	if (elem_bytes(se, NFTNL_SET_ELEM_KEY, el->key, sizeof(el->key), &el->key_len) < 0 || !el->key_len ||
	    elem_bytes(se, NFTNL_SET_ELEM_KEY_END, el->key_end, sizeof(el->key_end), &el->key_end_len) < 0 ||
	    elem_bytes(se, NFTNL_SET_ELEM_DATA, el->data, sizeof(el->data), &el->data_len) < 0)
		return -EBADMSG;
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_FLAGS))
		el->flags = nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_USERDATA))
		get_owner(se, el);
	return 0;
}

static int elems_dump_once(struct nft_ctx *ctx, const char *set, struct nft_elem **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *req_set = nftnl_set_alloc();
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_free_ struct nft_elem *out = NULL;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *se;
	struct dump_state d = {.s = s};
	char buf[NFT_REQ_SIZE];
	struct nlmsghdr *nlh;
	size_t n = 0, cap = 0;
	int r;

	if (!req_set || !s)
		return berr_oom(e);
	nftnl_set_set_str(req_set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(req_set, NFTNL_SET_NAME, set);
	nlh = nft_req(ctx, buf, NFT_MSG_GETSETELEM, nft_set_family(set), NLM_F_DUMP);
	nftnl_set_elems_nlmsg_build_payload(nlh, req_set);
	r = nft_query(ctx, nlh, elems_cb, &d, e);
	if (r < 0)
		return r;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		return berr_oom(e);
	for (se = nftnl_set_elems_iter_next(it); se; se = nftnl_set_elems_iter_next(it)) {
		if (BARRAY_RESERVE(out, cap, n + 1) < 0) {
			nftnl_set_elems_iter_destroy(it);
			return berr_oom(e);
		}
		if (elem_from_nftnl(se, &out[n]) < 0) {
			nftnl_set_elems_iter_destroy(it);
			return berr_set(e, -EBADMSG, "malformed element in set %s", set);
		}
		out[n].tag = n;
		n++;
	}
	nftnl_set_elems_iter_destroy(it);
	*ret = TAKE_PTR(out);
	*ret_n = n;
	return 0;
}

int nft_elems_dump(struct nft_ctx *ctx, const char *set, struct nft_elem **ret, size_t *ret_n, struct berr *e)
{
	int r = 0;

	/* A dump that raced with a change is flagged (NLM_F_DUMP_INTR): read it again. */
	for (int i = 0; i < NFT_TRANSACT_TRIES; i++) {
		r = elems_dump_once(ctx, set, ret, ret_n, e);
		if (r != -EINTR)
			break;
		berr_clear(e);
	}
	if (r < 0)
		return berr_wrap(e, r, "list set %s", set);
	return 0;
}

static int elem_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	return nftnl_set_elems_nlmsg_parse(nlh, arg) < 0 ? -EBADMSG : 0;
}

int nft_elem_get(struct nft_ctx *ctx, const char *set, const struct nft_elem *el, struct nft_elem *ret_found,
		 struct berr *e)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_set_freep) struct nftnl_set *reply = nftnl_set_alloc();
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();
	char buf[NFT_REQ_SIZE];
	struct nlmsghdr *nlh;
	int r;

	if (!s || !se || !reply) {
		nftnl_set_elem_free(se);
		return berr_oom(e);
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, el->key, el->key_len);
	if (el->key_end_len)
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, el->key_end, el->key_end_len);
	if (el->flags)
		nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_FLAGS, el->flags);
	nftnl_set_elem_add(s, se);
	nlh = nft_req(ctx, buf, NFT_MSG_GETSETELEM, nft_set_family(set), 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	r = nft_query(ctx, nlh, elem_get_cb, reply, e);
	if (r == -ENOENT) {
		berr_clear(e);
		return 0;
	}
	if (r < 0)
		return berr_wrap(e, r, "look up element of set %s", set);
	if (ret_found) {
		struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(reply);
		struct nftnl_set_elem *got = it ? nftnl_set_elems_iter_next(it) : NULL;

		r = got ? elem_from_nftnl(got, ret_found) : -EBADMSG;
		nftnl_set_elems_iter_destroy(it);
		if (r < 0)
			return berr_set(e, r, "malformed reply for an element of set %s", set);
	}
	return 1;
}
