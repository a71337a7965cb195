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
/* Annotation naming the resolv.conf the init bind-mounts over /etc/resolv.conf (netd's DNS). */
#define RT_NET_ANNOTATION_RESOLV "berth.resolv_conf"

/*
 * Attach the network namespace of pid to every network of spec->nets, in
 * order. The scalars of the first result (address, gateway...) are added
 * to annotations as "berth.network.<key>", every result to
 * RT_NET_ANNOTATION_ATTACHED. When netd serves DNS on any of them and
 * resolv_path is not NULL, a resolv.conf naming netd's resolvers is written
 * there and named in RT_NET_ANNOTATION_RESOLV. On failure the networks
 * already attached are detached again. socket: netd's socket (NULL:
 * default / $BERTH_NETD_SOCKET).
 */
int rt_net_attach(const struct rt_spec *spec, const char *id, pid_t pid, const char *socket, const char *resolv_path,
		  json_t *annotations, struct berr *e);

/* The text of a resolv.conf for netd's "dns" objects of the attach results (NULL: none has one). */
char *rt_net_resolv_text(const json_t *results);

/* The container's resolv.conf in its state directory. */
#define RT_NET_RESOLV_FILE "resolv.conf"

/*
 * Before the init is spawned, for a container netd wires whose bundle
 * mounts nothing over /etc/resolv.conf: an empty <state_dir>/resolv.conf
 * and a detached read-only mount of it (open_tree) in *ret_fd, which the
 * init inherits; rt_net_attach fills the file in place. -1 otherwise. A
 * detached mount reaches the init even in a user namespace that cannot
 * look into berth's state directory.
 */
int rt_net_resolv_prepare(const struct rt_spec *spec, const char *state_dir, int *ret_fd, struct berr *e);

/*
 * In the init, before pivot_root: when the state's annotations say netd
 * serves DNS (RT_NET_ANNOTATION_RESOLV), move the detached mount tree_fd
 * over /etc/resolv.conf in the root. tree_fd is closed either way.
 */
int rt_net_resolv_mount(int rootfd, int tree_fd, const char *state, struct berr *e);

/* Detach id from network; an endpoint already gone is fine. */
int rt_net_detach(const char *network, const char *id, const char *socket, struct berr *e);

/* Detach id from every network of spec->nets (failures are ignored: used to undo a create). */
void rt_net_detach_spec(const struct rt_spec *spec, const char *id, const char *socket);
