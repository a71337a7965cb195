/* runtime/cgroup/cgroup.c: the container's cgroup across every mounted hierarchy. */
/*
 * The container's cgroup across every mounted hierarchy: creation (with the
 * resources applied where each controller lives), placement of processes,
 * freeze, signals, OOM, removal, and persistence in the container state.
 *
 * Where each feature is driven (docs/cgroups.md has the table):
 *  - a resource controller on the v1 hierarchy it is mounted on, else on v2
 *    when the unified root offers it, else the config is refused;
 *  - devices on v1 "devices" when mounted, else a BPF program on v2;
 *  - freeze, kill and the process list on v2 when there is a unified
 *    hierarchy (also in hybrid mode: cgroup.freeze does not depend on a
 *    controller and, unlike the v1 freezer, cannot get stuck in FREEZING),
 *    else on the v1 freezer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/cgroup/cgroup_internal.h"
#include "runtime/trace.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static void hier_clear(struct cg_hier *h)
{
	free(h->controllers);
	free(h->mount);
	free(h->path);
	free(h->dir);
	free(h->created);
	memset(h, 0, sizeof(*h));
}

void rt_cgroup_free(struct rt_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++)
		hier_clear(&cg->h[i]);
	free(cg->h);
	free(cg);
}

BERTH_DEFINE_PTR_CLEANUP(cg_freep, struct rt_cgroup, rt_cgroup_free)

enum rt_cgroup_mode rt_cgroup_get_mode(const struct rt_cgroup *cg)
{
	return cg->mode;
}

static const struct cg_hier *find_v2(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].kind == CG_V2)
			return &cg->h[i];
	return NULL;
}

static const struct cg_hier *find_v1(const struct rt_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].kind == CG_V1 && cg_list_has(cg->h[i].controllers, controller))
			return &cg->h[i];
	return NULL;
}

const char *rt_cgroup_dir(const struct rt_cgroup *cg, const char *controller)
{
	const struct cg_hier *h;

	if (!controller || !*controller) {
		h = find_v2(cg);
		return h ? h->dir : NULL;
	}
	h = find_v1(cg, controller);
	if (!h && (h = find_v2(cg)) && !cg_v2_available(h->mount, controller))
		h = NULL;
	return h ? h->dir : NULL;
}

/* ---- creation */

/* Every resource the config sets must have a controller somewhere; checked before anything is made. */
static int check_available(const struct cg_mounts *ms, const struct rt_cgroup_resources *res, struct berr *e)
{
	static const struct {
		const char *v1, *v2, *field;
	} need[] = {
		{"memory", "memory", "memory"}, {"cpu", "cpu", "cpu"},	    {"cpuset", "cpuset", "cpu.cpus/mems"},
		{"pids", "pids", "pids"},	{"blkio", "io", "blockIO"},
	};
	char v2need[128];

	cg_v2_needed(res, v2need, sizeof(v2need));
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		bool found = false;

		if (!cg_list_has(v2need, need[i].v2))
			continue;
		for (size_t k = 0; k < ms->n && !found; k++) {
			const struct cg_mount *m = &ms->m[k];

			if (m->kind == CG_V1)
				found = cg_list_has(m->controllers, need[i].v1);
			else
				found = cg_v2_available(m->mount, need[i].v2);
		}
		if (!found)
			return berr_set(e, -ENOTSUP, "'linux.resources.%s': no cgroup hierarchy has the %s controller",
					need[i].field, need[i].v1);
	}
	if (res->has_devices) {
		bool found = false;

		for (size_t k = 0; k < ms->n; k++)
			if (ms->m[k].kind == CG_V2 || cg_list_has(ms->m[k].controllers, "devices"))
				found = true;
		if (!found)
			return berr_set(e, -ENOTSUP, "'linux.resources.devices': no devices controller and no cgroup2");
	}
	return cg_net_check(ms, res, e);
}

