/* Signal names and numbers as `berth kill` takes them: 9, KILL, SIGKILL, sigkill, RTMIN+3. */
#pragma once

#include "err.h"

int rt_signal_parse(const char *s, int *ret, struct berr *e);
/* "SIGKILL", or NULL for a number without a name */
const char *rt_signal_name(int sig);
