/* runtime/cgroup/cgroup.h: cgroups for the runtime (v1, v2, hybrid). */
/*
 * cgroups for the runtime: v2 (unified), v1, and "hybrid" (v1 controllers
 * plus a cgroup2 mount at /sys/fs/cgroup/unified holding none or few of
 * them), as found on this machine. The mode is detected from
 * /proc/self/mountinfo and /sys/fs/cgroup; every controller is driven on
 * the hierarchy it is actually bound to.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum rt_cgroup_mode {
	RT_CGROUP_V1,
	RT_CGROUP_HYBRID,
	RT_CGROUP_V2,
};

/* One OCI linux.resources.devices entry. */
struct rt_cgroup_device_rule {
	bool allow;
	char type;	/* 'a', 'c' or 'b' */
	int64_t major;	/* -1: any */
	int64_t minor;	/* -1: any */
	char access[4]; /* subset of "rwm" */
};

/* One OCI linux.resources.network.priorities entry (v1 net_prio.ifpriomap). */
struct rt_cgroup_net_prio {
	char ifname[16];
	uint32_t priority;
};

/*
 * The parts of OCI linux.resources that berth applies. 0 / "" mean unset
 * (the cgroup keeps what it has); -1 in memory_limit, memory_reservation,
 * memory_swap, cpu_quota and pids_limit means unlimited ("max", -1 on v1).
 */
struct rt_cgroup_resources {
	int64_t memory_limit;	    /* bytes */
	int64_t memory_reservation; /* bytes: v1 memory.soft_limit_in_bytes, v2 memory.low */
	int64_t memory_swap;	    /* memory + swap, bytes (OCI semantics; v2 gets swap - limit) */
	/* v1 only (cgroup v2 has no equivalent: rt_cgroup_resources_warnings says so) */
	bool has_swappiness;
	uint8_t memory_swappiness; /* 0..100 */
	bool disable_oom_killer;
	int64_t memory_kernel_tcp; /* bytes */
	bool has_kernel_memory;	   /* memory.kernel was given: never applied (obsolete), only warned about */
	uint64_t cpu_shares;	   /* v1 shares 2..262144 (v2: converted to cpu.weight) */
	int64_t cpu_quota;	   /* microseconds per period */
	uint64_t cpu_period;	   /* microseconds */
	char cpuset_cpus[256];
	char cpuset_mems[256];
	int64_t pids_limit;
	uint16_t blkio_weight; /* 10..1000 (v2: converted to io.weight) */
	struct rt_cgroup_device_rule *devices;
	size_t n_devices;
	bool has_devices; /* the config listed devices (an empty list still resets) */
	size_t defaults_at,
		n_defaults; /* devices[defaults_at..+n_defaults]: rt_cgroup_resources_add_default_devices's */
	/* network: v1 net_cls and net_prio only (refused without them) */
	bool has_net_classid;
	uint32_t net_classid;
	struct rt_cgroup_net_prio *net_prios;
	size_t n_net_prios;
};

struct rt_cgroup;

/* Parse linux.resources (NULL: nothing set); errors name the bad field. */
int rt_cgroup_resources_parse(const json_t *resources, struct rt_cgroup_resources *ret, struct berr *e);
/*
 * What res asks for that this machine's cgroups will not apply (kernel
 * memory limits, and the v1-only memory settings where memory is on v2),
 * appended to warn as warnings.
 */
void rt_cgroup_resources_warnings(const struct rt_cgroup_resources *res, struct berr *warn);
void rt_cgroup_resources_free(struct rt_cgroup_resources *res);
/*
 * When res lists devices, make the devices every container needs (/dev/null,
 * zero, full, random, urandom, tty, console, ptmx, the pts nodes, mknod of any
 * node) allowed, as runc and crun do: the rules are inserted right after the
 * last "deny all" of the list, so a later rule of the config (e.g. denying
 * c 1:3) still wins. Without devices in res, nothing changes (all allowed).
 */
