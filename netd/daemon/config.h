/* netd's configuration: defaults, file, and the struct main runs on. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netd/engine/engine.h"
#include "netd/fabric/fabric.h"

/*
 * The file: default /etc/berth/netd.json; config/netd.json in the tree
 * documents every key. Keys starting with "//" are comments. Without a file
 * netd runs on built-in defaults equal to config/netd.json.
 */
#define CFG_DEFAULT_PATH "/etc/berth/netd.json"
#define CFG_DEFAULT_RUN_DIR "/run/berth"
#define CFG_DEFAULT_RESOLV_CONF "/etc/resolv.conf"

/* The DNS server on each network's gateway (docs/dns.md; netd/daemon/dns.h). */
struct cfg_dns {
	bool enabled;
	char *domain;	   /* NULL: none; else names answer as NAME.DOMAIN and NAME.NETWORK.DOMAIN too */
	unsigned ttl;	   /* seconds, of every local answer */
	char *resolv_conf; /* the upstream resolvers, followed when it changes */
	int upstream_timeout_ms;
	unsigned port; /* 53 */
};

struct cfg {
	char *socket;
	char *state_dir;
	char *run_dir;
	char *log_level;
	char *log_file; /* NULL: stderr in the foreground, <run_dir>/netd.log as a daemon */
	int lock_timeout_ms;
	unsigned max_clients;
	int client_timeout_ms;
	size_t max_line;
	char *default_network; /* NULL: attach requests must name a network */
	struct eng_network *networks;
	size_t n_networks;
	struct cfg_dns dns;
	struct fabric_cfg *fabric; /* NULL: no fabric (netd/fabric/fabric.h) */
};

/* The fabric's keys of the file ("fabric": {...}) over *ret (allocated when NULL). */
int cfg_parse_fabric(const json_t *j, struct fabric_cfg **ret, struct berr *e);

/* The built-in defaults. */
int cfg_defaults(struct cfg *c, struct berr *e);
/*
 * Load path over the defaults. A missing file is fine unless required (the
 * user named it); unknown keys and bad values are errors naming the key.
 */
int cfg_load(struct cfg *c, const char *path, bool required, struct berr *e);
/* Parse a configuration from a JSON text over the defaults (tests). */
int cfg_parse(struct cfg *c, const char *text, size_t len, struct berr *e);
void cfg_free(struct cfg *c);
