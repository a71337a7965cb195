/* The HTTP/1.1 response parser: status line, headers, a body by length, chunked or to the close; pure and incremental.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netd/fabric/http.h"

void http_parser_init(struct http_parser *p, uint64_t max_body)
{
	memset(p, 0, offsetof(struct http_parser, line));
	p->state = HTTP_P_STATUS;
	p->max_body = max_body;
}

bool http_parser_done(const struct http_parser *p)
{
	return p->state == HTTP_P_DONE;
}

bool http_parser_have_head(const struct http_parser *p)
{
	return p->state != HTTP_P_STATUS && p->state != HTTP_P_HEADER && p->state != HTTP_P_ERROR;
}

/* A printable excerpt of a line for messages: at most 60 bytes, control bytes as '?'. */
static const char *excerpt(const char *s, size_t len, char *buf, size_t size)
{
	size_t n = len < 60 ? len : 60, i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

__attribute__((format(printf, 4, 5))) static int fail(struct http_parser *p, struct berr *e, int code, const char *fmt,
						      ...)
{
	va_list ap;

	p->state = HTTP_P_ERROR;
	p->error = code;
	va_start(ap, fmt);
	berr_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

static bool is_tchar(unsigned char c)
{
	/* RFC 9110 token characters */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c);
}

/* Field values, reason phrases, chunk extensions: visible characters, SP, HT and obs-text; no other control. */
static bool text_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* HTTP/1.x SP 3DIGIT [SP reason] */
static int status_line(struct http_parser *p, const char *s, size_t len, struct berr *e)
{
	char ex[64];

	if (len < 12 || memcmp(s, "HTTP/", 5) != 0)
		return fail(p, e, -EBADMSG, "HTTP: a status line that is not HTTP/1.x: '%s'",
			    excerpt(s, len, ex, sizeof(ex)));
	if (s[5] != '1' || s[6] != '.' || s[7] < '0' || s[7] > '9')
		return fail(p, e, -EPROTO, "HTTP: version %.3s is not HTTP/1.x", s + 5);
	if (s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (len > 12 && s[12] != ' ') || !text_ok(s + 12, len - 12))
		return fail(p, e, -EBADMSG, "HTTP: a bad status line: '%s'", excerpt(s, len, ex, sizeof(ex)));
	p->minor = s[7] - '0';
	p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	p->chunked = p->has_length = p->close = p->keep_alive = false;
	p->length = 0;
	p->state = HTTP_P_HEADER;
	return 0;
}

/* Call fn on each element of a comma-separated list, trimmed; empty elements are skipped. */
static int list_each(const char *v, size_t len,
		     int (*fn)(struct http_parser *p, const char *t, size_t n, struct berr *e), struct http_parser *p,
		     struct berr *e)
{
	size_t i = 0;

	while (i < len) {
		size_t a = i, b;
		int r;

		while (i < len && v[i] != ',')
			i++;
		b = i++;
		while (a < b && ows(v[a]))
			a++;
		while (b > a && ows(v[b - 1]))
			b--;
		if (a < b && (r = fn(p, v + a, b - a, e)) < 0)
			return r;
	}
	return 0;
}

static int te_coding(struct http_parser *p, const char *t, size_t n, struct berr *e)
{
	char ex[64];

	if (n != 7 || strncasecmp(t, "chunked", 7) != 0)
		return fail(p, e, -EPROTO, "HTTP: Transfer-Encoding '%s' is not supported (only chunked)",
			    excerpt(t, n, ex, sizeof(ex)));
	if (p->chunked)
		return fail(p, e, -EBADMSG, "HTTP: Transfer-Encoding chunked twice");
	p->chunked = true;
	return 0;
}

static int conn_option(struct http_parser *p, const char *t, size_t n, struct berr *e)
{
	if (n == 5 && strncasecmp(t, "close", 5) == 0)
		p->close = true;
	else if (n == 10 && strncasecmp(t, "keep-alive", 10) == 0)
		p->keep_alive = true;
	return 0;
}

static int content_length(struct http_parser *p, const char *v, size_t len, struct berr *e)
{
	uint64_t n = 0;
	char ex[64];

	if (len == 0)
		return fail(p, e, -EBADMSG, "HTTP: an empty Content-Length");
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)v[i] - '0';

		if (d > 9)
			return fail(p, e, -EBADMSG, "HTTP: Content-Length '%s' is not a number",
				    excerpt(v, len, ex, sizeof(ex)));
		if (n > (UINT64_MAX - d) / 10)
			return fail(p, e, -EMSGSIZE, "HTTP: Content-Length '%s' overflows",
				    excerpt(v, len, ex, sizeof(ex)));
		n = n * 10 + d;
	}
	if (p->has_length && p->length != n)
		return fail(p, e, -EBADMSG, "HTTP: two different Content-Length headers");
	p->has_length = true;
	p->length = n;
	return 0;
}

