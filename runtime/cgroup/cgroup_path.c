/* runtime/cgroup/cgroup_path.c: OCI cgroupsPath, validated. */
/*
 * OCI cgroupsPath: validated before anything is created, because it becomes
 * directory names under every hierarchy of the host.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "runtime/cgroup/cgroup_internal.h"

#define CG_PATH_MAX 2048
#define CG_NAME_MAX 255

static int check_component(const char *s, size_t n, const char *what, struct berr *e)
{
	if (n == 0)
		return berr_set(e, -EINVAL, "cgroupsPath '%s': empty path component", what);
	if (n > CG_NAME_MAX)
		return berr_set(e, -EINVAL, "cgroupsPath '%s': component longer than %d bytes", what, CG_NAME_MAX);
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return berr_set(e, -EINVAL, "cgroupsPath '%s': '.' and '..' are not allowed", what);
	for (size_t i = 0; i < n; i++) {
		/* a newline would forge lines in /proc/PID/cgroup */
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return berr_set(e, -EINVAL, "cgroupsPath '%s': control characters are not allowed", what);
	}
	return 0;
}

static int check_path(const char *p, const char *what, struct berr *e)
{
	const char *s = p[0] == '/' ? p + 1 : p;

	if (*s == '\0')
		return berr_set(e, -EINVAL, "cgroupsPath '%s' names the root cgroup, which berth does not manage",
				what);
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);
		int r = check_component(s, n, what, e);

		if (r < 0)
			return r;
		if (!slash)
			return 0;
		s = slash + 1;
	}
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" (the root slice) -> "". */
static int expand_slice(const char *slice, const char *what, char *out, size_t len, struct berr *e)
{
	size_t sl = strlen(slice), used = 0;
	char name[CG_NAME_MAX + 1];

	out[0] = '\0';
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	if (sl <= 6 || strcmp(slice + sl - 6, ".slice") != 0)
		return berr_set(e, -EINVAL, "cgroupsPath '%s': '%s' is not a slice name (NAME.slice)", what, slice);
	if (sl > CG_NAME_MAX || strchr(slice, '/'))
		return berr_set(e, -EINVAL, "cgroupsPath '%s': invalid slice name '%s'", what, slice);
	memcpy(name, slice, sl - 6);
	name[sl - 6] = '\0';
	if (name[0] == '-' || name[sl - 7] == '-' || strstr(name, "--"))
		return berr_set(e, -EINVAL, "cgroupsPath '%s': invalid slice name '%s'", what, slice);
	for (size_t i = 0; i <= sl - 6; i++) {
		if (name[i] != '-' && name[i] != '\0')
			continue;
		int k = snprintf(out + used, len - used, "/%.*s.slice", (int)i, name);
		if (k < 0 || (size_t)k >= len - used)
			return berr_set(e, -ENAMETOOLONG, "cgroupsPath '%s' is too long", what);
		used += (size_t)k;
	}
	return 0;
}

static int parse_systemd(const char *p, char **ret, struct berr *e)
{
	_cleanup_free_ char *copy = strdup(p);
	char *slice, *prefix, *name, *c1, *c2;
	char exp[CG_PATH_MAX], unit[CG_NAME_MAX + 16], out[CG_PATH_MAX];
	int r, k;

	if (!copy)
		return berr_oom(e);
	c1 = strchr(copy, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':'))
		return berr_set(e, -EINVAL, "cgroupsPath '%s': the systemd form is 'slice:prefix:name'", p);
	*c1 = *c2 = '\0';
	slice = copy;
	prefix = c1 + 1;
	name = c2 + 1;
	if (!*name)
		return berr_set(e, -EINVAL, "cgroupsPath '%s': the unit name is empty", p);
	if (strchr(slice, '/') || strchr(prefix, '/') || strchr(name, '/'))
		return berr_set(e, -EINVAL, "cgroupsPath '%s': '/' is not allowed in the systemd form", p);
	r = expand_slice(*slice ? slice : "system.slice", p, exp, sizeof(exp), e);
	if (r < 0)
		return r;
	if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0) {
		/* a slice's place in the tree follows from its own name */
		r = expand_slice(name, p, out, sizeof(out), e);
		if (r < 0)
			return r;
		if (!out[0])
			return berr_set(e, -EINVAL, "cgroupsPath '%s' names the root slice", p);
	} else {
		k = *prefix ? snprintf(unit, sizeof(unit), "%s-%s.scope", prefix, name)
			    : snprintf(unit, sizeof(unit), "%s.scope", name);
		if (k < 0 || (size_t)k >= sizeof(unit))
			return berr_set(e, -EINVAL, "cgroupsPath '%s': unit name too long", p);
		k = snprintf(out, sizeof(out), "%s/%s", exp, unit);
		if (k < 0 || (size_t)k >= sizeof(out))
			return berr_set(e, -ENAMETOOLONG, "cgroupsPath '%s' is too long", p);
	}
	r = check_path(out, p, e);
	if (r < 0)
		return r;
	*ret = strdup(out);
	return *ret ? 0 : berr_oom(e);
}

int rt_cgroup_path_parse(const char *cgroups_path, size_t len, const char *id, char **ret, struct berr *e)
{
	char buf[CG_PATH_MAX];
	int r;

	if (!cgroups_path || len == 0) {
		if (!id || check_component(id, strlen(id), id, NULL) < 0 || strchr(id, '/'))
			return berr_set(e, -EINVAL, "container id '%s' cannot name a cgroup", id ? id : "");
		if ((size_t)snprintf(buf, sizeof(buf), "/berth/%s", id) >= sizeof(buf))
			return berr_set(e, -ENAMETOOLONG, "container id too long");
		*ret = strdup(buf);
		return *ret ? 0 : berr_oom(e);
	}
	if (memchr(cgroups_path, '\0', len))
		return berr_set(e, -EINVAL, "cgroupsPath contains a NUL byte");
	if (len >= CG_PATH_MAX)
		return berr_set(e, -ENAMETOOLONG, "cgroupsPath is longer than %d bytes", CG_PATH_MAX - 1);
	memcpy(buf, cgroups_path, len);
	buf[len] = '\0';
	/* engines driving systemd-managed cgroups pass "slice:prefix:name" */
	if (buf[0] != '/' && strchr(buf, ':'))
		return parse_systemd(buf, ret, e);
	r = check_path(buf, buf, e);
	if (r < 0)
		return r;
	*ret = strdup(buf);
	return *ret ? 0 : berr_oom(e);
}

int cg_path_join(const char *base, const char *rel, char **ret, struct berr *e)
{
	char *s = NULL;
	int k;

	if (rel[0] == '/')
		k = asprintf(&s, "%s", rel);
	else if (strcmp(base, "/") == 0)
		k = asprintf(&s, "/%s", rel);
	else
		k = asprintf(&s, "%s/%s", base, rel);
	if (k < 0)
		return berr_oom(e);
	*ret = s;
	return 0;
}