int rt_cgroup_resources_add_default_devices(struct rt_cgroup_resources *res, struct berr *e);

enum rt_cgroup_mode rt_cgroup_detect(void);
const char *rt_cgroup_mode_name(enum rt_cgroup_mode mode);

/*
 * Validate an OCI cgroupsPath (len bytes, so an embedded NUL is caught) and
 * normalise it into *ret (malloc'd): "/a/b" when absolute (relative to each
 * hierarchy's root), "a/b" when relative (to this process's own cgroup in
 * each hierarchy). NULL or empty: "/berth/<id>". The systemd form
 * "slice:prefix:name" is mapped to "/<expanded slice>/<prefix>-<name>.scope"
 * (see docs/cgroups.md). "..", ".", empty components and NUL are refused.
 */
int rt_cgroup_path_parse(const char *cgroups_path, size_t len, const char *id, char **ret, struct berr *e);

/*
 * Create the container's cgroup (OCI cgroupsPath; NULL: "/berth/<id>") in
 * every hierarchy, apply res, and return a handle. Already existing
 * directories are reused (a joined cgroup). Nothing is left behind on error.
 */
int rt_cgroup_create(const char *cgroups_path, const char *id, const struct rt_cgroup_resources *res,
		     struct rt_cgroup **ret, struct berr *e);
/*
 * For rt_cgroup_create_early: memory_ready runs as soon as kernel memory
 * allocated by a process that joins dir is charged to the container, so
 * that the caller can start making namespaces while the rest of the cgroup
 * is made: dir is the container's directory in a v1 memory hierarchy,
 * already made and limited (the rest not yet), or NULL when there is none
 * (memory is charged where the caller's own process sits, as on v2), and
 * then it runs before any directory is made. On failure after it ran,
 * undo runs before anything is removed (the process that joined dir must
 * have left it).
 */
struct rt_cgroup_early {
	void (*memory_ready)(const char *dir, void *ctx);
	void (*undo)(void *ctx);
	void *ctx;
};
/* rt_cgroup_create, with early's callbacks (NULL: none). */
int rt_cgroup_create_early(const char *cgroups_path, const char *id, const struct rt_cgroup_resources *res,
			   const struct rt_cgroup_early *early, struct rt_cgroup **ret, struct berr *e);
/*
 * Move pid into the container's cgroup in every hierarchy. pid 0 moves the
 * calling process, which must be single-threaded: cheaper (a thread
 * self-migration on v1) and skipping v2 when it is already there.
 */
int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct berr *e);
/*
 * Move the calling (single-threaded) process into every v1 hierarchy only:
 * for a parent whose children are placed in the v2 one by
 * clone3(CLONE_INTO_CGROUP) (rt_cgroup_clone_fd).
 */
int rt_cgroup_enter_v1(const struct rt_cgroup *cg, struct berr *e);
/* Open the tasks file of each v1 hierarchy, in cg's order (at most max): their number, or -errno (none open). */
int rt_cgroup_open_v1_tasks(const struct rt_cgroup *cg, int *fds, size_t max);
/*
 * rt_cgroup_enter_v1 through n tasks files opened by rt_cgroup_open_v1_tasks
 * for the same cgroup; the paths when n is not the number of v1 hierarchies.
 */
int rt_cgroup_enter_v1_fds(const struct rt_cgroup *cg, const int *fds, size_t n, struct berr *e);
/*
 * An O_PATH|O_DIRECTORY fd of the v2 directory for clone3(CLONE_INTO_CGROUP)
 * (v2 and hybrid); -ENOTSUP without a v2 hierarchy. In hybrid mode it places
 * the child in the unified hierarchy only: v1 still needs rt_cgroup_enter.
 */
int rt_cgroup_clone_fd(const struct rt_cgroup *cg, int *ret_fd, struct berr *e);

