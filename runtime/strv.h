/* NULL-terminated string vectors whose strings live in a JSON document (only the array is owned). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * Build a NULL-terminated vector pointing at the strings of arr (NULL arr:
 * an empty vector). With env, every entry must be KEY=VALUE with a
 * non-empty key. Errors name where[i].
 */
int rt_strv_from_json(const json_t *arr, const char *where, bool env, char ***ret, struct berr *e);
size_t rt_strv_len(char *const *v);
/* The value of KEY in an environment vector, or NULL. */
const char *rt_strv_env_get(char *const *env, const char *key);
