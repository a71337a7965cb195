/* netd client: one request, one reply, over netd's Unix socket (docs/netd-protocol.md). */
#pragma once

#include <jansson.h>

#include "err.h"
#include "netd/protocol.h"

/* The socket path: explicit, else $BERTH_NETD_SOCKET, else the default. */
const char *netd_client_socket_path(const char *explicit_path);

/*
 * Connect to netd. -ENOENT / -ECONNREFUSED come with the message "netd is
 * not running (no socket at PATH)".
 */
int netd_client_connect(const char *path, int *ret_fd, struct berr *e);

/*
 * Send req (one line) with pass_fd attached by SCM_RIGHTS (-1: none) and
 * read the reply line. On {"ok":true} *ret_result gets a new reference to
 * "result" (json null when absent). On {"ok":false} the reply's error
 * message and errno become the return value and e.
 */
int netd_client_call(int fd, const json_t *req, int pass_fd, json_t **ret_result, struct berr *e);

/* Connect, call once, close. */
int netd_client_request(const char *path, const json_t *req, int pass_fd, json_t **ret_result, struct berr *e);

/* An attach request as the runtime and stacks send it (docs/netd-protocol.md, op "attach"). */
struct netd_attach_args {
	const char *id;
	const char *network;	    /* NULL: netd's default network */
	const char *ifname;	    /* NULL: eth0 */
	const char *ip;		    /* NULL: allocate; an IPv6 address goes as ip6 */
	const char *ip6;	    /* NULL: allocate (when the network has IPv6) */
	const char *mac;	    /* NULL: derived from the address */
	const char *netns_path;	    /* optional, recorded so netd can find the namespace after a restart */
	const char *const *ports;   /* NULL-terminated port specs ("8080:80/tcp"), or NULL */
	const char *name;	    /* the name netd's DNS answers for it on the network (NULL: none) */
	const char *const *aliases; /* NULL-terminated more names, or NULL */
};

/*
 * Attach the namespace netns_fd (passed with SCM_RIGHTS) and return the
 * endpoint object (ip, prefix, gateway, mac, host_ifname...) in *ret.
 */
int netd_client_attach(const char *socket_path, const struct netd_attach_args *a, int netns_fd, json_t **ret,
		       struct berr *e);

/* Detach every endpoint of id (network NULL: on every network); nothing attached is success. */
int netd_client_detach(const char *socket_path, const char *id, const char *network, struct berr *e);
