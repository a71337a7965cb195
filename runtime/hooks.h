/* OCI hooks: each hook runs as its own process with the container state JSON on stdin. */
#pragma once

#include "err.h"
#include "runtime/spec.h"

/*
 * Run every hook of kind k, in order, in the caller's namespaces, feeding
 * state_json on stdin. Stops at the first failure (non-zero exit, signal,
 * timeout); the error names the hook and carries the tail of its output.
 */
int rt_hooks_run(const struct rt_hooks *hooks, enum rt_hook_kind k, const char *state_json, struct berr *e);
