/* runtime/cgroup/cgroup_mount.c: which cgroup hierarchies are mounted where, and the container's view of them. */
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
#include "buf.h"
#include "cleanup.h"
#include "fileutil.h"
#include "runtime/cgroup/cgroup_internal.h"
#include "strv.h"

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

/* The fields of one mountinfo line that matter here, split in place (root and mount point unescaped). */
struct mi_line {
	char *majmin, *root, *mnt, *fstype, *superopts;
};

static bool mi_split(char *line, struct mi_line *ret)
{
	char *f[8] = {NULL};
	char *dash = strstr(line, " - ");
	char *save = NULL, *tok;
	int nf = 0;

	if (!dash)
		return false;
	*dash = '\0';
	for (tok = strtok_r(line, " ", &save); tok && nf < 8; tok = strtok_r(NULL, " ", &save))
		f[nf++] = tok;
	if (nf < 6)
		return false;
	save = NULL;
	ret->fstype = strtok_r(dash + 3, " ", &save);
	(void)strtok_r(NULL, " ", &save); /* source */
	ret->superopts = strtok_r(NULL, " ", &save);
	if (!ret->fstype || !ret->superopts)
		return false;
	unescape(f[3]);
	unescape(f[4]);
	ret->majmin = f[2];
	ret->root = f[3];
	ret->mnt = f[4];
	return true;
}

/* The /proc/self/cgroup line of a hierarchy: v2 (the "0::" line), else the one whose controllers it has. */
static const struct proc_line *proc_line_for(const struct proc_line *lines, size_t n, bool v2, const char *superopts)
{
	const struct proc_line *match = NULL;

	for (size_t i = 0; i < n; i++) {
		if (v2 && lines[i].id == 0 && lines[i].controllers[0] == '\0')
			match = &lines[i];
		else if (!v2 && !match && lines[i].id != 0 && line_matches(lines[i].controllers, superopts))
			match = &lines[i];
	}
	return match;
}

/* Call fn for each cgroup or cgroup2 mount of mountinfo (check: reachable ones only); stops at an error. */
static int each_cgroup_mount(const char *mountinfo, bool check, int (*fn)(const struct mi_line *mi, bool v2, void *ctx),
			     void *ctx)
{
	for (const char *p = mountinfo; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, len);
		struct mi_line mi;
		bool v2;
		int r;

		p = nl ? nl + 1 : p + len;
		if (!line)
			return -ENOMEM;
		if (!mi_split(line, &mi))
			continue;
		v2 = strcmp(mi.fstype, "cgroup2") == 0;
		if (!v2 && strcmp(mi.fstype, "cgroup") != 0)
			continue;
		/* a place mounted twice: only the reachable (later) mount counts */
		if (check && !reachable(mi.mnt, mi.majmin))
			continue;
		r = fn(&mi, v2, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

/* This process's mountinfo and /proc/self/cgroup. */
static int read_self(char **ret_mountinfo, char **ret_proc_cgroup, struct berr *e)
{
	_cleanup_free_ char *mi = NULL, *pc = NULL;
	int r;

	r = bfile_read_all("/proc/self/mountinfo", CG_PROC_MAX, &mi, NULL, e);
	if (r < 0)
		return r;
	r = bfile_read_all("/proc/self/cgroup", CG_PROC_MAX, &pc, NULL, e);
	if (r < 0)
		return r;
	*ret_mountinfo = TAKE_PTR(mi);
	*ret_proc_cgroup = TAKE_PTR(pc);
	return 0;
}

struct mounts_walk {
	struct cg_mounts ms;
	struct proc_line *lines;
	size_t n_lines;
	char devs[64][32];
};

static int mounts_add(const struct mi_line *mi, bool v2, void *ctx)
{
	struct mounts_walk *w = ctx;
	const struct proc_line *match = proc_line_for(w->lines, w->n_lines, v2, mi->superopts);

	if (!v2 && !match)
		return 0;
	return add_mount(&w->ms, w->devs, v2 ? CG_V2 : CG_V1, mi->majmin, mi->mnt, v2 ? "" : match->controllers,
			 match ? match->path : NULL, mi->root);
}

int cg_mounts_parse(const char *mountinfo, const char *proc_cgroup, bool check, struct cg_mounts *ret, struct berr *e)
{
	_cleanup_free_ struct mounts_walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return berr_oom(e);
	r = parse_proc_cgroup(proc_cgroup, &w->lines, &w->n_lines, e);
	if (r < 0)
		return r;
	r = each_cgroup_mount(mountinfo, check, mounts_add, w);
	proc_lines_free(w->lines, w->n_lines);
	if (r < 0) {
		cg_mounts_free(&w->ms);
		return berr_oom(e);
	}
	*ret = w->ms;
	return 0;
}

/* The comma-separated controller options of a v1 hierarchy for a fresh mount ("memory", "none,name=systemd"). */
static char *cgroup1_options(const char *super)
{
	static const char *const skip[] = {
		"rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods", NULL};
	_cleanup_free_ char *copy = strdup(super);
	_cleanup_bbuf_ struct bbuf out = BBUF_INIT;
	bool named = false, plain = false;
	char *save = NULL;

	if (!copy)
		return NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool skipped = strncmp(tok, "release_agent=", 14) == 0;

		for (int i = 0; skip[i] && !skipped; i++)
			skipped = strcmp(tok, skip[i]) == 0;
		if (skipped)
			continue;
		if (strncmp(tok, "name=", 5) == 0)
			named = true;
		else
			plain = true;
		/* a named hierarchy without controllers is mounted as "none,name=..." */
		if (bbuf_printf(&out, "%s%s", out.len ? "," : "", tok) < 0)
			return NULL;
	}
	if (named && !plain) {
		char *r;

		return asprintf(&r, "none,%s", out.p) < 0 ? NULL : r;
	}
	return bbuf_steal(&out, NULL);
}

/* The names of a co-mounted hierarchy's controllers ("cpu,cpuacct" -> cpu, cpuacct); NULL-terminated. */
static char **comount_links(const char *name)
{
	size_t n = 0, k = 0;
	char **v;

	if (!strchr(name, ','))
		return calloc(1, sizeof(char *));
	for (const char *c = name; *c; c++)
		n += *c == ',';
	v = calloc(n + 2, sizeof(char *));
	if (!v)
		return NULL;
	for (const char *p = name; *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);

		if (l) {
			v[k] = strndup(p, l);
			if (!v[k++]) {
				strv_free(v);
				return NULL;
			}
		}
		p = c ? c + 1 : p + l;
	}
	return v;
}

