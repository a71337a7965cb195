/* The fabric's HTTP/1.1 client without sockets: the response parser over bytes, split anywhere, and URLs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netd/fabric/etcd.h"
#include "netd/fabric/http.h"

struct res {
	int r;	    /* the first error, or 0 */
	bool done;  /* complete (after eof when asked) */
	int status; /* p.status */
	bool close;
	size_t used; /* bytes taken in all */
	struct bbuf body;
	char msg[BERR_MSG_MAX];
};

static int to_buf(void *arg, const char *data, size_t len)
{
	return bbuf_append(arg, data, len);
}

/* Feed s in pieces cut at the offsets cuts[] (increasing), then eof when asked. */
static struct res parse_cuts(const char *s, size_t len, const size_t *cuts, size_t n_cuts, bool eof, uint64_t max)
{
	struct http_parser p;
	struct res res = {0};
	struct berr e = BERR_INIT;
	size_t from = 0;

	http_parser_init(&p, max);
	for (size_t i = 0; i <= n_cuts && !res.r; i++) {
		size_t to = i < n_cuts ? cuts[i] : len, used = 0;

		res.r = http_parser_feed(&p, s + from, to - from, &used, to_buf, &res.body, &e);
		res.used += used;
		if (!res.r && used < to - from)
			break; /* the response ended before the data */
		from = to;
	}
	if (!res.r && eof)
		res.r = http_parser_eof(&p, &e);
	res.done = http_parser_done(&p);
	res.status = http_parser_have_head(&p) || res.done ? p.status : 0;
	res.close = p.close;
	snprintf(res.msg, sizeof(res.msg), "%s", res.r ? berr_message(&e) : "");
	return res;
}

static struct res parse(const char *s, bool eof)
{
	return parse_cuts(s, strlen(s), NULL, 0, eof, 1024 * 1024);
}

static void res_free(struct res *r)
{
	bbuf_free(&r->body);
}

static const char *body(const struct res *r)
{
	return r->body.p ? r->body.p : "";
}

/* The same outcome whole, cut once at every offset, cut at every byte. */
static void same_everywhere(const char *s, bool eof)
{
	size_t len = strlen(s);
	struct res whole = parse(s, eof);
	size_t *all = calloc(len ? len : 1, sizeof(size_t));

	for (size_t k = 0; k <= len; k++) {
		struct res cut = parse_cuts(s, len, &k, 1, eof, 1024 * 1024);

		cr_assert_eq(cut.r, whole.r, "cut at %zu: %d (%s), whole: %d", k, cut.r, cut.msg, whole.r);
		cr_assert_eq(cut.done, whole.done, "cut at %zu", k);
		cr_assert_eq(cut.status, whole.status, "cut at %zu", k);
		cr_assert_str_eq(body(&cut), body(&whole), "cut at %zu", k);
		res_free(&cut);
	}
	for (size_t k = 0; k < len; k++)
		all[k] = k;
	{
		struct res bytes = parse_cuts(s, len, all, len, eof, 1024 * 1024);

		cr_assert_eq(bytes.r, whole.r, "byte by byte: %d (%s)", bytes.r, bytes.msg);
		cr_assert_eq(bytes.done, whole.done);
		cr_assert_str_eq(body(&bytes), body(&whole));
		res_free(&bytes);
	}
	free(all);
	res_free(&whole);
}

#define OK_JSON "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n"

Test(http_parse, content_length)
{
	struct res r = parse(OK_JSON, false);

	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert_eq(r.status, 200);
	cr_assert(!r.close);
	cr_assert_str_eq(body(&r), "{\"a\":\"bc\"}\n");
	cr_assert_eq(r.used, strlen(OK_JSON));
	res_free(&r);
	same_everywhere(OK_JSON, false);
	/* empty bodies */
	r = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
	cr_assert(r.r == 0 && r.done && r.body.len == 0);
	res_free(&r);
	r = parse("HTTP/1.1 204 No Content\r\n\r\n", false);
	cr_assert(r.r == 0 && r.done && r.status == 204);
	res_free(&r);
	/* the reason phrase is optional, and may be anything printable */
	r = parse("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", false);
	cr_assert(r.r == 0 && r.done && r.status == 200, "%s", r.msg);
	res_free(&r);
}

