/*
 * Internals shared by runtime/stack_*.c.
 *
 * The record <root>/stacks/<stack>/stack.json (written atomically):
 *
 *   {"version":1, "name":"web", "file":"/abs/web.json", "cgroup_parent":"/berth/stacks",
 *    "networks":[{"name":"webnet","created":true}],          used by the stack; created: up made it
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

#include "err.h"
#include "stack/stack.h"
#include "stack/stack_file.h"

#define STK_RECORD "stack.json"
#define STK_LOG "output.log"
#define STK_LOCK_TIMEOUT_MS 60000

struct stk {
	char *name;
	char *dir; /* <root>/stacks/<name> */
	int lockfd;
	json_t *rec;
};

/* ---- stack_state.c */
/* <root>/stacks (malloc'd). */
char *stk_stacks_dir(const char *root);
/*
 * Open the state of stack name, locked: create makes the directory when
 * missing (else -ENOENT when the stack has no state). An absent or damaged
 * record starts empty (damaged: *ret_damaged, when given, is set).
 */
int stk_open(const char *root, const char *name, bool create, struct stk **ret, struct berr *e);
/* Read-only view without the lock (ps, logs): the record as last written. */
int stk_peek(const char *root, const char *name, struct stk **ret, struct berr *e);
void stk_close(struct stk *s);
int stk_save(struct stk *s, struct berr *e);
/* Remove the whole stack directory (bundles, files, logs, record); the lock goes last. */
int stk_remove_dir(struct stk *s, struct berr *e);
/* Names of every stack with state under root, sorted. */
int stk_list(const char *root, char ***ret, size_t *ret_n, struct berr *e);

/* <dir>/containers/<name>[/file] (malloc'd; file may be NULL). */
char *stk_ctr_path(const struct stk *s, const char *name, const char *file);
/* The record's entries ("networks" / "containers" arrays are created when missing). */
json_t *stk_rec_array(struct stk *s, const char *key);
json_t *stk_rec_find(struct stk *s, const char *key, const char *name);
void stk_rec_remove(struct stk *s, const char *key, const char *name);
const char *stk_str(const json_t *o, const char *key);

/* "<stack>-<name>" into buf (at least 128 bytes). */
const char *stk_ctr_id(const char *stack, const char *name, char *buf, size_t len);

/* ---- stack_files.c: /etc/hosts, /etc/resolv.conf, /etc/hostname of each container */
/* Write the three files of container ctr (a record entry) in place (bind mounts pin the inode). */
int stk_files_write(struct stk *s, const json_t *ctr, struct berr *e);
/* Rewrite every container's hosts file from the record (those whose content changed). */
int stk_hosts_refresh(struct stk *s, struct berr *e);
/* The hosts file text for container ctr (malloc'd). */
int stk_hosts_text(struct stk *s, const json_t *ctr, char **ret, struct berr *e);
/* resolv.conf text from the host's (or $BERTH_STACK_RESOLV_CONF): nameservers unless loopback-only. */
int stk_resolv_text(char **ret, struct berr *e);
/* Replace a file's content without replacing the file (open, write, truncate). */
int stk_write_in_place(const char *path, const char *text, mode_t mode, struct berr *e);

/* ---- stack_bundle.c */
/* The config.json of container c (compact-free, stable text: equal text means an unchanged definition). */
int stk_bundle_text(const struct stk *s, const struct stack *st, const struct stack_container *c,
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
int stk_ctr_remove(struct stk *s, const struct stack_opts *o, const char *name, struct berr *warn, struct berr *e);

/* ---- stack_view.c */
/* "8080->80/tcp", "127.0.0.1:8081->80/tcp" */
const char *stk_port_text(const char *spec, char *buf, size_t len);