void rt_cgroup_views_free(struct rt_cgroup_view *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].options);
		free(v[i].own);
		strv_free(v[i].links);
	}
	free(v);
}

/* The hierarchy's place below /sys/fs/cgroup ("memory"; "" for /sys/fs/cgroup itself), or NULL. */
static const char *view_name(const char *mnt)
{
	if (strcmp(mnt, RT_CGROUP_ROOT) == 0)
		return "";
	if (strncmp(mnt, RT_CGROUP_ROOT "/", sizeof(RT_CGROUP_ROOT)) != 0)
		return NULL;
	mnt += sizeof(RT_CGROUP_ROOT);
	return *mnt && !strchr(mnt, '/') ? mnt : NULL;
}

static int add_view(struct rt_cgroup_view **v, size_t *n, size_t *cap, const struct mi_line *mi, const char *name,
		    bool v2, const struct proc_line *own)
{
	struct rt_cgroup_view *w;
	_cleanup_free_ char *rel = NULL;

	if (BARRAY_RESERVE(*v, *cap, *n + 1) < 0)
		return -ENOMEM;
	w = &(*v)[(*n)++];
	memset(w, 0, sizeof(*w));
	w->v2 = v2;
	w->name = strdup(name);
	w->options = v2 ? strdup("") : cgroup1_options(mi->superopts);
	w->links = v2 ? calloc(1, sizeof(char *)) : comount_links(name);
	if (!w->name || !w->options || !w->links)
		return -ENOMEM;
	rel = own ? own_relative(own->path, mi->root) : NULL;
	if (rel && asprintf(&w->own, "%s%s", mi->mnt, strcmp(rel, "/") == 0 ? "" : rel) < 0) {
		w->own = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct views_walk {
	struct rt_cgroup_view *v;
	size_t n, cap;
	struct proc_line *lines;
	size_t n_lines;
};

static int views_add(const struct mi_line *mi, bool v2, void *ctx)
{
	struct views_walk *w = ctx;
	const char *name = view_name(mi->mnt);

	if (!name)
		return 0;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].name, name) == 0)
			return 0;
	return add_view(&w->v, &w->n, &w->cap, mi, name, v2, proc_line_for(w->lines, w->n_lines, v2, mi->superopts));
}

int rt_cgroup_views_parse(const char *mountinfo, const char *proc_cgroup, bool check, struct rt_cgroup_view **ret,
			  size_t *ret_n, struct berr *e)
{
	struct views_walk w = {0};
	int r;

	r = parse_proc_cgroup(proc_cgroup, &w.lines, &w.n_lines, e);
	if (r < 0)
		return r;
	r = each_cgroup_mount(mountinfo, check, views_add, &w);
	proc_lines_free(w.lines, w.n_lines);
	if (r < 0) {
		rt_cgroup_views_free(w.v, w.n);
		return berr_oom(e);
	}
	*ret = w.v;
	*ret_n = w.n;
	return 0;
}

int rt_cgroup_views_read(struct rt_cgroup_view **ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ char *mi = NULL, *pc = NULL;
	int r = read_self(&mi, &pc, e);

	return r < 0 ? r : rt_cgroup_views_parse(mi, pc, true, ret, ret_n, e);
}

int cg_mounts_read(struct cg_mounts *ret, struct berr *e)
{
	_cleanup_free_ char *mi = NULL, *pc = NULL;
	int r = read_self(&mi, &pc, e);

	return r < 0 ? r : cg_mounts_parse(mi, pc, true, ret, e);
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