/* NAME ":" OWS VALUE OWS; trailers only have their syntax checked. */
static int header_line(struct http_parser *p, const char *s, size_t len, bool trailer, struct berr *e)
{
	size_t n = 0, a, b;
	char ex[64];

	if (ows(s[0]))
		return fail(p, e, -EBADMSG, "HTTP: a folded header line (obsolete): '%s'",
			    excerpt(s, len, ex, sizeof(ex)));
	while (n < len && is_tchar((unsigned char)s[n]))
		n++;
	if (n == 0 || n == len || s[n] != ':')
		return fail(p, e, -EBADMSG, "HTTP: a header line that is not NAME: VALUE: '%s'",
			    excerpt(s, len, ex, sizeof(ex)));
	a = n + 1;
	b = len;
	while (a < b && ows(s[a]))
		a++;
	while (b > a && ows(s[b - 1]))
		b--;
	if (!text_ok(s + a, b - a))
		return fail(p, e, -EBADMSG, "HTTP: a control character in header %.*s", (int)(n < 40 ? n : 40), s);
	if (trailer)
		return 0;
	if (n == 14 && strncasecmp(s, "Content-Length", n) == 0)
		return content_length(p, s + a, b - a, e);
	if (n == 17 && strncasecmp(s, "Transfer-Encoding", n) == 0)
		return list_each(s + a, b - a, te_coding, p, e);
	if (n == 10 && strncasecmp(s, "Connection", n) == 0)
		return list_each(s + a, b - a, conn_option, p, e);
	return 0;
}

/* The empty line after the headers: how the body is delimited (RFC 9112 6.3, for a response to a POST). */
static int head_end(struct http_parser *p, struct berr *e)
{
	if (p->status < 200) {
		/* 100 Continue and other interim responses come before the final one; 101 would switch protocols */
		if (p->status == 101)
			return fail(p, e, -EPROTO, "HTTP: 101 Switching Protocols, which was not asked for");
		p->state = HTTP_P_STATUS;
		p->status = 0;
		return 0;
	}
	if (p->minor == 0 && !p->keep_alive)
		p->close = true;
	if (p->status == 204 || p->status == 304) {
		p->state = HTTP_P_DONE;
		return 0;
	}
	if (p->chunked && p->has_length)
		return fail(p, e, -EBADMSG, "HTTP: both Content-Length and Transfer-Encoding");
	if (p->chunked && p->minor == 0)
		return fail(p, e, -EBADMSG, "HTTP: Transfer-Encoding in an HTTP/1.0 response");
	if (p->chunked) {
		p->state = HTTP_P_CHUNK_SIZE;
	} else if (p->has_length) {
		if (p->length > p->max_body)
			return fail(p, e, -EMSGSIZE, "HTTP: a body of %llu bytes, more than %llu",
				    (unsigned long long)p->length, (unsigned long long)p->max_body);
		p->left = p->length;
		p->state = p->length ? HTTP_P_BODY_LEN : HTTP_P_DONE;
	} else {
		p->close = true;
		p->state = HTTP_P_BODY_EOF;
	}
	return 0;
}

/* HEX [BWS] [";" extension] */
static int chunk_size(struct http_parser *p, const char *s, size_t len, struct berr *e)
{
	uint64_t n = 0;
	size_t i = 0;
	char ex[64];

	for (; i < len; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (n > UINT64_MAX >> 4)
			return fail(p, e, -EMSGSIZE, "HTTP: a chunk size that overflows: '%s'",
				    excerpt(s, len, ex, sizeof(ex)));
		n = n << 4 | d;
	}
	if (i == 0)
		return fail(p, e, -EBADMSG, "HTTP: a chunk size that is not hexadecimal: '%s'",
			    excerpt(s, len, ex, sizeof(ex)));
	while (i < len && ows(s[i]))
		i++;
	if ((i < len && s[i] != ';') || !text_ok(s + i, len - i))
		return fail(p, e, -EBADMSG, "HTTP: a bad chunk-size line: '%s'", excerpt(s, len, ex, sizeof(ex)));
	if (n > p->max_body - p->body)
		return fail(p, e, -EMSGSIZE, "HTTP: a chunk of %llu bytes makes the body more than %llu",
			    (unsigned long long)n, (unsigned long long)p->max_body);
	p->left = n;
	p->state = n ? HTTP_P_CHUNK_DATA : HTTP_P_TRAILER;
	return 0;
}

/* A whole line (CRLF removed) in the state that collects lines. */
static int line_done(struct http_parser *p, const char *s, size_t len, struct berr *e)
{
	switch (p->state) {
	case HTTP_P_STATUS:
		return status_line(p, s, len, e);
	case HTTP_P_HEADER:
		return len ? header_line(p, s, len, false, e) : head_end(p, e);
	case HTTP_P_CHUNK_SIZE:
		return chunk_size(p, s, len, e);
	case HTTP_P_TRAILER:
		if (len)
			return header_line(p, s, len, true, e);
		p->state = HTTP_P_DONE;
		return 0;
	default:
		return fail(p, e, -EBADMSG, "HTTP: internal parser state %d", (int)p->state);
	}
}

