/*
 * berth-cni DEL: remove what ADD made. Idempotent: twice, with the namespace
 * gone or CNI_NETNS empty, it succeeds; the endpoint record, not the
 * runtime, says which veth, lease and published ports to release, so a DEL
 * without portMappings still unpublishes them.
 */
#include <errno.h>

#include "cni/cni_delegate.h"
#include "cni/cni_engine.h"
#include "cni/cni_verbs.h"

int cni_cmd_del(const struct cni_req *req, struct cni_err *ce)
{
	const struct cni_conf *c = &req->conf;
	_cleanup_eng_ struct eng *eng = NULL;
	int r;

	r = cni_engine_open(req, &eng, ce);
	if (r < 0)
		return r;
	r = eng_detach(eng, c->name, req->env.container_id, req->env.ifname, NULL, &ce->e);
	if (r < 0 && r != -ENOENT)
		return cni_engine_fail(ce, 0, r);
	/* The delegate's lease goes last, in the reverse order of ADD, and also when we had no endpoint. */
	if (c->ipam.delegated)
		return cni_delegate_ipam(c, &req->env, CNI_CMD_DEL, NULL, NULL, NULL, ce);
	return 0;
}
