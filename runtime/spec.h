/* runtime/spec.h: the OCI bundle configuration (config.json) as berth uses it. */
/*
 * The OCI bundle configuration (config.json) as berth uses it: parsed once,
 * validated field by field (every error names the field), and turned into
 * plain C values the parent and the container's init act on without going
 * back to JSON. Strings point into the parsed JSON document, which the
 * spec keeps alive.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "err.h"
#include "runtime/cgroup/cgroup.h"

#define RT_CONFIG_MAX_SIZE (4u << 20)
#define RT_MAX_ID_LEN 200
#define RT_NS_COUNT 8
#define RT_MAX_ID_MAPS 340

enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	RT_HOOK_KINDS,
};

struct rt_hook {
	const char *path;
	char **args; /* NULL-terminated; {path} when the config gave none */
	char **env;  /* NULL-terminated, possibly empty */
	int timeout; /* seconds, 0: none */
};

struct rt_hooks {
	struct rt_hook *list[RT_HOOK_KINDS];
	size_t n[RT_HOOK_KINDS];
};

struct rt_caps {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct rt_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct rt_process {
	bool terminal;
	unsigned short console_height, console_width;
	uint32_t uid, gid;
	bool has_umask;
	mode_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char **args; /* NULL-terminated, at least one */
	char **env;  /* NULL-terminated */
	const char *cwd;
	bool has_caps; /* "capabilities" given; else every capability is dropped */
	struct rt_caps caps;
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
};

/* One mount, with its options already split into mount(2) flags and data. */
struct rt_mount {
	char *destination;	   /* absolute, cleaned */
	const char *type;	   /* "" when the config gave none */
	char *source;		   /* bind sources made absolute against the bundle; NULL when none */
	unsigned long flags;	   /* MS_* set */
	unsigned long clear;	   /* MS_* the options explicitly cleared (rw, suid, dev...) */
	unsigned long propagation; /* MS_PRIVATE/SHARED/SLAVE/UNBINDABLE (| MS_REC) or 0 */
	uint64_t rec_attr_set;	   /* recursive attributes ("rro", "rnosuid"...) for mount_setattr */
	uint64_t rec_attr_clr;
	bool bind;
	char *data; /* comma-separated filesystem options, or NULL */
};

struct rt_id_map {
	uint32_t container_id, host_id, size;
};

struct rt_device {
	char type; /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
	const char *path;
	int64_t major, minor;
	mode_t mode; /* permission bits */
	uint32_t uid, gid;
};

struct rt_sysctl {
	const char *key; /* dotted, as in config.json */
	const char *value;
};

struct rt_ns_path {
	int type; /* CLONE_NEW* */
	const char *path;
};

struct rt_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

/* One interface netd wires into the container's network namespace. */
struct rt_net_attach {
	char *network;
	char *ip;	 /* NULL: netd allocates (either family: an IPv6 address is the IPv6 one) */
	char *ip6;	 /* NULL: netd allocates (when the network has IPv6) */
	char ifname[16]; /* inside the container */
	char **ports;	 /* NULL-terminated canonical port specs ("8080:80/tcp"), or NULL */
	char *name;	 /* the container's name in netd's DNS on this network (berth.name), or NULL */
	char **aliases;	 /* NULL-terminated more names (berth.aliases and the entry's own), or NULL */
};

#define RT_MAX_NETS 32

struct rt_spec {
	json_t *json; /* owns every string below */
	char *bundle; /* absolute */
	const char *oci_version;
	char *rootfs; /* absolute, symlinks resolved */
	bool root_readonly;
	struct rt_process process;
	const char *hostname, *domainname;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hooks hooks;
	json_t *annotations; /* borrowed object (never NULL after parsing) */

	int ns_all; /* every namespace type listed */
	int ns_new; /* the types to create */
	struct rt_ns_path ns_join[RT_NS_COUNT];
	size_t n_ns_join;

