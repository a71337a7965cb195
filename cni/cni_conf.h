/*
 * berth-cni: the network configuration read from stdin (a single network
 * config, or one plugin of a conflist as runtimes pass it), validated
 * completely before anything is touched. Malformed JSON is code 6, a bad
 * value code 7, a key or value berth-cni does not support code 2, a version
 * it does not speak code 1; every message names the field.
 */
#pragma once

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cni/cni_env.h"
#include "cni/cni_error.h"
#include "cni/cni_version.h"

#define CNI_NAME_MAX 64
#define CNI_DEFAULT_BRIDGE "cni0"
#define CNI_DEFAULT_STATE_DIR "/var/lib/berth"
/* Upper bounds on lists from outside, so a hostile config cannot make us allocate without limit. */
#define CNI_MAX_PORTS 4096
#define CNI_MAX_ROUTES 256
#define CNI_MAX_ATTACHMENTS 65536
/* Largest stdin accepted (GC passes every valid attachment of the host). */
#define CNI_STDIN_MAX (16u << 20)

struct cni_route {
	bool v6; /* dst6 / gw6 */
	struct bcidr4 dst;
	uint32_t gw; /* 0: none (via the interface / the gateway's default) */
	struct bcidr6 dst6;
	struct in6_addr gw6; /* ::: none */
};

/* The built-in IPAM, from host-local's keys: one range per address family. */
struct cni_ipam {
	bool delegated;	  /* any ipam.type other than absent / "berth-cni" */
	const char *type; /* the delegate's type; NULL when built in */
	bool has_range;	  /* an IPv4 subnet was configured */
	struct bcidr4 subnet;
	uint32_t range_start; /* host byte order, inside subnet */
	uint32_t range_end;
	uint32_t gateway;
	bool has_range6; /* an IPv6 subnet was configured */
	struct bcidr6 subnet6;
	struct in6_addr range6_start, range6_end, gateway6;
	struct cni_route *routes;
	size_t n_routes;
};

struct cni_portmap {
	uint32_t host_ip; /* 0: every host address (unless host_v6) */
	uint16_t host_port;
	uint16_t container_port;
	enum bproto proto;
	bool host_v6; /* hostIP is IPv6: host_ip6 (:: every IPv6 address) */
	struct in6_addr host_ip6;
};

/* An attachment GC keeps; both are required by the spec. */
struct cni_attachment {
	const char *container_id;
	const char *ifname;
};

struct cni_conf {
	json_t *raw;	/* the whole stdin document (owned) */
	char *raw_text; /* stdin byte for byte (owned): what a delegate of the same version gets */
	size_t raw_len;
	enum cni_version version;
	const char *name;
	const char *type;
	char bridge[IF_NAMESIZE];
	bool is_gateway;
	bool is_default_gw;
	bool ip_masq;
	bool hairpin;
	bool promisc;
	unsigned mtu;	/* 0: the engine's default */
	char *data_dir; /* owned: dataDir, else BERTH_STATE_DIR, else /var/lib/berth */
	struct cni_ipam ipam;
	json_t *dns; /* owned, clean copy of "dns" (empty object when absent) */

	/* runtimeConfig / args / CNI_ARGS */
	struct cni_portmap *ports;
	size_t n_ports;
	bool has_ip; /* a specific address was asked for */
	uint32_t ip;
	bool has_ip6; /* the same for IPv6 */
	struct in6_addr ip6;
	bool has_mac;
	uint8_t mac[6];
	/* netd's DNS: the container's name (K8S_POD_NAME) and runtimeConfig.aliases (of this network) */
	char *dns_name; /* owned; NULL: none */
	char **aliases; /* owned */
	size_t n_aliases;

	json_t *prev_result; /* owned, internal shape (cni_result.h); NULL when absent */

	/* GC: cni.dev/valid-attachments plus the older cni.dev/attachments. */
	bool has_valid;
	struct cni_attachment *valid;
	size_t n_valid, valid_cap;
};

/*
 * Parse stdin for env's command. The CNI_ARGS in env are folded in (IP,
 * MAC). On failure *ret is left zeroed, nothing to free.
 */
int cni_conf_parse(const char *buf, size_t len, const struct cni_env *env, struct cni_conf *ret, struct cni_err *ce);
void cni_conf_free(struct cni_conf *c);

/* Only the "cniVersion" of a document (for error replies when the rest is bad); NULL when absent. */
const char *cni_conf_peek_version(const json_t *doc);

/* The built-in IPAM's keys (cni_ipamconf.c); ipam may be NULL (absent). */
int cni_ipam_parse(const json_t *ipam, struct cni_ipam *ret, struct cni_err *ce);
void cni_ipam_free(struct cni_ipam *ipam);
