/*
 * berth-cni STATUS: can an ADD succeed now? Code 50 when the address pool is
 * exhausted or the state directory is unusable, 51 when the bridge vanished
 * under existing attachments; a delegated IPAM plugin that speaks 1.1.0 is
 * asked too.
 */
#include <errno.h>

#include "cni/cni_delegate.h"
#include "cni/cni_engine.h"
#include "cni/cni_verbs.h"

int cni_cmd_status(const struct cni_req *req, struct cni_err *ce)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_eng_ struct eng *eng = NULL;
	struct eng_status st;
	int r;

	r = cni_engine_open(req, &eng, ce);
	if (r < 0) {
		ce->code = CNI_ERR_NOT_AVAILABLE; /* without its state directory no ADD can work */
		return r;
	}
	r = eng_status(eng, c->name, &st, &ce->e);
	if (r == -ENOSPC)
		return cni_engine_fail(ce, CNI_ERR_NOT_AVAILABLE, r);
	/*
	 * The next ADD re-makes a missing bridge, but attachments that hung on
	 * it lost their connectivity until then (or until netd reconciles).
	 */
	if (r == -ENODEV && st.endpoints > 0)
		return cni_engine_fail(ce, CNI_ERR_LIMITED_CONNECTIVITY, r);
	/* A network not made yet is made by the next ADD. */
	if (r < 0 && r != -ENOENT && r != -ENODEV)
		return cni_engine_fail(ce, CNI_ERR_NOT_AVAILABLE, r);
	if (r == -ENOENT && !c->ipam.has_range && !c->ipam.delegated)
		return cni_fail(ce, CNI_ERR_NOT_AVAILABLE, -ENOENT,
				"network %s does not exist and the config defines no subnet for ADD to create it",
				c->name);
	if (c->ipam.delegated) {
		r = cni_delegate_ipam(c, &req->env, CNI_CMD_STATUS, NULL, NULL, NULL, ce);
		if (r == -ENOTSUP) {
			*ce = (struct cni_err)CNI_ERR_INIT;
			return 0;
		}
		return r;
	}
	return 0;
}
