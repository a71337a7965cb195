/* runtime/state.h: the container state store under --root. */
/*
 * The container state store: one directory per container under --root,
 * holding state.json (written atomically), a copy of config.json and a lock
 * file taken by every command that changes the container. Any later berth
 * invocation sees the container; a dead init (checked against its start
 * time, so a reused pid does not count) makes it "stopped".
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/spec.h"

#define RT_DEFAULT_ROOT "/run/berth"
#define RT_LOCK_TIMEOUT_MS 60000

enum rt_status {
	RT_STATUS_CREATING,
	RT_STATUS_CREATED,
	RT_STATUS_RUNNING,
	RT_STATUS_PAUSED,
	RT_STATUS_STOPPED,
};

struct rt_state {
	char *root;
	char *id;
	char *dir; /* root/id */
	int dirfd;
	int lockfd;   /* -1 when this handle does not hold the lock */
	json_t *json; /* state.json, NULL while the container is being created */

	/* From json, valid when json != NULL. */
	pid_t pid;
	unsigned long long start_time;
	bool started;
	const char *bundle;
	json_t *annotations;
	const char *created;
	const char *rootfs;
	const char *network;	      /* the first network netd attached (NULL: none) */
	json_t *networks;	      /* every network to detach from, a JSON array of names (NULL in older states) */
	int init_go_fd, init_done_fd; /* the init's fds start writes to; -1 once started */
	bool new_pidns;
	json_t *cgroup_json;
	json_t *hooks_json;

	char *saved; /* the text rt_state_save last wrote, for rt_state_relock */
};

const char *rt_status_name(enum rt_status s);

/* mkdir root/id (failing when it exists), take its lock. */
int rt_state_create(const char *root, const char *id, struct rt_state **ret, struct berr *e);
/* Take over root/id made and locked by rt_state_create in this process before a re-exec (lockfd survived it). */
int rt_state_adopt(const char *root, const char *id, int lockfd, struct rt_state **ret, struct berr *e);
/* Open an existing container; lock: take its lock first. */
int rt_state_open(const char *root, const char *id, bool lock, struct rt_state **ret, struct berr *e);
void rt_state_free(struct rt_state *st);

/* Build the record of a just-created container (json takes ownership of the pieces passed in). */
int rt_state_init(struct rt_state *st, const struct rt_spec *spec, pid_t pid, json_t *annotations, json_t *cgroup,
		  int go_fd, int done_fd, struct berr *e);
/* Write st->json atomically to root/id/state.json. */
int rt_state_save(struct rt_state *st, struct berr *e);
/* Mark started (and forget the init's fds) and save. */
int rt_state_mark_started(struct rt_state *st, struct berr *e);
/*
 * Take st's lock again (given up meanwhile) and check that state.json
 * still holds what st last saved: 1 when st stands for it as it is (no
 * parse), 0 (lock not taken) when it must be read again with
 * rt_state_open: never saved by st, changed, removed, or its directory
 * removed.
 */
int rt_state_relock(struct rt_state *st);

/* The status as of now. */
enum rt_status rt_state_status(struct rt_state *st);
/* True while the recorded init process is alive (same pid and start time, not a zombie). */
bool rt_state_alive(const struct rt_state *st);

/* The OCI state: ociVersion, id, status, pid (0 unless alive), bundle, annotations. */
int rt_state_oci_json(struct rt_state *st, enum rt_status status, json_t **ret, struct berr *e);
/* The state JSON handed to hooks on stdin (compact, malloc'd; NULL on ENOMEM). */
char *rt_state_hook_json(const char *oci_version, const char *id, const char *status, pid_t pid, const char *bundle,
			 const json_t *annotations);
/* Same, from the record with the current status. */
char *rt_state_hook_json_of(struct rt_state *st, enum rt_status status);

/* The container's cgroup from the record (NULL when it has none). */
int rt_state_cgroup(const struct rt_state *st, struct rt_cgroup **ret, struct berr *e);

/* Remove root/id (tolerates it being gone). */
int rt_state_remove(struct rt_state *st, struct berr *e);

/* The ids of every container under root, sorted; caller frees each and the array. */
int rt_state_list(const char *root, char ***ret_ids, size_t *ret_n, struct berr *e);

/* /proc/PID/stat: state letter and start time (clock ticks since boot). */
int rt_proc_stat(pid_t pid, char *ret_state, unsigned long long *ret_start);

BERTH_DEFINE_PTR_CLEANUP(rt_state_freep, struct rt_state, rt_state_free)
#define _cleanup_state_ _cleanup_(rt_state_freep)