	struct rt_id_map uid_maps[RT_MAX_ID_MAPS], gid_maps[RT_MAX_ID_MAPS];
	size_t n_uid_maps, n_gid_maps;
	struct rt_time_offset time_monotonic, time_boottime;
	struct rt_device *devices;
	size_t n_devices;
	const char *cgroups_path; /* NULL: default */
	struct rt_cgroup_resources resources;
	struct rt_sysctl *sysctls;
	size_t n_sysctls;
	json_t *seccomp;		  /* borrowed, NULL when absent */
	unsigned long rootfs_propagation; /* 0: default (rslave) */
	const char **masked_paths, **readonly_paths;
	size_t n_masked_paths, n_readonly_paths;

	/* The netd hand-off (annotations berth.network or berth.networks, spec_net.c). */
	struct rt_net_attach *nets; /* in attach order: eth0, eth1... unless named */
	size_t n_nets;
	const char *network; /* nets[0].network; NULL: no network */
	const char *net_ip;  /* nets[0].ip */
	char **net_ports;    /* nets[0].ports */
};

/* Load and validate BUNDLE/config.json. bundle may be relative (to the cwd). */
int rt_spec_load(const char *bundle, struct rt_spec **ret, struct berr *e);
/* Validate an already parsed config (takes a reference to json). bundle must be absolute. */
int rt_spec_from_json(json_t *json, const char *bundle, struct rt_spec **ret, struct berr *e);
void rt_spec_free(struct rt_spec *spec);

/*
 * What spec asks for that berth accepts without applying it (ambient
 * capabilities it cannot raise, kernel memory limits...), appended to warn
 * for the boundary to print.
 */
void rt_spec_warnings(const struct rt_spec *spec, struct berr *warn);

/* A process object (config.json "process" or `exec --process` file); where names it in errors. */
int rt_process_parse(const json_t *obj, const char *where, struct rt_process *ret, struct berr *e);
void rt_process_clear(struct rt_process *p);

/* The one id no container may have: the directory of the stacks' state under --root. */
#define RT_RESERVED_ID "stacks"

/* Container ids: [A-Za-z0-9][A-Za-z0-9_.-]*, at most RT_MAX_ID_LEN bytes, not RT_RESERVED_ID. */
int rt_id_validate(const char *id, struct berr *e);

/* config.json "hooks" (NULL: none); rt_hooks_clear frees what it filled in. */
int rt_hooks_parse(const json_t *obj, struct rt_hooks *ret, struct berr *e);
void rt_hooks_clear(struct rt_hooks *h);

/* Hook kind names as in config.json ("prestart", "createRuntime"...). */
const char *rt_hook_kind_name(enum rt_hook_kind k);

/* rlimit names ("RLIMIT_NOFILE") to resource numbers; -EINVAL when unknown. */
int rt_rlimit_from_name(const char *name);

/* Parse one mount's "options" into m (flags, data...); where names the mount in errors. */
int rt_mount_options_parse(const json_t *options, const char *where, struct rt_mount *m, struct berr *e);

/* Parse config.json "mounts" (NULL: none); relative bind sources are taken from bundle. */
int rt_mounts_parse(const json_t *arr, const char *bundle, struct rt_mount **ret, size_t *ret_n, struct berr *e);
void rt_mounts_free(struct rt_mount *mounts, size_t n);

/* The berth.network / berth.networks annotations into spec->nets (spec_net.c); needs ns_new parsed. */
int rt_spec_parse_networks(struct rt_spec *spec, struct berr *e);
void rt_net_attach_free(struct rt_net_attach *nets, size_t n);

/* Parse a propagation name ("rslave"); 0 and -EINVAL when unknown. */
int rt_propagation_parse(const char *s, unsigned long *ret);

BERTH_DEFINE_PTR_CLEANUP(rt_spec_freep, struct rt_spec, rt_spec_free)
#define _cleanup_spec_ _cleanup_(rt_spec_freep)
