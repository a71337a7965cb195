/* runtime/spec.c: config.json of an OCI bundle, validated field by field. */
#include "runtime/spec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/devices.h"
#include "runtime/namespaces.h"
#include "runtime/path.h"
#include "strv.h"

static const char *const hook_names[RT_HOOK_KINDS] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

const char *rt_hook_kind_name(enum rt_hook_kind k)
{
	return k < RT_HOOK_KINDS ? hook_names[k] : "unknown";
}

int rt_id_validate(const char *id, struct berr *e)
{
	if (!id || !*id)
		return berr_set(e, -EINVAL, "container id is empty");
	if (strlen(id) > RT_MAX_ID_LEN)
		return berr_set(e, -EINVAL, "container id is longer than %d bytes", RT_MAX_ID_LEN);
	if (!bname_valid(id, RT_MAX_ID_LEN))
		return berr_set(e, -EINVAL, "invalid container id '%s': use [A-Za-z0-9][A-Za-z0-9_.-]*", id);
	/* <root>/stacks holds the stacks' state (runtime/stack.h), next to the containers' */
	if (strcmp(id, RT_RESERVED_ID) == 0)
		return berr_set(e, -EINVAL, "container id '%s' is reserved (stack state lives in <root>/%s)", id, id);
	return 0;
}

void rt_hooks_clear(struct rt_hooks *h)
{
	for (int k = 0; k < RT_HOOK_KINDS; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free(h->list[k][i].args);
			free(h->list[k][i].env);
		}
		free(h->list[k]);
		h->list[k] = NULL;
		h->n[k] = 0;
	}
}

void rt_spec_free(struct rt_spec *spec)
{
	if (!spec)
		return;
	rt_process_clear(&spec->process);
	rt_mounts_free(spec->mounts, spec->n_mounts);
	rt_hooks_clear(&spec->hooks);
	free(spec->devices);
	free(spec->sysctls);
	free(spec->masked_paths);
	free(spec->readonly_paths);
	rt_net_attach_free(spec->nets, spec->n_nets);
	rt_cgroup_resources_free(&spec->resources);
	json_decref(spec->annotations);
	json_decref(spec->json);
	free(spec->bundle);
	free(spec->rootfs);
	free(spec);
}

static int parse_hook(const json_t *obj, const char *where, struct rt_hook *h, struct berr *e)
{
	json_t *arr = NULL;
	char w[96];
	int64_t t;
	int r;

	if (!json_is_object(obj))
		return berr_set(e, -EINVAL, "'%s' must be an object", where);
	r = bjson_req_str(obj, "path", where, &h->path, e);
	if (r < 0)
		return r;
	if (h->path[0] != '/')
		return berr_set(e, -EINVAL, "'%s.path' must be an absolute path, not '%s'", where, h->path);
	r = bjson_get_arr(obj, "args", where, &arr, e);
	if (r < 0)
		return r;
	snprintf(w, sizeof(w), "%s.args", where);
	r = strv_from_json(arr, w, false, &h->args, e);
	if (r < 0)
		return r;
	if (!h->args[0]) {
		char **v = realloc(h->args, 2 * sizeof(char *));

		if (!v)
			return berr_oom(e);
		v[0] = (char *)h->path;
		v[1] = NULL;
		h->args = v;
	}
	arr = NULL;
	r = bjson_get_arr(obj, "env", where, &arr, e);
	if (r < 0)
		return r;
	snprintf(w, sizeof(w), "%s.env", where);
	r = strv_from_json(arr, w, true, &h->env, e);
	if (r < 0)
		return r;
	r = bjson_get_int(obj, "timeout", where, 1, INT_MAX, &t, e);
	if (r < 0)
		return r;
	h->timeout = r > 0 ? (int)t : 0;
	return 0;
}

