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

#include "cleanup.h"
#include "cni/cni_conf.h"
#include "cni/cni_env.h"
#include "cni/cni_error.h"
#include "netd/engine/engine.h"

struct cni_req {
	struct cni_env env;
	struct cni_conf conf;
};

/*
 * Run one invocation. On success *ret_out is the JSON to print (NULL: print
 * nothing, as for DEL, CHECK, GC and STATUS). On failure ce is filled and
 * *ret_version names the version the error reply is written in.
 */
int cni_run(char *const *envp, const char *in, size_t len, json_t **ret_out, const char **ret_version,
	    struct cni_err *ce);

/* The verbs, one file each; req is fully validated. */
int cni_cmd_add(const struct cni_req *req, json_t **ret_result, struct cni_err *ce);
int cni_cmd_del(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_check(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_gc(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_status(const struct cni_req *req, struct cni_err *ce);

/* Shared by the verbs (cni_plugin.c). */

/* Open the engine on the config's state directory; a lock timeout is code 11. */
int cni_engine_open(const struct cni_req *req, struct eng **ret, struct cni_err *ce);
BERTH_DEFINE_PTR_CLEANUP(cni_eng_closep, struct eng, eng_close)
#define _cleanup_eng_ _cleanup_(cni_eng_closep)

/*
 * The engine network a config describes, for a subnet / gateway / range
 * (from the built-in IPAM, or learnt from a delegate's result).
 */
void cni_network_def(const struct cni_conf *c, const struct bcidr4 *subnet, uint32_t gateway, uint32_t range_start,
		     uint32_t range_end, struct eng_network *ret);

/* Classify an engine failure: its errno gives the code unless code is non-zero. */
int cni_engine_fail(struct cni_err *ce, unsigned code, int r);
