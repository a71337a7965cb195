/* Namespaces: OCI names, joining by path, user-namespace maps and time offsets. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "runtime/spec.h"

/* The eight types in the order berth lists them. */
extern const int rt_ns_types[RT_NS_COUNT];

/* OCI name ("network") -> CLONE_NEWNET; -EINVAL when unknown. */
int rt_ns_type_from_name(const char *name);
/* CLONE_NEWNET -> "network" (OCI) */
const char *rt_ns_oci_name(int type);
/* CLONE_NEWNET -> "net" (/proc/PID/ns/<name>) */
const char *rt_ns_proc_name(int type);

/*
 * Open every namespace the spec joins by path, checking each one's type.
 * fds[i] belongs to spec->ns_join[i]; on error nothing stays open.
 */
int rt_ns_open_joined(const struct rt_spec *spec, int fds[RT_NS_COUNT], struct berr *e);
void rt_ns_close_all(int fds[RT_NS_COUNT]);

/*
 * setns() into the opened namespaces: every other type first (still with
 * the caller's privileges), the user namespace last. Runs in the helper
 * that creates the container's init.
 */
int rt_ns_join(const struct rt_spec *spec, const int fds[RT_NS_COUNT], struct berr *e);

/* Write /proc/PID/{uid,gid}_map (and setgroups "deny" when the writer is not privileged). */
int rt_ns_write_id_maps(pid_t pid, const struct rt_spec *spec, struct berr *e);

/* "monotonic S N\nboottime S N\n" for /proc/self/timens_offsets; false when no offset is set. */
bool rt_ns_time_offsets(const struct rt_spec *spec, char *buf, size_t len);

/* The namespaces (CLONE_NEW* mask) in which pid differs from the caller. */
int rt_ns_differing(pid_t pid, int *ret_mask, struct berr *e);

/* True when container id (uid or gid) is covered by maps. */
bool rt_ns_id_mapped(const struct rt_id_map *maps, size_t n, uint32_t id);
