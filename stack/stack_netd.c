/* stack/stack_netd.c: the stack's networks through netd (docs/netd-protocol.md). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client/client.h"
#include "stack/stack_int.h"

int stk_netd_check(const char *socket, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	const char *path = netd_client_socket_path(socket);
	int r;

	r = netd_client_connect(path, &fd, e);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return berr_set(e, r,
				"netd is not running (no socket at %s): start it first (`netd`, or `systemctl start "
				"netd` once installed), or point --netd-socket / $BERTH_NETD_SOCKET at the one running",
				path);
	return r;
}

static json_t *request(const char *op, const char *name)
{
	return json_pack("{s:s,s:s}", "op", op, "name", name);
}

/* One request; *ret_unknown: netd answered ENOENT (told apart from an absent netd, also ENOENT). */
static int call(const char *socket, const json_t *req, json_t **ret, bool *ret_unknown, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	*ret_unknown = false;
	r = netd_client_connect(netd_client_socket_path(socket), &fd, e);
	if (r < 0)
		return r;
	r = netd_client_call(fd, req, -1, ret, e);
	if (r == -ENOENT) {
		*ret_unknown = true;
		berr_clear(e);
		return 0;
	}
	return r;
}

int stk_netd_inspect(const char *socket, const char *name, json_t **ret, struct berr *e)
{
	_cleanup_json_ json_t *req = request("network.inspect", name);
	json_t *res = NULL;
	bool unknown;
	int r;

	if (!req)
		return berr_oom(e);
	r = call(socket, req, &res, &unknown, e);
	if (r < 0)
		return berr_wrap(e, r, "look up network '%s' in netd", name);
	if (unknown)
		return 0;
	*ret = res;
	return 1;
}

static int differs(const char *name, const char *field, const char *have, const char *want, struct berr *e)
{
	return berr_set(e, -EEXIST,
			"network '%s' exists in netd with %s %s, the stack file says %s: remove it first (berth down "
			"of the stack that made it, or netctl network rm %s) or use another name",
			name, field, have, want, name);
}

int stk_netd_same(const struct stack_network *n, const json_t *have, struct berr *e)
{
	char want[BADDR_CIDR6_STRLEN], gw[INET_ADDRSTRLEN], num[16];
	const char *s;

	if (n->subnet.prefix)
		baddr_fmt_cidr4(&n->subnet, want);
	else
		snprintf(want, sizeof(want), "none");
	s = json_string_value(json_object_get(have, "subnet"));
	if (strcmp(s ? s : "none", want) != 0)
		return differs(n->name, "subnet", s ? s : "none", want, e);
	if (n->subnet6.prefix)
		baddr_fmt_cidr6(&n->subnet6, want);
	else
		snprintf(want, sizeof(want), "none");
	s = json_string_value(json_object_get(have, "subnet6"));
	if (strcmp(s ? s : "none", want) != 0)
		return differs(n->name, "subnet6", s ? s : "none", want, e);
	baddr_fmt4(n->gateway ? n->gateway : n->subnet.addr + 1, gw);
	s = json_string_value(json_object_get(have, "gateway"));
	if (n->subnet.prefix && (!s || strcmp(s, gw) != 0))
		return differs(n->name, "gateway", s ? s : "?", gw, e);
	s = json_string_value(json_object_get(have, "bridge"));
	if (n->bridge && (!s || strcmp(s, n->bridge) != 0))
		return differs(n->name, "bridge", s ? s : "?", n->bridge, e);
	if (n->mtu && json_integer_value(json_object_get(have, "mtu")) != n->mtu) {
		snprintf(num, sizeof(num), "%d", n->mtu);
		snprintf(gw, sizeof(gw), "%lld", (long long)json_integer_value(json_object_get(have, "mtu")));
		return differs(n->name, "mtu", gw, num, e);
	}
	if (json_is_true(json_object_get(have, "internal")) != n->internal)
		return differs(n->name, "internal", n->internal ? "false" : "true", n->internal ? "true" : "false", e);
	if (!n->internal && json_is_true(json_object_get(have, "masquerade")) != n->masquerade)
		return differs(n->name, "masquerade", n->masquerade ? "false" : "true",
			       n->masquerade ? "true" : "false", e);
	return 0;
}

int stk_netd_create(const char *socket, const struct stack_network *n, struct berr *e)
{
	_cleanup_json_ json_t *req = request("network.create", n->name);
	char cidr[BADDR_CIDR6_STRLEN], gw[INET_ADDRSTRLEN];
	int r;

	if (!req ||
	    (n->subnet.prefix && bjson_set(req, "subnet", json_string(baddr_fmt_cidr4(&n->subnet, cidr))) < 0) ||
	    (n->subnet6.prefix && bjson_set(req, "subnet6", json_string(baddr_fmt_cidr6(&n->subnet6, cidr))) < 0) ||
	    (n->subnet6.prefix && n->masquerade6 >= 0 &&
	     bjson_set(req, "masquerade6", json_boolean(n->masquerade6)) < 0) ||
	    (n->gateway && bjson_set(req, "gateway", json_string(baddr_fmt4(n->gateway, gw))) < 0) ||
	    (n->bridge && bjson_set(req, "bridge", json_string(n->bridge)) < 0) ||
	    (n->mtu && bjson_set(req, "mtu", json_integer(n->mtu)) < 0) ||
	    bjson_set(req, "masquerade", json_boolean(n->masquerade)) < 0 ||
	    bjson_set(req, "internal", json_boolean(n->internal)) < 0)
		return berr_oom(e);
	r = netd_client_request(netd_client_socket_path(socket), req, -1, NULL, e);
	return r < 0 ? berr_wrap(e, r, "create network '%s'", n->name) : 0;
}

int stk_netd_remove(const char *socket, const char *name, struct berr *e)
{
	_cleanup_json_ json_t *req = request("network.rm", name);
	bool unknown;
	int r;

	if (!req)
		return berr_oom(e);
	r = call(socket, req, NULL, &unknown, e);
	return r < 0 ? berr_wrap(e, r, "remove network '%s'", name) : 0;
}
