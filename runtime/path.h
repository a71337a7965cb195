/* Lexical path helpers for paths taken from config.json. */
#pragma once

#include <stddef.h>

#include "err.h"

/*
 * Clean an absolute path lexically: collapse "//", drop "." and resolve ".."
 * (never above "/"). The result has no trailing slash except for "/".
 * Returns a malloc'd string, or NULL on ENOMEM.
 */
char *rt_path_clean(const char *path);

/* dir + "/" + name, cleaned when absolute; malloc'd or NULL. */
char *rt_path_join(const char *dir, const char *name);

/* Relative form of a cleaned absolute path for *at() calls under a root: "/a/b" -> "a/b", "/" -> ".". */
const char *rt_path_rel(const char *abs);
