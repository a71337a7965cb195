/* berth: strict, typed access to JSON input over jansson. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "err.h"

BERTH_DEFINE_PTR_CLEANUP(bjson_decrefp, json_t, json_decref)
#define _cleanup_json_ _cleanup_(bjson_decrefp)

/* Parse a buffer (not necessarily NUL-terminated); errors name line and column. */
int bjson_parse(const char *buf, size_t len, json_t **ret, struct berr *e);

/* Parse a whole file of at most max_size bytes. */
int bjson_load_file(const char *path, size_t max_size, json_t **ret, struct berr *e);

/* Fail with -EINVAL naming the first key of obj not in allowed (NULL-terminated). */
int bjson_check_keys(const json_t *obj, const char *const *allowed, const char *where, struct berr *e);

/*
 * Typed getters. Each returns 1 when the key is present and valid, 0 when it is
 * absent (ret untouched), and -EINVAL with a message naming where.key when it
 * has the wrong type or an out-of-range value. "where" may be NULL or "".
 */
int bjson_get_str(const json_t *obj, const char *key, const char *where, const char **ret, struct berr *e);
int bjson_get_int(const json_t *obj, const char *key, const char *where, int64_t min, int64_t max, int64_t *ret,
		  struct berr *e);
int bjson_get_bool(const json_t *obj, const char *key, const char *where, bool *ret, struct berr *e);
int bjson_get_obj(const json_t *obj, const char *key, const char *where, json_t **ret, struct berr *e);
int bjson_get_arr(const json_t *obj, const char *key, const char *where, json_t **ret, struct berr *e);

/*
 * A string holding an IPv4 / IPv6 prefix (baddr_parse_cidr4/6, host bits
 * refused): 1 and *ret set, 0 when absent, or the parser's error prefixed
 * with where.key.
 */
struct bcidr4;
struct bcidr6;
int bjson_get_cidr4(const json_t *obj, const char *key, const char *where, struct bcidr4 *ret, struct berr *e);
int bjson_get_cidr6(const json_t *obj, const char *key, const char *where, struct bcidr6 *ret, struct berr *e);

/* Like bjson_get_str but absent is an error. */
int bjson_req_str(const json_t *obj, const char *key, const char *where, const char **ret, struct berr *e);

/* Serialise compactly into a malloc'd string, or NULL on ENOMEM. */
char *bjson_dump(const json_t *v);

/* json_object_set_new that reports ENOMEM as -ENOMEM. */
int bjson_set(json_t *obj, const char *key, json_t *v);

/* j as one compact line ending in '\n' (NUL-terminated; the length without the NUL in *ret_len). NULL: no memory. */
char *bjson_dump_line(const json_t *j, size_t *ret_len);