static bool counts_as_head(enum http_pstate st)
{
	return st == HTTP_P_STATUS || st == HTTP_P_HEADER || st == HTTP_P_TRAILER;
}

/* Collect bytes of a line; a line ends with CRLF exactly and holds no other CR. Returns bytes taken or an error. */
static int line_bytes(struct http_parser *p, const char *data, size_t len, size_t *ret_used, struct berr *e)
{
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) + 1 : len;
	size_t total = p->line_len + n;

	if (counts_as_head(p->state) && p->head + n > HTTP_MAX_HEAD)
		return fail(p, e, -EMSGSIZE, "HTTP: %s larger than %d bytes",
			    p->state == HTTP_P_TRAILER ? "trailers" : "a response head", HTTP_MAX_HEAD);
	if (total > HTTP_MAX_LINE)
		return fail(p, e, -EMSGSIZE, "HTTP: a %s line longer than %d bytes",
			    p->state == HTTP_P_CHUNK_SIZE ? "chunk-size" : "header", HTTP_MAX_LINE);
	memcpy(p->line + p->line_len, data, n);
	p->line_len = total;
	if (counts_as_head(p->state))
		p->head += n;
	*ret_used = n;
	if (!nl)
		return 0;
	if (total < 2 || p->line[total - 2] != '\r' || memchr(p->line, '\r', total - 2))
		return fail(p, e, -EBADMSG, "HTTP: a line not ended by CRLF");
	p->line_len = 0;
	return line_done(p, p->line, total - 2, e);
}

static int body_bytes(struct http_parser *p, const char *data, size_t n, http_body_fn fn, void *arg, struct berr *e)
{
	int r;

	if (n > p->max_body - p->body)
		return fail(p, e, -EMSGSIZE, "HTTP: a body larger than %llu bytes", (unsigned long long)p->max_body);
	p->body += n;
	if (fn && (r = fn(arg, data, n)) < 0)
		return fail(p, e, r, "HTTP: the body's receiver took no more (%s)", berr_errno_name(r));
	return 0;
}

/* One step: take bytes from data in the current state. */
static int step(struct http_parser *p, const char *data, size_t len, size_t *ret_used, http_body_fn fn, void *arg,
		struct berr *e)
{
	size_t n;
	int r;

	switch (p->state) {
	case HTTP_P_BODY_LEN:
	case HTTP_P_CHUNK_DATA:
		n = len < p->left ? len : (size_t)p->left;
		r = body_bytes(p, data, n, fn, arg, e);
		if (r < 0)
			return r;
		p->left -= n;
		*ret_used = n;
		if (!p->left)
			p->state = p->state == HTTP_P_BODY_LEN ? HTTP_P_DONE : HTTP_P_CHUNK_END;
		return 0;
	case HTTP_P_BODY_EOF:
		*ret_used = len;
		return body_bytes(p, data, len, fn, arg, e);
	case HTTP_P_CHUNK_END:
		/* line_len counts the bytes of the CRLF seen */
		if (data[0] != "\r\n"[p->line_len])
			return fail(p, e, -EBADMSG, "HTTP: a chunk longer than its size (no CRLF after it)");
		*ret_used = 1;
		if (++p->line_len == 2) {
			p->line_len = 0;
			p->state = HTTP_P_CHUNK_SIZE;
		}
		return 0;
	default:
		return line_bytes(p, data, len, ret_used, e);
	}
}

int http_parser_feed(struct http_parser *p, const char *data, size_t len, size_t *ret_used, http_body_fn fn, void *arg,
		     struct berr *e)
{
	size_t off = 0;
	int r = 0;

	if (p->state == HTTP_P_ERROR)
		return berr_set(e, p->error, "HTTP: the response already failed to parse");
	if (len)
		p->started = true;
	while (off < len && p->state != HTTP_P_DONE) {
		size_t used = 0;

		r = step(p, data + off, len - off, &used, fn, arg, e);
		if (r < 0)
			break;
		off += used;
	}
	if (ret_used)
		*ret_used = off;
	return r;
}

int http_parser_eof(struct http_parser *p, struct berr *e)
{
	switch (p->state) {
	case HTTP_P_DONE:
		return 0;
	case HTTP_P_BODY_EOF:
		p->state = HTTP_P_DONE;
		return 0;
	case HTTP_P_ERROR:
		return berr_set(e, p->error, "HTTP: the response already failed to parse");
	case HTTP_P_STATUS:
		if (!p->started)
			return fail(p, e, -EPROTO, "HTTP: the connection closed before a response");
		return fail(p, e, -EPROTO, "HTTP: the connection closed in the middle of the status line");
	case HTTP_P_HEADER:
		return fail(p, e, -EPROTO, "HTTP: the connection closed in the middle of the headers");
	case HTTP_P_BODY_LEN:
		return fail(p, e, -EPROTO, "HTTP: the connection closed after %llu of %llu bytes of the body",
			    (unsigned long long)p->body, (unsigned long long)p->length);
	default:
		return fail(p, e, -EPROTO, "HTTP: the connection closed in the middle of a chunked body");
	}
}
