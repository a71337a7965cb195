/* netd's wire protocol: the names both sides use (docs/netd-protocol.md). */
#pragma once

#define NETD_DEFAULT_SOCKET "/run/berth/netd.sock"
/* Requests are single lines of at most this many bytes. */
#define NETD_MAX_LINE (256 * 1024)
/* Replies are single lines too, but listings grow with the endpoints (~3 KiB each at most). */
#define NETD_MAX_REPLY (64 * 1024 * 1024)

/* Aliases an attach may give (names: bdns_name_valid, lib/addr.h). */
#define NETD_MAX_ALIASES 32

/* The "op" of each request. */
#define NETD_OP_PING "ping"
#define NETD_OP_NETWORK_CREATE "network.create"
#define NETD_OP_NETWORK_RM "network.rm"
#define NETD_OP_NETWORK_LS "network.ls"
#define NETD_OP_NETWORK_INSPECT "network.inspect"
#define NETD_OP_ATTACH "attach"
#define NETD_OP_DETACH "detach"
#define NETD_OP_LS "ls"
#define NETD_OP_INSPECT "inspect"
#define NETD_OP_PORTS "ports"
#define NETD_OP_ROUTES "routes"
#define NETD_OP_CHECK "check"
#define NETD_OP_GC "gc"
#define NETD_OP_STATUS "status"
#define NETD_OP_RECONCILE "reconcile"
#define NETD_OP_TEARDOWN "teardown"
#define NETD_OP_DNS "dns"
/* The fabric across hosts (docs/fabric.md): status, and operations queued for etcd, polled by ticket. */
#define NETD_OP_FABRIC "fabric"
#define NETD_OP_FABRIC_CREATE "fabric.network.create"
#define NETD_OP_FABRIC_RM "fabric.network.rm"
#define NETD_OP_FABRIC_RESULT "fabric.result"
