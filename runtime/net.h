/*
 * The hand-off to netd: a container whose bundle asks for a network
 * (annotation berth.network, optionally berth.ip and berth.ports) gets its
 * new network namespace wired by netd during create, with the same attach
 * request `netctl attach` sends (the namespace fd rides along by
 * SCM_RIGHTS); delete sends detach.
 */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "err.h"
#include "runtime/spec.h"

/* Annotation keys the attach result is recorded under: berth.network.<key of the result>. */
#define RT_NET_ANNOTATION_PREFIX "berth.network."

/*
 * Attach the network namespace of pid to spec->network; every scalar of
 * netd's result (address, gateway...) is added to annotations as
 * "berth.network.<key>". socket: netd's socket (NULL: default / $BERTH_NETD_SOCKET).
 */
int rt_net_attach(const struct rt_spec *spec, const char *id, pid_t pid, const char *socket, json_t *annotations,
		  struct berr *e);

/* Detach id from network; an endpoint already gone is fine. */
int rt_net_detach(const char *network, const char *id, const char *socket, struct berr *e);