/*
 * mkdir -p below the mount, remembering the shallowest directory made so
 * destroy can take it away again. A concurrent destroy of another container
 * may remove a shared parent between two mkdirs: start again then.
 */
static int make_dirs_walk(struct cg_hier *h, struct berr *e)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		char dir[PATH_MAX];
		size_t base = strlen(h->mount);
		const char *p = h->path;
		bool again = false;

		snprintf(dir, sizeof(dir), "%s", h->mount);
		while (*p) {
			size_t l;
			struct stat st;

			while (*p == '/')
				p++;
			l = strcspn(p, "/");
			if (l == 0)
				break;
			if (base + 1 + l >= sizeof(dir))
				return berr_set(e, -ENAMETOOLONG, "cgroup path too long: %s%s", h->mount, h->path);
			dir[base] = '/';
			memcpy(dir + base + 1, p, l);
			base += 1 + l;
			dir[base] = '\0';
			p += l;
			if (mkdir(dir, 0755) == 0) {
				if (!h->created && !(h->created = strdup(dir + strlen(h->mount))))
					return berr_oom(e);
			} else if (errno == ENOENT && attempt < 15) {
				again = true;
				break;
			} else if (errno != EEXIST) {
				return berr_errno(e, "mkdir %s", dir);
			} else if (stat(dir, &st) < 0) {
				/* removed between our mkdir and stat */
				if (errno == ENOENT && attempt < 15) {
					again = true;
					break;
				}
				return berr_errno(e, "stat %s", dir);
			} else if (!S_ISDIR(st.st_mode)) {
				return berr_set(e, -ENOTDIR, "cgroup path %s exists and is not a directory", dir);
			}
			if (h->kind == CG_V1 && cg_list_has(h->controllers, "cpuset")) {
				int r = cg_v1_cpuset_init(dir, false, e);

				/* the same race: this level went away between mkdir and the write */
				if (r == -ENOENT && attempt < 15) {
					again = true;
					break;
				}
				if (r < 0)
					return r;
			}
		}
		if (!again)
			return 0;
	}
	return berr_set(e, -EAGAIN, "mkdir %s%s: parent removed concurrently", h->mount, h->path);
}

/*
 * A cgroupsPath naming a cgroup that already has processes (a service's,
 * say /system.slice/nginx.service) is refused, as runc 1.2 does: joining it
 * would let delete kill every process in it.
 */
static int refuse_populated(const struct cg_hier *h, struct berr *e)
{
	char buf[32];

	if (cg_read(h->dir, "cgroup.procs", buf, sizeof(buf), NULL) < 0 || buf[0] == 0)
		return 0;
	return berr_set(e, -EBUSY, "cgroup %s%s already has processes: berth does not join a populated cgroup",
			h->mount, h->path);
}

/*
 * The common case in one mkdir: the parent exists (engines keep one, e.g.
 * /machine.slice, and every container of it shares it). Anything else (a
 * missing parent, an existing directory, a parent cpuset not initialised)
 * takes the walk above.
 */
static int make_dirs(struct cg_hier *h, struct berr *e)
{
	if (mkdir(h->dir, 0755) < 0) {
		if (errno != ENOENT && errno != EEXIST)
			return berr_errno(e, "mkdir %s", h->dir);
		return make_dirs_walk(h, e);
	}
	h->created = strdup(h->path);
	if (!h->created)
		return berr_oom(e);
	if (h->kind == CG_V1 && cg_list_has(h->controllers, "cpuset")) {
		int r = cg_v1_cpuset_init(h->dir, true, e);

		if (r == -EAGAIN)
			r = make_dirs_walk(h, e);
		return r;
	}
	return 0;
}

/*
 * Remove the container's directory, then the parents this cgroup made when
 * they are empty. joined: also a directory berth found existing (delete
 * does; undoing a failed create does not).
 */