Test(http_parse, headers_are_case_insensitive_and_trimmed)
{
	static const char *const s = "HTTP/1.1 200 OK\r\ncontent-LENGTH:   3 \t\r\nCONNECTION: Keep-Alive, CLOSE\r\n"
				     "X-Other:\r\n\r\nabc";
	struct res r = parse(s, false);

	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert(r.close, "Connection: close in any case, in a list");
	cr_assert_str_eq(body(&r), "abc");
	res_free(&r);
	r = parse("HTTP/1.1 200 OK\r\nTRANSFER-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false);
	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert_str_eq(body(&r), "abc");
	res_free(&r);
}

#define CHUNKED                                                                                                        \
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Grpc-Status\r\n\r\n"                                \
	"5;name=value;other\r\nhello\r\n"                                                                              \
	"1a \t; ext=\"quoted ; string\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"                                             \
	"0001\r\n\n\r\n"                                                                                               \
	"0;last\r\nGrpc-Status: 0\r\nGrpc-Message: \r\n\r\n"

Test(http_parse, chunked_with_extensions_and_trailers)
{
	struct res r = parse(CHUNKED, false);

	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert_str_eq(body(&r), "helloabcdefghijklmnopqrstuvwxyz\n");
	cr_assert_eq(r.used, strlen(CHUNKED));
	res_free(&r);
}

Test(http_parse, split_at_every_byte_boundary)
{
	same_everywhere(OK_JSON, false);
	same_everywhere(CHUNKED, false);
	same_everywhere("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
	same_everywhere("HTTP/1.0 200 OK\r\n\r\nuntil the end", true);
	/* failures fail the same wherever the bytes are cut */
	same_everywhere("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", false);
	same_everywhere("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", true);
}

Test(http_parse, bytes_after_the_response_are_not_taken)
{
	static const char *const s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
	struct res r = parse(s, false);

	cr_assert_eq(r.r, 0);
	cr_assert(r.done);
	cr_assert_eq(r.used, strlen(s) - strlen("HTTP/1.1 200 OK\r\n"));
	res_free(&r);
}

Test(http_parse, body_until_close)
{
	struct res r = parse("HTTP/1.1 200 OK\r\n\r\nall of it", false);

	cr_assert_eq(r.r, 0);
	cr_assert(!r.done, "no length: the body ends with the connection");
	cr_assert(r.close);
	res_free(&r);
	r = parse("HTTP/1.1 200 OK\r\n\r\nall of it", true);
	cr_assert(r.r == 0 && r.done);
	cr_assert_str_eq(body(&r), "all of it");
	res_free(&r);
	/* HTTP/1.0 closes unless it says keep-alive */
	r = parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false);
	cr_assert(r.r == 0 && r.done && r.close);
	res_free(&r);
	r = parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", false);
	cr_assert(r.r == 0 && r.done && !r.close);
	res_free(&r);
}

Test(http_parse, interim_responses)
{
	struct res r = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
			     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			     false);

	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(body(&r), "ok");
	res_free(&r);
	r = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", false);
	cr_assert_eq(r.r, -EPROTO);
	cr_assert(strstr(r.msg, "101"), "%s", r.msg);
	res_free(&r);
}

Test(http_parse, error_status_comes_with_its_body)
{
	static const char *const s =
		"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
		"{\"error\":\"not found\",\"code\":5,\"message\":\"not found\"}";
	struct res r = parse(s, false);

	cr_assert_eq(r.r, 0, "%s", r.msg);
	cr_assert(r.done);
	cr_assert_eq(r.status, 404);
	cr_assert(strstr(body(&r), "\"code\":5"));
	res_free(&r);
}

