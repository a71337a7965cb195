/* berth-cni: the verbs, one file each (cni_add.c ... cni_status.c), run by cni_run over cni_engine.h. */
#pragma once

#include <jansson.h>

#include "cni/cni_engine.h"
#include "cni/cni_error.h"

/* req is fully validated; ADD's *ret_result is the result to print. */
int cni_cmd_add(const struct cni_req *req, json_t **ret_result, struct cni_err *ce);
int cni_cmd_del(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_check(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_gc(const struct cni_req *req, struct cni_err *ce);
int cni_cmd_status(const struct cni_req *req, struct cni_err *ce);
