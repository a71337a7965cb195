/* runtime/spec_process.c: the OCI "process" object (also `berth exec --process`). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/caps.h"
#include "runtime/spec.h"
#include "strv.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},
	{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},
	{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", RLIMIT_STACK},
};

int rt_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++) {
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	}
	return -EINVAL;
}

void rt_process_clear(struct rt_process *p)
{
	if (!p)
		return;
	free(p->additional_gids);
	free(p->args);
	free(p->env);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

static int parse_u32(const json_t *obj, const char *key, const char *where, bool required, uint32_t *ret,
		     struct berr *e)
{
	int64_t v;
	int r;

	r = bjson_get_int(obj, key, where, 0, UINT32_MAX - 1, &v, e);
	if (r < 0)
		return r;
	if (r == 0) {
		if (required)
			return berr_set(e, -EINVAL, "missing required key '%s.%s'", where, key);
		return 0;
	}
	*ret = (uint32_t)v;
	return 1;
}

static int parse_user(const json_t *user, const char *where, struct rt_process *p, struct berr *e)
{
	char w[128];
	json_t *gids = NULL;
	int64_t umask_v;
	size_t i;
	json_t *v;
	int r;

	snprintf(w, sizeof(w), "%s.user", where);
	if (!json_is_object(user))
		return berr_set(e, -EINVAL, "'%s' must be an object", w);
	r = parse_u32(user, "uid", w, true, &p->uid, e);
	if (r < 0)
		return r;
	r = parse_u32(user, "gid", w, true, &p->gid, e);
	if (r < 0)
		return r;
	r = bjson_get_int(user, "umask", w, 0, 07777, &umask_v, e);
	if (r < 0)
		return r;
	if (r > 0) {
		p->has_umask = true;
		p->umask = (mode_t)umask_v;
	}
	r = bjson_get_arr(user, "additionalGids", w, &gids, e);
	if (r < 0)
		return r;
	if (!gids)
		return 0;
	if (json_array_size(gids) > 65536)
		return berr_set(e, -EINVAL, "'%s.additionalGids' has too many entries", w);
	p->additional_gids = calloc(json_array_size(gids) + 1, sizeof(uint32_t));
	if (!p->additional_gids)
		return berr_oom(e);
	json_array_foreach (gids, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= UINT32_MAX)
			return berr_set(e, -EINVAL, "'%s.additionalGids[%zu]' must be a group id", w, i);
		p->additional_gids[i] = (uint32_t)json_integer_value(v);
	}
	p->n_additional_gids = json_array_size(gids);
	return 0;
}

static int parse_caps(const json_t *caps, const char *where, struct rt_process *p, struct berr *e)
{
	static const char *const sets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
	uint64_t *dst[] = {&p->caps.bounding, &p->caps.effective, &p->caps.permitted, &p->caps.inheritable,
			   &p->caps.ambient};
	char w[128];

	if (!json_is_object(caps))
		return berr_set(e, -EINVAL, "'%s.capabilities' must be an object", where);
	p->has_caps = true;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		json_t *arr = json_object_get(caps, sets[i]);
		int r;

		*dst[i] = 0;
		if (!arr || json_is_null(arr))
			continue;
		snprintf(w, sizeof(w), "%s.capabilities.%s", where, sets[i]);
		r = rt_caps_parse_list(arr, w, dst[i], e);
		if (r < 0)
			return r;
	}
	/*
	 * The kernel refuses these combinations with a bare EPERM at exec time; name them here instead.
	 * Ambient capabilities that are not also permitted and inheritable (`runc spec` writes such
	 * sets) are accepted like runc does: not raised, with a warning (rt_caps_warnings).
	 */
	for (int cap = 0; cap <= RT_CAP_MAX; cap++) {
		uint64_t bit = 1ULL << cap;

		if ((p->caps.effective & bit) && !(p->caps.permitted & bit))
			return berr_set(e, -EINVAL, "'%s.capabilities.effective' has %s, which is not in permitted",
					where, rt_cap_name(cap));
		if ((p->caps.inheritable & bit) && !(p->caps.bounding & bit))
			return berr_set(e, -EINVAL, "'%s.capabilities.inheritable' has %s, which is not in bounding",
					where, rt_cap_name(cap));
	}
	return 0;
}

