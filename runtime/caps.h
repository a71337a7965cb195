/* Linux capabilities: names, and applying the five OCI sets to the calling process. */
#pragma once

#include <stdint.h>

#include "err.h"
#include "runtime/spec.h"

#define RT_CAP_MAX 63

/* "CAP_NET_ADMIN" -> 12; -EINVAL when the name is unknown. */
int rt_cap_from_name(const char *name);
/* 12 -> "CAP_NET_ADMIN"; NULL when unknown. */
const char *rt_cap_name(int cap);
/* The highest capability the running kernel knows (probed with PR_CAPBSET_READ; never from /proc). */
int rt_cap_last(void);

/* Parse a JSON array of capability names into a bit mask; where names the field in errors. */
int rt_caps_parse_list(const json_t *arr, const char *where, uint64_t *ret, struct berr *e);

/*
 * Drop every capability outside caps->bounding from the bounding set.
 * Needs CAP_SETPCAP, so it runs before the user changes.
 */
int rt_caps_drop_bounding(const struct rt_caps *caps, struct berr *e);

/*
 * Set effective, permitted and inheritable exactly (capset), then the
 * ambient set (cleared, then raised one by one: those also permitted and
 * inheritable, the only ones the kernel raises). Runs after setresuid with
 * PR_SET_KEEPCAPS, the last privileged step before exec.
 */
int rt_caps_apply(const struct rt_caps *caps, struct berr *e);

/* The ambient capabilities rt_caps_apply cannot raise, as a warning appended to warn (where: "process"). */
void rt_caps_warnings(const struct rt_caps *caps, const char *where, struct berr *warn);
