/* The fabric's HTTP client against a small scripted server on the test namespace's loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "netd/fabric/http.h"
#include "tst.h"

TestSuite(http_client, .init = tst_isolate, .fini = tst_teardown, .timeout = 60);

enum mode {
	M_KEEP,		 /* answer every request, keep the connection */
	M_CLOSE_SECOND,	 /* answer the first request of a connection, close at the second without a word */
	M_CLOSE_AT_ONCE, /* read the request, close without a word */
	M_HEADER_CLOSE,	 /* answer with Connection: close, and close */
	M_IDLE_CLOSE,	 /* answer, then close the idle connection a moment later */
	M_SILENT,	 /* read the request, never answer */
	M_404,		 /* an error status with its JSON body */
	M_STREAM,	 /* a chunked body in pieces over time, then its end */
	M_STREAM_CUT,	 /* a chunked body cut in the middle of a chunk */
};

struct srv {
	int lfd;
	char url[64];
	enum mode mode;
	pthread_t th;
	atomic_int conns, reqs;
	char first_req[1024]; /* written before reqs becomes 1 */
};

static void send_str(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Read one request (head and Content-Length body): its length, 0 at end of file. */
static size_t read_request(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char *end = NULL;

	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		const char *cl;

		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "Content-Length: ");
		if (!cl || len >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10))
			return len;
	}
	return len;
}

static void answer(struct srv *s, int fd, int n)
{
	char resp[256], body[64];

	snprintf(body, sizeof(body), "{\"n\":%d}", n);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s",
		 s->mode == M_HEADER_CLOSE ? "Connection: close\r\n" : "", strlen(body), body);
	send_str(fd, resp);
}

static void stream(struct srv *s, int fd)
{
	send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
	send_str(fd, "8\r\n{\"a\":1}\n\r\n");
	usleep(100000);
	/* a line across two chunks, with an extension */
	send_str(fd, "4;x=y\r\n{\"b\"\r\n");
	usleep(100000);
	if (s->mode == M_STREAM_CUT) {
		send_str(fd, "10\r\n:2}\n");
		return;
	}
	send_str(fd, "4\r\n:2}\n\r\n");
	usleep(100000);
	send_str(fd, "0\r\n\r\n");
}

static void *serve(void *arg)
{
	struct srv *s = arg;
	char buf[4096];
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		int on_conn = 0;

		atomic_fetch_add(&s->conns, 1);
		while (read_request(fd, buf, sizeof(buf)) > 0) {
			int n = atomic_load(&s->reqs) + 1;

			if (n == 1)
				snprintf(s->first_req, sizeof(s->first_req), "%s", buf);
			atomic_store(&s->reqs, n);
			on_conn++;
			if (s->mode == M_CLOSE_AT_ONCE || (s->mode == M_CLOSE_SECOND && on_conn == 2))
				break;
			if (s->mode == M_SILENT)
				continue;
			if (s->mode == M_404) {
				send_str(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\n\r\n"
					     "{\"code\":5,\"message\":\"gone\"}");
				continue;
			}
			if (s->mode == M_STREAM || s->mode == M_STREAM_CUT) {
				stream(s, fd);
				break;
			}
			answer(s, fd, n);
			if (s->mode == M_HEADER_CLOSE)
				break;
			if (s->mode == M_IDLE_CLOSE) {
				usleep(50000);
				break;
			}
		}
		close(fd);
	}
	return NULL;
}

static struct srv *srv_start(enum mode mode)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	s->mode = mode;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s->lfd >= 0);
	cr_assert(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(s->lfd, 8) == 0);
	cr_assert(getsockname(s->lfd, (struct sockaddr *)&a, &len) == 0);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	cr_assert(pthread_create(&s->th, NULL, serve, s) == 0);
	return s;
}

static void srv_stop(struct srv *s)
{
	/* wakes accept() on Linux */
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	free(s);
}

