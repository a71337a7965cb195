/* A small, strict HTTP/1.1 client over TCP for etcd's JSON gateway: plain http:// POSTs, unary and streaming. */
#pragma once

/*
 * What etcd's gateway needs and nothing more: POST with a JSON body to
 * http://HOST[:PORT]/PATH (an IPv4 literal, an IPv6 literal in brackets or a
 * name getaddrinfo resolves), the reply read by Content-Length, chunked, or
 * to the connection's close. No TLS, no proxies, no redirects, no
 * compression. It replaces libcurl, whose ~25 libraries (TLS, Kerberos,
 * LDAP...) cost a fabric netd ~7 MiB of resident memory.
 *
 * The response parser is a pure function over bytes (http_parser_feed), so
 * that it is unit-tested and fuzzed without sockets. Malformed input fails
 * with -EBADMSG (bad syntax), -EPROTO (valid syntax berth does not accept:
 * an HTTP version, a transfer coding, a connection closed early) or
 * -EMSGSIZE (past a limit), the message naming what was wrong.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define HTTP_MAX_LINE 4096	  /* one status, header, trailer or chunk-size line */
#define HTTP_MAX_HEAD (16 * 1024) /* a response's status line and headers (1xx included), and its trailers */
#define HTTP_MAX_URL 300

/* ------------------------------------------------------------------ response parser */

enum http_pstate {
	HTTP_P_STATUS,	   /* the status line */
	HTTP_P_HEADER,	   /* header lines up to the empty one */
	HTTP_P_BODY_LEN,   /* Content-Length bytes */
	HTTP_P_CHUNK_SIZE, /* a chunk-size line */
	HTTP_P_CHUNK_DATA, /* a chunk's bytes */
	HTTP_P_CHUNK_END,  /* the CRLF after them */
	HTTP_P_TRAILER,	   /* trailer lines after the last chunk, up to the empty one */
	HTTP_P_BODY_EOF,   /* the body runs until the connection closes */
	HTTP_P_DONE,
	HTTP_P_ERROR,
};

/* Body bytes as they come (de-chunked); a negative return stops the parser and is returned by the feed. */
typedef int (*http_body_fn)(void *arg, const char *data, size_t len);

struct http_parser {
	enum http_pstate state;
	int status;	   /* the final status (200-599) once its headers are in; 1xx responses are skipped */
	int minor;	   /* HTTP/1.minor of the final response */
	bool started;	   /* a byte of the response arrived */
	bool chunked;	   /* Transfer-Encoding: chunked */
	bool has_length;   /* Content-Length given */
	bool close;	   /* the server closes the connection after this response */
	bool keep_alive;   /* Connection: keep-alive (HTTP/1.0) */
	uint64_t length;   /* Content-Length */
	uint64_t left;	   /* bytes left of the body (BODY_LEN) or of the chunk (CHUNK_DATA) */
	uint64_t body;	   /* body bytes delivered */
	uint64_t max_body; /* more is -EMSGSIZE */
	size_t head;	   /* bytes of status, header and trailer lines so far */
	int error;	   /* the error once in HTTP_P_ERROR */
	size_t line_len;
	char line[HTTP_MAX_LINE];
};

/* Ready for a response whose body is at most max_body bytes (UINT64_MAX: a stream without end). */
void http_parser_init(struct http_parser *p, uint64_t max_body);

/*
 * Feed len bytes of the response. Body bytes go to fn (may be NULL). 0 or a
 * negative errno; *ret_used (may be NULL) gets how many bytes were taken,
 * fewer than len only when the response ended before the data did (what
 * follows is not part of it). After an error every feed fails again.
 */
int http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *ret_used, http_body_fn fn, void *arg,
		     struct berr *e);

/* The connection closed: 0 when that ends the response (or it had ended), else -EPROTO saying where it was cut. */
int http_parser_eof(struct http_parser *p, struct berr *e);

/* The response is complete. */
bool http_parser_done(const struct http_parser *p);
/* The final status and headers are in (the body may be coming). */
bool http_parser_have_head(const struct http_parser *p);

/* ------------------------------------------------------------------ URLs */

struct http_url {
	char host[256];		     /* without brackets */
	char port[6];		     /* "80" when the URL names none */
	char authority[270];	     /* for the Host header: as in the URL, port included */
	char path[HTTP_MAX_URL + 1]; /* "/" when the URL has none */
};

/* Parse http://HOST[:PORT][/PATH]: -EPROTONOSUPPORT for https:// (no TLS), -EINVAL for anything else not so. */
int http_url_parse(const char *url, struct http_url *ret, struct berr *e);

/* ------------------------------------------------------------------ unary requests */

/* One connection kept alive between requests, to whichever origin the last one went. */
struct http_conn {
	int fd; /* -1: none */
	char origin[280];
};

#define HTTP_CONN_INIT                                                                                                 \
	{                                                                                                              \
		.fd = -1                                                                                               \
	}

void http_conn_close(struct http_conn *c);

struct http_reply {
	int status;
	struct bbuf body;
};

void http_reply_clear(struct http_reply *r);

/*
 * POST body (Content-Type: application/json) to url and read the whole reply,
 * within timeout_ms from the call (connecting within min(timeout_ms, 1 s)).
 * Any final status is success: *ret gets it with the body (at most max_body
 * bytes). The connection is reused when the server keeps it; a request on a
 * reused connection that fails before any byte of the reply is sent once
 * more on a fresh one (the server closed it while idle).
 *
 * Errors: -ECONNREFUSED, -ENETUNREACH, -EHOSTUNREACH (also: the name does not
 * resolve), -ETIMEDOUT, -ECONNRESET (closed or reset before the reply was
 * whole); -EBADMSG, -EPROTO, -EMSGSIZE from the parser; -EINVAL,
 * -EPROTONOSUPPORT for the URL; -ENOMEM.
 */
int http_post(struct http_conn *c, const char *url, const char *body, size_t len, int timeout_ms, uint64_t max_body,
	      struct http_reply *ret, struct berr *e);

/* ------------------------------------------------------------------ streaming requests */

struct http_stream;

/*
 * Start POSTing body to url on a connection of its own and return at once:
 * connecting (within connect_timeout_ms), sending and receiving happen in
 * http_stream_poll. With TCP keepalive probes (idle 2 s, then every 1 s, 5
 * unanswered: the peer is gone), so a server that vanished is noticed while
 * the stream is quiet. -EINVAL / -EPROTONOSUPPORT for the URL, -ENOMEM;
 * failing to resolve or to connect comes out of the first polls.
 */
int http_stream_open(const char *url, const char *body, size_t len, int connect_timeout_ms, struct http_stream **ret,
		     struct berr *e);
void http_stream_close(struct http_stream *s);

#define HTTP_STREAM_END 1

/*
 * Wait up to timeout_ms (< 0: no limit) for the connection (or for wake_fd >= 0 to be
 * readable; it is not read), move the request on and hand the body bytes that
 * arrived to fn. 0: the response goes on; HTTP_STREAM_END: it ended cleanly;
 * a negative errno (as http_post's, or fn's) when it failed. Once ended or
 * failed it stays so.
 */
int http_stream_poll(struct http_stream *s, int timeout_ms, int wake_fd, http_body_fn fn, void *arg, struct berr *e);
/* The final status once the headers are in, else 0. */
int http_stream_status(const struct http_stream *s);
