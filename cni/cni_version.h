/* berth-cni: CNI spec versions, their negotiation and the VERSION reply. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "cni/cni_error.h"

/* The versions berth-cni speaks, oldest first. */
enum cni_version {
	CNI_V030,
	CNI_V031,
	CNI_V040,
	CNI_V100,
	CNI_V110,
	CNI_V__COUNT,
};

#define CNI_VERSION_LATEST CNI_V110
#define CNI_VERSION_LATEST_STR "1.1.0"

/* "1.0.0" for CNI_V100. */
const char *cni_version_str(enum cni_version v);

/*
 * Parse the "cniVersion" of a config. A well-formed version berth-cni does
 * not speak ("0.2.0", "1.2.0") fails with code 1 (incompatible version), a
 * malformed one with code 7 (invalid config). where names the field.
 */
int cni_version_parse(const char *s, const char *where, enum cni_version *ret, struct cni_err *ce);

/* Parse "MAJOR.MINOR.PATCH" (decimal, no sign, no leading junk) into a comparable number. */
int cni_semver_parse(const char *s, unsigned long *ret);

/* What each version allows. */
static inline bool cni_version_has_check(enum cni_version v)
{
	return v >= CNI_V040;
}
static inline bool cni_version_has_gc(enum cni_version v)
{
	return v >= CNI_V110;
}
/* ips[].version exists up to 0.4.0 and was removed in 1.0.0. */
static inline bool cni_version_has_ip_version(enum cni_version v)
{
	return v <= CNI_V040;
}
/* interfaces[].mtu/socketPath/pciID and routes[].mtu/advmss/priority/table/scope came with 1.1.0. */
static inline bool cni_version_has_v11_fields(enum cni_version v)
{
	return v >= CNI_V110;
}

/* {"cniVersion": "1.1.0", "supportedVersions": [...]}, the VERSION reply. NULL on ENOMEM. */
json_t *cni_version_info(void);

/*
 * Pick the highest version both berth-cni and a delegate support, given the
 * delegate's VERSION reply; -ENOTSUP (code 1) when they share none.
 */
int cni_version_negotiate(const json_t *plugin_info, const char *plugin, enum cni_version *ret, struct cni_err *ce);
