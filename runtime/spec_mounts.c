/* runtime/spec_mounts.c: OCI "mounts" and their options, split into mount(2) flags and data. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/path.h"
#include "runtime/spec.h"
#include "runtime/sys.h"

struct opt_flag {
	const char *name;
	unsigned long flag;
	bool clear;
};

static const struct opt_flag opt_flags[] = {
	{"ro", MS_RDONLY, false},
	{"rw", MS_RDONLY, true},
	{"nosuid", MS_NOSUID, false},
	{"suid", MS_NOSUID, true},
	{"nodev", MS_NODEV, false},
	{"dev", MS_NODEV, true},
	{"noexec", MS_NOEXEC, false},
	{"exec", MS_NOEXEC, true},
	{"sync", MS_SYNCHRONOUS, false},
	{"async", MS_SYNCHRONOUS, true},
	{"dirsync", MS_DIRSYNC, false},
	{"remount", MS_REMOUNT, false},
	{"mand", MS_MANDLOCK, false},
	{"nomand", MS_MANDLOCK, true},
	{"atime", MS_NOATIME, true},
	{"noatime", MS_NOATIME, false},
	{"diratime", MS_NODIRATIME, true},
	{"nodiratime", MS_NODIRATIME, false},
	{"relatime", MS_RELATIME, false},
	{"norelatime", MS_RELATIME, true},
	{"strictatime", MS_STRICTATIME, false},
	{"nostrictatime", MS_STRICTATIME, true},
	{"lazytime", MS_LAZYTIME, false},
	{"nolazytime", MS_LAZYTIME, true},
	{"silent", MS_SILENT, false},
	{"loud", MS_SILENT, true},
	{"iversion", MS_I_VERSION, false},
	{"noiversion", MS_I_VERSION, true},
	{"nosymfollow", MS_NOSYMFOLLOW, false},
	{"symfollow", MS_NOSYMFOLLOW, true},
};

struct opt_rec {
	const char *name;
	uint64_t attr;
	bool clear;
	uint64_t clear_too; /* atime modes share one field */
};

/* Recursive variants, applied with mount_setattr(AT_RECURSIVE). */
static const struct opt_rec opt_recs[] = {
	{"rro", RT_MOUNT_ATTR_RDONLY, false, 0},
	{"rrw", RT_MOUNT_ATTR_RDONLY, true, 0},
	{"rnosuid", RT_MOUNT_ATTR_NOSUID, false, 0},
	{"rsuid", RT_MOUNT_ATTR_NOSUID, true, 0},
	{"rnodev", RT_MOUNT_ATTR_NODEV, false, 0},
	{"rdev", RT_MOUNT_ATTR_NODEV, true, 0},
	{"rnoexec", RT_MOUNT_ATTR_NOEXEC, false, 0},
	{"rexec", RT_MOUNT_ATTR_NOEXEC, true, 0},
	{"rnodiratime", RT_MOUNT_ATTR_NODIRATIME, false, 0},
	{"rdiratime", RT_MOUNT_ATTR_NODIRATIME, true, 0},
	{"rnosymfollow", RT_MOUNT_ATTR_NOSYMFOLLOW, false, 0},
	{"rsymfollow", RT_MOUNT_ATTR_NOSYMFOLLOW, true, 0},
	{"rrelatime", RT_MOUNT_ATTR_RELATIME, false, RT_MOUNT_ATTR__ATIME},
	{"rnoatime", RT_MOUNT_ATTR_NOATIME, false, RT_MOUNT_ATTR__ATIME},
	{"rstrictatime", RT_MOUNT_ATTR_STRICTATIME, false, RT_MOUNT_ATTR__ATIME},
};

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	{"shared", MS_SHARED},	       {"rshared", MS_SHARED | MS_REC},
	{"slave", MS_SLAVE},	       {"rslave", MS_SLAVE | MS_REC},
	{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int rt_propagation_parse(const char *s, unsigned long *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++) {
		if (strcmp(s, propagations[i].name) == 0) {
			*ret = propagations[i].flags;
			return 0;
		}
	}
	return -EINVAL;
}

static int data_append(char **data, const char *opt)
{
	size_t old = *data ? strlen(*data) : 0;
	char *n = realloc(*data, old + strlen(opt) + 2);

	if (!n)
		return -ENOMEM;
	if (old)
		n[old++] = ',';
	strcpy(n + old, opt);
	*data = n;
	return 0;
}

