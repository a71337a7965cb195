/* netd's protocol client: one request line out, one reply line back, over netd's Unix socket. */
#include "netd/client/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "fdpass.h"
#include "jsonutil.h"

const char *netd_client_socket_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && *explicit_path)
		return explicit_path;
	env = getenv("BERTH_NETD_SOCKET");
	if (env && *env)
		return env;
	return NETD_DEFAULT_SOCKET;
}

int netd_client_connect(const char *path, int *ret_fd, struct berr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_set(e, -ENAMETOOLONG, "netd socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_errno(e, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return berr_set(e, -errno, "netd is not running (no socket at %s)", path);
		return berr_errno(e, "connect to netd at %s", path);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Read netd's reply line (its newline dropped). */
static int read_line(int fd, char **ret_line, struct berr *e)
{
	_cleanup_bbuf_ struct bbuf b = BBUF_INIT;

	for (;;) {
		size_t seen = b.len;
		ssize_t n;
		char *nl;

		n = bbuf_read_once(&b, fd, NETD_MAX_REPLY);
		if (n == -EFBIG)
			return berr_set(e, -EMSGSIZE, "netd reply longer than %d bytes", NETD_MAX_REPLY);
		if (n == -ENOMEM)
			return berr_oom(e);
		if (n < 0)
			return berr_sys(e, (int)n, "read netd reply");
		if (n == 0)
			return berr_set(e, -ECONNRESET, "netd closed the connection without a reply");
		nl = memchr(b.p + seen, '\n', b.len - seen);
		if (nl) {
			*nl = '\0';
			*ret_line = bbuf_steal(&b, NULL);
			return *ret_line ? 0 : berr_oom(e);
		}
	}
}

int netd_client_call(int fd, const json_t *req, int pass_fd, json_t **ret_result, struct berr *e)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *reply = NULL;
	_cleanup_json_ json_t *rep = NULL;
	size_t len;
	json_t *ok, *err, *res;
	int r;

	line = bjson_dump_line(req, &len);
	if (!line)
		return berr_oom(e);
	/* The fd rides on the first chunk; the rest of the line follows as plain writes. */
	r = bfd_send(fd, line, len, pass_fd);
	/* A refused peer finds the connection closed before its request went out: netd's reply says why. */
	if (r < 0 && !((r == -EPIPE || r == -ECONNRESET) && read_line(fd, &reply, NULL) == 0))
		return berr_sys(e, r, "send request to netd");
	if (!reply) {
		r = read_line(fd, &reply, e);
		if (r < 0)
			return r;
	}
	r = bjson_parse(reply, strlen(reply), &rep, e);
	if (r < 0)
		return berr_wrap(e, r, "netd reply");
	ok = json_object_get(rep, "ok");
	if (!json_is_boolean(ok))
		return berr_set(e, -EPROTO, "netd reply without \"ok\"");
	if (json_is_false(ok)) {
		const char *msg = "unknown error";
		json_int_t code = EIO;

		err = json_object_get(rep, "error");
		if (json_is_object(err)) {
			if (json_is_string(json_object_get(err, "message")))
				msg = json_string_value(json_object_get(err, "message"));
			if (json_is_integer(json_object_get(err, "errno")))
				code = json_integer_value(json_object_get(err, "errno"));
		}
		if (code <= 0 || code > 4095)
			code = EIO;
		return berr_set(e, -(int)code, "%s", msg);
	}
	if (ret_result) {
		res = json_object_get(rep, "result");
		*ret_result = res ? json_incref(res) : json_null();
	}
	return 0;
}

int netd_client_request(const char *path, const json_t *req, int pass_fd, json_t **ret_result, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = netd_client_connect(path, &fd, e);
	if (r < 0)
		return r;
	return netd_client_call(fd, req, pass_fd, ret_result, e);
}

int netd_client_attach(const char *socket_path, const struct netd_attach_args *a, int netns_fd, json_t **ret,
		       struct berr *e)
{
	_cleanup_json_ json_t *req = json_object();
	json_t *ports;

	if (!req || bjson_set(req, "op", json_string(NETD_OP_ATTACH)) < 0 ||
	    bjson_set(req, "id", json_string(a->id)) < 0 ||
	    (a->network && bjson_set(req, "network", json_string(a->network)) < 0) ||
	    (a->ifname && bjson_set(req, "ifname", json_string(a->ifname)) < 0) ||
	    (a->ip && bjson_set(req, strchr(a->ip, ':') ? "ip6" : "ip", json_string(a->ip)) < 0) ||
	    (a->ip6 && bjson_set(req, "ip6", json_string(a->ip6)) < 0) ||
	    (a->mac && bjson_set(req, "mac", json_string(a->mac)) < 0) ||
	    (a->netns_path && bjson_set(req, "netns", json_string(a->netns_path)) < 0) ||
	    (a->name && bjson_set(req, "name", json_string(a->name)) < 0))
		return berr_oom(e);
	if (a->aliases && a->aliases[0]) {
		json_t *al = json_array();

		if (!al || bjson_set(req, "aliases", al) < 0)
			return berr_oom(e);
		for (const char *const *p = a->aliases; *p; p++)
			if (json_array_append_new(al, json_string(*p)) < 0)
				return berr_oom(e);
	}
	if (a->ports && a->ports[0]) {
		ports = json_array();
		if (!ports || bjson_set(req, "ports", ports) < 0)
			return berr_oom(e);
		for (const char *const *p = a->ports; *p; p++) {
			if (json_array_append_new(ports, json_string(*p)) < 0)
				return berr_oom(e);
		}
	}
	return netd_client_request(netd_client_socket_path(socket_path), req, netns_fd, ret, e);
}

int netd_client_detach(const char *socket_path, const char *id, const char *network, struct berr *e)
{
	_cleanup_json_ json_t *req = json_object();
	int r;

	if (!req || bjson_set(req, "op", json_string(NETD_OP_DETACH)) < 0 ||
	    bjson_set(req, "id", json_string(id)) < 0 ||
	    (network && bjson_set(req, "network", json_string(network)) < 0))
		return berr_oom(e);
	r = netd_client_request(netd_client_socket_path(socket_path), req, -1, NULL, e);
	if (r == -ENOENT && e && strstr(e->msg, "has no endpoint")) {
		berr_clear(e);
		return 0;
	}
	return r;
}
