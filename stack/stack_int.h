/* stack/stack_int.h: what the stack files share: the state of a stack run, its record, the steps of up and down. */
/*
 * The record <root>/stacks/<stack>/stack.json (written atomically):
 *
 *   {"version":1, "name":"web", "file":"/abs/web.json", "cgroup_parent":"/berth/stacks",
 *    "networks":[{"name":"webnet","created":true,             used by the stack; created: up made it
 *                  "dns":{"nameservers":[...],"search":[...]}}],  netd's DNS there (network.inspect)
 *    "containers":[{"name":"web","id":"web-web","hostname":"web",
 *                   "networks":[{"network":"webnet","ifname":"eth0","aliases":["www"],
 *                                "ip":"10.89.0.2","prefix":24}],   ip/prefix once attached
 *                   "ports":["8080:80/tcp"]}]}
 *
 * Per container, <root>/stacks/<stack>/containers/<name>/ holds the bundle
 * (config.json), the files bind-mounted over /etc/hosts, /etc/resolv.conf
 * and /etc/hostname, and output.log (the container's stdout and stderr).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cleanup.h"
#include "err.h"
#include "stack/stack.h"
#include "stack/stack_file.h"

#define STK_RECORD "stack.json"
#define STK_LOG "output.log"
#define STK_LOCK_TIMEOUT_MS 60000

/* One run (up, down, ps, logs) over a stack's state: its directory, its lock (-1: a peek) and its record. */
struct stack_run {
	char *name;
	char *dir; /* <root>/stacks/<name> */
	int lockfd;
	json_t *rec;
};

/* ---- stack_progress.c */
/* One step of up or down to o->progress (flushed; nothing when NULL). */
void stk_progress(const struct stack_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- stack_state.c */
/* <root>/stacks (malloc'd). */
char *stk_stacks_dir(const char *root);
/*
 * Open the state of stack name, locked: create makes the directory when
 * missing (else -ENOENT when the stack has no state). An absent record
 * starts empty; a damaged one is rebuilt from the container directories
 * and marked "damaged".
 */
int stack_run_open(const char *root, const char *name, bool create, struct stack_run **ret, struct berr *e);
/* Read-only view without the lock (ps, logs): the record as last written. */
int stack_run_peek(const char *root, const char *name, struct stack_run **ret, struct berr *e);
void stack_run_close(struct stack_run *run);
BERTH_DEFINE_PTR_CLEANUP(stack_run_closep, struct stack_run, stack_run_close)
int stack_run_save(struct stack_run *run, struct berr *e);
/* Remove the whole stack directory (bundles, files, logs, record); the lock goes last. */
int stack_run_remove_dir(struct stack_run *run, struct berr *e);
/* Names of every stack with state under root, sorted. */
int stk_list(const char *root, char ***ret, size_t *ret_n, struct berr *e);

/* <dir>/containers/<name>[/file] (malloc'd; file may be NULL). */
char *stack_run_ctr_path(const struct stack_run *run, const char *name, const char *file);
/* The record's entries ("networks" / "containers" arrays are created when missing). */
json_t *stack_run_rec_array(struct stack_run *run, const char *key);
json_t *stack_run_rec_find(struct stack_run *run, const char *key, const char *name);
void stack_run_rec_remove(struct stack_run *run, const char *key, const char *name);
const char *stk_str(const json_t *o, const char *key);

/* "<stack>-<name>" into buf (at least 128 bytes). */
const char *stk_ctr_id(const char *stack, const char *name, char *buf, size_t len);

/* ---- stack_etc_files.c: /etc/hosts, /etc/resolv.conf, /etc/hostname of each container */
/* Write the three files of container ctr (a record entry) in place (bind mounts pin the inode). */
int stk_etc_write(struct stack_run *run, const json_t *ctr, struct berr *e);
/* Rewrite every container's hosts file from the record (those whose content changed). */
int stk_hosts_refresh(struct stack_run *run, struct berr *e);
/* The hosts file text for container ctr (malloc'd). */
int stk_hosts_text(struct stack_run *run, const json_t *ctr, char **ret, struct berr *e);
/* resolv.conf text from the host's (or $BERTH_STACK_RESOLV_CONF): nameservers unless loopback-only. */
int stk_resolv_text(char **ret, struct berr *e);
/* Container ctr's resolv.conf: netd's resolvers of its networks that have DNS, else stk_resolv_text. */
int stk_resolv_text_ctr(struct stack_run *run, const json_t *ctr, char **ret, struct berr *e);
/* Replace a file's content without replacing the file (open, write, truncate). */
int stk_write_in_place(const char *path, const char *text, mode_t mode, struct berr *e);

/* ---- stack_bundle.c */
/* The config.json of container c (compact-free, stable text: equal text means an unchanged definition). */
int stk_bundle_text(const struct stack_run *run, const struct stack *st, const struct stack_container *c,
		    const char *cgroup_parent, char **ret, struct berr *e);

/* ---- stack_netd.c */
/* Connect to netd once; an absent netd is named with how to start it. */
int stk_netd_check(const char *socket, struct berr *e);
/* network.inspect: 1 with *ret when it exists, 0 when not. */
int stk_netd_inspect(const char *socket, const char *name, json_t **ret, struct berr *e);
/* The existing network n matches the file's definition (else -EEXIST naming the difference). */
int stk_netd_same(const struct stack_network *n, const json_t *have, struct berr *e);
int stk_netd_create(const char *socket, const struct stack_network *n, struct berr *e);
/* network.rm; already gone is fine. */
int stk_netd_remove(const char *socket, const char *name, struct berr *e);

/* ---- stack_down.c */
/*
 * Is the runtime's container id the stack's container name? 1: yes (or a
 * create of it died half-way), 0: no such container, -EEXIST naming it
 * when the id belongs to another container ("a-b" + "c" and "a" + "b-c"
 * make the same id; so does a container run by hand).
 */
int stk_ctr_owned(const char *root, const char *id, const char *stack, const char *name, struct berr *e);
/* Delete container name of the record (runtime state, netd endpoints, its directory); gone is fine. */
int stk_ctr_remove(struct stack_run *run, const struct stack_opts *o, const char *name, struct berr *warn,
		   struct berr *e);

/* ---- stack_view.c */
/* "8080->80/tcp", "127.0.0.1:8081->80/tcp" */
const char *stk_port_text(const char *spec, char *buf, size_t len);
