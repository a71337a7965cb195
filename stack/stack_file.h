/* stack/stack_file.h: stack files (docs/stacks.md), parsed and checked. */
/*
 * A stack file has several containers, their networks and published ports,
 * in one JSON document. Parsing validates everything up front, so a broken
 * file is refused before anything is created.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cleanup.h"
#include "err.h"

#define STACK_NAME_MAX 48
#define STACK_MAX_CONTAINERS 256
#define STACK_MAX_NETWORKS 64
#define STACK_MAX_CONTAINER_NETWORKS 32 /* interfaces per container (the runtime's RT_MAX_NETS) */

struct stack_network {
	char *name;
	struct bcidr4 subnet;  /* prefix 0: no IPv4 */
	uint32_t gateway;      /* 0: first address */
	struct bcidr6 subnet6; /* "subnet6"; prefix 0: no IPv6 */
	int masquerade6;       /* -1: netd's default (on for fd00::/8), 0 / 1 */
	char *bridge;	       /* NULL: netd's default naming */
	int mtu;	       /* 0: default */
	bool internal;
	bool masquerade;
	bool external; /* not defined in the file: must already exist in netd */
};

struct stack_attachment {
	char *network;
	uint32_t ip; /* 0: allocated */
	char **aliases;
	size_t n_aliases;
};

struct stack_container {
	char *name;
	char *rootfs;	/* absolute (resolved against the file's directory) */
	char **command; /* argv */
	size_t n_command;
	char **env; /* "K=V" */
	size_t n_env;
	char *working_dir;
	char *hostname;
	char *user; /* "uid[:gid]" or NULL */
	struct stack_attachment *networks;
	size_t n_networks;
	struct bportspec *ports;
	size_t n_ports;
	int64_t memory;	       /* bytes, 0: unlimited */
	int64_t pids;	       /* 0: unlimited */
	uint64_t cpu_quota_us; /* per 100 ms period, 0: unlimited */
	char **depends_on;
	size_t n_depends_on;
};

struct stack {
	char *name;
	char *path; /* the file it came from */
	struct stack_network *networks;
	size_t n_networks;
	struct stack_container *containers; /* in dependency order after parsing */
	size_t n_containers;
};

/* Parse and validate; base_dir resolves relative rootfs paths (NULL: cwd). */
int stack_parse(const json_t *doc, const char *default_name, const char *base_dir, struct stack **ret, struct berr *e);
/* Read FILE (the stack name defaults to its basename without .json). */
int stack_load(const char *path, struct stack **ret, struct berr *e);
void stack_free(struct stack *s);
BERTH_DEFINE_PTR_CLEANUP(stack_freep, struct stack, stack_free)

const struct stack_container *stack_find_container(const struct stack *s, const char *name);
const struct stack_network *stack_find_network(const struct stack *s, const char *name);

/* Parse "64m", "1g", "512k", "1048576" (bytes). */
int stack_parse_size(const char *s, int64_t *ret);
