/*
 * berth-cni's whole outside input, without running a verb: the CNI
 * environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS,
 * CNI_PATH, BERTH_*) and the network configuration on stdin, with its
 * runtimeConfig, args, prevResult and GC attachments.
 *
 * Input: "K=V" lines (the environment), an empty line, then stdin. The
 * prevResult a config carries must render in every version's shape, and
 * what is rendered must parse back (a chained plugin reads it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni_conf.h"
#include "cni/cni_env.h"
#include "cni/cni_result.h"
#include "fuzz.h"
#include "jsonutil.h"

#define MAX_ENV 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prev_result(const json_t *prev)
{
	for (int v = 0; v < CNI_V__COUNT; v++) {
		json_t *out = NULL, *back = NULL;
		struct cni_err ce = CNI_ERR_INIT;

		if (cni_result_render(prev, (enum cni_version)v, &out) < 0)
			continue; /* ENOMEM only */
		if (cni_result_parse(out, "rendered", 7, &back, &ce) < 0)
			__builtin_trap(); /* we wrote something we cannot read */
		json_decref(back);
		json_decref(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *p, *end, *envp[MAX_ENV + 1] = {0};
	const char *in = "";
	size_t n_env = 0, in_len = 0;
	struct cni_env env;
	struct cni_conf conf;
	struct cni_err ce = CNI_ERR_INIT;

	buf = fuzz_text(data, size);
	if (!buf)
		return 0;
	end = buf + size;
	for (p = buf; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			nl = end;
		} else if (nl == p) {
			/* the empty line: stdin follows */
			in = p + 1;
			in_len = (size_t)(end - in);
			break;
		}
		*nl = '\0';
		if (n_env < MAX_ENV)
			envp[n_env++] = p;
		p = nl + 1;
	}
	if (cni_env_parse(envp, &env, &ce) == 0 && env.cmd != CNI_CMD_VERSION &&
	    cni_conf_parse(in, in_len, &env, &conf, &ce) == 0) {
		if (conf.prev_result)
			check_prev_result(conf.prev_result);
		cni_conf_free(&conf);
	}
	/* the pieces on their own too, as the unit tests call them */
	{
		struct cni_args a;
		struct cni_err ce2 = CNI_ERR_INIT;
		const char *args = cni_getenv(envp, "CNI_ARGS");

		if (args)
			(void)cni_args_parse(args, &a, &ce2);
	}
	free(buf);
	return 0;
}
