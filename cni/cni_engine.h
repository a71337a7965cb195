/* berth-cni: a validated request and the netd engine the verbs run it against, opened one way. */
#pragma once

#include <stdint.h>

#include "addr.h"
#include "cleanup.h"
#include "cni/cni_conf.h"
#include "cni/cni_env.h"
#include "cni/cni_error.h"
#include "netd/engine/engine.h"

/* One invocation, fully validated (environment, config, what the version allows). */
struct cni_req {
	struct cni_env env;
	struct cni_conf conf;
};

/* Open the engine on the config's state directory; a lock timeout is code 11. */
int cni_engine_open(const struct cni_req *req, struct eng **ret, struct cni_err *ce);
BERTH_DEFINE_PTR_CLEANUP(cni_eng_closep, struct eng, eng_close)
#define _cleanup_eng_ _cleanup_(cni_eng_closep)

/*
 * The engine network a config describes, for the subnets, gateways and
 * ranges of ipam (the built-in IPAM's, or learnt from a delegate's result).
 */
void cni_network_def(const struct cni_conf *c, const struct cni_ipam *ipam, struct eng_network *ret);

/* Classify an engine failure: its errno gives the code unless code is non-zero. */
int cni_engine_fail(struct cni_err *ce, unsigned code, int r);
