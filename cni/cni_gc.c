/*
 * berth-cni GC: remove every attachment of the network that the runtime no
 * longer lists in cni.dev/valid-attachments (or the older
 * cni.dev/attachments), and whatever crashed ADDs left (pending records,
 * leaked leases, stale port claims). The engine does it under the network's
 * lock, the same one ADD and DEL take. A delegated IPAM plugin gets GC when
 * it speaks 1.1.0, else a DEL for each attachment removed here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni_delegate.h"
#include "cni/cni_engine.h"
#include "cni/cni_verbs.h"

/* Left by GC: listed as valid, or not berth-cni's attachment to this network (eng_gc leaves those alone). */
static bool kept(const struct cni_conf *c, const struct eng_endpoint *ep)
{
	if (strncmp(ep->owner, ENG_OWNER_CNI, strlen(ENG_OWNER_CNI)) != 0 ||
	    strcmp(ep->owner + strlen(ENG_OWNER_CNI), c->name) != 0)
		return true;
	for (size_t i = 0; i < c->n_valid; i++)
		if (strcmp(c->valid[i].container_id, ep->id) == 0 && strcmp(c->valid[i].ifname, ep->ifname) == 0)
			return true;
	return false;
}

int cni_cmd_gc(const struct cni_req *req, struct cni_err *ce)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_eng_ struct eng *eng = NULL;
	_cleanup_free_ struct eng_key *keep = NULL;
	struct eng_endpoint *before = NULL;
	size_t n_before = 0;
	int r;

	if (!c->has_valid)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
				"GC needs 'cni.dev/valid-attachments' (an empty list removes every attachment)");
	r = cni_engine_open(req, &eng, ce);
	if (r < 0)
		return r;
	keep = calloc(c->n_valid + 1, sizeof(*keep));
	if (!keep)
		return cni_oom(ce);
	for (size_t i = 0; i < c->n_valid; i++) {
		keep[i].id = c->valid[i].container_id;
		keep[i].ifname = c->valid[i].ifname;
	}
	if (c->ipam.delegated) {
		/* Which attachments go, so an old delegate can be told one DEL each. */
		r = eng_endpoint_list(eng, c->name, NULL, &before, &n_before, &ce->e);
		if (r < 0 && r != -ENOENT)
			return cni_engine_fail(ce, 0, r);
	}
	r = eng_gc(eng, c->name, keep, c->n_valid, NULL, &ce->e);
	if (r < 0 && r != -ENOENT) {
		eng_endpoints_free(before, n_before);
		return cni_engine_fail(ce, 0, r);
	}
	r = 0;
	if (c->ipam.delegated) {
		r = cni_delegate_ipam(c, &req->env, CNI_CMD_GC, NULL, NULL, NULL, ce);
		if (r == -ENOTSUP) {
			*ce = (struct cni_err)CNI_ERR_INIT;
			r = 0;
			for (size_t i = 0; i < n_before; i++) {
				int q;

				if (kept(c, &before[i]))
					continue;
				/* Spec: GC removes as much as it can and reports the first error. */
				q = cni_delegate_ipam(c, &req->env, CNI_CMD_DEL, before[i].id, before[i].ifname, NULL,
						      r < 0 ? NULL : ce);
				if (q < 0 && r == 0)
					r = q;
			}
		}
	}
	eng_endpoints_free(before, n_before);
	return r;
}
