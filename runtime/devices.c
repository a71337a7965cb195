/* runtime/devices.c: /dev inside the container and the device cgroup's allow list. */
#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/inroot.h"
#include "runtime/path.h"

static const struct rt_device default_devices[] = {
	{'c', "/dev/null", 1, 3, 0666, 0, 0},	 {'c', "/dev/zero", 1, 5, 0666, 0, 0},
	{'c', "/dev/full", 1, 7, 0666, 0, 0},	 {'c', "/dev/random", 1, 8, 0666, 0, 0},
	{'c', "/dev/urandom", 1, 9, 0666, 0, 0}, {'c', "/dev/tty", 5, 0, 0666, 0, 0},
};

static const struct {
	const char *name, *target;
} default_links[] = {
	{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},	     {"ptmx", "pts/ptmx"},
};

int rt_devices_parse(const json_t *arr, struct rt_device **ret, size_t *ret_n, struct berr *e)
{
	struct rt_device *devs;
	size_t i;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (!arr)
		return 0;
	devs = calloc(json_array_size(arr) + 1, sizeof(*devs));
	if (!devs)
		return berr_oom(e);
	json_array_foreach ((json_t *)arr, i, v) {
		struct rt_device *d = &devs[i];
		const char *type = NULL;
		char where[64];
		int64_t n;
		int r;

		snprintf(where, sizeof(where), "linux.devices[%zu]", i);
		if (!json_is_object(v)) {
			free(devs);
			return berr_set(e, -EINVAL, "'%s' must be an object", where);
		}
		if ((r = bjson_req_str(v, "type", where, &type, e)) < 0 ||
		    (r = bjson_req_str(v, "path", where, &d->path, e)) < 0) {
			free(devs);
			return r;
		}
		if (strlen(type) != 1 || !strchr("cbup", type[0])) {
			free(devs);
			return berr_set(e, -EINVAL, "'%s.type' must be c, b, u or p, not '%s'", where, type);
		}
		d->type = type[0];
		if (d->path[0] != '/' || strstr(d->path, "..")) {
			free(devs);
			return berr_set(e, -EINVAL, "'%s.path' must be an absolute path without '..'", where);
		}
		d->major = d->minor = 0;
		if ((r = bjson_get_int(v, "major", where, 0, 0xfff, &d->major, e)) < 0 || (d->type != 'p' && r == 0) ||
		    (r = bjson_get_int(v, "minor", where, 0, 0xfffff, &d->minor, e)) < 0 ||
		    (d->type != 'p' && r == 0)) {
			free(devs);
			return r < 0 ? r : berr_set(e, -EINVAL, "'%s' needs major and minor numbers", where);
		}
		d->mode = 0666;
		if ((r = bjson_get_int(v, "fileMode", where, 0, 07777, &n, e)) < 0) {
			free(devs);
			return r;
		}
		if (r > 0)
			d->mode = (mode_t)(n & 07777);
		d->uid = d->gid = 0;
		if ((r = bjson_get_int(v, "uid", where, 0, UINT32_MAX - 1, &n, e)) < 0) {
			free(devs);
			return r;
		}
		if (r > 0)
			d->uid = (uint32_t)n;
		if ((r = bjson_get_int(v, "gid", where, 0, UINT32_MAX - 1, &n, e)) < 0) {
			free(devs);
			return r;
		}
		if (r > 0)
			d->gid = (uint32_t)n;
	}
	*ret = devs;
	*ret_n = json_array_size(arr);
	return 0;
}

static int add_rule(struct rt_cgroup_resources *res, size_t *cap, char type, int64_t major, int64_t minor,
		    const char *access)
{
	struct rt_cgroup_device_rule *r;

	if (BARRAY_RESERVE(res->devices, *cap, res->n_devices + 1) < 0)
		return -ENOMEM;
	r = &res->devices[res->n_devices++];
	memset(r, 0, sizeof(*r));
	r->allow = true;
	r->type = type;
	r->major = major;
	r->minor = minor;
	snprintf(r->access, sizeof(r->access), "%s", access);
	return 0;
}

int rt_devices_add_cgroup_rules(struct rt_spec *spec, struct berr *e)
{
	struct rt_cgroup_resources *res = &spec->resources;
	size_t cap = res->n_devices;
	int r;

	if (!res->has_devices)
		return 0;
	r = rt_cgroup_resources_add_default_devices(res, e);
	if (r < 0)
		return r;
	cap = res->n_devices;
	/* the nodes linux.devices creates are usable, as with runc */
	for (size_t i = 0; i < spec->n_devices; i++) {
		const struct rt_device *d = &spec->devices[i];

		if (d->type != 'p' && add_rule(res, &cap, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm") < 0)
			return berr_oom(e);
	}
	return 0;
}

static int make_node(int rootfd, const struct rt_device *d, bool userns, struct berr *e)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int pfd = -1;
	const char *base;
	mode_t type;
	int r;

	if (userns && d->type != 'p') {
		/* mknod is refused in a user namespace: bind-mount the host's node instead */
		_cleanup_close_ int fd = -1;
		char buf[RT_FD_PATH_MAX];

		r = rt_inroot_target(rootfd, d->path, false, false, &fd, e);
		if (r < 0)
			return r;
		if (mount(d->path, rt_fd_path(fd, buf), NULL, MS_BIND, NULL) < 0)
			return berr_errno(e, "bind-mount device %s from the host", d->path);
		return 0;
	}
	parent = strdup(d->path);
	if (!parent)
		return berr_oom(e);
	*strrchr(parent, '/') = '\0';
	base = d->path + strlen(parent) + 1;
	r = rt_inroot_mkdir_p(rootfd, *parent ? parent : "/", 0755, &pfd, e);
	if (r < 0)
		return r;
	type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
		return berr_errno(e, "remove %s in the container", d->path);
	if (mknodat(pfd, base, type | d->mode, d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor)) <
	    0)
		return berr_errno(e, "mknod %s", d->path);
	if (fchmodat(pfd, base, d->mode, 0) < 0)
		return berr_errno(e, "chmod %s", d->path);
	if (fchownat(pfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_errno(e, "chown %s", d->path);
	return 0;
}

static bool dev_is_bind(const struct rt_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		if (strcmp(spec->mounts[i].destination, "/dev") == 0 && spec->mounts[i].bind)
			return true;
	}
	return false;
}

int rt_devices_setup(int rootfd, const struct rt_spec *spec, bool userns, struct berr *e)
{
	_cleanup_close_ int devfd = -1;
	int r;

	/* A bind-mounted host /dev already has every node. */
	if (dev_is_bind(spec))
		return 0;
	r = rt_inroot_mkdir_p(rootfd, "/dev", 0755, &devfd, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		bool overridden = false;

		for (size_t j = 0; j < spec->n_devices; j++)
			overridden |= strcmp(spec->devices[j].path, default_devices[i].path) == 0;
		if (overridden)
			continue;
		r = make_node(rootfd, &default_devices[i], userns, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < spec->n_devices; i++) {
		r = make_node(rootfd, &spec->devices[i], userns, e);
		if (r < 0)
			return berr_wrap(e, r, "'linux.devices[%zu]'", i);
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++) {
		/* /dev/ptmx may be a stray node of the image: devpts' own ptmx is the one to use */
		if (strcmp(default_links[i].name, "ptmx") == 0)
			unlinkat(devfd, "ptmx", 0);
		if (symlinkat(default_links[i].target, devfd, default_links[i].name) < 0 && errno != EEXIST)
			return berr_errno(e, "symlink /dev/%s", default_links[i].name);
	}
	return 0;
}
