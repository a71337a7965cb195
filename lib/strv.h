/* berth: NULL-terminated string vectors: freeing them, and vectors over the strings of a JSON array. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Free every string and the vector (NULL is fine). */
void strv_free(char **v);
/* Free the first n strings (NULL entries are fine) and the vector. */
void strv_free_n(char **v, size_t n);

/*
 * Build a NULL-terminated vector (only the array is owned: the strings live in the JSON document) pointing at the
 * strings of arr (NULL arr: an empty vector). With env, every entry must be KEY=VALUE with a non-empty key. Errors name
 * where[i].
 */
int strv_from_json(const json_t *arr, const char *where, bool env, char ***ret, struct berr *e);
size_t strv_len(char *const *v);
/* The value of KEY in an environment vector, or NULL. */
const char *strv_env_get(char *const *env, const char *key);
