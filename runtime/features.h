/* What berth supports (`berth features`, shaped like runc's) and the default bundle config (`berth spec`). */
#pragma once

#include <jansson.h>

#include "err.h"

#define RT_VERSION "0.1.0"
#define RT_OCI_VERSION "1.1.0"

int rt_features_json(json_t **ret, struct berr *e);

/*
 * A config.json for a rootfs/ directory next to it: all eight namespaces
 * (with container ids 0-65535 mapped to host ids 100000-165535), the usual
 * mounts, masked and read-only paths, a few capabilities, no new privileges.
 */
const char *rt_default_spec(void);
