/* berth-cni: one invocation validated (environment, config, verb against version), then handed to its verb. */
#include "cni/cni_plugin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cni/cni_conf.h"
#include "cni/cni_env.h"
#include "cni/cni_verbs.h"
#include "cni/cni_version.h"
#include "jsonutil.h"

/* The version an error reply is written in: the config's when it is one we speak. */
static const char *reply_version(const char *in, size_t len)
{
	static char buf[16];
	_cleanup_json_ json_t *doc = NULL;
	const char *v;
	enum cni_version parsed;

	if (bjson_parse(in, len, &doc, NULL) < 0)
		return CNI_VERSION_LATEST_STR;
	v = cni_conf_peek_version(doc);
	if (!v || cni_version_parse(v, "cniVersion", &parsed, NULL) < 0)
		return CNI_VERSION_LATEST_STR;
	snprintf(buf, sizeof(buf), "%s", cni_version_str(parsed));
	return buf;
}

static int check_verb_version(const struct cni_req *req, struct cni_err *ce)
{
	const char *v = cni_version_str(req->conf.version);

	switch (req->env.cmd) {
	case CNI_CMD_CHECK:
		if (!cni_version_has_check(req->conf.version))
			return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
					"config version %s does not allow CHECK (0.4.0 and later)", v);
		if (!req->conf.prev_result)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, -EINVAL,
					"CHECK needs 'prevResult', the result of the ADD being checked");
		break;
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		if (!cni_version_has_gc(req->conf.version))
			return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
					"config version %s does not allow %s (1.1.0 and later)", v, req->env.command);
		break;
	default:
		break;
	}
	return 0;
}

int cni_run(char *const *envp, const char *in, size_t len, json_t **ret_out, const char **ret_version,
	    struct cni_err *ce)
{
	struct cni_req req = {0};
	_cleanup_json_ json_t *out = NULL;
	int r;

	*ret_version = reply_version(in, len);
	r = cni_env_parse(envp, &req.env, ce);
	if (r < 0)
		return r;
	if (req.env.cmd == CNI_CMD_VERSION) {
		/* VERSION needs nothing from stdin; the reply lists what we speak. */
		*ret_out = cni_version_info();
		return *ret_out ? 0 : cni_oom(ce);
	}
	r = cni_conf_parse(in, len, &req.env, &req.conf, ce);
	if (r < 0)
		return r;
	r = check_verb_version(&req, ce);
	if (r < 0)
		goto out;

	switch (req.env.cmd) {
	case CNI_CMD_ADD:
		r = cni_cmd_add(&req, &out, ce);
		break;
	case CNI_CMD_DEL:
		r = cni_cmd_del(&req, ce);
		break;
	case CNI_CMD_CHECK:
		r = cni_cmd_check(&req, ce);
		break;
	case CNI_CMD_GC:
		r = cni_cmd_gc(&req, ce);
		break;
	case CNI_CMD_STATUS:
		r = cni_cmd_status(&req, ce);
		break;
	default:
		r = cni_fail(ce, CNI_ERR_INVALID_ENV, -EINVAL, "CNI_COMMAND=%s is not handled", req.env.command);
		break;
	}
	if (r >= 0)
		*ret_out = TAKE_PTR(out);
out:
	cni_conf_free(&req.conf);
	return r;
}
