/* The etcd JSON-gateway client: requests, replies, base64, and the streaming watch. */
#include "netd/fabric/etcd.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/fabric/http.h"

struct etcd {
	char *endpoints[ETCD_MAX_ENDPOINTS];
	size_t n_endpoints;
	size_t cur; /* the endpoint tried first */
	int timeout_ms;
	struct http_conn conn; /* unary calls: one connection kept alive */
};

/* ------------------------------------------------------------------ base64 */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		*o++ = b64_alphabet[(v >> 18) & 63];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = left > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = left > 2 ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

int etcd_b64_decode(const char *s, char **ret, size_t *ret_len)
{
	size_t n = strlen(s), k = 0;
	_cleanup_free_ char *out = NULL;

	if (n % 4)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		int a = b64_value(s[i]), b = b64_value(s[i + 1]), c = b64_value(s[i + 2]), d = b64_value(s[i + 3]);
		bool last = i + 4 == n;

		if (a < 0 || b < 0)
			return -EINVAL;
		if (c < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '='))
			return -EINVAL;
		if (d < 0 && !(last && s[i + 3] == '='))
			return -EINVAL;
		out[k++] = (char)(a << 2 | b >> 4);
		if (c >= 0)
			out[k++] = (char)((b & 15) << 4 | c >> 2);
		if (c >= 0 && d >= 0)
			out[k++] = (char)((c & 3) << 6 | d);
	}
	out[k] = '\0';
	*ret = TAKE_PTR(out);
	if (ret_len)
		*ret_len = k;
	return 0;
}

int etcd_prefix_end(const char *prefix, char **ret, size_t *ret_len)
{
	size_t n = strlen(prefix);
	char *end = malloc(n + 2);

	if (!end)
		return -ENOMEM;
	memcpy(end, prefix, n + 1);
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0) {
		/* every key: range_end "\0" */
		end[0] = '\0';
		*ret = end;
		*ret_len = 1;
		return 0;
	}
	end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
	end[n] = '\0';
	*ret = end;
	*ret_len = n;
	return 0;
}

/* ------------------------------------------------------------------ handle */

