/* runtime/cgroup/cgroup_internal.h: internals of the cgroup module. */
/*
 * Internals of the cgroup module, shared by runtime/cgroup*.c and the tests
 * (which drive the v1 and v2 back ends directly, whatever the machine's mode).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/cgroup/cgroup.h"

enum cg_kind {
	CG_V1,
	CG_V2,
};

/* One mounted hierarchy, as seen from this process (/proc/self/mountinfo + /proc/self/cgroup). */
struct cg_mount {
	enum cg_kind kind;
	char *mount;	   /* mount point */
	char *controllers; /* v1: as in /proc/self/cgroup ("cpu,cpuacct", "name=systemd"); v2: "" */
	char *own;	   /* this process's cgroup relative to the mount point, NULL: not reachable */
};

struct cg_mounts {
	struct cg_mount *m;
	size_t n, cap;
};

/* The container's directory in one hierarchy. */
struct cg_hier {
	enum cg_kind kind;
	char *controllers;
	char *mount;
	char *path;    /* relative to the mount point, "/a/b" */
	char *dir;     /* mount + path */
	char *created; /* shallowest directory (relative to the mount) this cgroup made; NULL: none */
};

struct rt_cgroup {
	enum rt_cgroup_mode mode;
	struct cg_hier *h;
	size_t n, cap;
};

/* ---- cgroup.c */
/* Apply res to every hierarchy of cg (what create does once the directories exist). */
int cg_apply(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, struct berr *e);

/* ---- cgroup_mount.c */
/*
 * Parse mountinfo- and /proc/PID/cgroup-formatted text; check: keep only
 * mounts reachable at their mount point (off for texts of another system).
 */
int cg_mounts_parse(const char *mountinfo, const char *proc_cgroup, bool check, struct cg_mounts *ret, struct berr *e);
int cg_mounts_read(struct cg_mounts *ret, struct berr *e);
void cg_mounts_free(struct cg_mounts *ms);
enum rt_cgroup_mode cg_mounts_mode(const struct cg_mounts *ms);
/* True when the comma-separated list has item. */
bool cg_list_has(const char *list, const char *item);

/* ---- cgroup_path.c */
/* Join a hierarchy-relative base ("/" or "/a") and a relative path ("b/c") into "/a/b/c". */
int cg_path_join(const char *base, const char *rel, char **ret, struct berr *e);

/* ---- cgroup_fs.c: file access inside cgroup directories */
int cg_write(const char *dir, const char *file, const char *value, struct berr *e);
int cg_write_u64(const char *dir, const char *file, uint64_t v, struct berr *e);
int cg_write_i64(const char *dir, const char *file, int64_t v, struct berr *e);
/* v, or "max" when negative (no limit: v2's limit files, v1's pids.max). */
int cg_write_max(const char *dir, const char *file, int64_t v, struct berr *e);
/* Read a small file, trailing newline stripped. */
int cg_read(const char *dir, const char *file, char *buf, size_t len, struct berr *e);
bool cg_has_file(const char *dir, const char *file);
/* Value of "key N" in a flat-keyed file (memory.events, memory.oom_control, cgroup.events). */
int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret);
/* Pids in dir/cgroup.procs and every descendant cgroup's (appended to *pids). */
int cg_pids_tree(const char *dir, pid_t **pids, size_t *n, struct berr *e);
/* rmdir the cgroup and its descendants, deepest first; wait: retry while the kernel drains. */
int cg_rmdir_tree(const char *dir, bool wait, struct berr *e);
/* Sum of key in file over dir and its descendants (missing file: 0). */
uint64_t cg_sum_key_tree(const char *dir, const char *file, const char *key);
/* Sleep ms milliseconds (through signals), between polls of a cgroup file the kernel updates late. */
void cg_sleep_ms(long ms);

/* ---- cgroup_v1.c */
int cg_v1_cpuset_init(const char *dir, bool fresh, struct berr *e);
int cg_v1_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, struct berr *e);
int cg_v1_freeze(const char *dir, bool frozen, struct berr *e);
int cg_v1_is_frozen(const char *dir, bool *ret);
int cg_v1_oom_killed(const char *dir, bool *ret);

/* ---- cgroup_v2.c */
/* Controllers available for children of the hierarchy root (root's cgroup.controllers). */
bool cg_v2_available(const char *mount, const char *controller);
/* Enable controllers (comma list) in cgroup.subtree_control from the root down to path's parent. */
int cg_v2_enable(const char *mount, const char *path, const char *controllers, struct berr *e);
int cg_v2_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, bool devices, struct berr *e);
int cg_v2_freeze(const char *dir, bool frozen, struct berr *e);
int cg_v2_is_frozen(const char *dir, bool *ret);
int cg_v2_kill(const char *dir, struct berr *e);
int cg_v2_oom_killed(const char *dir, bool *ret);
/* The v2 controllers a resource set needs ("memory,pids"), into buf. */
void cg_v2_needed(const struct rt_cgroup_resources *res, char *buf, size_t len);

/* ---- cgroup_stats.c */
struct rt_cgroup_stats;
/* One controller's statistics (v1 name: "cpuacct", "cpu", "cpuset", "memory", "pids", "blkio", "hugetlb") from dir. */
int cg_stats_read(enum cg_kind kind, const char *controller, const char *dir, struct rt_cgroup_stats *s);
/* A "0-3,5" list into a new array; -EBADMSG when malformed. */
int cg_parse_list(const char *s, uint16_t **ret, size_t *ret_n);

/* ---- cgroup_bpf.c: BPF_PROG_TYPE_CGROUP_DEVICE */
struct bpf_insn;
/* Compile rules (OCI order, last match wins, default deny) into a program; caller frees *ret. */
int cg_bpf_devices_build(const struct rt_cgroup_device_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n,
			 struct berr *e);
/* Load the program and attach it to the cgroup directory (BPF_F_ALLOW_MULTI), replacing older ones. */
int cg_bpf_devices_attach(const char *dir, const struct rt_cgroup_device_rule *rules, size_t n, struct berr *e);

/* ---- cgroup_net.c: linux.resources.network on v1 net_cls / net_prio */
int cg_net_parse(const json_t *net, struct rt_cgroup_resources *res, struct berr *e);
/* -ENOTSUP naming the field when the config sets what no v1 hierarchy here has. */
int cg_net_check(const struct cg_mounts *ms, const struct rt_cgroup_resources *res, struct berr *e);
int cg_v1_net_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, struct berr *e);

/* ---- cgroup_resources.c */
/* A "0-3,5"-style cpu/node list. */
bool cg_valid_list(const char *s);
