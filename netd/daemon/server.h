/* netd's socket server: request lines in, replies out, on one Unix socket. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/*
 * One thread, one epoll loop, nonblocking clients with their own input and
 * output buffers, so a slow or stuck client never holds up the others.
 * Requests are lines; a line longer than max_line gets an error reply and
 * the connection is closed. Peers other than root (SO_PEERCRED) are
 * refused. A namespace fd sent with SCM_RIGHTS belongs to the line it
 * arrived with.
 */
struct srv_opts {
	const char *path;      /* socket path; created mode 0600 */
	size_t max_line;       /* bytes, newline excluded */
	unsigned max_clients;  /* connections beyond wait in the backlog (see make_room) */
	int client_timeout_ms; /* a client that sends nothing for this long is dropped */
	int signal_fd;	       /* signalfd: SIGTERM / SIGINT stop the loop (-1: none) */
};

/* Handle one request line; fd is the passed fd (-1: none), borrowed. Returns the reply (owned by the server). */
typedef json_t *(*srv_handler_fn)(void *arg, const char *line, size_t len, int fd);

struct srv;

int srv_open(const struct srv_opts *o, srv_handler_fn fn, void *arg, struct srv **ret, struct berr *e);
/* Serve until a stop signal; returns 0 or a negative errno of the loop itself. */
int srv_run(struct srv *s, struct berr *e);
/* Close every connection and the listening socket, and remove the socket file. */
void srv_close(struct srv *s);
