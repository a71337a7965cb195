/* Device nodes: linux.devices, the default /dev entries, and their cgroup allow rules. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "runtime/spec.h"

/* Parse linux.devices (NULL: none). */
int rt_devices_parse(const json_t *arr, struct rt_device **ret, size_t *ret_n, struct berr *e);

/*
 * When the config restricts devices (linux.resources.devices given), add
 * the cgroup module's default allow rules (null, zero, ptys...) and one for
 * every linux.devices entry, as runc does, so a "deny all" list still leaves
 * a working /dev.
 */
int rt_devices_add_cgroup_rules(struct rt_spec *spec, struct berr *e);

/*
 * In the container's mount namespace before pivot_root: create the default
 * nodes (null, zero, full, random, urandom, tty) and linux.devices under
 * rootfd, with mknod or, in a user namespace, by bind-mounting the host's
 * node; then the /dev symlinks (fd, stdin, stdout, stderr, core, ptmx).
 */
int rt_devices_setup(int rootfd, const struct rt_spec *spec, bool userns, struct berr *e);
