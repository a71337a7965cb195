/*
 * Stack files: JSON from users, parsed and validated before anything is
 * made; what a valid one turns into (each container's config.json, its
 * berth.networks annotation as the runtime reads it back) must hold too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "runtime/spec.h"
#include "stack/stack_file.h"
#include "stack/stack_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bundle_round_trip(const struct stack *s, const struct stack_container *c)
{
	struct stack_run dir = {.name = s->name, .dir = "/nonexistent/stacks/fuzz"};
	_cleanup_json_ json_t *cfg = NULL;
	struct rt_spec *spec = NULL;
	char *text = NULL;

	if (stk_bundle_text(&dir, s, c, STACK_DEFAULT_CGROUP_PARENT, &text, NULL) < 0)
		return;
	/* the runtime must take what up generates; "/" stands in for the rootfs */
	if (bjson_parse(text, strlen(text), &cfg, NULL) == 0 &&
	    bjson_set(json_object_get(cfg, "root"), "path", json_string("/")) == 0 &&
	    rt_spec_from_json(cfg, "/", &spec, NULL) == 0) {
		if (spec->n_nets != c->n_networks)
			abort();
		rt_spec_free(spec);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_json_ json_t *doc = NULL;
	struct stack *s = NULL;
	struct berr e = BERR_INIT;

	if (bjson_parse((const char *)data, size, &doc, &e) < 0)
		return 0;
	if (stack_parse(doc, "fuzz", "/base", &s, &e) == 0) {
		for (size_t i = 0; i < s->n_containers; i++)
			bundle_round_trip(s, &s->containers[i]);
		stack_free(s);
	}
	return 0;
}