/* 192.0.2.2 on a link where nobody answers its ARP: a SYN to it is never answered. */
static void black_hole(void)
{
	tst_sh_ok(NULL, "ip link add hd0 type veth peer name hd1 && ip addr add 192.0.2.1/24 dev hd0 && "
			"ip link set hd0 up && ip link set hd1 up");
}

static int post(struct http_conn *c, const struct srv *s, const char *path, int timeout_ms, struct http_reply *rep,
		struct berr *e)
{
	char url[128];

	snprintf(url, sizeof(url), "%s%s", s->url, path);
	return http_post(c, url, "{\"k\":\"v\"}", 9, timeout_ms, 1024, rep, e);
}

Test(http_client, keep_alive_reuses_one_connection)
{
	struct srv *s = srv_start(M_KEEP);
	struct http_conn c = HTTP_CONN_INIT;
	struct berr e = BERR_INIT;

	for (int i = 1; i <= 3; i++) {
		struct http_reply rep = {0};
		char want[16];

		cr_assert_eq(post(&c, s, "/v3/kv/put", 2000, &rep, &e), 0, "%s", berr_message(&e));
		cr_assert_eq(rep.status, 200);
		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		cr_assert_str_eq(rep.body.p, want);
		http_reply_clear(&rep);
	}
	cr_assert_eq(atomic_load(&s->conns), 1, "three requests on one connection");
	cr_assert_eq(atomic_load(&s->reqs), 3);
	cr_assert(strncmp(s->first_req, "POST /v3/kv/put HTTP/1.1\r\n", 26) == 0, "%s", s->first_req);
	cr_assert(strstr(s->first_req, "\r\nHost: 127.0.0.1:"));
	cr_assert(strstr(s->first_req, "\r\nContent-Type: application/json\r\n"));
	cr_assert(strstr(s->first_req, "\r\nContent-Length: 9\r\n\r\n{\"k\":\"v\"}"));
	http_conn_close(&c);
	srv_stop(s);
}

Test(http_client, a_closed_idle_connection_is_retried_once_afresh)
{
	struct srv *s = srv_start(M_CLOSE_SECOND);
	struct http_conn c = HTTP_CONN_INIT;
	struct http_reply rep = {0};
	struct berr e = BERR_INIT;

	cr_assert_eq(post(&c, s, "/a", 2000, &rep, &e), 0, "%s", berr_message(&e));
	http_reply_clear(&rep);
	/* sent on the kept connection, which the server closes: sent again on a new one */
	cr_assert_eq(post(&c, s, "/b", 2000, &rep, &e), 0, "%s", berr_message(&e));
	cr_assert_str_eq(rep.body.p, "{\"n\":3}");
	http_reply_clear(&rep);
	cr_assert_eq(atomic_load(&s->conns), 2);
	cr_assert_eq(atomic_load(&s->reqs), 3);
	http_conn_close(&c);
	srv_stop(s);
}

Test(http_client, a_fresh_connection_closed_without_answer_is_not_retried)
{
	struct srv *s = srv_start(M_CLOSE_AT_ONCE);
	struct http_conn c = HTTP_CONN_INIT;
	struct http_reply rep = {0};
	struct berr e = BERR_INIT;
	int r = post(&c, s, "/a", 2000, &rep, &e);

	cr_assert_eq(r, -ECONNRESET, "%d %s", r, berr_message(&e));
	cr_assert(strstr(berr_message(&e), "closed before a response"), "%s", berr_message(&e));
	cr_assert_eq(atomic_load(&s->reqs), 1);
	cr_assert_eq(c.fd, -1);
	srv_stop(s);
}

Test(http_client, connection_close_and_idle_close)
{
	enum mode modes[] = {M_HEADER_CLOSE, M_IDLE_CLOSE};

	for (size_t m = 0; m < 2; m++) {
		struct srv *s = srv_start(modes[m]);
		struct http_conn c = HTTP_CONN_INIT;
		struct berr e = BERR_INIT;

		for (int i = 0; i < 3; i++) {
			struct http_reply rep = {0};

			cr_assert_eq(post(&c, s, "/a", 2000, &rep, &e), 0, "%s", berr_message(&e));
			http_reply_clear(&rep);
			if (modes[m] == M_HEADER_CLOSE)
				cr_assert_eq(c.fd, -1, "Connection: close is honoured");
			else
				usleep(200000);
		}
		cr_assert_eq(atomic_load(&s->conns), 3);
		cr_assert_eq(atomic_load(&s->reqs), 3, "no request sent twice");
		http_conn_close(&c);
		srv_stop(s);
	}
}

