/*
 * CNI results from outside: a delegated IPAM plugin's ADD reply, a
 * prevResult of any version, a plugin's VERSION reply. Whatever parses
 * must render in every version's shape, and the rendering must parse back
 * to the same result; a merged IPAM result keeps what the result held.
 */
#include <stdint.h>

#include "cni/cni_result.h"
#include "cni/cni_version.h"
#include "jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const json_t *res)
{
	for (int v = 0; v < CNI_V__COUNT; v++) {
		json_t *out = NULL, *back = NULL, *again = NULL;
		struct cni_err ce = CNI_ERR_INIT;

		if (cni_result_render(res, (enum cni_version)v, &out) < 0)
			continue; /* ENOMEM only */
		if (cni_result_parse(out, "rendered", 106, &back, &ce) < 0)
			__builtin_trap(); /* a chained plugin could not read what we print */
		/* rendering what we read back gives the same text: nothing is lost or invented */
		if (cni_result_render(back, (enum cni_version)v, &again) < 0 || !json_equal(out, again))
			__builtin_trap();
		json_decref(again);
		json_decref(back);
		json_decref(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_json_ json_t *doc = NULL, *res = NULL, *dns = NULL;
	struct cni_err ce = CNI_ERR_INIT;
	enum cni_version v;

	if (bjson_parse((const char *)data, size, &doc, NULL) < 0)
		return 0;
	if (cni_result_parse(doc, "prevResult", 7, &res, &ce) == 0) {
		json_t *base = cni_result_new();

		round_trip(res);
		/* as a delegate's IPAM reply merged into berth-cni's own result */
		if (base) {
			int iface = -1;

			if (cni_result_add_iface(base, "eth0", "0a:58:0a:00:00:02", "/run/netns/x", 1500, &iface) ==
				    0 &&
			    cni_result_merge_ipam(base, res, iface) == 0)
				round_trip(base);
			json_decref(base);
		}
	}
	(void)cni_dns_parse(json_object_get(doc, "dns"), "dns", 7, &dns, &ce);
	(void)cni_version_negotiate(doc, "fuzz", &v, &ce);
	if (json_is_string(json_object_get(doc, "cniVersion")))
		(void)cni_version_parse(json_string_value(json_object_get(doc, "cniVersion")), "cniVersion", &v, &ce);
	return 0;
}
