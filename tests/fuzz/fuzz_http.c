/*
 * The fabric's HTTP/1.1 response parser (netd/fabric/http_parse.c) on what
 * any server could send. The input's first byte picks the body limit and
 * whether the connection closes at the end, the next two how the rest is cut
 * into pieces. Fed whole and fed in pieces, the parser reaches the same
 * outcome (error code, completion, status, bytes taken, and on success the
 * same body), never delivers more than the limit, and stays failed once failed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netd/fabric/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	int r;
	bool done;
	int status;
	size_t used;
	struct bbuf body;
};

static int to_buf(void *arg, const char *d, size_t len)
{
	return bbuf_append(arg, d, len);
}

/* Feed s in pieces of 1..(cut & 63) + 1 bytes (cut 0: whole), then eof when asked. */
static void run(const char *s, size_t len, unsigned cut, bool eof, uint64_t max, struct out *o)
{
	struct http_parser p;
	size_t off = 0;

	http_parser_init(&p, max);
	while (off < len) {
		size_t n = cut ? 1 + (cut + off * 7) % ((cut & 63) + 1) : len;
		size_t used = 0;

		if (n > len - off)
			n = len - off;
		o->r = http_parser_feed(&p, s + off, n, &used, to_buf, &o->body, NULL);
		o->used += used;
		if (used > n)
			__builtin_trap();
		if (o->r < 0 || used < n)
			break;
		off += n;
	}
	if (o->r == 0 && eof && o->used == len)
		o->r = http_parser_eof(&p, NULL);
	o->done = http_parser_done(&p);
	o->status = p.status;
	if (o->body.len > max || (o->r == 0 && !o->done && o->used != len))
		__builtin_trap();
	if (o->r < 0 && (http_parser_feed(&p, "x", 1, NULL, NULL, NULL, NULL) != o->r || http_parser_done(&p)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out whole = {0}, pieces = {0};
	uint64_t max;
	unsigned cut;
	bool eof;

	if (size < 3)
		return 0;
	max = data[0] & 0x80 ? UINT64_MAX : (uint64_t)(data[0] & 0x7e) * 3;
	eof = data[0] & 1;
	cut = (unsigned)data[1] | (unsigned)data[2] << 8;
	if (!cut)
		cut = 1;
	run((const char *)data + 3, size - 3, 0, eof, max, &whole);
	run((const char *)data + 3, size - 3, cut, eof, max, &pieces);
	if (whole.r != pieces.r || whole.done != pieces.done)
		__builtin_trap();
	if (whole.r == 0 &&
	    (whole.used != pieces.used || whole.status != pieces.status || whole.body.len != pieces.body.len ||
	     (whole.body.len && memcmp(whole.body.p, pieces.body.p, whole.body.len) != 0)))
		__builtin_trap();
	bbuf_free(&whole.body);
	bbuf_free(&pieces.body);
	return 0;
}
