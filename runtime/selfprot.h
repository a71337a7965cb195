/*
 * Keeping the berth binary out of the container's reach. A container
 * process that can open /proc/PID/exe of a berth process inside it (the
 * init before execve, an exec'd process before its execve) could write to
 * the host's binary once berth exits (CVE-2019-5736). create, run and exec
 * therefore re-execute berth from a sealed memfd copy of itself first: the
 * copy cannot be written, grown or shrunk, and nothing on the host is
 * reachable through it. A berth already running from such a copy goes on.
 */
#pragma once

#include <stdbool.h>

#include "err.h"

/* True when /proc/self/exe is a memfd with every write seal set. */
bool rt_selfprot_sealed(void);

/* Re-exec argv from a sealed copy unless already sealed; returns 0 when sealed, else only on error. */
int rt_selfprot_reexec(char **argv, struct berr *e);
