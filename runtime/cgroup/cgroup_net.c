/* linux.resources.network: the class id (v1 net_cls) and interface priorities (v1 net_prio). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "runtime/cgroup/cgroup_internal.h"

#define W "linux.resources.network"

int cg_net_parse(const json_t *net, struct rt_cgroup_resources *res, struct berr *e)
{
	json_t *arr = NULL, *v;
	int64_t id = 0;
	size_t i;
	int r;

	if ((r = bjson_get_int(net, "classID", W, 0, UINT32_MAX, &id, e)) < 0)
		return r;
	res->has_net_classid = r > 0;
	res->net_classid = (uint32_t)id;
	if ((r = bjson_get_arr(net, "priorities", W, &arr, e)) < 0)
		return r;
	if (!arr || !json_array_size(arr))
		return 0;
	if (json_array_size(arr) > 4096)
		return berr_set(e, -E2BIG, "'" W ".priorities' has more than 4096 entries");
	res->net_prios = calloc(json_array_size(arr), sizeof(*res->net_prios));
	if (!res->net_prios)
		return berr_oom(e);
	json_array_foreach (arr, i, v) {
		struct rt_cgroup_net_prio *p = &res->net_prios[i];
		const char *name = NULL;
		char w[64];
		int64_t prio = 0;

		snprintf(w, sizeof(w), W ".priorities[%zu]", i);
		if (!json_is_object(v))
			return berr_set(e, -EINVAL, "'%s' must be an object", w);
		if ((r = bjson_req_str(v, "name", w, &name, e)) < 0)
			return r;
		if (!*name || strlen(name) >= IFNAMSIZ || strpbrk(name, " /\n"))
			return berr_set(e, -EINVAL, "'%s.name' is not an interface name: '%.32s'", w, name);
		if ((r = bjson_get_int(v, "priority", w, 0, UINT32_MAX, &prio, e)) < 0)
			return r;
		if (r == 0)
			return berr_set(e, -EINVAL, "missing required key '%s.priority'", w);
		snprintf(p->ifname, sizeof(p->ifname), "%s", name);
		p->priority = (uint32_t)prio;
		res->n_net_prios = i + 1;
	}
	return 0;
}

static bool has_v1(const struct cg_mounts *ms, const char *controller)
{
	for (size_t i = 0; i < ms->n; i++)
		if (ms->m[i].kind == CG_V1 && cg_list_has(ms->m[i].controllers, controller))
			return true;
	return false;
}

int cg_net_check(const struct cg_mounts *ms, const struct rt_cgroup_resources *res, struct berr *e)
{
	if (res->has_net_classid && !has_v1(ms, "net_cls"))
		return berr_set(e, -ENOTSUP,
				"'" W ".classID': no cgroup v1 hierarchy has the net_cls controller mounted here "
				"(cgroup v2 has no class id: match the cgroup path in nftables instead)");
	if (res->n_net_prios && !has_v1(ms, "net_prio"))
		return berr_set(e, -ENOTSUP,
				"'" W ".priorities': no cgroup v1 hierarchy has the net_prio controller mounted here "
				"(cgroup v2 has no equivalent)");
	return 0;
}

int cg_v1_net_apply(const struct cg_hier *h, const struct rt_cgroup_resources *res, struct berr *e)
{
	int r;

	if (cg_list_has(h->controllers, "net_cls") && res->has_net_classid) {
		r = cg_write_u64(h->dir, "net_cls.classid", res->net_classid, e);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".classID'");
	}
	if (!cg_list_has(h->controllers, "net_prio"))
		return 0;
	for (size_t i = 0; i < res->n_net_prios; i++) {
		char line[64];

		snprintf(line, sizeof(line), "%s %u", res->net_prios[i].ifname, res->net_prios[i].priority);
		r = cg_write(h->dir, "net_prio.ifpriomap", line, e);
		if (r == -ENODEV)
			return berr_set(e, r,
					"'" W ".priorities[%zu]': no interface '%s' on the host (net_prio names the "
					"interfaces of the host's network namespace)",
					i, res->net_prios[i].ifname);
		if (r < 0)
			return berr_wrap(e, r, "'" W ".priorities[%zu]'", i);
	}
	return 0;
}