Test(http_client, error_status_with_body)
{
	struct srv *s = srv_start(M_404);
	struct http_conn c = HTTP_CONN_INIT;
	struct http_reply rep = {0};
	struct berr e = BERR_INIT;

	cr_assert_eq(post(&c, s, "/a", 2000, &rep, &e), 0, "%s", berr_message(&e));
	cr_assert_eq(rep.status, 404);
	cr_assert_str_eq(rep.body.p, "{\"code\":5,\"message\":\"gone\"}");
	http_reply_clear(&rep);
	cr_assert(c.fd >= 0, "kept alive after an error status");
	http_conn_close(&c);
	srv_stop(s);
}

Test(http_client, timeouts)
{
	struct srv *s = srv_start(M_SILENT);
	struct http_conn c = HTTP_CONN_INIT;
	struct http_reply rep = {0};
	struct berr e = BERR_INIT;
	long long t0 = bclock_now_ms();
	int r = post(&c, s, "/a", 300, &rep, &e);

	cr_assert_eq(r, -ETIMEDOUT, "%d %s", r, berr_message(&e));
	cr_assert(bclock_now_ms() - t0 >= 290 && bclock_now_ms() - t0 < 2000);
	cr_assert_eq(c.fd, -1);
	srv_stop(s);

	/* connecting to an address that never answers: within 1 s, or the deadline when sooner */
	black_hole();
	t0 = bclock_now_ms();
	r = http_post(&c, "http://192.0.2.2:2379/v3/kv/put", "{}", 2, 3000, 1024, &rep, &e);
	cr_assert_eq(r, -ETIMEDOUT, "%d %s", r, berr_message(&e));
	cr_assert(bclock_now_ms() - t0 >= 990 && bclock_now_ms() - t0 < 2000, "%lld ms", bclock_now_ms() - t0);
	t0 = bclock_now_ms();
	r = http_post(&c, "http://192.0.2.2:2379/v3/kv/put", "{}", 2, 200, 1024, &rep, &e);
	cr_assert_eq(r, -ETIMEDOUT, "%d %s", r, berr_message(&e));
	cr_assert(bclock_now_ms() - t0 < 900, "%lld ms", bclock_now_ms() - t0);
}

Test(http_client, unreachable_and_refused_urls)
{
	struct http_conn c = HTTP_CONN_INIT;
	struct http_reply rep = {0};
	struct berr e = BERR_INIT;
	int r;

	/* nothing listens on port 1 of the namespace's loopback */
	r = http_post(&c, "http://127.0.0.1:1/x", "{}", 2, 1000, 1024, &rep, &e);
	cr_assert_eq(r, -ECONNREFUSED, "%d %s", r, berr_message(&e));
	r = http_post(&c, "http://[::1]:1/x", "{}", 2, 1000, 1024, &rep, &e);
	cr_assert_eq(r, -ECONNREFUSED, "%d %s", r, berr_message(&e));
	r = http_post(&c, "https://127.0.0.1:1/x", "{}", 2, 1000, 1024, &rep, &e);
	cr_assert_eq(r, -EPROTONOSUPPORT, "%d %s", r, berr_message(&e));
	r = http_post(&c, "http://no-such-host.invalid:2379/x", "{}", 2, 1000, 1024, &rep, &e);
	cr_assert_eq(r, -EHOSTUNREACH, "%d %s", r, berr_message(&e));
}

struct got {
	struct bbuf b;
};

static int got_body(void *arg, const char *data, size_t len)
{
	return bbuf_append(&((struct got *)arg)->b, data, len);
}

