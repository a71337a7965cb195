/*
 * berth update and events inputs: their command lines (runc's options, the
 * size and duration forms), the -r LinuxResources JSON merged over a
 * container's recorded resources and checked as create checks them, and
 * /proc/net/dev text.
 *
 * Input: byte 0 picks the parser (0 update, 1 events: the arguments after
 * the verb separated by NUL bytes; 2 -r JSON; 3 /proc/net/dev); the rest is
 * its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jsonutil.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/events.h"
#include "runtime/update.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void args(const char *verb, char *buf, size_t len, bool update)
{
	char *argv[MAX_ARGS + 2];
	struct berr e = BERR_INIT;
	int argc = fuzz_args(verb, buf, len, argv, MAX_ARGS);

	if (update) {
		struct rt_update_args a;
		int64_t v;

		if (rt_update_parse_args(argv, &a, &e) == 0)
			rt_update_args_clear(&a);
		for (int i = 1; i < argc; i++)
			(void)rt_parse_mem_size(argv[i], &v);
	} else {
		struct rt_events_args a;
		int64_t ns;

		(void)rt_events_parse_args(argv, &a, &e);
		for (int i = 1; i < argc; i++)
			(void)rt_parse_duration(argv[i], &ns);
	}
}

static void merge(const char *buf, size_t len)
{
	static const char old_text[] = "{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"cpu\":{\"shares\":512},"
				       "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}";
	json_t *old = json_loads(old_text, 0, NULL), *patch = NULL, *m = NULL;
	struct berr e = BERR_INIT, w = BERR_INIT;
	int64_t kernel;

	if (bjson_parse(buf, len, &patch, &e) == 0 && rt_update_merge(old, patch, &m, &kernel, &w, &e) == 0) {
		struct rt_cgroup_resources res;

		if (rt_cgroup_resources_parse(m, &res, &e) == 0)
			rt_cgroup_resources_free(&res);
	}
	json_decref(m);
	json_decref(patch);
	json_decref(old);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1 || !(buf = fuzz_text(data + 1, size - 1)))
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 1:
		args(data[0] & 1 ? "events" : "update", buf, size - 1, !(data[0] & 1));
		break;
	case 2:
		merge(buf, size - 1);
		break;
	default: {
		struct rt_netif_stats *v = NULL;
		size_t n = 0;

		if (rt_netdev_parse(buf, &v, &n) == 0)
			free(v);
		break;
	}
	}
	free(buf);
	return 0;
}