int rt_hooks_parse(const json_t *obj, struct rt_hooks *hooks, struct berr *e)
{
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return berr_set(e, -EINVAL, "'hooks' must be an object");
	for (int k = 0; k < RT_HOOK_KINDS; k++) {
		json_t *arr = NULL, *v;
		char where[64];
		size_t i;
		int r;

		snprintf(where, sizeof(where), "hooks");
		r = bjson_get_arr(obj, hook_names[k], where, &arr, e);
		if (r < 0)
			return r;
		if (!arr)
			continue;
		hooks->list[k] = calloc(json_array_size(arr) + 1, sizeof(struct rt_hook));
		if (!hooks->list[k])
			return berr_oom(e);
		json_array_foreach (arr, i, v) {
			snprintf(where, sizeof(where), "hooks.%s[%zu]", hook_names[k], i);
			hooks->n[k]++;
			r = parse_hook(v, where, &hooks->list[k][i], e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int parse_root(struct rt_spec *spec, struct berr *e)
{
	json_t *root = json_object_get(spec->json, "root");
	_cleanup_free_ char *joined = NULL;
	const char *path = NULL;
	char real[PATH_MAX];
	struct stat st;
	int r;

	if (!root || !json_is_object(root))
		return berr_set(e, -EINVAL, "missing required object 'root'");
	r = bjson_req_str(root, "path", "root", &path, e);
	if (r < 0)
		return r;
	if (!*path)
		return berr_set(e, -EINVAL, "'root.path' is empty");
	r = bjson_get_bool(root, "readonly", "root", &spec->root_readonly, e);
	if (r < 0)
		return r;
	joined = path[0] == '/' ? strdup(path) : rt_path_join(spec->bundle, path);
	if (!joined)
		return berr_oom(e);
	if (!realpath(joined, real))
		return berr_errno(e, "'root.path' %s", joined);
	if (stat(real, &st) < 0)
		return berr_errno(e, "'root.path' %s", real);
	if (!S_ISDIR(st.st_mode))
		return berr_set(e, -ENOTDIR, "'root.path' %s is not a directory", real);
	if (strcmp(real, "/") == 0)
		return berr_set(e, -EINVAL, "'root.path' must not be the host's root directory");
	spec->rootfs = strdup(real);
	return spec->rootfs ? 0 : berr_oom(e);
}

static int parse_namespaces(struct rt_spec *spec, const json_t *linux_obj, struct berr *e)
{
	json_t *arr = NULL, *v;
	size_t i;
	int r;

	r = bjson_get_arr(linux_obj, "namespaces", "linux", &arr, e);
	if (r < 0)
		return r;
	if (arr) {
		json_array_foreach (arr, i, v) {
			char where[64];
			const char *type = NULL, *path = NULL;
			int t;

			snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
			if (!json_is_object(v))
				return berr_set(e, -EINVAL, "'%s' must be an object", where);
			r = bjson_req_str(v, "type", where, &type, e);
			if (r < 0)
				return r;
			t = rt_ns_type_from_name(type);
			if (t < 0)
				return berr_set(e, -EINVAL, "'%s.type': unknown namespace type '%s'", where, type);
			if (spec->ns_all & t)
				return berr_set(e, -EINVAL, "'%s.type': the %s namespace is listed twice", where, type);
			spec->ns_all |= t;
			r = bjson_get_str(v, "path", where, &path, e);
			if (r < 0)
				return r;
			if (path && *path) {
				if (path[0] != '/')
					return berr_set(e, -EINVAL, "'%s.path' must be an absolute path, not '%s'",
							where, path);
				spec->ns_join[spec->n_ns_join].type = t;
				spec->ns_join[spec->n_ns_join].path = path;
				spec->n_ns_join++;
			} else {
				spec->ns_new |= t;
			}
		}
	}
	/* without a mount namespace the init is chrooted into root.path and mounts nothing (rootfs.h) */
	return 0;
}

static int parse_id_maps(const json_t *linux_obj, const char *key, struct rt_id_map *maps, size_t *ret_n,
			 struct berr *e)
{
	json_t *arr = NULL, *v;
	size_t i;
	int r;

	r = bjson_get_arr(linux_obj, key, "linux", &arr, e);
	if (r < 0)
		return r;
	if (!arr)
		return 0;
	if (json_array_size(arr) > RT_MAX_ID_MAPS)
		return berr_set(e, -EINVAL, "'linux.%s' has more than %d entries", key, RT_MAX_ID_MAPS);
	json_array_foreach (arr, i, v) {
		char where[64];
		int64_t c, h, s;

		snprintf(where, sizeof(where), "linux.%s[%zu]", key, i);
		if (!json_is_object(v))
			return berr_set(e, -EINVAL, "'%s' must be an object", where);
		if ((r = bjson_get_int(v, "containerID", where, 0, UINT32_MAX - 1, &c, e)) <= 0 ||
		    (r = bjson_get_int(v, "hostID", where, 0, UINT32_MAX - 1, &h, e)) <= 0 ||
		    (r = bjson_get_int(v, "size", where, 1, UINT32_MAX, &s, e)) <= 0)
			return r < 0 ? r : berr_set(e, -EINVAL, "'%s' needs containerID, hostID and size", where);
		if (c + s > (int64_t)UINT32_MAX || h + s > (int64_t)UINT32_MAX)
			return berr_set(e, -EINVAL, "'%s' runs past the last id", where);
		maps[i].container_id = (uint32_t)c;
		maps[i].host_id = (uint32_t)h;
		maps[i].size = (uint32_t)s;
	}
	*ret_n = json_array_size(arr);
	return 0;
}

static int check_user_ns(struct rt_spec *spec, struct berr *e)
{
	bool new_user = spec->ns_new & CLONE_NEWUSER;

	if (!new_user) {
		if (spec->n_uid_maps || spec->n_gid_maps)
			return berr_set(e, -EINVAL,
					"'linux.uidMappings'/'linux.gidMappings' need a new user namespace");
		return 0;
	}
	if (!spec->n_uid_maps)
		return berr_set(e, -EINVAL, "'linux.uidMappings' is required with a new user namespace");
	if (!spec->n_gid_maps)
		return berr_set(e, -EINVAL, "'linux.gidMappings' is required with a new user namespace");
	/* The init sets the container up as its root before it becomes process.user. */
	if (!rt_ns_id_mapped(spec->uid_maps, spec->n_uid_maps, 0))
		return berr_set(e, -EINVAL, "'linux.uidMappings' must map container uid 0");
	if (!rt_ns_id_mapped(spec->gid_maps, spec->n_gid_maps, 0))
		return berr_set(e, -EINVAL, "'linux.gidMappings' must map container gid 0");
	if (!rt_ns_id_mapped(spec->uid_maps, spec->n_uid_maps, spec->process.uid))
		return berr_set(e, -EINVAL, "'process.user.uid' %u is not mapped by 'linux.uidMappings'",
				spec->process.uid);
	if (!rt_ns_id_mapped(spec->gid_maps, spec->n_gid_maps, spec->process.gid))
		return berr_set(e, -EINVAL, "'process.user.gid' %u is not mapped by 'linux.gidMappings'",
				spec->process.gid);
	for (size_t i = 0; i < spec->process.n_additional_gids; i++) {
		if (!rt_ns_id_mapped(spec->gid_maps, spec->n_gid_maps, spec->process.additional_gids[i]))
			return berr_set(e, -EINVAL, "'process.user.additionalGids[%zu]' %u is not mapped", i,
					spec->process.additional_gids[i]);
	}
	return 0;
}

static int parse_time_offset(const json_t *obj, const char *key, struct rt_time_offset *ret, struct berr *e)
{
	json_t *o = NULL;
	char where[64];
	int64_t v;
	int r;

	r = bjson_get_obj(obj, key, "linux.timeOffsets", &o, e);
	if (r <= 0)
		return r;
	snprintf(where, sizeof(where), "linux.timeOffsets.%s", key);
	r = bjson_get_int(o, "secs", where, INT64_MIN / 2, INT64_MAX / 2, &v, e);
	if (r < 0)
		return r;
	ret->secs = r > 0 ? v : 0;
	r = bjson_get_int(o, "nanosecs", where, 0, 999999999, &v, e);
	if (r < 0)
		return r;
	ret->nanosecs = r > 0 ? (uint32_t)v : 0;
	ret->set = true;
	return 0;
}

static int parse_time(struct rt_spec *spec, const json_t *linux_obj, struct berr *e)
{
	static const char *const keys[] = {"monotonic", "boottime", NULL};
	json_t *o = NULL;
	int r;

	r = bjson_get_obj(linux_obj, "timeOffsets", "linux", &o, e);
	if (r <= 0)
		return r;
	r = bjson_check_keys(o, keys, "linux.timeOffsets", e);
	if (r < 0)
		return r;
	if ((r = parse_time_offset(o, "monotonic", &spec->time_monotonic, e)) < 0 ||
	    (r = parse_time_offset(o, "boottime", &spec->time_boottime, e)) < 0)
		return r;
	if ((spec->time_monotonic.set || spec->time_boottime.set) && !(spec->ns_new & CLONE_NEWTIME))
		return berr_set(e, -EINVAL, "'linux.timeOffsets' needs a new time namespace");
	return 0;
}

static int sysctl_check(const struct rt_spec *spec, const char *key, struct berr *e)
{
	static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",	 "kernel.msgmni",
					       "kernel.sem",	"kernel.shmall",	 "kernel.shmmax",
					       "kernel.shmmni", "kernel.shm_rmid_forced"};
	int need = 0;

	if (!*key || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strstr(key, "/."))
		return berr_set(e, -EINVAL, "'linux.sysctl': invalid key '%s'", key);
	for (const char *p = key; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._-/@:", *p)))
			return berr_set(e, -EINVAL, "'linux.sysctl': invalid key '%s'", key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++) {
		if (strcmp(key, ipc_keys[i]) == 0)
			need = CLONE_NEWIPC;
	}
	if (strncmp(key, "fs.mqueue.", 10) == 0 || strncmp(key, "fs/mqueue/", 10) == 0)
		need = CLONE_NEWIPC;
	else if (strncmp(key, "net.", 4) == 0 || strncmp(key, "net/", 4) == 0)
		need = CLONE_NEWNET;
	else if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
		need = CLONE_NEWUTS;
	if (!need)
		return berr_set(e, -EINVAL, "'linux.sysctl': '%s' is not namespaced and cannot be set for a container",
				key);
	if (!(spec->ns_all & need))
		return berr_set(e, -EINVAL, "'linux.sysctl': '%s' needs a %s namespace", key, rt_ns_oci_name(need));
	return 0;
}

static int parse_sysctl(struct rt_spec *spec, const json_t *linux_obj, struct berr *e)
{
	json_t *o = NULL, *v;
	const char *key;
	int r;

	r = bjson_get_obj(linux_obj, "sysctl", "linux", &o, e);
	if (r <= 0)
		return r;
	spec->sysctls = calloc(json_object_size(o) + 1, sizeof(*spec->sysctls));
	if (!spec->sysctls)
		return berr_oom(e);
	json_object_foreach (o, key, v) {
		if (!json_is_string(v))
			return berr_set(e, -EINVAL, "'linux.sysctl.%s' must be a string", key);
		r = sysctl_check(spec, key, e);
		if (r < 0)
			return r;
		spec->sysctls[spec->n_sysctls].key = key;
		spec->sysctls[spec->n_sysctls].value = json_string_value(v);
		spec->n_sysctls++;
	}
	return 0;
}

static int parse_paths(const json_t *linux_obj, const char *key, const char ***ret, size_t *ret_n, struct berr *e)
{
	json_t *arr = NULL, *v;
	size_t i;
	int r;

	r = bjson_get_arr(linux_obj, key, "linux", &arr, e);
	if (r <= 0)
		return r;
	*ret = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!*ret)
		return berr_oom(e);
	json_array_foreach (arr, i, v) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/')
			return berr_set(e, -EINVAL, "'linux.%s[%zu]' must be an absolute path", key, i);
		(*ret)[i] = json_string_value(v);
	}
	*ret_n = json_array_size(arr);
	return 0;
}

static int parse_annotations(struct rt_spec *spec, struct berr *e)
{
	json_t *a = json_object_get(spec->json, "annotations"), *v;
	const char *key;

	if (!a || json_is_null(a)) {
		spec->annotations = json_object();
		return spec->annotations ? 0 : berr_oom(e);
	}
	if (!json_is_object(a))
		return berr_set(e, -EINVAL, "'annotations' must be an object");
	json_object_foreach (a, key, v) {
		if (!json_is_string(v))
			return berr_set(e, -EINVAL, "'annotations.%s' must be a string", key);
	}
	spec->annotations = json_incref(a);
	return 0;
}

static int parse_linux(struct rt_spec *spec, struct berr *e)
{
	static const char *const unsupported[] = {"intelRdt", "personality", "memoryPolicy", "netDevices"};
	json_t *linux_obj = json_object_get(spec->json, "linux");
	json_t *res = NULL, *arr = NULL;
	const char *s = NULL;
	int r;

	if (!linux_obj || json_is_null(linux_obj))
		return berr_set(e, -EINVAL, "missing required object 'linux'");
	if (!json_is_object(linux_obj))
		return berr_set(e, -EINVAL, "'linux' must be an object");
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		json_t *u = json_object_get(linux_obj, unsupported[i]);

		if (u && !json_is_null(u))
			return berr_set(e, -EOPNOTSUPP, "'linux.%s' is not supported by berth", unsupported[i]);
	}
	if ((r = parse_namespaces(spec, linux_obj, e)) < 0 ||
	    (r = parse_id_maps(linux_obj, "uidMappings", spec->uid_maps, &spec->n_uid_maps, e)) < 0 ||
	    (r = parse_id_maps(linux_obj, "gidMappings", spec->gid_maps, &spec->n_gid_maps, e)) < 0 ||
	    (r = check_user_ns(spec, e)) < 0 || (r = parse_time(spec, linux_obj, e)) < 0)
		return r;
	r = bjson_get_arr(linux_obj, "devices", "linux", &arr, e);
	if (r < 0)
		return r;
	r = rt_devices_parse(arr, &spec->devices, &spec->n_devices, e);
	if (r < 0)
		return r;
	r = bjson_get_str(linux_obj, "cgroupsPath", "linux", &spec->cgroups_path, e);
	if (r < 0)
		return r;
	if (spec->cgroups_path && !*spec->cgroups_path)
		spec->cgroups_path = NULL;
	if (spec->cgroups_path && (strstr(spec->cgroups_path, "/../") || strncmp(spec->cgroups_path, "../", 3) == 0))
		return berr_set(e, -EINVAL, "'linux.cgroupsPath' must not contain '..'");
	r = bjson_get_obj(linux_obj, "resources", "linux", &res, e);
	if (r < 0)
		return r;
	r = rt_cgroup_resources_parse(res, &spec->resources, e);
	if (r < 0)
		return r;
	r = rt_devices_add_cgroup_rules(spec, e);
	if (r < 0)
		return r;
	if ((r = parse_sysctl(spec, linux_obj, e)) < 0)
		return r;
	spec->seccomp = json_object_get(linux_obj, "seccomp");
	if (spec->seccomp && json_is_null(spec->seccomp))
		spec->seccomp = NULL;
	r = bjson_get_str(linux_obj, "rootfsPropagation", "linux", &s, e);
	if (r < 0)
		return r;
	if (s && *s && rt_propagation_parse(s, &spec->rootfs_propagation) < 0)
		return berr_set(e, -EINVAL, "'linux.rootfsPropagation': unknown propagation '%s'", s);
	if ((r = parse_paths(linux_obj, "maskedPaths", &spec->masked_paths, &spec->n_masked_paths, e)) < 0 ||
	    (r = parse_paths(linux_obj, "readonlyPaths", &spec->readonly_paths, &spec->n_readonly_paths, e)) < 0)
		return r;
	r = bjson_get_str(linux_obj, "mountLabel", "linux", &s, e);
	return r < 0 ? r : 0;
}

int rt_spec_from_json(json_t *json, const char *bundle, struct rt_spec **ret, struct berr *e)
{
	_cleanup_spec_ struct rt_spec *spec = NULL;
	json_t *proc;
	int r;

	if (!json_is_object(json))
		return berr_set(e, -EINVAL, "config.json must hold a JSON object");
	spec = calloc(1, sizeof(*spec));
	if (!spec)
		return berr_oom(e);
	spec->json = json_incref(json);
	spec->bundle = strdup(bundle);
	if (!spec->bundle)
		return berr_oom(e);
	r = bjson_req_str(json, "ociVersion", "", &spec->oci_version, e);
	if (r < 0)
		return r;
	if (strncmp(spec->oci_version, "1.", 2) != 0)
		return berr_set(e, -EINVAL, "'ociVersion' %s is not supported (berth implements 1.x)",
				spec->oci_version);
	if ((r = parse_root(spec, e)) < 0)
		return r;
	proc = json_object_get(json, "process");
	if (!proc || json_is_null(proc))
		return berr_set(e, -EINVAL, "missing required object 'process'");
	if ((r = rt_process_parse(proc, "process", &spec->process, e)) < 0)
		return r;
	if ((r = bjson_get_str(json, "hostname", "", &spec->hostname, e)) < 0 ||
	    (r = bjson_get_str(json, "domainname", "", &spec->domainname, e)) < 0)
		return r;
	if ((r = rt_mounts_parse(json_object_get(json, "mounts"), spec->bundle, &spec->mounts, &spec->n_mounts, e)) <
		    0 ||
	    (r = rt_hooks_parse(json_object_get(json, "hooks"), &spec->hooks, e)) < 0 ||
	    (r = parse_annotations(spec, e)) < 0 || (r = parse_linux(spec, e)) < 0)
		return r;
	if ((spec->hostname && *spec->hostname) || (spec->domainname && *spec->domainname)) {
		if (!(spec->ns_all & CLONE_NEWUTS))
			return berr_set(e, -EINVAL, "'%s' needs a UTS namespace in 'linux.namespaces'",
					spec->hostname && *spec->hostname ? "hostname" : "domainname");
		if (spec->hostname && strlen(spec->hostname) > 64)
			return berr_set(e, -EINVAL, "'hostname' is longer than 64 bytes");
		if (spec->domainname && strlen(spec->domainname) > 64)
			return berr_set(e, -EINVAL, "'domainname' is longer than 64 bytes");
	}
	if ((r = rt_spec_parse_networks(spec, e)) < 0)
		return r;
	*ret = TAKE_PTR(spec);
	return 0;
}

int rt_spec_load(const char *bundle, struct rt_spec **ret, struct berr *e)
{
	_cleanup_json_ json_t *json = NULL;
	_cleanup_free_ char *config = NULL;
	char real[PATH_MAX];
	int r;

	if (!realpath(bundle && *bundle ? bundle : ".", real))
		return berr_errno(e, "bundle %s", bundle && *bundle ? bundle : ".");
	config = rt_path_join(real, "config.json");
	if (!config)
		return berr_oom(e);
	r = bjson_load_file(config, RT_CONFIG_MAX_SIZE, &json, e);
	if (r < 0)
		return r;
	r = rt_spec_from_json(json, real, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s", config);
	return 0;
}