static int remove_hier(const struct cg_hier *h, bool joined, struct berr *e)
{
	char dir[PATH_MAX];
	int r;

	if (!h->dir)
		return 0;
	if (!h->created) {
		/* a joined cgroup berth did not make: removed only when nothing else uses it */
		if (joined)
			(void)cg_rmdir_tree(h->dir, false, NULL);
		return 0;
	}
	r = cg_rmdir_tree(h->dir, true, e);
	if (r < 0)
		return r;
	if (strcmp(h->created, h->path) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", h->dir);
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (!slash || (size_t)(slash - dir) <= strlen(h->mount))
			break;
		*slash = '\0';
		/* shared with another container (EBUSY) or already gone: both fine */
		if (rmdir(dir) < 0 && errno != ENOENT)
			break;
		if (strcmp(dir + strlen(h->mount), h->created) == 0)
			break;
	}
	return 0;
}

static int add_hier(struct rt_cgroup *cg, const struct cg_mount *m, const char *path, struct berr *e)
{
	struct cg_hier *h;
	int r;

	if (BARRAY_RESERVE(cg->h, cg->cap, cg->n + 1) < 0)
		return berr_oom(e);
	h = &cg->h[cg->n++];
	memset(h, 0, sizeof(*h));
	h->kind = m->kind;
	h->controllers = strdup(m->controllers);
	h->mount = strdup(m->mount);
	if (!h->controllers || !h->mount)
		return berr_oom(e);
	if (path[0] == '/') {
		h->path = strdup(path);
		if (!h->path)
			return berr_oom(e);
	} else {
		if (!m->own)
			return berr_set(e, -ENOENT,
					"relative cgroupsPath '%s': this process's cgroup is not visible below %s",
					path, m->mount);
		r = cg_path_join(m->own, path, &h->path, e);
		if (r < 0)
			return r;
	}
	if (asprintf(&h->dir, "%s%s", h->mount, h->path) < 0) {
		h->dir = NULL;
		return berr_oom(e);
	}
	return 0;
}

/* Apply res to every hierarchy of cg but done (one whose v1 limits are already applied; NULL: none). */
static int apply(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, const struct cg_hier *done,
		 struct berr *e)
{
	const struct cg_hier *v2 = find_v2(cg);
	char need[128], v2ctl[128] = "";
	bool v1dev = find_v1(cg, "devices") != NULL;
	int r;

	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].kind != CG_V1 || &cg->h[i] == done)
			continue;
		r = cg_v1_apply(&cg->h[i], res, e);
		if (r < 0)
			return r;
	}
	if (!v2)
		return 0;
	/* on v2, only what no v1 hierarchy has already taken */
	cg_v2_needed(res, need, sizeof(need));
	for (const char *c = need; *c;) {
		size_t l = strcspn(c, ",");
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)l, c);
		c += l + (c[l] == ',');
		if (find_v1(cg, strcmp(name, "io") == 0 ? "blkio" : name))
			continue;
		if (v2ctl[0])
			strncat(v2ctl, ",", sizeof(v2ctl) - strlen(v2ctl) - 1);
		strncat(v2ctl, name, sizeof(v2ctl) - strlen(v2ctl) - 1);
	}
	if (!v2ctl[0] && (v1dev || !res->has_devices))
		return 0;
	r = cg_v2_enable(v2->mount, v2->path, v2ctl, e);
	if (r < 0)
		return r;
	{
		/* a copy of res holding only what v2 is to apply */
		struct rt_cgroup_resources sub = *res;

		if (!cg_list_has(v2ctl, "memory"))
			sub.memory_limit = sub.memory_reservation = sub.memory_swap = 0;
		if (!cg_list_has(v2ctl, "cpu"))
			sub.cpu_shares = 0, sub.cpu_quota = 0, sub.cpu_period = 0;
		if (!cg_list_has(v2ctl, "cpuset"))
			sub.cpuset_cpus[0] = sub.cpuset_mems[0] = '\0';
		if (!cg_list_has(v2ctl, "pids"))
			sub.pids_limit = 0;
		if (!cg_list_has(v2ctl, "io"))
			sub.blkio_weight = 0;
		return cg_v2_apply(v2, &sub, !v1dev, e);
	}
}

