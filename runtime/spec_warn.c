/* runtime/spec_warn.c: what a config asks for that berth accepts without applying, as warnings. */
#include "runtime/caps.h"
#include "runtime/spec.h"

void rt_spec_warnings(const struct rt_spec *spec, struct berr *warn)
{
	if (spec->process.has_caps)
		rt_caps_warnings(&spec->process.caps, "process", warn);
	rt_cgroup_resources_warnings(&spec->resources, warn);
}