static int parse_rlimits(const json_t *arr, const char *where, struct rt_process *p, struct berr *e)
{
	size_t i;
	json_t *v;

	p->rlimits = calloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return berr_oom(e);
	json_array_foreach ((json_t *)arr, i, v) {
		char w[128];
		const char *type = NULL;
		json_t *soft, *hard;
		int res, r;

		snprintf(w, sizeof(w), "%s.rlimits[%zu]", where, i);
		if (!json_is_object(v))
			return berr_set(e, -EINVAL, "'%s' must be an object", w);
		r = bjson_req_str(v, "type", w, &type, e);
		if (r < 0)
			return r;
		res = rt_rlimit_from_name(type);
		if (res < 0)
			return berr_set(e, -EINVAL, "'%s.type': unknown rlimit '%s'", w, type);
		for (size_t j = 0; j < p->n_rlimits; j++) {
			if (p->rlimits[j].resource == res)
				return berr_set(e, -EINVAL, "'%s.type': %s is given twice", w, type);
		}
		soft = json_object_get(v, "soft");
		hard = json_object_get(v, "hard");
		/* jansson keeps integers signed; RLIM_INFINITY arrives as -1 or as a huge number. */
		if (!json_is_integer(soft) && !json_is_real(soft))
			return berr_set(e, -EINVAL, "'%s.soft' must be an integer", w);
		if (!json_is_integer(hard) && !json_is_real(hard))
			return berr_set(e, -EINVAL, "'%s.hard' must be an integer", w);
		p->rlimits[p->n_rlimits].resource = res;
		p->rlimits[p->n_rlimits].soft =
			json_is_integer(soft) ? (uint64_t)json_integer_value(soft) : (uint64_t)json_real_value(soft);
		p->rlimits[p->n_rlimits].hard =
			json_is_integer(hard) ? (uint64_t)json_integer_value(hard) : (uint64_t)json_real_value(hard);
		if (json_is_real(soft) && json_real_value(soft) >= 1.8e19)
			p->rlimits[p->n_rlimits].soft = RLIM_INFINITY;
		if (json_is_real(hard) && json_real_value(hard) >= 1.8e19)
			p->rlimits[p->n_rlimits].hard = RLIM_INFINITY;
		if (p->rlimits[p->n_rlimits].soft > p->rlimits[p->n_rlimits].hard)
			return berr_set(e, -EINVAL, "'%s': soft limit is above the hard limit", w);
		p->n_rlimits++;
	}
	return 0;
}

int rt_process_parse(const json_t *obj, const char *where, struct rt_process *ret, struct berr *e)
{
	static const char *const unsupported[] = {"scheduler", "ioPriority", "execCPUAffinity"};
	struct rt_process p = {0};
	json_t *arr = NULL, *o = NULL;
	const char *s = NULL;
	char w[128];
	int64_t v;
	int r;

	if (!json_is_object(obj)) {
		r = berr_set(e, -EINVAL, "'%s' must be an object", where);
		goto fail;
	}
	r = bjson_get_bool(obj, "terminal", where, &p.terminal, e);
	if (r < 0)
		goto fail;
	r = bjson_get_obj(obj, "consoleSize", where, &o, e);
	if (r < 0)
		goto fail;
	if (o) {
		snprintf(w, sizeof(w), "%s.consoleSize", where);
		r = bjson_get_int(o, "height", w, 0, 65535, &v, e);
		if (r < 0)
			goto fail;
		p.console_height = (unsigned short)(r > 0 ? v : 0);
		r = bjson_get_int(o, "width", w, 0, 65535, &v, e);
		if (r < 0)
			goto fail;
		p.console_width = (unsigned short)(r > 0 ? v : 0);
	}
	o = json_object_get(obj, "user");
	if (!o || json_is_null(o)) {
		r = berr_set(e, -EINVAL, "missing required key '%s.user'", where);
		goto fail;
	}
	r = parse_user(o, where, &p, e);
	if (r < 0)
		goto fail;

	r = bjson_get_arr(obj, "args", where, &arr, e);
	if (r < 0)
		goto fail;
	if (!arr || json_array_size(arr) == 0) {
		r = berr_set(e, -EINVAL, "'%s.args' must list at least the program to run", where);
		goto fail;
	}
	snprintf(w, sizeof(w), "%s.args", where);
	r = strv_from_json(arr, w, false, &p.args, e);
	if (r < 0)
		goto fail;
	if (!p.args[0][0]) {
		r = berr_set(e, -EINVAL, "'%s.args[0]' is empty", where);
		goto fail;
	}

	arr = NULL;
	r = bjson_get_arr(obj, "env", where, &arr, e);
	if (r < 0)
		goto fail;
	snprintf(w, sizeof(w), "%s.env", where);
	r = strv_from_json(arr, w, true, &p.env, e);
	if (r < 0)
		goto fail;

	r = bjson_req_str(obj, "cwd", where, &p.cwd, e);
	if (r < 0)
		goto fail;
	if (p.cwd[0] != '/') {
		r = berr_set(e, -EINVAL, "'%s.cwd' must be an absolute path, not '%s'", where, p.cwd);
		goto fail;
	}

	o = json_object_get(obj, "capabilities");
	if (o && !json_is_null(o)) {
		r = parse_caps(o, where, &p, e);
		if (r < 0)
			goto fail;
	}

	arr = NULL;
	r = bjson_get_arr(obj, "rlimits", where, &arr, e);
	if (r < 0)
		goto fail;
	if (arr) {
		r = parse_rlimits(arr, where, &p, e);
		if (r < 0)
			goto fail;
	}

	r = bjson_get_bool(obj, "noNewPrivileges", where, &p.no_new_privileges, e);
	if (r < 0)
		goto fail;
	r = bjson_get_int(obj, "oomScoreAdj", where, -1000, 1000, &v, e);
	if (r < 0)
		goto fail;
	if (r > 0) {
		p.has_oom_score_adj = true;
		p.oom_score_adj = (int)v;
	}
	/* Accepted and not applied: no LSM is driven by berth (docs/runtime.md). */
	r = bjson_get_str(obj, "apparmorProfile", where, &s, e);
	if (r < 0)
		goto fail;
	r = bjson_get_str(obj, "selinuxLabel", where, &s, e);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		json_t *u = json_object_get(obj, unsupported[i]);

		if (u && !json_is_null(u)) {
			r = berr_set(e, -EOPNOTSUPP, "'%s.%s' is not supported by berth", where, unsupported[i]);
			goto fail;
		}
	}
	*ret = p;
	return 0;
fail:
	rt_process_clear(&p);
	return r;
}
