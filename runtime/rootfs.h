/* runtime/rootfs.h: the container's filesystem, built by its init. */
/*
 * The container's filesystem, built by its init inside the new mount
 * namespace: root propagation, the bundle's mounts, sysctls, masked and
 * read-only paths, then pivot_root into root.path.
 *
 * Without a mount namespace (the spec allows inheriting the runtime's) the
 * init shares the host's mounts: nothing is mounted, the root is entered
 * with chroot, and rt_spec_warnings names what is therefore not applied.
 */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "runtime/spec.h"

/*
 * Make the mount tree slave (or private), bind root.path onto itself and
 * return an O_PATH fd of it. Every later path is resolved under this fd.
 */
int rt_rootfs_prepare(const struct rt_spec *spec, int *ret_rootfd, struct berr *e);

/* The bundle's mounts, in order. */
int rt_rootfs_mount_all(int rootfd, const struct rt_spec *spec, bool userns, struct berr *e);

/* linux.sysctl, written through the container's /proc while it is still writable. */
int rt_rootfs_sysctls(int rootfd, const struct rt_spec *spec, struct berr *e);

/* maskedPaths (tmpfs or /dev/null over them) and readonlyPaths (read-only bind mounts). */
int rt_rootfs_mask_and_protect(int rootfd, const struct rt_spec *spec, struct berr *e);

/*
 * pivot_root into rootfd, detach the old root, apply root.readonly and
 * rootfsPropagation; without a mount namespace, chroot into rootfd.
 */
int rt_rootfs_pivot(int rootfd, const struct rt_spec *spec, struct berr *e);