struct bad {
	const char *resp;
	int err;
	const char *says; /* in the message */
};

static void check_bad(const struct bad *b, size_t n, bool eof)
{
	for (size_t i = 0; i < n; i++) {
		struct res r = parse(b[i].resp, eof);

		cr_assert_eq(r.r, b[i].err, "#%zu '%s': %d (%s)", i, b[i].resp, r.r, r.msg);
		cr_assert(strstr(r.msg, b[i].says), "#%zu: '%s' does not say '%s'", i, r.msg, b[i].says);
		cr_assert(!r.done);
		res_free(&r);
	}
}

Test(http_parse, malformed_heads)
{
	static const struct bad bad[] = {
		{"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", -EBADMSG, "CRLF"},
		{"HTTP/1.1 200 O\rK\r\n\r\n", -EBADMSG, "CRLF"},
		{"HTTP/2.0 200 OK\r\n\r\n", -EPROTO, "version 2.0"},
		{"HTTX/1.1 200 OK\r\n\r\n", -EBADMSG, "not HTTP/1.x"},
		{"\r\nHTTP/1.1 200 OK\r\n\r\n", -EBADMSG, "not HTTP/1.x"},
		{"HTTP/1.1 20 OK\r\n\r\n", -EBADMSG, "bad status line"},
		{"HTTP/1.1 600 Odd\r\n\r\n", -EBADMSG, "bad status line"},
		{"HTTP/1.1  200 OK\r\n\r\n", -EBADMSG, "bad status line"},
		{"HTTP/1.1 200OK\r\n\r\n", -EBADMSG, "bad status line"},
		{"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", -EBADMSG, "folded"},
		{"HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", -EBADMSG, "NAME: VALUE"},
		{"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", -EBADMSG, "NAME: VALUE"},
		{"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", -EBADMSG, "NAME: VALUE"},
		{"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n", -EBADMSG, "control character"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", -EBADMSG, "not a number"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EBADMSG, "not a number"},
		{"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", -EBADMSG, "empty Content-Length"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", -EMSGSIZE, "overflows"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -EBADMSG, "two different"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG, "both"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -EPROTO, "'gzip' is not supported"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", -EBADMSG, "chunked twice"},
		{"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG, "HTTP/1.0"},
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]), false);
	/* two equal Content-Lengths are one */
	{
		struct res r = parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx", false);

		cr_assert(r.r == 0 && r.done, "%s", r.msg);
		res_free(&r);
	}
}

Test(http_parse, bad_chunks)
{
#define CH "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	static const struct bad bad[] = {
		{CH "zz\r\n", -EBADMSG, "not hexadecimal"},
		{CH "\r\n", -EBADMSG, "not hexadecimal"},
		{CH "-1\r\n", -EBADMSG, "not hexadecimal"},
		{CH "0x5\r\n", -EBADMSG, "bad chunk-size line"},
		{CH "5 x\r\n", -EBADMSG, "bad chunk-size line"},
		{CH "5;a\001\r\n", -EBADMSG, "bad chunk-size line"},
		{CH "10000000000000000\r\n", -EMSGSIZE, "overflows"},
		{CH "ffffffffffffffff\r\n", -EMSGSIZE, "more than"},
		{CH "3\r\nabcd\r\n", -EBADMSG, "longer than its size"},
		{CH "3\r\nabc\n", -EBADMSG, "longer than its size"},
		{CH "0\r\nbad trailer\r\n\r\n", -EBADMSG, "NAME: VALUE"},
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]), false);
#undef CH
}

Test(http_parse, premature_close)
{
	static const struct bad bad[] = {
		{"", -EPROTO, "before a response"},
		{"HTTP/1.1 2", -EPROTO, "status line"},
		{"HTTP/1.1 200 OK\r\nContent-Le", -EPROTO, "headers"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", -EPROTO, "after 3 of 5 bytes"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", -EPROTO, "chunked"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", -EPROTO, "chunked"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", -EPROTO, "chunked"},
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]), true);
}

