/*
 * berth update: change the cgroup limits of a created, running or paused
 * container in place, as `runc update` does (its options, its value forms,
 * its -r LinuxResources JSON), and record them in the container's copy of
 * config.json so later commands see the limits it now has.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct rt_update_args {
	const char *id;
	const char *resources_file; /* -r FILE, "-" for stdin; NULL: patch holds the options */
	json_t *patch;		    /* an OCI LinuxResources object built from the options */
	bool help;
	bool ignored; /* options given along with -r, which runc ignores */
};

/* args: argv from the verb on ("update", options..., ID), NULL-terminated. */
int rt_update_parse_args(char **args, struct rt_update_args *ret, struct berr *e);
void rt_update_args_clear(struct rt_update_args *a);

/* A size as runc reads one (go-units RAMInBytes): "1024", "100k", "100m", "1.5g", "64MiB", "2 GB"; "-1" unlimited. */
int rt_parse_mem_size(const char *s, int64_t *ret);

/*
 * The container's linux.resources after the update: old (NULL: none) with
 * every non-zero value of patch (LinuxResources, runc's -r form) laid over
 * it, as a new object. A memory limit of -1 without a swap value drops the
 * recorded swap (runc: both become unlimited). *ret_kernel: the kernel memory
 * limit asked for (0: none). Fields update does not apply are named in warn.
 */
int rt_update_merge(const json_t *old, const json_t *patch, json_t **ret, int64_t *ret_kernel, struct berr *warn,
		    struct berr *e);

/* Apply patch to container id (locked): the cgroup files, then its recorded config. */
int rt_update(const char *root, const char *id, const json_t *patch, struct berr *warn, struct berr *e);

/* The verb: args from "update" on; --help goes to out. */
int rt_update_main(const char *root, char **args, FILE *out, struct berr *warn, struct berr *e);
