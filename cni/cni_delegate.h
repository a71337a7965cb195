/*
 * berth-cni: delegation to another IPAM plugin, as the CNI spec describes
 * it: the plugin named by ipam.type is looked up on CNI_PATH and executed
 * with the same environment (CNI_COMMAND as needed) and the same network
 * configuration on stdin; its result is read back in whatever version it
 * wrote and its errors are passed on with their codes.
 *
 * Versions: when the delegate refuses the config's version (code 1),
 * berth-cni asks it for VERSION, re-sends the config in the highest version
 * both speak (prevResult converted too) and converts the result back. GC and
 * STATUS go only to a delegate that speaks 1.1.0; for an older one GC falls
 * back to DEL of each stale attachment (cni_gc.c) and STATUS skips it.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "cni/cni_conf.h"
#include "cni/cni_env.h"
#include "cni/cni_error.h"

/* The largest reply read from a delegate. */
#define CNI_DELEGATE_OUTPUT_MAX (4u << 20)

/* Find an executable named type in the ':'-separated search path; malloc'd path in *ret_path. */
int cni_delegate_find(const char *search_path, const char *type, char **ret_path, struct cni_err *ce);

/*
 * Run plugin once with envp, CNI_COMMAND=command, and (when non-NULL)
 * CNI_CONTAINERID / CNI_IFNAME replaced, feeding input on stdin. On success
 * *ret_out is the JSON it printed (NULL when it printed nothing). On failure
 * ce carries the plugin's own code, message and details (or code 106 when it
 * printed no CNI error); name prefixes the message.
 */
int cni_delegate_exec(const char *plugin, const char *name, char *const *envp, const char *command,
		      const char *container_id, const char *ifname, const char *input, size_t len, json_t **ret_out,
		      struct cni_err *ce);

/*
 * Delegate cmd (ADD, DEL, CHECK, GC or STATUS) for the attachment
 * (container_id, ifname; NULL: those of env) to c->ipam.type. For ADD,
 * *ret_result is the delegate's result in berth's internal shape
 * (cni_result.h). Returns -ENOTSUP (code 1) for GC / STATUS when the
 * delegate does not speak 1.1.0, so the caller can fall back.
 */
int cni_delegate_ipam(const struct cni_conf *c, const struct cni_env *env, enum cni_cmd cmd, const char *container_id,
		      const char *ifname, json_t **ret_result, struct cni_err *ce);
