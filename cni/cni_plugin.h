/*
 * berth-cni: one CNI invocation, from the environment and stdin to what is
 * printed. cni_run validates everything first (environment, config, what
 * the version allows), then runs the verb against the netd engine
 * in-process: no daemon is needed, and the state directory and its locks
 * are shared with netd, so `netctl ls` shows CNI attachments too.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "cni/cni_error.h"

/*
 * Run one invocation. On success *ret_out is the JSON to print (NULL: print
 * nothing, as for DEL, CHECK, GC and STATUS). On failure ce is filled and
 * *ret_version names the version the error reply is written in.
 */
int cni_run(char *const *envp, const char *in, size_t len, json_t **ret_out, const char **ret_version,
	    struct cni_err *ce);