/* Make h's directory; one that already has processes is refused. */
static int make_hier(struct cg_hier *h, struct berr *e)
{
	int r = make_dirs(h, e);

	if (r == 0 && !h->created)
		r = refuse_populated(h, e);
	return r;
}

int rt_cgroup_create_early(const char *cgroups_path, const char *id, const struct rt_cgroup_resources *res,
			   const struct rt_cgroup_early *early, struct rt_cgroup **ret, struct berr *e)
{
	static const struct rt_cgroup_resources none;
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	_cleanup_free_ char *path = NULL;
	struct cg_mounts ms = {NULL, 0, 0};
	struct cg_hier *mem = NULL;
	bool called = false;
	int r;

	if (!res)
		res = &none;
	r = rt_cgroup_path_parse(cgroups_path, cgroups_path ? strlen(cgroups_path) : 0, id, &path, e);
	if (r < 0)
		return r;
	r = cg_mounts_read(&ms, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroups");
	if (ms.n == 0) {
		cg_mounts_free(&ms);
		return berr_set(e, -ENOENT, "no cgroup hierarchy is mounted");
	}
	rt_trace("cg mounts read");
	r = check_available(&ms, res, e);
	if (r < 0)
		goto out;
	cg = calloc(1, sizeof(*cg));
	if (!cg) {
		r = berr_oom(e);
		goto out;
	}
	cg->mode = cg_mounts_mode(&ms);
	for (size_t i = 0; i < ms.n; i++) {
		r = add_hier(cg, &ms.m[i], path, e);
		if (r < 0)
			goto out;
	}
	if (early) {
		/* the v1 memory hierarchy first, limited, for early->memory_ready */
		mem = (struct cg_hier *)find_v1(cg, "memory");
		if (mem && ((r = make_hier(mem, e)) < 0 || (r = cg_v1_apply(mem, res, e)) < 0))
			goto fail;
		early->memory_ready(mem ? mem->dir : NULL, early->ctx);
		called = true;
	}
	for (size_t i = 0; i < cg->n; i++) {
		if (&cg->h[i] != mem && (r = make_hier(&cg->h[i], e)) < 0)
			goto fail;
	}
	rt_trace("cg dirs made");
	r = apply(cg, res, mem, e);
	if (r < 0)
		goto fail;
	rt_trace("cg applied");
	*ret = TAKE_PTR(cg);
	r = 0;
	goto out;
fail:
	if (called && early->undo)
		early->undo(early->ctx);
	for (size_t i = 0; i < cg->n; i++)
		(void)remove_hier(&cg->h[i], false, NULL);
out:
	cg_mounts_free(&ms);
	return r;
}

int rt_cgroup_create(const char *cgroups_path, const char *id, const struct rt_cgroup_resources *res,
		     struct rt_cgroup **ret, struct berr *e)
{
	return rt_cgroup_create_early(cgroups_path, id, res, NULL, ret, e);
}

/* True when the calling process already sits in the v2 cgroup path (e.g. cloned there with CLONE_INTO_CGROUP). */
static bool self_in_v2(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "0::", 3) == 0)
			return strcmp(line + 3, path) == 0;
	}
	return false;
}

int rt_cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct berr *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		const char *file = "cgroup.procs";
		int r;

		if (pid == 0) {
			/*
			 * Moving only the calling thread ("0" to v1 tasks) skips the
			 * global cgroup_threadgroup_rwsem and its RCU grace period
			 * (milliseconds) that a process migration takes; callers are
			 * single-threaded, so the thread is the whole process. v2 has
			 * no such file: a process cloned there with CLONE_INTO_CGROUP
			 * is already in place and needs no write.
			 */
			if (cg->h[i].kind == CG_V1)
				file = "tasks";
			else if (self_in_v2(cg->h[i].path))
				continue;
		}
		r = cg_write(cg->h[i].dir, file, buf, e);
		if (r < 0)
			return berr_wrap(e, r, "move %d into its cgroup", (int)pid);
	}
	return 0;
}