int etcd_open(const struct etcd_opts *o, struct etcd **ret, struct berr *e)
{
	struct etcd *c;
	int r;

	if (o->n_endpoints == 0 || o->n_endpoints > ETCD_MAX_ENDPOINTS)
		return berr_set(e, -EINVAL, "etcd: 1 to %d endpoints, not %zu", ETCD_MAX_ENDPOINTS, o->n_endpoints);
	for (size_t i = 0; i < o->n_endpoints; i++) {
		struct http_url u;

		if (strlen(o->endpoints[i]) > 200)
			return berr_set(e, -EINVAL, "etcd endpoint '%.64s...': longer than 200 bytes", o->endpoints[i]);
		r = http_url_parse(o->endpoints[i], &u, e);
		if (r < 0)
			return berr_wrap(e, r, "etcd endpoint");
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return berr_oom(e);
	c->conn = (struct http_conn)HTTP_CONN_INIT;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	for (size_t i = 0; i < o->n_endpoints; i++) {
		size_t l = strlen(o->endpoints[i]);

		c->endpoints[i] = strdup(o->endpoints[i]);
		if (!c->endpoints[i]) {
			etcd_close(c);
			return berr_oom(e);
		}
		c->n_endpoints++;
		if (l > 7 && c->endpoints[i][l - 1] == '/')
			c->endpoints[i][l - 1] = '\0';
	}
	*ret = c;
	return 0;
}

void etcd_close(struct etcd *c)
{
	if (!c)
		return;
	http_conn_close(&c->conn);
	for (size_t i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	free(c);
}

const char *etcd_endpoint(const struct etcd *c)
{
	return c->endpoints[c->cur];
}

bool etcd_unreachable(int err)
{
	return err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EHOSTUNREACH || err == -ENETUNREACH ||
	       err == -ECONNRESET;
}

/* What failed under a call: etcd out of reach keeps its errno (etcd_unreachable), anything else is -EIO. */
static int http_errno(int err)
{
	if (etcd_unreachable(err) || err == -ENOMEM)
		return err;
	return -EIO;
}

/* The error etcd answered with: {"error":"...","message":"...","code":N}. */
static int reply_error(const char *path, const json_t *j, int status, struct berr *e)
{
	const char *msg = json_string_value(json_object_get(j, "message"));
	json_int_t code = json_integer_value(json_object_get(j, "code"));
	int r = -EIO;

	if (!msg)
		msg = json_string_value(json_object_get(j, "error"));
	if (code == 5 || status == 404)
		r = -ENOENT;
	else if (msg && strstr(msg, "compacted"))
		r = -ECANCELED;
	return berr_set(e, r, "etcd %s: %s (HTTP %d)", path, msg ? msg : "no message", status);
}

/* POST body to path on the first endpoint that answers; *ret gets the reply object. */
static int call(struct etcd *c, const char *path, const json_t *body, json_t **ret, struct berr *e)
{
	_cleanup_free_ char *text = bjson_dump(body);
	struct berr pe = BERR_INIT;
	int r = -EIO;

	if (!text)
		return berr_oom(e);
	for (size_t k = 0; k < c->n_endpoints; k++) {
		size_t i = (c->cur + k) % c->n_endpoints;
		struct http_reply rep = {0};
		struct berr he = BERR_INIT;
		_cleanup_json_ json_t *j = NULL;
		char url[300];
		int status;

		snprintf(url, sizeof(url), "%s%s", c->endpoints[i], path);
		r = http_post(&c->conn, url, text, strlen(text), c->timeout_ms, ETCD_MAX_REPLY, &rep, &he);
		if (r < 0) {
			r = berr_set(&pe, http_errno(r), "etcd %s: %s", url, berr_message(&he));
			continue;
		}
		c->cur = i;
		status = rep.status;
		r = bjson_parse(rep.body.p ? rep.body.p : "", rep.body.len, &j, NULL);
		http_reply_clear(&rep);
		if (r < 0 || !json_is_object(j))
			return berr_set(e, -EIO, "etcd %s: HTTP %d with a reply that is not JSON", url, status);
		if (status != 200 || json_object_get(j, "error"))
			return reply_error(path, j, status, e);
		*ret = TAKE_PTR(j);
		return 0;
	}
	if (e)
		*e = pe;
	return r;
}

/* An int64 field: etcd sends them as strings; absent is 0. */
static int64_t get_i64(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return 0;
}

static json_t *i64_json(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

static int set_b64(json_t *o, const char *key, const void *data, size_t len)
{
	char *s = etcd_b64_encode(data, len);
	int r;

	if (!s)
		return -ENOMEM;
	r = bjson_set(o, key, json_string(s));
	free(s);
	return r;
}

/* {"key": B64} plus, for a prefix, "range_end". */
static json_t *key_json(const char *key, bool prefix)
{
	json_t *o = json_object();

	if (!o || set_b64(o, "key", key, strlen(key)) < 0)
		goto fail;
	if (prefix) {
		char *end;
		size_t len;
		int r;

		if (etcd_prefix_end(key, &end, &len) < 0)
			goto fail;
		r = set_b64(o, "range_end", end, len);
		free(end);
		if (r < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

void etcd_kv_clear(struct etcd_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_kvs_clear(struct etcd_kvs *kvs)
{
	if (!kvs)
		return;
	for (size_t i = 0; i < kvs->n; i++)
		etcd_kv_clear(&kvs->v[i]);
	free(kvs->v);
	memset(kvs, 0, sizeof(*kvs));
}

static int parse_kv(const json_t *j, struct etcd_kv *ret)
{
	const char *k = json_string_value(json_object_get(j, "key"));
	const char *v = json_string_value(json_object_get(j, "value"));
	struct etcd_kv kv = {0};
	int r;

	if (!k)
		return -EIO;
	r = etcd_b64_decode(k, &kv.key, NULL);
	if (r == 0)
		r = etcd_b64_decode(v ? v : "", &kv.value, &kv.value_len);
	if (r < 0) {
		etcd_kv_clear(&kv);
		return r == -ENOMEM ? r : -EIO;
	}
	kv.create_rev = get_i64(j, "create_revision");
	kv.mod_rev = get_i64(j, "mod_revision");
	kv.version = get_i64(j, "version");
	kv.lease = get_i64(j, "lease");
	*ret = kv;
	return 0;
}

/* Append the kvs[] of a range reply to ret. */
static int parse_kvs(const json_t *reply, struct etcd_kvs *ret)
{
	const json_t *arr = json_object_get(reply, "kvs");
	size_t n = json_array_size(arr), i;
	struct etcd_kv *v;
	json_t *x;

	if (!n)
		return 0;
	v = realloc(ret->v, (ret->n + n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret->v = v;
	json_array_foreach (arr, i, x) {
		int r = parse_kv(x, &ret->v[ret->n]);

		if (r < 0)
			return r;
		ret->n++;
	}
	return 0;
}

static int64_t header_rev(const json_t *reply)
{
	return get_i64(json_object_get(reply, "header"), "revision");
}

int etcd_put(struct etcd *c, const char *key, const void *value, size_t len, int64_t lease, int64_t *ret_rev,
	     struct berr *e)
{
	_cleanup_json_ json_t *req = key_json(key, false);
	_cleanup_json_ json_t *rep = NULL;
	int r;

	if (!req || set_b64(req, "value", value, len) < 0 || (lease && bjson_set(req, "lease", i64_json(lease)) < 0))
		return berr_oom(e);
	r = call(c, "/v3/kv/put", req, &rep, e);
	if (r < 0)
		return r;
	if (ret_rev)
		*ret_rev = header_rev(rep);
	return 0;
}

int etcd_range(struct etcd *c, const char *key, bool prefix, struct etcd_kvs *ret, struct berr *e)
{
	_cleanup_json_ json_t *req = key_json(key, prefix);
	_cleanup_json_ json_t *rep = NULL;
	struct etcd_kvs kvs = {0};
	int r;

	if (!req)
		return berr_oom(e);
	r = call(c, "/v3/kv/range", req, &rep, e);
	if (r < 0)
		return r;
	r = parse_kvs(rep, &kvs);
	if (r < 0) {
		etcd_kvs_clear(&kvs);
		return berr_set(e, r, "etcd range %s: %s", key, r == -ENOMEM ? "out of memory" : "bad reply");
	}
	kvs.rev = header_rev(rep);
	*ret = kvs;
	return 0;
}

int etcd_delete(struct etcd *c, const char *key, bool prefix, int64_t *ret_deleted, struct berr *e)
{
	_cleanup_json_ json_t *req = key_json(key, prefix);
	_cleanup_json_ json_t *rep = NULL;
	int r;

	if (!req)
		return berr_oom(e);
	r = call(c, "/v3/kv/deleterange", req, &rep, e);
	if (r < 0)
		return r;
	if (ret_deleted)
		*ret_deleted = get_i64(rep, "deleted");
	return 0;
}

static json_t *op_json(const struct etcd_op *op)
{
	static const char *const names[] = {"request_put", "request_delete_range", "request_range"};
	json_t *inner = key_json(op->key, op->type != ETCD_OP_PUT && op->prefix);
	json_t *o = json_object();

	if (!inner || !o)
		goto fail;
	if (op->type == ETCD_OP_PUT) {
		if (set_b64(inner, "value", op->value ? op->value : "", op->value_len) < 0 ||
		    (op->lease && bjson_set(inner, "lease", i64_json(op->lease)) < 0))
			goto fail;
	}
	if (bjson_set(o, names[op->type], inner) < 0) {
		inner = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(inner);
	json_decref(o);
	return NULL;
}

static json_t *cmp_json(const struct etcd_cmp *cmp)
{
	static const char *const targets[] = {"CREATE", "MOD", "VERSION", "VALUE", "LEASE"};
	static const char *const fields[] = {"create_revision", "mod_revision", "version", "value", "lease"};
	static const char *const results[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
	json_t *o = key_json(cmp->key, false);

	if (!o || bjson_set(o, "target", json_string(targets[cmp->target])) < 0 ||
	    bjson_set(o, "result", json_string(results[cmp->result])) < 0)
		goto fail;
	if (cmp->target == ETCD_CMP_VALUE) {
		if (set_b64(o, "value", cmp->value ? cmp->value : "", cmp->value ? strlen(cmp->value) : 0) < 0)
			goto fail;
	} else if (bjson_set(o, fields[cmp->target], i64_json(cmp->num)) < 0) {
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int ops_json(json_t *req, const char *key, const struct etcd_op *ops, size_t n)
{
	json_t *arr = json_array();

	if (!arr || bjson_set(req, key, arr) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, op_json(&ops[i])) < 0)
			return -ENOMEM;
	return 0;
}

int etcd_txn(struct etcd *c, const struct etcd_cmp *cmp, size_t n_cmp, const struct etcd_op *success, size_t n_success,
	     const struct etcd_op *failure, size_t n_failure, bool *ret_succeeded, struct etcd_kvs *ret_kvs,
	     struct berr *e)
{
	_cleanup_json_ json_t *req = json_object();
	_cleanup_json_ json_t *rep = NULL;
	struct etcd_kvs kvs = {0};
	json_t *arr = json_array(), *x;
	size_t i;
	int r;

	if (!req || !arr || bjson_set(req, "compare", arr) < 0)
		return berr_oom(e);
	for (i = 0; i < n_cmp; i++)
		if (json_array_append_new(arr, cmp_json(&cmp[i])) < 0)
			return berr_oom(e);
	if (ops_json(req, "success", success, n_success) < 0 || ops_json(req, "failure", failure, n_failure) < 0)
		return berr_oom(e);
	r = call(c, "/v3/kv/txn", req, &rep, e);
	if (r < 0)
		return r;
	*ret_succeeded = json_is_true(json_object_get(rep, "succeeded"));
	if (!ret_kvs)
		return 0;
	json_array_foreach (json_object_get(rep, "responses"), i, x) {
		r = parse_kvs(json_object_get(x, "response_range"), &kvs);
		if (r < 0) {
			etcd_kvs_clear(&kvs);
			return berr_set(e, r, "etcd txn: %s", r == -ENOMEM ? "out of memory" : "bad reply");
		}
	}
	kvs.rev = header_rev(rep);
	*ret_kvs = kvs;
	return 0;
}

static json_t *lease_req(int64_t id)
{
	json_t *o = json_object();

	if (o && bjson_set(o, "ID", i64_json(id)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int etcd_lease_grant(struct etcd *c, int64_t ttl, int64_t id, int64_t *ret_id, struct berr *e)
{
	_cleanup_json_ json_t *req = lease_req(id);
	_cleanup_json_ json_t *rep = NULL;
	int64_t got;
	int r;

	if (!req || bjson_set(req, "TTL", i64_json(ttl)) < 0)
		return berr_oom(e);
	r = call(c, "/v3/lease/grant", req, &rep, e);
	if (r < 0)
		return r;
	got = get_i64(rep, "ID");
	if (!got)
		return berr_set(e, -EIO, "etcd lease grant: %s",
				json_string_value(json_object_get(rep, "error")) ?: "no lease in the reply");
	*ret_id = got;
	return 0;
}

/* POST {"ID": id} to path. */
static int lease_call(struct etcd *c, const char *path, int64_t id, json_t **ret, struct berr *e)
{
	_cleanup_json_ json_t *req = lease_req(id);

	if (!req)
		return berr_oom(e);
	return call(c, path, req, ret, e);
}

int etcd_lease_keepalive(struct etcd *c, int64_t id, int64_t *ret_ttl, struct berr *e)
{
	_cleanup_json_ json_t *rep = NULL;
	int64_t ttl;
	int r;

	r = lease_call(c, "/v3/lease/keepalive", id, &rep, e);
	if (r < 0)
		return r;
	/* a lease that is gone answers with no TTL */
	ttl = get_i64(json_object_get(rep, "result"), "TTL");
	if (ttl <= 0)
		return berr_set(e, -ENOENT, "etcd lease %" PRIx64 " expired", (uint64_t)id);
	if (ret_ttl)
		*ret_ttl = ttl;
	return 0;
}

int etcd_lease_ttl(struct etcd *c, int64_t id, int64_t *ret_ttl, struct berr *e)
{
	_cleanup_json_ json_t *rep = NULL;
	int64_t ttl;
	int r;

	r = lease_call(c, "/v3/lease/timetolive", id, &rep, e);
	if (r < 0)
		return r;
	ttl = get_i64(rep, "TTL");
	if (ttl < 0 || !json_object_get(rep, "TTL"))
		return berr_set(e, -ENOENT, "etcd lease %" PRIx64 " expired", (uint64_t)id);
	*ret_ttl = ttl;
	return 0;
}

int etcd_lease_revoke(struct etcd *c, int64_t id, struct berr *e)
{
	_cleanup_json_ json_t *rep = NULL;
	int r;

	r = lease_call(c, "/v3/lease/revoke", id, &rep, e);
	if (r == -ENOENT) {
		berr_clear(e);
		return 0;
	}
	return r;
}

int etcd_compact(struct etcd *c, int64_t rev, struct berr *e)
{
	_cleanup_json_ json_t *req = json_object();
	_cleanup_json_ json_t *rep = NULL;

	if (!req || bjson_set(req, "revision", i64_json(rev)) < 0 || bjson_set(req, "physical", json_true()) < 0)
		return berr_oom(e);
	return call(c, "/v3/kv/compaction", req, &rep, e);
}

/* ------------------------------------------------------------------ watch */

struct etcd_watch {
	struct http_stream *s;
	char url[300];
	struct bbuf in; /* bytes received, not yet a whole line */
	bool created, done, overflow;
	int64_t rev, compact_rev;
};

static int watch_body(void *arg, const char *data, size_t n)
{
	struct etcd_watch *w = arg;

	/* one response is a line; a runaway line is a broken stream */
	if (w->in.len + n > ETCD_MAX_REPLY) {
		w->overflow = true;
		return -EMSGSIZE;
	}
	return bbuf_append(&w->in, data, n);
}

int etcd_watch_open(struct etcd *c, const char *prefix, int64_t start_rev, struct etcd_watch **ret, struct berr *e)
{
	_cleanup_json_ json_t *req = json_object();
	_cleanup_free_ char *body = NULL;
	json_t *cr = key_json(prefix, true);
	struct etcd_watch *w;
	int r;

	if (!req || !cr || bjson_set(req, "create_request", cr) < 0 ||
	    (start_rev > 0 && bjson_set(cr, "start_revision", i64_json(start_rev)) < 0) ||
	    bjson_set(cr, "prev_kv", json_true()) < 0 || bjson_set(cr, "progress_notify", json_true()) < 0)
		return berr_oom(e);
	body = bjson_dump(req);
	w = calloc(1, sizeof(*w));
	if (!body || !w) {
		free(w);
		return berr_oom(e);
	}
	/* the endpoint that answered last; when it is down the stream breaks and the owner re-lists */
	snprintf(w->url, sizeof(w->url), "%s/v3/watch", etcd_endpoint(c));
	r = http_stream_open(w->url, body, strlen(body), 1000, &w->s, e);
	if (r < 0) {
		etcd_watch_close(w);
		return berr_wrap(e, r, "etcd watch");
	}
	*ret = w;
	return 0;
}

void etcd_watch_close(struct etcd_watch *w)
{
	if (!w)
		return;
	http_stream_close(w->s);
	bbuf_free(&w->in);
	free(w);
}

bool etcd_watch_created(const struct etcd_watch *w)
{
	return w->created;
}

int64_t etcd_watch_rev(const struct etcd_watch *w)
{
	return w->rev;
}

int64_t etcd_watch_compact_rev(const struct etcd_watch *w)
{
	return w->compact_rev;
}

static void event_clear(struct etcd_event *ev)
{
	etcd_kv_clear(&ev->kv);
	etcd_kv_clear(&ev->prev);
}

/* One response line: {"result":{header, created?, canceled?, compact_revision?, events[]}} or {"error":...}. */
static int watch_line(struct etcd_watch *w, const char *line, size_t len, etcd_watch_fn fn, void *arg, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *res, *events, *x;
	int64_t rev;
	size_t i;

	if (bjson_parse(line, len, &j, NULL) < 0)
		return berr_set(e, -EPIPE, "etcd watch: a response that is not JSON");
	res = json_object_get(j, "result");
	if (!res) {
		const json_t *err = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(err, "message"));

		return berr_set(e, -EPIPE, "etcd watch: %s", msg ? msg : "error");
	}
	rev = header_rev(res);
	if (json_is_true(json_object_get(res, "created")))
		w->created = true;
	if (json_is_true(json_object_get(res, "canceled"))) {
		const char *why = json_string_value(json_object_get(res, "cancel_reason"));

		w->compact_rev = get_i64(res, "compact_revision");
		w->done = true;
		if (w->compact_rev > 0)
			return berr_set(e, -ECANCELED, "etcd watch: revision compacted (now from %" PRId64 ")",
					w->compact_rev);
		return berr_set(e, -ECANCELED, "etcd watch cancelled: %s", why ? why : "no reason given");
	}
	events = json_object_get(res, "events");
	json_array_foreach (events, i, x) {
		struct etcd_event ev = {0};
		const char *type = json_string_value(json_object_get(x, "type"));
		json_t *prev = json_object_get(x, "prev_kv");
		int r;

		ev.deleted = type && strcmp(type, "DELETE") == 0;
		r = parse_kv(json_object_get(x, "kv"), &ev.kv);
		if (r == 0 && prev)
			r = parse_kv(prev, &ev.prev);
		if (r < 0) {
			event_clear(&ev);
			return berr_set(e, r == -ENOMEM ? r : -EPIPE, "etcd watch: a bad event");
		}
		r = fn ? fn(arg, &ev, rev ? rev : ev.kv.mod_rev) : 0;
		event_clear(&ev);
		if (r < 0)
			return r;
	}
	if (rev > w->rev)
		w->rev = rev;
	return 0;
}

int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, int wake_fd, etcd_watch_fn fn, void *arg, struct berr *e)
{
	struct berr se = BERR_INIT;
	int r = 0, sr;
	char *nl;

	if (w->done)
		return berr_set(e, -EPIPE, "etcd watch: already ended");
	sr = http_stream_poll(w->s, timeout_ms, wake_fd, watch_body, w, &se);
	/* whole lines only; a partial one waits for the rest */
	while (r == 0 && w->in.len && (nl = memchr(w->in.p, '\n', w->in.len))) {
		size_t len = (size_t)(nl - w->in.p);

		r = watch_line(w, w->in.p, len, fn, arg, e);
		memmove(w->in.p, nl + 1, w->in.len - len - 1);
		w->in.len -= len + 1;
		w->in.p[w->in.len] = '\0';
	}
	if (r < 0) {
		w->done = true;
		return r;
	}
	if (sr == 0)
		return 0;
	w->done = true;
	if (w->overflow)
		return berr_set(e, -EPIPE, "etcd watch %s: a response longer than %d bytes", w->url, ETCD_MAX_REPLY);
	if (sr < 0)
		return berr_set(e, -EPIPE, "etcd watch %s: %s", w->url, berr_message(&se));
	return berr_set(e, -EPIPE, "etcd watch %s: the stream ended (HTTP %d)", w->url, http_stream_status(w->s));
}
