/* runtime/net.h: the hand-off to netd for the container's network namespace. */
/*
 * The hand-off to netd: a container whose bundle asks for networks
 * (annotation berth.network, optionally berth.ip and berth.ports, or
 * berth.networks for several; spec_net.c) gets its new network namespace
 * wired by netd during create, with the same attach request `netctl
 * attach` sends (the namespace fd rides along by SCM_RIGHTS), one per
 * interface; delete sends detach for each network.
 */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "err.h"
#include "runtime/spec.h"

/* Annotation keys the first attach result is recorded under: berth.network.<key of the result>. */
#define RT_NET_ANNOTATION_PREFIX "berth.network."
/* Annotation holding every attach result as a JSON array ({network, ifname, ip, prefix, gateway, mac...}). */
#define RT_NET_ANNOTATION_ATTACHED "berth.networks.attached"

/*
 * Attach the network namespace of pid to every network of spec->nets, in
 * order. The scalars of the first result (address, gateway...) are added
 * to annotations as "berth.network.<key>", every result to
 * RT_NET_ANNOTATION_ATTACHED. On failure the networks already attached are
 * detached again. socket: netd's socket (NULL: default / $BERTH_NETD_SOCKET).
 */
int rt_net_attach(const struct rt_spec *spec, const char *id, pid_t pid, const char *socket, json_t *annotations,
		  struct berr *e);

/* Detach id from network; an endpoint already gone is fine. */
int rt_net_detach(const char *network, const char *id, const char *socket, struct berr *e);

/* Detach id from every network of spec->nets (failures are ignored: used to undo a create). */
void rt_net_detach_spec(const struct rt_spec *spec, const char *id, const char *socket);