/* Poll until the stream ends or fails (or 5 s); its last result. */
static int stream_run(struct http_stream *st, struct got *g, struct berr *e)
{
	long long end = bclock_now_ms() + 5000;
	int r = 0;

	while (r == 0 && bclock_now_ms() < end)
		r = http_stream_poll(st, 100, -1, got_body, g, e);
	return r;
}

Test(http_client, streaming_chunked_body)
{
	struct srv *s = srv_start(M_STREAM);
	struct http_stream *st;
	struct got g = {BBUF_INIT};
	struct berr e = BERR_INIT;
	char url[128];
	int p[2], r;
	long long t0;

	snprintf(url, sizeof(url), "%s/v3/watch", s->url);
	cr_assert_eq(http_stream_open(url, "{\"create_request\":{}}", 21, 1000, &st, &e), 0, "%s", berr_message(&e));
	cr_assert_eq(http_stream_status(st), 0);
	/* a readable wake fd ends a wait early */
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	cr_assert(write(p[1], "x", 1) == 1);
	t0 = bclock_now_ms();
	for (int i = 0; i < 5; i++)
		cr_assert_eq(http_stream_poll(st, 3000, p[0], got_body, &g, &e), 0, "%s", berr_message(&e));
	cr_assert(bclock_now_ms() - t0 < 1000);
	close(p[0]);
	close(p[1]);
	r = stream_run(st, &g, &e);
	cr_assert_eq(r, HTTP_STREAM_END, "%d %s", r, berr_message(&e));
	cr_assert_eq(http_stream_status(st), 200);
	cr_assert_str_eq(g.b.p, "{\"a\":1}\n{\"b\":2}\n");
	cr_assert_eq(http_stream_poll(st, 0, -1, got_body, &g, &e), HTTP_STREAM_END, "it stays ended");
	cr_assert(strstr(s->first_req, "POST /v3/watch HTTP/1.1\r\n"));
	http_stream_close(st);
	bbuf_free(&g.b);
	srv_stop(s);
}

Test(http_client, streaming_failures)
{
	struct srv *s = srv_start(M_STREAM_CUT);
	struct http_stream *st;
	struct got g = {BBUF_INIT};
	struct berr e = BERR_INIT;
	char url[128];
	long long t0;
	int r;

	snprintf(url, sizeof(url), "%s/v3/watch", s->url);
	cr_assert_eq(http_stream_open(url, "{}", 2, 1000, &st, &e), 0);
	r = stream_run(st, &g, &e);
	cr_assert_eq(r, -ECONNRESET, "%d %s", r, berr_message(&e));
	cr_assert(strstr(berr_message(&e), "chunked"), "%s", berr_message(&e));
	cr_assert_str_eq(g.b.p, "{\"a\":1}\n{\"b\":2}\n", "what came before the cut was delivered");
	cr_assert_eq(http_stream_poll(st, 0, -1, got_body, &g, &e), -ECONNRESET, "it stays failed");
	http_stream_close(st);
	bbuf_free(&g.b);
	srv_stop(s);

	/* refused: from a poll, not from the open */
	cr_assert_eq(http_stream_open("http://127.0.0.1:1/v3/watch", "{}", 2, 1000, &st, &e), 0);
	r = stream_run(st, &g, &e);
	cr_assert_eq(r, -ECONNREFUSED, "%d %s", r, berr_message(&e));
	http_stream_close(st);

	/* an address that never answers: the connect timeout */
	black_hole();
	cr_assert_eq(http_stream_open("http://192.0.2.2:2379/v3/watch", "{}", 2, 300, &st, &e), 0);
	t0 = bclock_now_ms();
	r = stream_run(st, &g, &e);
	cr_assert_eq(r, -ETIMEDOUT, "%d %s", r, berr_message(&e));
	cr_assert(bclock_now_ms() - t0 < 1000, "%lld ms", bclock_now_ms() - t0);
	http_stream_close(st);
	bbuf_free(&g.b);
}