Test(http_parse, limits)
{
	static const char big_chunked[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n";
	static const char big_length[] = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
	static const char big_eof[] = "HTTP/1.1 200 OK\r\n\r\n123456789";
	struct res r;
	char *s;
	size_t n;

	/* a body of at most 6 bytes */
	r = parse_cuts(big_chunked, strlen(big_chunked), NULL, 0, false, 6);
	cr_assert_eq(r.r, -EMSGSIZE, "%s", r.msg);
	cr_assert_str_eq(body(&r), "abcd", "what came before the limit was delivered");
	res_free(&r);
	r = parse_cuts(big_length, strlen(big_length), NULL, 0, false, 6);
	cr_assert_eq(r.r, -EMSGSIZE, "refused from its Content-Length: %s", r.msg);
	res_free(&r);
	r = parse_cuts(big_eof, strlen(big_eof), NULL, 0, false, 6);
	cr_assert_eq(r.r, -EMSGSIZE, "%s", r.msg);
	res_free(&r);
	r = parse_cuts(big_chunked, strlen(big_chunked), NULL, 0, false, 8);
	cr_assert_eq(r.r, 0, "exactly the limit: %s", r.msg);
	res_free(&r);

	/* one header line too long */
	n = HTTP_MAX_LINE + 64;
	s = malloc(n + 64);
	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nX: ");
	memset(s + n, 'a', HTTP_MAX_LINE);
	strcpy(s + n + HTTP_MAX_LINE, "\r\n\r\n");
	r = parse(s, false);
	cr_assert_eq(r.r, -EMSGSIZE, "%s", r.msg);
	cr_assert(strstr(r.msg, "line longer"), "%s", r.msg);
	res_free(&r);
	free(s);

	/* many header lines: the head as a whole */
	s = malloc(HTTP_MAX_HEAD * 2);
	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\n");
	while (n < HTTP_MAX_HEAD + 100)
		n += (size_t)sprintf(s + n, "X-Filler: %0100d\r\n", 0);
	strcpy(s + n, "\r\n");
	r = parse(s, false);
	cr_assert_eq(r.r, -EMSGSIZE, "%s", r.msg);
	cr_assert(strstr(r.msg, "response head"), "%s", r.msg);
	res_free(&r);
	/* interim responses count toward it too */
	n = 0;
	while (n < HTTP_MAX_HEAD + 100)
		n += (size_t)sprintf(s + n, "HTTP/1.1 100 Continue\r\n\r\n");
	r = parse(s, false);
	cr_assert_eq(r.r, -EMSGSIZE, "%s", r.msg);
	res_free(&r);
	free(s);
}

Test(http_parse, an_error_sticks_and_the_receiver_can_stop)
{
	struct http_parser p;
	struct berr e = BERR_INIT;

	http_parser_init(&p, 100);
	cr_assert_eq(http_parser_feed(&p, "HTTP/9", 6, NULL, NULL, NULL, &e), 0);
	cr_assert_eq(http_parser_feed(&p, ".9 200 OK\r\n", 11, NULL, NULL, NULL, &e), -EPROTO);
	cr_assert(strstr(berr_message(&e), "version 9.9"), "%s", berr_message(&e));
	cr_assert_eq(http_parser_feed(&p, "\r\n", 2, NULL, NULL, NULL, &e), -EPROTO);
	cr_assert_eq(http_parser_eof(&p, &e), -EPROTO);
	cr_assert(!http_parser_done(&p));
}

static int refuse(void *arg, const char *data, size_t len)
{
	return -ENOSPC;
}

Test(http_parse, receiver_refusing)
{
	struct http_parser p;
	struct berr e = BERR_INIT;

	http_parser_init(&p, 100);
	cr_assert_eq(http_parser_feed(&p, OK_JSON, strlen(OK_JSON), NULL, refuse, NULL, &e), -ENOSPC);
	cr_assert(strstr(berr_message(&e), "receiver"), "%s", berr_message(&e));
	cr_assert_eq(http_parser_feed(&p, "x", 1, NULL, NULL, NULL, NULL), -ENOSPC);
}

Test(http_url, parse)
{
	struct http_url u;
	struct berr e = BERR_INIT;

	cr_assert_eq(http_url_parse("http://192.0.2.1:2379/v3/kv/put", &u, &e), 0, "%s", berr_message(&e));
	cr_assert_str_eq(u.host, "192.0.2.1");
	cr_assert_str_eq(u.port, "2379");
	cr_assert_str_eq(u.authority, "192.0.2.1:2379");
	cr_assert_str_eq(u.path, "/v3/kv/put");
	cr_assert_eq(http_url_parse("http://[2001:db8::1]:2379", &u, &e), 0, "%s", berr_message(&e));
	cr_assert_str_eq(u.host, "2001:db8::1");
	cr_assert_str_eq(u.authority, "[2001:db8::1]:2379");
	cr_assert_str_eq(u.path, "/");
	cr_assert_eq(http_url_parse("HTTP://etcd-1.example:80/", &u, &e), 0);
	cr_assert_str_eq(u.host, "etcd-1.example");
	cr_assert_eq(http_url_parse("http://etcd", &u, &e), 0);
	cr_assert_str_eq(u.port, "80");
	cr_assert_str_eq(u.authority, "etcd");
}

Test(http_url, refused)
{
	static const struct {
		const char *url;
		int err;
	} bad[] = {
		{"https://192.0.2.1:2379", -EPROTONOSUPPORT},
		{"ftp://192.0.2.1", -EINVAL},
		{"192.0.2.1:2379", -EINVAL},
		{"http://", -EINVAL},
		{"http://:2379", -EINVAL},
		{"http://h:", -EINVAL},
		{"http://h:0", -EINVAL},
		{"http://h:65536", -EINVAL},
		{"http://h:12a", -EINVAL},
		{"http://h:1234567", -EINVAL},
		{"http://user@h:2379", -EINVAL},
		{"http://[::1:2379", -EINVAL},
		{"http://[::1]x", -EINVAL},
		{"http://h h:1", -EINVAL},
		{"http://h:1/a b", -EINVAL},
		{"http://h:1/a\r\nX: y", -EINVAL},
		{"http://h:1?q", -EINVAL},
	};
	struct http_url u;
	struct berr e = BERR_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(http_url_parse(bad[i].url, &u, &e), bad[i].err, "%s", bad[i].url);
		cr_assert(strstr(berr_message(&e), bad[i].url) || strchr(bad[i].url, '\r'), "%s", berr_message(&e));
	}
	cr_assert(strstr(berr_message(&e), "query"));
	http_url_parse("https://x", &u, &e);
	cr_assert(strstr(berr_message(&e), "TLS"), "%s", berr_message(&e));
}

Test(http_url, etcd_endpoints_are_checked_at_open)
{
	const char *tls[1] = {"https://192.0.2.1:2379"}, *bad[1] = {"http://192.0.2.1:99999"};
	const char *good[2] = {"http://192.0.2.1:2379/", "http://[2001:db8::1]:2379"};
	struct etcd_opts o = {.endpoints = tls, .n_endpoints = 1};
	struct berr e = BERR_INIT;
	struct etcd *c = NULL;

	cr_assert_eq(etcd_open(&o, &c, &e), -EPROTONOSUPPORT);
	cr_assert(strstr(berr_message(&e), "TLS"), "%s", berr_message(&e));
	o.endpoints = bad;
	cr_assert_eq(etcd_open(&o, &c, &e), -EINVAL);
	cr_assert(strstr(berr_message(&e), "etcd endpoint"), "%s", berr_message(&e));
	o.endpoints = good;
	o.n_endpoints = 2;
	cr_assert_eq(etcd_open(&o, &c, &e), 0, "%s", berr_message(&e));
	cr_assert_str_eq(etcd_endpoint(c), "http://192.0.2.1:2379");
	etcd_close(c);
}
