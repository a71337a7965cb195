/* runtime/cgroup/cgroup_mount.c: which cgroup hierarchies are mounted where. */
/*
 * Which cgroup hierarchies are mounted where, and where this process sits in
 * each: /proc/self/mountinfo joined with /proc/self/cgroup. The mode (v1,
 * hybrid, v2) follows from the mix; the rest of the module never assumes a
 * layout and looks every controller up here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "runtime/cgroup/cgroup_internal.h"

#define CG_PROC_MAX (1024 * 1024)

bool cg_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);

		if (l == n && strncmp(p, item, n) == 0)
			return true;
		p = c ? c + 1 : p + l;
	}
	return false;
}

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

struct proc_line {
	long id;
	char *controllers;
	char *path;
};

static void proc_lines_free(struct proc_line *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].controllers);
		free(l[i].path);
	}
	free(l);
}

static int parse_proc_cgroup(const char *text, struct proc_line **ret, size_t *ret_n, struct berr *e)
{
	struct proc_line *lines = NULL;
	size_t n = 0, cap = 0;
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, len);
		char *c1, *c2, *end;

		p = nl ? nl + 1 : p + len;
		if (!line)
			goto fail;
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		if (BARRAY_RESERVE(lines, cap, n + 1) < 0)
			goto fail;
		lines[n].id = strtol(line, &end, 10);
		lines[n].controllers = strdup(c1 + 1);
		lines[n].path = strdup(c2 + 1);
		n++;
		if (!lines[n - 1].controllers || !lines[n - 1].path)
			goto fail;
	}
	*ret = lines;
	*ret_n = n;
	return 0;
fail:
	proc_lines_free(lines, n);
	return berr_oom(e);
}

/* Every controller of a /proc/self/cgroup line appears among the mount's super options. */
static bool line_matches(const char *controllers, const char *superopts)
{
	const char *p = controllers;

	if (!*p)
		return false;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		char item[128];

		if (l == 0 || l >= sizeof(item))
			return false;
		memcpy(item, p, l);
		item[l] = '\0';
		if (!cg_list_has(superopts, item))
			return false;
		p = c ? c + 1 : p + l;
	}
	return true;
}

/* The process's cgroup path relative to a mount whose root is root, or NULL when outside it. */
static char *own_relative(const char *own, const char *root)
{
	size_t rl = strlen(root);

	if (!own || own[0] != '/')
		return NULL;
	if (strcmp(root, "/") == 0)
		return strdup(own);
	if (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0'))
		return NULL;
	return strdup(own[rl] ? own + rl : "/");
}

void cg_mounts_free(struct cg_mounts *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->m[i].mount);
		free(ms->m[i].controllers);
		free(ms->m[i].own);
	}
	free(ms->m);
	ms->m = NULL;
	ms->n = ms->cap = 0;
}

static int add_mount(struct cg_mounts *ms, char devs[][32], enum cg_kind kind, const char *dev, const char *mnt,
		     const char *controllers, const char *own, const char *root)
{
	struct cg_mount *m;

	/* the same hierarchy mounted twice (bind mounts): the first one serves */
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(devs[i], dev) == 0)
			return 0;
	if (ms->n >= 64)
		return 0;
	if (BARRAY_RESERVE(ms->m, ms->cap, ms->n + 1) < 0)
		return -ENOMEM;
	m = &ms->m[ms->n];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->mount = strdup(mnt);
	m->controllers = strdup(controllers);
	m->own = own_relative(own, root);
	snprintf(devs[ms->n], 32, "%s", dev);
	ms->n++;
	if (!m->mount || !m->controllers)
		return -ENOMEM;
	return 0;
}

/*
 * A mount listed in mountinfo may be covered by a later one (a second mount
 * on the same point, or a new file system over a parent directory): only a
 * mount point whose st_dev is the mount's own device is really reachable.
 */
static bool reachable(const char *mnt, const char *majmin)
{
	unsigned maj, min;
	struct stat st;

	if (sscanf(majmin, "%u:%u", &maj, &min) != 2 || stat(mnt, &st) < 0)
		return false;
	return st.st_dev == makedev(maj, min);
}

