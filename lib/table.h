/* berth: aligned text tables for the CLIs' human output (netctl, berth ps and stacks). */
#pragma once

#include <stdio.h>

struct table;

struct table *table_new(const char *const *headers);
/* Append a row of as many cells as headers (NULL cells print as "-"). Returns 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