int rt_mount_options_parse(const json_t *options, const char *where, struct rt_mount *m, struct berr *e)
{
	size_t i;
	json_t *v;

	if (!options || json_is_null(options))
		return 0;
	if (!json_is_array(options))
		return berr_set(e, -EINVAL, "'%s.options' must be an array of strings", where);
	json_array_foreach ((json_t *)options, i, v) {
		const char *o;
		unsigned long prop;
		bool done = false;

		if (!json_is_string(v))
			return berr_set(e, -EINVAL, "'%s.options[%zu]' must be a string", where, i);
		o = json_string_value(v);
		if (!*o || strcmp(o, "defaults") == 0)
			continue;
		/* userspace-only options of mount(8) helpers */
		if (strncmp(o, "x-", 2) == 0 || strncmp(o, "X-", 2) == 0)
			continue;
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = true;
			m->flags |= MS_BIND | (o[0] == 'r' ? MS_REC : 0);
			continue;
		}
		if (rt_propagation_parse(o, &prop) == 0) {
			m->propagation = prop;
			continue;
		}
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0 || strcmp(o, "tmpcopyup") == 0 ||
		    strcmp(o, "copy-symlink") == 0)
			return berr_set(e, -EOPNOTSUPP,
					"'%s.options[%zu]': mount option '%s' is not supported by berth", where, i, o);
		for (size_t j = 0; j < ARRAY_SIZE(opt_flags) && !done; j++) {
			if (strcmp(o, opt_flags[j].name) != 0)
				continue;
			if (opt_flags[j].clear) {
				m->flags &= ~opt_flags[j].flag;
				m->clear |= opt_flags[j].flag;
			} else {
				m->flags |= opt_flags[j].flag;
				m->clear &= ~opt_flags[j].flag;
			}
			done = true;
		}
		for (size_t j = 0; j < ARRAY_SIZE(opt_recs) && !done; j++) {
			if (strcmp(o, opt_recs[j].name) != 0)
				continue;
			if (opt_recs[j].clear) {
				m->rec_attr_clr |= opt_recs[j].attr;
				m->rec_attr_set &= ~opt_recs[j].attr;
			} else {
				m->rec_attr_set = (m->rec_attr_set & ~opt_recs[j].clear_too) | opt_recs[j].attr;
				m->rec_attr_clr |= opt_recs[j].clear_too;
				m->rec_attr_clr &= ~opt_recs[j].attr;
			}
			done = true;
		}
		if (done)
			continue;
		if (strchr(o, ',') && !strchr(o, '='))
			return berr_set(e, -EINVAL, "'%s.options[%zu]': one option per entry, not '%s'", where, i, o);
		if (data_append(&m->data, o) < 0)
			return berr_oom(e);
	}
	return 0;
}

static void mount_clear(struct rt_mount *m)
{
	free(m->destination);
	free(m->source);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void rt_mounts_free(struct rt_mount *mounts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mount_clear(&mounts[i]);
	free(mounts);
}

static int parse_one(const json_t *obj, const char *bundle, const char *where, struct rt_mount *m, struct berr *e)
{
	const char *dest = NULL, *src = NULL;
	json_t *idmap;
	int r;

	if (!json_is_object(obj))
		return berr_set(e, -EINVAL, "'%s' must be an object", where);
	r = bjson_req_str(obj, "destination", where, &dest, e);
	if (r < 0)
		return r;
	if (dest[0] != '/')
		return berr_set(e, -EINVAL, "'%s.destination' must be an absolute path, not '%s'", where, dest);
	m->destination = rt_path_clean(dest);
	if (!m->destination)
		return berr_oom(e);
	if (strcmp(m->destination, "/") == 0)
		return berr_set(e, -EINVAL, "'%s.destination' must not be the container's root", where);
	m->type = "";
	r = bjson_get_str(obj, "type", where, &m->type, e);
	if (r < 0)
		return r;
	r = bjson_get_str(obj, "source", where, &src, e);
	if (r < 0)
		return r;
	idmap = json_object_get(obj, "uidMappings");
	if (!idmap || json_is_null(idmap))
		idmap = json_object_get(obj, "gidMappings");
	if (idmap && !json_is_null(idmap))
		return berr_set(e, -EOPNOTSUPP, "'%s': idmapped mounts (uidMappings/gidMappings) are not supported",
				where);
	r = rt_mount_options_parse(json_object_get(obj, "options"), where, m, e);
	if (r < 0)
		return r;
	if (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0) {
		if (!m->bind) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
	}
	if (m->bind) {
		if (!src || !*src)
			return berr_set(e, -EINVAL, "'%s.source' is required for a bind mount", where);
		m->source = src[0] == '/' ? rt_path_clean(src) : rt_path_join(bundle, src);
	} else {
		if (!*m->type)
			return berr_set(e, -EINVAL, "'%s.type' is required unless the mount is a bind mount", where);
		m->source = strdup(src && *src ? src : m->type);
	}
	if (!m->source)
		return berr_oom(e);
	return 0;
}

int rt_mounts_parse(const json_t *arr, const char *bundle, struct rt_mount **ret, size_t *ret_n, struct berr *e)
{
	struct rt_mount *mounts;
	size_t i, n = 0;
	json_t *v;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return berr_set(e, -EINVAL, "'mounts' must be an array");
	mounts = calloc(json_array_size(arr) + 1, sizeof(*mounts));
	if (!mounts)
		return berr_oom(e);
	json_array_foreach ((json_t *)arr, i, v) {
		char where[64];

		snprintf(where, sizeof(where), "mounts[%zu]", i);
		r = parse_one(v, bundle, where, &mounts[n], e);
		n++;
		if (r < 0) {
			rt_mounts_free(mounts, n);
			return r;
		}
	}
	*ret = mounts;
	*ret_n = n;
	return 0;
}