/* Persist in / restore from the container state (JSON object). */
int rt_cgroup_to_json(const struct rt_cgroup *cg, json_t **ret, struct berr *e);
int rt_cgroup_from_json(const json_t *j, struct rt_cgroup **ret, struct berr *e);
/*
 * The same for a description this process's own early child has just made
 * from the mount table (early.c): its mounts are taken, and remembered for
 * later calls, as cgroup file systems without a statfs of each.
 */
int rt_cgroup_from_json_trusted(const json_t *j, struct rt_cgroup **ret, struct berr *e);
void rt_cgroup_free(struct rt_cgroup *cg);

int rt_cgroup_freeze(const struct rt_cgroup *cg, bool frozen, struct berr *e);
int rt_cgroup_is_frozen(const struct rt_cgroup *cg, bool *ret);
/* Every pid in the cgroup (caller frees *ret). */
int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **ret, size_t *ret_n, struct berr *e);
/* Send sig to every process in the cgroup (freezing around it so none escapes by forking). */
int rt_cgroup_kill_all(const struct rt_cgroup *cg, int sig, struct berr *e);
/* True when the kernel OOM killer killed a process of this cgroup. */
int rt_cgroup_oom_killed(const struct rt_cgroup *cg, bool *ret);
/* Remove the cgroup directories (processes must be gone); missing is fine. */
int rt_cgroup_destroy(struct rt_cgroup *cg, struct berr *e);

/*
 * Remove the absolute cgroup path (a parent of containers, e.g. a stack's)
 * in every hierarchy where it is empty, then its empty parents up to, not
 * including, keep ("/": up to the root). Missing is fine; -EBUSY (naming
 * it) when the path is still in use somewhere; parents in use stay quietly.
 */
int rt_cgroup_prune(const char *path, const char *keep, struct berr *e);

enum rt_cgroup_mode rt_cgroup_get_mode(const struct rt_cgroup *cg);
/* The container's directory in the hierarchy holding controller ("memory", "freezer"; "" : the v2 one), or NULL. */
const char *rt_cgroup_dir(const struct rt_cgroup *cg, const char *controller);

/*
 * Change the limits of an existing cgroup (berth update, cgroup_update.c):
 * res is the container's whole resource set after the update (devices are
 * left alone); kernel_memory (0: unset) is the v1 kmem limit, refused where
 * the kernel has none. Every resource res sets must have a controller in
 * the cgroup's hierarchies, else nothing is written.
 */
int rt_cgroup_update(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, int64_t kernel_memory,
		     struct berr *e);

/* Where the hierarchies are mounted, on the host and in a container. */
#define RT_CGROUP_ROOT "/sys/fs/cgroup"

/*
 * One hierarchy mounted at RT_CGROUP_ROOT or directly below it, as a
 * container's "cgroup" mount reproduces it (see docs/cgroups.md).
 */
struct rt_cgroup_view {
	char *name;    /* the directory below RT_CGROUP_ROOT ("memory", "cpu,cpuacct", "unified"); "": the root */
	bool v2;       /* cgroup2 */
	char *options; /* v1: the data of a fresh mount ("memory", "none,name=systemd"); v2: "" */
	char *own;     /* this process's own cgroup directory in it, host path; NULL: outside the mounted subtree */
	char **links;  /* co-mounted controllers to link to name ("cpu", "cpuacct"); NULL-terminated */
};

/*
 * The views from mountinfo- and /proc/PID/cgroup-formatted text, one per
 * place (check: only mounts reachable at their mount point, as in
 * cg_mounts_parse); _read: this process's. Free with rt_cgroup_views_free.
 */
int rt_cgroup_views_parse(const char *mountinfo, const char *proc_cgroup, bool check, struct rt_cgroup_view **ret,
			  size_t *ret_n, struct berr *e);
int rt_cgroup_views_read(struct rt_cgroup_view **ret, size_t *ret_n, struct berr *e);
void rt_cgroup_views_free(struct rt_cgroup_view *v, size_t n);
