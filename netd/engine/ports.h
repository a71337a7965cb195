/* Host port ownership: who published which host port, on which address. */
/*
 * One small record per claimed (protocol, host port) under <state>/ports,
 * listing who published it on which host address. A port published on every
 * address (0.0.0.0) conflicts with the same port on any single address and the
 * other way round. Taken under the ports lock, which nests inside network locks
 * (docs/netd.md).
 */
#pragma once

#include <stddef.h>

#include "err.h"
#include "netd/engine/engine.h"
#include "netd/engine/store.h"

/* Claim every host port of ep, all or nothing; -EADDRINUSE naming the current owner. */
int ports_claim(struct store *st, const struct eng_endpoint *ep, struct berr *e);

/* Release the claims that name ep (others' claims on the same ports stay). */
int ports_release(struct store *st, const struct eng_endpoint *ep, struct berr *e);

/*
 * Drop every claim of network (NULL: of any network) whose owner is not one
 * of live[]; with network NULL, claims of unknown networks go too. Returns
 * the number of claims dropped.
 */
int ports_sweep(struct store *st, const char *network, const struct eng_endpoint *live, size_t n_live, struct berr *e);
