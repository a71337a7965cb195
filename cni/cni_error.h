/*
 * berth-cni: CNI error codes and the error object printed on stdout.
 *
 * Every cni_* function returns 0 or a negative errno like the rest of berth
 * and fills a struct cni_err: the spec's numeric code, the message (a struct
 * berr, so engine and lib functions can be handed &ce->e directly) and
 * optional details. Only cni_main.c prints it.
 */
#pragma once

#include <jansson.h>

#include "err.h"

enum cni_code {
	CNI_OK = 0,
	/* Codes 1-99 are the spec's (CNI 1.1.0, "Well-known error codes"). */
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	/* 100 and up are berth's own (docs/cni.md). */
	CNI_ERR_INTERNAL = 100,		/* anything not listed below */
	CNI_ERR_POOL_EXHAUSTED = 101,	/* no free address left in the range */
	CNI_ERR_ADDRESS = 102,		/* requested address taken, outside the range or reserved */
	CNI_ERR_PORT_IN_USE = 103,	/* a host port is already published */
	CNI_ERR_NETWORK_CONFLICT = 104, /* the network exists with another definition, or overlaps one */
	CNI_ERR_KERNEL = 105,		/* netlink / nftables refused a change */
	CNI_ERR_DELEGATE = 106,		/* the delegated IPAM plugin is missing or misbehaved */
	CNI_ERR_CHECK = 107,		/* CHECK found the attachment not as ADD left it */
	CNI_ERR_ATTACHED = 108,		/* ADD of an attachment that exists (no DEL in between) */
};

#define CNI_DETAILS_MAX 512

struct cni_err {
	unsigned code; /* enum cni_code; 0 until a failure is classified */
	struct berr e; /* the message ("msg") */
	char details[CNI_DETAILS_MAX];
};

#define CNI_ERR_INIT                                                                                                   \
	{                                                                                                              \
		0, BERR_INIT, ""                                                                                       \
	}

/* Set code and message (replacing both); returns r (a negative errno). */
int cni_fail(struct cni_err *ce, unsigned code, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* cni_fail for an allocation that failed: code 100, "out of memory"; returns -ENOMEM. */
int cni_oom(struct cni_err *ce);

/*
 * Classify a failure whose message is already in ce->e: set code unless an
 * inner call already did, and return r. code 0 means "derive it from r"
 * (cni_code_from_errno).
 */
int cni_classify(struct cni_err *ce, unsigned code, int r);

/* The code berth gives an engine errno: EAGAIN/ETIMEDOUT -> 11, ENOSPC -> 101, ... */
unsigned cni_code_from_errno(int r);

/* Short symbolic name of a code ("INVALID_CONFIG"), for docs and stderr. */
const char *cni_code_name(unsigned code);

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. NULL on ENOMEM. */
json_t *cni_json_string(const char *s);

/*
 * The error object: {"cniVersion": version, "code": N, "msg": "...",
 * "details": "..." (omitted when empty)}. NULL on ENOMEM.
 */
json_t *cni_error_json(const struct cni_err *ce, const char *version);