int cg_mounts_parse(const char *mountinfo, const char *proc_cgroup, bool check, struct cg_mounts *ret, struct berr *e)
{
	struct cg_mounts ms = {NULL, 0, 0};
	struct proc_line *lines = NULL;
	size_t n_lines = 0;
	char devs[64][32];
	const char *p = mountinfo;
	int r;

	r = parse_proc_cgroup(proc_cgroup, &lines, &n_lines, e);
	if (r < 0)
		return r;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, len);
		char *f[8] = {NULL};
		char *dash, *save = NULL, *tok;
		char *fstype, *superopts;
		int nf = 0;

		p = nl ? nl + 1 : p + len;
		if (!line) {
			r = -ENOMEM;
			goto fail;
		}
		dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = '\0';
		for (tok = strtok_r(line, " ", &save); tok && nf < 8; tok = strtok_r(NULL, " ", &save))
			f[nf++] = tok;
		if (nf < 6)
			continue;
		save = NULL;
		fstype = strtok_r(dash + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save); /* source */
		superopts = strtok_r(NULL, " ", &save);
		if (!fstype || !superopts)
			continue;
		unescape(f[3]);
		unescape(f[4]);
		if ((strcmp(fstype, "cgroup2") == 0 || strcmp(fstype, "cgroup") == 0) && check &&
		    !reachable(f[4], f[2]))
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			const char *own = NULL;

			for (size_t i = 0; i < n_lines; i++)
				if (lines[i].id == 0 && lines[i].controllers[0] == '\0')
					own = lines[i].path;
			r = add_mount(&ms, devs, CG_V2, f[2], f[4], "", own, f[3]);
		} else if (strcmp(fstype, "cgroup") == 0) {
			const struct proc_line *match = NULL;

			for (size_t i = 0; i < n_lines && !match; i++)
				if (lines[i].id != 0 && line_matches(lines[i].controllers, superopts))
					match = &lines[i];
			if (!match)
				continue;
			r = add_mount(&ms, devs, CG_V1, f[2], f[4], match->controllers, match->path, f[3]);
		} else {
			continue;
		}
		if (r < 0)
			goto fail;
	}
	proc_lines_free(lines, n_lines);
	*ret = ms;
	return 0;
fail:
	proc_lines_free(lines, n_lines);
	cg_mounts_free(&ms);
	return berr_oom(e);
}

int cg_mounts_read(struct cg_mounts *ret, struct berr *e)
{
	_cleanup_free_ char *mi = NULL, *pc = NULL;
	int r;

	r = bfile_read_all("/proc/self/mountinfo", CG_PROC_MAX, &mi, NULL, e);
	if (r < 0)
		return r;
	r = bfile_read_all("/proc/self/cgroup", CG_PROC_MAX, &pc, NULL, e);
	if (r < 0)
		return r;
	return cg_mounts_parse(mi, pc, true, ret, e);
}

enum rt_cgroup_mode cg_mounts_mode(const struct cg_mounts *ms)
{
	bool v1 = false, v2 = false;

	for (size_t i = 0; i < ms->n; i++) {
		if (ms->m[i].kind == CG_V2)
			v2 = true;
		else
			v1 = true;
	}
	if (v2 && !v1)
		return RT_CGROUP_V2;
	if (v2)
		return RT_CGROUP_HYBRID;
	return RT_CGROUP_V1;
}

enum rt_cgroup_mode rt_cgroup_detect(void)
{
	struct cg_mounts ms = {NULL, 0, 0};
	enum rt_cgroup_mode mode;

	if (cg_mounts_read(&ms, NULL) < 0)
		return RT_CGROUP_V1;
	mode = cg_mounts_mode(&ms);
	cg_mounts_free(&ms);
	return mode;
}

const char *rt_cgroup_mode_name(enum rt_cgroup_mode mode)
{
	switch (mode) {
	case RT_CGROUP_V1:
		return "v1";
	case RT_CGROUP_HYBRID:
		return "hybrid";
	case RT_CGROUP_V2:
		return "v2";
	}
	return "unknown";
}