int rt_cgroup_enter_v1(const struct rt_cgroup *cg, struct berr *e)
{
	for (size_t i = 0; i < cg->n; i++) {
		int r;

		if (cg->h[i].kind != CG_V1)
			continue;
		/* "0" moves the calling thread only: no global lock (see rt_cgroup_enter) */
		r = cg_write(cg->h[i].dir, "tasks", "0", e);
		if (r < 0)
			return berr_wrap(e, r, "move into the container's cgroup");
	}
	return 0;
}

int rt_cgroup_open_v1_tasks(const struct rt_cgroup *cg, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < cg->n; i++) {
		char path[PATH_MAX];
		int r;

		if (cg->h[i].kind != CG_V1)
			continue;
		if (n == max || (size_t)snprintf(path, sizeof(path), "%s/tasks", cg->h[i].dir) >= sizeof(path))
			r = -ENAMETOOLONG;
		else if ((fds[n] = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			r = -errno;
		else {
			n++;
			continue;
		}
		while (n > 0)
			close(fds[--n]);
		return r;
	}
	return (int)n;
}

int rt_cgroup_enter_v1_fds(const struct rt_cgroup *cg, const int *fds, size_t n, struct berr *e)
{
	size_t k = 0;

	for (size_t i = 0; i < cg->n; i++)
		k += cg->h[i].kind == CG_V1;
	if (k != n)
		return rt_cgroup_enter_v1(cg, e);
	for (size_t i = 0, f = 0; i < cg->n; i++) {
		if (cg->h[i].kind != CG_V1)
			continue;
		/* "0": the calling thread (see rt_cgroup_enter) */
		if (write(fds[f++], "0", 1) != 1)
			return berr_wrap(e, berr_errno(e, "write %s/tasks", cg->h[i].dir),
					 "move into the container's cgroup");
	}
	return 0;
}

int rt_cgroup_clone_fd(const struct rt_cgroup *cg, int *ret_fd, struct berr *e)
{
	const struct cg_hier *v2 = find_v2(cg);
	int fd;

	if (!v2)
		return berr_set(e, -ENOTSUP, "CLONE_INTO_CGROUP needs a cgroup v2 hierarchy (mode is %s)",
				rt_cgroup_mode_name(cg->mode));
	fd = open(v2->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(e, "open %s", v2->dir);
	*ret_fd = fd;
	return 0;
}

/* ---- freeze, signals, pids, OOM */

int rt_cgroup_freeze(const struct rt_cgroup *cg, bool frozen, struct berr *e)
{
	const struct cg_hier *h = find_v2(cg);

	if (h && cg_has_file(h->dir, "cgroup.freeze"))
		return cg_v2_freeze(h->dir, frozen, e);
	h = find_v1(cg, "freezer");
	if (h)
		return cg_v1_freeze(h->dir, frozen, e);
	return berr_set(e, -ENOTSUP, "no freezer: neither cgroup.freeze (cgroup2) nor a v1 freezer hierarchy");
}

int rt_cgroup_is_frozen(const struct rt_cgroup *cg, bool *ret)
{
	const struct cg_hier *h = find_v2(cg);

	if (h && cg_has_file(h->dir, "cgroup.freeze"))
		return cg_v2_is_frozen(h->dir, ret);
	h = find_v1(cg, "freezer");
	if (h)
		return cg_v1_is_frozen(h->dir, ret);
	*ret = false;
	return 0;
}

/* The hierarchy whose process list is the container's: v2 when present, else the freezer, else any. */
static const struct cg_hier *primary(const struct rt_cgroup *cg)
{
	const struct cg_hier *h = find_v2(cg);

	if (!h)
		h = find_v1(cg, "freezer");
	if (!h && cg->n)
		h = &cg->h[0];
	return h;
}

int rt_cgroup_pids(const struct rt_cgroup *cg, pid_t **ret, size_t *ret_n, struct berr *e)
{
	const struct cg_hier *h = primary(cg);
	pid_t *pids = NULL;
	size_t n = 0;
	int r;

	if (!h)
		return berr_set(e, -ENOENT, "the cgroup has no hierarchy");
	r = cg_pids_tree(h->dir, &pids, &n, e);
	if (r < 0) {
		free(pids);
		return r;
	}
	*ret = pids;
	*ret_n = n;
	return 0;
}

int rt_cgroup_kill_all(const struct rt_cgroup *cg, int sig, struct berr *e)
{
	const struct cg_hier *v2 = find_v2(cg);
	_cleanup_free_ pid_t *pids = NULL;
	bool was_frozen = false, froze = false;
	size_t n = 0;
	int r;

	/* cgroup.kill: one atomic SIGKILL for the whole subtree, no fork can escape it */
	if (sig == SIGKILL && v2 && cg_has_file(v2->dir, "cgroup.kill"))
		return cg_v2_kill(v2->dir, e);
	(void)rt_cgroup_is_frozen(cg, &was_frozen);
	if (!was_frozen) {
		r = rt_cgroup_freeze(cg, true, e);
		if (r < 0 && r != -ENOTSUP)
			return berr_wrap(e, r, "kill all");
		froze = r == 0;
	}
	r = rt_cgroup_pids(cg, &pids, &n, e);
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			if (kill(pids[i], sig) < 0 && errno != ESRCH && r == 0)
				r = berr_errno(e, "kill %d", (int)pids[i]);
	}
	/*
	 * A v1-frozen task gets its SIGKILL only once thawed; for other signals
	 * a paused container stays paused (v1 delivers them on resume, v2 lets
	 * a fatal one end the frozen task at once).
	 */
	if (froze || (was_frozen && sig == SIGKILL)) {
		int k = rt_cgroup_freeze(cg, false, r < 0 ? NULL : e);

		if (r == 0)
			r = k;
	}
	return r;
}

int rt_cgroup_oom_killed(const struct rt_cgroup *cg, bool *ret)
{
	const struct cg_hier *h = find_v1(cg, "memory");

	if (h)
		return cg_v1_oom_killed(h->dir, ret);
	h = find_v2(cg);
	if (h)
		return cg_v2_oom_killed(h->dir, ret);
	*ret = false;
	return 0;
}

int rt_cgroup_destroy(struct rt_cgroup *cg, struct berr *e)
{
	int first = 0;

	if (!cg)
		return 0;
	for (size_t i = 0; i < cg->n; i++) {
		struct berr tmp = BERR_INIT;
		int r = remove_hier(&cg->h[i], true, &tmp);

		if (r < 0 && first == 0) {
			first = r;
			if (e)
				*e = tmp;
		}
	}
	return first;
}

/* ---- state */

static const char *kind_name(enum cg_kind k)
{
	return k == CG_V2 ? "v2" : "v1";
}

int rt_cgroup_to_json(const struct rt_cgroup *cg, json_t **ret, struct berr *e)
{
	_cleanup_json_ json_t *o = json_object(), *arr = json_array();

	if (!o || !arr || bjson_set(o, "mode", json_string(rt_cgroup_mode_name(cg->mode))) < 0)
		return berr_oom(e);
	for (size_t i = 0; i < cg->n; i++) {
		const struct cg_hier *h = &cg->h[i];
		json_t *j = json_object();

		if (!j || json_array_append_new(arr, j) < 0 || bjson_set(j, "type", json_string(kind_name(h->kind))) ||
		    bjson_set(j, "controllers", json_string(h->controllers)) ||
		    bjson_set(j, "mount", json_string(h->mount)) || bjson_set(j, "path", json_string(h->path)) ||
		    bjson_set(j, "created", h->created ? json_string(h->created) : json_null()))
			return berr_oom(e);
	}
	if (bjson_set(o, "hierarchies", TAKE_PTR(arr)) < 0)
		return berr_oom(e);
	*ret = TAKE_PTR(o);
	return 0;
}

static bool safe_abs_path(const char *p)
{
	_cleanup_free_ char *norm = NULL;

	return p[0] == '/' && rt_cgroup_path_parse(p, strlen(p), NULL, &norm, NULL) == 0;
}

/*
 * Mount points this process has found on a cgroup file system: a run reads
 * its cgroup back from JSON three times (the early child's answer, the OOM
 * report, the teardown) and the answer does not change in between.
 */
static bool mount_is_cgroup(const char *mount, bool trusted)
{
	/* packed "a\0b\0": one page, where an array of PATH_MAX entries took a page (a fault) per entry */
	static char seen[2048];
	static size_t used;
	struct statfs sfs;
	size_t len = strlen(mount);

	for (size_t i = 0; i < used; i += strlen(seen + i) + 1)
		if (strcmp(seen + i, mount) == 0)
			return true;
	if (!trusted && statfs(mount, &sfs) == 0 && sfs.f_type != CGROUP_SUPER_MAGIC &&
	    sfs.f_type != CGROUP2_SUPER_MAGIC)
		return false;
	if (len < sizeof(seen) - used) {
		memcpy(seen + used, mount, len + 1);
		used += len + 1;
	}
	return true;
}

static int hier_from_json(const json_t *j, size_t i, bool trusted, struct cg_hier *h, struct berr *e)
{
	static const char *const keys[] = {"type", "controllers", "mount", "path", "created", NULL};
	const char *type = NULL, *ctl = NULL, *mount = NULL, *path = NULL, *created = NULL;
	char w[48];
	int r;

	snprintf(w, sizeof(w), "cgroup.hierarchies[%zu]", i);
	if ((r = bjson_check_keys(j, keys, w, e)) < 0)
		return r;
	if ((r = bjson_req_str(j, "type", w, &type, e)) < 0 || (r = bjson_req_str(j, "controllers", w, &ctl, e)) < 0 ||
	    (r = bjson_req_str(j, "mount", w, &mount, e)) < 0 || (r = bjson_req_str(j, "path", w, &path, e)) < 0 ||
	    (r = bjson_get_str(j, "created", w, &created, e)) < 0)
		return r;
	if (strcmp(type, "v1") && strcmp(type, "v2"))
		return berr_set(e, -EINVAL, "'%s.type' must be \"v1\" or \"v2\"", w);
	if (!safe_abs_path(mount) && strcmp(mount, "/") != 0)
		return berr_set(e, -EINVAL, "'%s.mount' is not a clean absolute path", w);
	if (!safe_abs_path(path))
		return berr_set(e, -EINVAL, "'%s.path' is not a clean absolute cgroup path", w);
	if (created && (!safe_abs_path(created) || strncmp(path, created, strlen(created)) != 0 ||
			(path[strlen(created)] != '/' && path[strlen(created)] != '\0')))
		return berr_set(e, -EINVAL, "'%s.created' must be the path or one of its parents", w);
	/* the state names directories berth will rmdir: they must still be on a cgroup file system */
	if (!mount_is_cgroup(mount, trusted))
		return berr_set(e, -EINVAL, "'%s.mount' %s is not a cgroup file system", w, mount);
	h->kind = strcmp(type, "v2") == 0 ? CG_V2 : CG_V1;
	h->controllers = strdup(ctl);
	h->mount = strdup(mount);
	h->path = strdup(path);
	h->created = created ? strdup(created) : NULL;
	if (!h->controllers || !h->mount || !h->path || (created && !h->created) ||
	    asprintf(&h->dir, "%s%s", mount, path) < 0) {
		h->dir = NULL;
		return berr_oom(e);
	}
	return 0;
}

static int from_json(const json_t *j, bool trusted, struct rt_cgroup **ret, struct berr *e)
{
	static const char *const keys[] = {"mode", "hierarchies", NULL};
	_cleanup_(cg_freep) struct rt_cgroup *cg = NULL;
	const char *mode = NULL;
	json_t *arr = NULL;
	size_t n;
	int r;

	if ((r = bjson_check_keys(j, keys, "cgroup", e)) < 0)
		return r;
	if ((r = bjson_req_str(j, "mode", "cgroup", &mode, e)) < 0)
		return r;
	if ((r = bjson_get_arr(j, "hierarchies", "cgroup", &arr, e)) < 0)
		return r;
	if (r == 0 || json_array_size(arr) == 0 || json_array_size(arr) > 64)
		return berr_set(e, -EINVAL, "'cgroup.hierarchies' must list 1 to 64 hierarchies");
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return berr_oom(e);
	if (strcmp(mode, "v1") == 0)
		cg->mode = RT_CGROUP_V1;
	else if (strcmp(mode, "hybrid") == 0)
		cg->mode = RT_CGROUP_HYBRID;
	else if (strcmp(mode, "v2") == 0)
		cg->mode = RT_CGROUP_V2;
	else
		return berr_set(e, -EINVAL, "'cgroup.mode' must be \"v1\", \"hybrid\" or \"v2\"");
	n = json_array_size(arr);
	cg->h = calloc(n, sizeof(*cg->h));
	if (!cg->h)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		cg->n = i + 1;
		r = hier_from_json(json_array_get(arr, i), i, trusted, &cg->h[i], e);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

int rt_cgroup_from_json(const json_t *j, struct rt_cgroup **ret, struct berr *e)
{
	return from_json(j, false, ret, e);
}

int rt_cgroup_from_json_trusted(const json_t *j, struct rt_cgroup **ret, struct berr *e)
{
	return from_json(j, true, ret, e);
}

int rt_cgroup_prune(const char *path, const char *keep, struct berr *e)
{
	_cleanup_free_ char *p = NULL, *k = NULL;
	struct cg_mounts ms = {NULL, 0, 0};
	size_t klen;
	int r, first = 0;

	if (!path || path[0] != '/' || !keep || keep[0] != '/')
		return berr_set(e, -EINVAL, "cgroup prune: absolute paths needed");
	r = rt_cgroup_path_parse(path, strlen(path), NULL, &p, e);
	if (r < 0)
		return r;
	if (strcmp(keep, "/") != 0 && (r = rt_cgroup_path_parse(keep, strlen(keep), NULL, &k, e)) < 0)
		return r;
	klen = k ? strlen(k) : 0;
	if (k && (strncmp(p, k, klen) != 0 || p[klen] != '/'))
		return berr_set(e, -EINVAL, "cgroup prune: %s is not below %s", p, k);
	r = cg_mounts_read(&ms, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroups");
	for (size_t i = 0; i < ms.n; i++) {
		char dir[PATH_MAX];
		size_t base = strlen(ms.m[i].mount);

		if ((size_t)snprintf(dir, sizeof(dir), "%s%s", ms.m[i].mount, p) >= sizeof(dir))
			continue;
		if (rmdir(dir) < 0 && errno != ENOENT) {
			if (first == 0)
				first = errno == EBUSY || errno == ENOTEMPTY
						? berr_set(e, -EBUSY, "cgroup %s is still in use", dir)
						: berr_errno(e, "rmdir %s", dir);
			continue;
		}
		for (;;) {
			char *slash = strrchr(dir, '/');

			if (!slash || (size_t)(slash - dir) <= base + klen)
				break;
			*slash = '\0';
			/* used by other containers or stacks (EBUSY), or never there: stop */
			if (rmdir(dir) < 0 && errno != ENOENT)
				break;
		}
	}
	cg_mounts_free(&ms);
	return first;
}

int cg_apply(const struct rt_cgroup *cg, const struct rt_cgroup_resources *res, struct berr *e)
{
	return apply(cg, res, NULL, e);
}
