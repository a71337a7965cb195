/*
 * The records netd and berth-cni read back from the state directory
 * (network.json, endpoint records, the port objects inside them): anything
 * found there may be damaged or hand-edited. What parses must write back
 * to JSON that parses to the same thing.
 */
#include <stdint.h>

#include "jsonutil.h"
#include "netd/engine/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void network(const json_t *j)
{
	struct eng_network n, back;
	struct berr e = BERR_INIT;
	json_t *out, *again;

	if (record_network_from_json(j, &n, &e) < 0)
		return;
	out = record_network_to_json(&n);
	if (!out)
		return;
	if (record_network_from_json(out, &back, &e) < 0)
		__builtin_trap();
	again = record_network_to_json(&back);
	if (again && !json_equal(out, again))
		__builtin_trap();
	json_decref(again);
	json_decref(out);
}

static void endpoint(const json_t *j)
{
	struct eng_endpoint ep, back;
	struct berr e = BERR_INIT;
	json_t *out, *again;

	if (record_endpoint_from_json(j, &ep, &e) < 0)
		return;
	out = record_endpoint_to_json(&ep);
	if (out) {
		if (record_endpoint_from_json(out, &back, &e) < 0)
			__builtin_trap();
		again = record_endpoint_to_json(&back);
		if (again && !json_equal(out, again))
			__builtin_trap();
		json_decref(again);
		eng_endpoint_clear(&back);
		json_decref(out);
	}
	eng_endpoint_clear(&ep);
}

static void port(const json_t *j)
{
	struct bportspec p, back;
	struct berr e = BERR_INIT;
	json_t *out, *again;

	if (record_port_from_json(j, "ports[0]", &p, &e) < 0)
		return;
	out = record_port_to_json(&p);
	if (!out)
		return;
	if (record_port_from_json(out, "ports[0]", &back, &e) < 0)
		__builtin_trap();
	again = record_port_to_json(&back);
	if (again && !json_equal(out, again))
		__builtin_trap();
	json_decref(again);
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_json_ json_t *doc = NULL;
	uint8_t mac[6];
	struct berr e = BERR_INIT;

	if (bjson_parse((const char *)data, size, &doc, NULL) < 0)
		return 0;
	network(doc);
	endpoint(doc);
	port(doc);
	if (json_is_string(doc))
		(void)record_mac_parse(json_string_value(doc), mac, &e);
	return 0;
}
