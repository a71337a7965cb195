/* runtime/state.c: per-container state directories under --root. */
#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "lock.h"
#include "runtime/path.h"
#include "strv.h"

#define STATE_FILE "state.json"
#define LOCK_FILE ".lock"

static const char *const status_names[] = {"creating", "created", "running", "paused", "stopped"};

const char *rt_status_name(enum rt_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

int rt_proc_stat(pid_t pid, char *ret_state, unsigned long long *ret_start)
{
	char path[64], buf[1024];
	char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p += 2;
	if (ret_state)
		*ret_state = *p;
	/* starttime is field 22; the state letter is field 3 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	if (ret_start)
		*ret_start = strtoull(p, NULL, 10);
	return 0;
}

void rt_state_free(struct rt_state *st)
{
	if (!st)
		return;
	berth_close_safe(st->lockfd);
	berth_close_safe(st->dirfd);
	json_decref(st->json);
	free(st->saved);
	free(st->root);
	free(st->id);
	free(st->dir);
	free(st);
}

static int state_alloc(const char *root, const char *id, struct rt_state **ret, struct berr *e)
{
	struct rt_state *st = calloc(1, sizeof(*st));

	if (!st)
		return berr_oom(e);
	st->dirfd = st->lockfd = -1;
	st->init_go_fd = st->init_done_fd = -1;
	st->root = strdup(root);
	st->id = strdup(id);
	st->dir = rt_path_join(root, id);
	if (!st->root || !st->id || !st->dir) {
		rt_state_free(st);
		return berr_oom(e);
	}
	*ret = st;
	return 0;
}

static int lock_state(struct rt_state *st, struct berr *e)
{
	return block_acquire_at(st->dirfd, LOCK_FILE, RT_LOCK_TIMEOUT_MS, &st->lockfd, e);
}

int rt_state_create(const char *root, const char *id, struct rt_state **ret, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	int r;

	r = state_alloc(root, id, &st, e);
	if (r < 0)
		return r;
	r = bfile_mkdir_p(root, 0700, e);
	if (r < 0)
		return berr_wrap(e, r, "--root %s", root);
	if (mkdir(st->dir, 0700) < 0) {
		if (errno == EEXIST)
			return berr_set(e, -EEXIST, "container '%s' already exists", id);
		return berr_errno(e, "mkdir %s", st->dir);
	}
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (st->dirfd < 0) {
		r = berr_errno(e, "open %s", st->dir);
		rmdir(st->dir);
		return r;
	}
	r = lock_state(st, e);
	if (r < 0) {
		bfile_rm_rf(st->dir, NULL);
		return r;
	}
	*ret = TAKE_PTR(st);
	return 0;
}

int rt_state_adopt(const char *root, const char *id, int lockfd, struct rt_state **ret, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	int r;

	r = state_alloc(root, id, &st, e);
	if (r < 0)
		return r;
	st->lockfd = lockfd;
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (st->dirfd < 0)
		return berr_errno(e, "open %s", st->dir);
	*ret = TAKE_PTR(st);
	return 0;
}

static int state_parse(struct rt_state *st, struct berr *e)
{
	json_t *b = json_object_get(st->json, "berth");
	json_t *fds;
	json_int_t pid;

	if (!json_is_object(b))
		return berr_set(e, -EINVAL, "%s/%s is not a berth state file", st->dir, STATE_FILE);
	pid = json_integer_value(json_object_get(st->json, "pid"));
	st->pid = (pid_t)pid;
	st->bundle = json_string_value(json_object_get(st->json, "bundle"));
	st->annotations = json_object_get(st->json, "annotations");
	st->start_time = (unsigned long long)json_integer_value(json_object_get(b, "startTime"));
	st->started = json_is_true(json_object_get(b, "started"));
	st->created = json_string_value(json_object_get(b, "created"));
	st->rootfs = json_string_value(json_object_get(b, "rootfs"));
	st->network = json_string_value(json_object_get(b, "network"));
	st->networks = json_object_get(b, "networks");
	if (!json_is_array(st->networks))
		st->networks = NULL;
	st->new_pidns = json_is_true(json_object_get(b, "newPidNamespace"));
	st->cgroup_json = json_object_get(b, "cgroup");
	st->hooks_json = json_object_get(b, "hooks");
	fds = json_object_get(b, "initFds");
	st->init_go_fd =
		json_is_integer(json_object_get(fds, "go")) ? (int)json_integer_value(json_object_get(fds, "go")) : -1;
	st->init_done_fd = json_is_integer(json_object_get(fds, "done"))
				   ? (int)json_integer_value(json_object_get(fds, "done"))
				   : -1;
	if (pid <= 0 || !st->bundle)
		return berr_set(e, -EINVAL, "%s/%s is damaged", st->dir, STATE_FILE);
	if (!json_is_object(st->annotations))
		st->annotations = NULL;
	return 0;
}

int rt_state_open(const char *root, const char *id, bool lock, struct rt_state **ret, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = rt_id_validate(id, e);
	if (r < 0)
		return r;
	r = state_alloc(root, id, &st, e);
	if (r < 0)
		return r;
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (st->dirfd < 0) {
		if (errno == ENOENT)
			return berr_set(e, -ENOENT, "container '%s' does not exist", id);
		return berr_errno(e, "open %s", st->dir);
	}
	if (lock) {
		r = lock_state(st, e);
		if (r < 0)
			return r;
	}
	r = bfile_read_all_at(st->dirfd, STATE_FILE, 1u << 20, &buf, &len, e);
	if (r == -ENOENT) {
		/* deleted while we waited for the lock, or still being created */
		struct stat sb;

		if (fstat(st->dirfd, &sb) < 0 || sb.st_nlink == 0)
			return berr_set(e, -ENOENT, "container '%s' does not exist", id);
		berr_clear(e);
		*ret = TAKE_PTR(st);
		return 0;
	}
	if (r < 0)
		return r;
	r = bjson_parse(buf, len, &st->json, e);
	if (r < 0)
		return berr_wrap(e, r, "%s/%s", st->dir, STATE_FILE);
	r = state_parse(st, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(st);
	return 0;
}

/*
 * UTC date and time from seconds since the epoch (H. Hinnant's civil_from_days).
 * Not gmtime_r: glibc's first gmtime_r loads the local time zone
 * (/etc/localtime: five system calls and a parse), for nothing here.
 */
static void utc_from_epoch(time_t t, int *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi, unsigned *s)
{
	long long days = t / 86400, secs = t % 86400;
	long long z, era, yoe, yr, doy, mp;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	*h = (unsigned)(secs / 3600);
	*mi = (unsigned)(secs / 60 % 60);
	*s = (unsigned)(secs % 60);
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yr = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = yoe - (365 * yr + yr / 4 - yr / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*mo = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yr + era * 400 + (*mo <= 2));
}

static int now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	unsigned mo, d, h, mi, s;
	int y;

	clock_gettime(CLOCK_REALTIME, &ts);
	utc_from_epoch(ts.tv_sec, &y, &mo, &d, &h, &mi, &s);
	return snprintf(buf, len, "%d-%02u-%02uT%02u:%02u:%02u.%09ldZ", y, mo, d, h, mi, s, ts.tv_nsec);
}

int rt_state_init(struct rt_state *st, const struct rt_spec *spec, pid_t pid, json_t *annotations, json_t *cgroup,
		  int go_fd, int done_fd, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *b, *hooks;
	unsigned long long start = 0;
	char created[64];
	int r = 0;

	if (rt_proc_stat(pid, NULL, &start) < 0) {
		json_decref(annotations);
		json_decref(cgroup);
		return berr_set(e, -ESRCH, "the container's init (pid %d) is gone", (int)pid);
	}
	now_rfc3339(created, sizeof(created));
	j = json_object();
	b = json_object();
	hooks = json_object();
	if (!j || !b || !hooks) {
		json_decref(b);
		json_decref(hooks);
		json_decref(annotations);
		json_decref(cgroup);
		return berr_oom(e);
	}
	r |= bjson_set(j, "ociVersion", json_string(spec->oci_version));
	r |= bjson_set(j, "id", json_string(st->id));
	r |= bjson_set(j, "pid", json_integer(pid));
	r |= bjson_set(j, "bundle", json_string(spec->bundle));
	r |= bjson_set(j, "annotations", annotations ? annotations : json_object());
	r |= bjson_set(j, "berth", b);
	r |= bjson_set(b, "created", json_string(created));
	r |= bjson_set(b, "startTime", json_integer((json_int_t)start));
	r |= bjson_set(b, "started", json_false());
	r |= bjson_set(b, "rootfs", json_string(spec->rootfs));
	r |= bjson_set(b, "newPidNamespace", json_boolean(spec->ns_new & CLONE_NEWPID));
	if (spec->n_nets) {
		/* every network to detach from on delete (network: the first, as older states have it) */
		json_t *nets = json_array();

		r |= bjson_set(b, "network", json_string(spec->network));
		r |= bjson_set(b, "networks", nets);
		for (size_t i = 0; nets && i < spec->n_nets; i++) {
			bool seen = false;

			for (size_t k = 0; k < i; k++)
				seen = seen || strcmp(spec->nets[k].network, spec->nets[i].network) == 0;
			if (!seen)
				r |= json_array_append_new(nets, json_string(spec->nets[i].network));
		}
	}
	if (cgroup)
		r |= bjson_set(b, "cgroup", cgroup);
	if (go_fd >= 0)
		r |= bjson_set(b, "initFds", json_pack("{s:i,s:i}", "go", go_fd, "done", done_fd));
	/* The hooks later commands run, kept here so they do not depend on the bundle still being there. */
	{
		json_t *cfg_hooks = json_object_get(spec->json, "hooks");
		static const char *const kept[] = {"poststart", "poststop"};

		for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
			json_t *h = json_object_get(cfg_hooks, kept[i]);

			if (h)
				r |= bjson_set(hooks, kept[i], json_deep_copy(h));
		}
	}
	r |= bjson_set(b, "hooks", hooks);
	if (r)
		return berr_oom(e);
	json_decref(st->json);
	st->json = TAKE_PTR(j);
	return state_parse(st, e);
}

int rt_state_save(struct rt_state *st, struct berr *e)
{
	_cleanup_free_ char *s = NULL, *path = NULL;
	int r;

	s = json_dumps(st->json, JSON_COMPACT);
	path = rt_path_join(st->dir, STATE_FILE);
	if (!s || !path)
		return berr_oom(e);
	/* /run is a tmpfs: atomic rename is what matters, not durability */
	r = bfile_write_atomic(path, s, strlen(s), 0600, 0, e);
	free(st->saved);
	st->saved = r == 0 ? TAKE_PTR(s) : NULL;
	return r;
}

int rt_state_mark_started(struct rt_state *st, struct berr *e)
{
	json_t *b = json_object_get(st->json, "berth");

	if (bjson_set(b, "started", json_true()) < 0)
		return berr_oom(e);
	json_object_del(b, "initFds");
	st->started = true;
	st->init_go_fd = st->init_done_fd = -1;
	return rt_state_save(st, e);
}

int rt_state_relock(struct rt_state *st)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (!st->saved || st->lockfd >= 0 || lock_state(st, NULL) < 0)
		return 0;
	if (bfile_read_all_at(st->dirfd, STATE_FILE, 1u << 20, &buf, &len, NULL) == 0 && len == strlen(st->saved) &&
	    memcmp(buf, st->saved, len) == 0)
		return 1;
	st->lockfd = berth_close_safe(st->lockfd);
	return 0;
}

bool rt_state_alive(const struct rt_state *st)
{
	unsigned long long start;
	char state;

	if (!st->json || st->pid <= 0)
		return false;
	if (rt_proc_stat(st->pid, &state, &start) < 0)
		return false;
	return start == st->start_time && state != 'Z' && state != 'X' && state != 'x';
}

int rt_state_cgroup(const struct rt_state *st, struct rt_cgroup **ret, struct berr *e)
{
	*ret = NULL;
	if (!st->cgroup_json)
		return 0;
	return rt_cgroup_from_json(st->cgroup_json, ret, e);
}

enum rt_status rt_state_status(struct rt_state *st)
{
	struct rt_cgroup *cg = NULL;
	bool frozen = false;

	if (!st->json)
		return RT_STATUS_CREATING;
	if (!rt_state_alive(st))
		return RT_STATUS_STOPPED;
	if (!st->started)
		return RT_STATUS_CREATED;
	if (rt_state_cgroup(st, &cg, NULL) == 0 && cg) {
		if (rt_cgroup_is_frozen(cg, &frozen) < 0)
			frozen = false;
		rt_cgroup_free(cg);
	}
	return frozen ? RT_STATUS_PAUSED : RT_STATUS_RUNNING;
}

int rt_state_oci_json(struct rt_state *st, enum rt_status status, json_t **ret, struct berr *e)
{
	json_t *j = json_object();
	int r = 0;

	if (!j)
		return berr_oom(e);
	r |= bjson_set(j, "ociVersion",
		       json_string(st->json ? json_string_value(json_object_get(st->json, "ociVersion")) : "1.0.2"));
	r |= bjson_set(j, "id", json_string(st->id));
	r |= bjson_set(j, "status", json_string(rt_status_name(status)));
	r |= bjson_set(j, "pid",
		       json_integer(status == RT_STATUS_STOPPED || status == RT_STATUS_CREATING ? 0 : st->pid));
	r |= bjson_set(j, "bundle", json_string(st->bundle ? st->bundle : ""));
	r |= bjson_set(j, "annotations", st->annotations ? json_deep_copy(st->annotations) : json_object());
	if (r) {
		json_decref(j);
		return berr_oom(e);
	}
	*ret = j;
	return 0;
}

char *rt_state_hook_json(const char *oci_version, const char *id, const char *status, pid_t pid, const char *bundle,
			 const json_t *annotations)
{
	_cleanup_json_ json_t *j = NULL;

	j = json_pack("{s:s,s:s,s:s,s:i,s:s,s:o}", "ociVersion", oci_version ? oci_version : "1.0.2", "id", id,
		      "status", status, "pid", (int)pid, "bundle", bundle ? bundle : "", "annotations",
		      annotations ? json_deep_copy(annotations) : json_object());
	return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

char *rt_state_hook_json_of(struct rt_state *st, enum rt_status status)
{
	return rt_state_hook_json(json_string_value(json_object_get(st->json, "ociVersion")), st->id,
				  rt_status_name(status), status == RT_STATUS_STOPPED ? 0 : st->pid, st->bundle,
				  st->annotations);
}

int rt_state_remove(struct rt_state *st, struct berr *e)
{
	/* the files a state directory holds, then the directory: 4 system calls where the walk takes 14 */
	static const char *const usual[] = {STATE_FILE, "config.json", LOCK_FILE};

	if (st->dirfd < 0)
		return bfile_rm_rf(st->dir, e);
	for (size_t i = 0; i < ARRAY_SIZE(usual); i++) {
		if (unlinkat(st->dirfd, usual[i], 0) < 0 && errno != ENOENT)
			return bfile_rm_rf(st->dir, e);
	}
	/* anything else in it (a symlink, other files): the walk */
	if (rmdir(st->dir) == 0 || errno == ENOENT)
		return 0;
	return bfile_rm_rf(st->dir, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_state_list(const char *root, char ***ret_ids, size_t *ret_n, struct berr *e)
{
	DIR *d = opendir(root);
	char **ids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*ret_ids = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : berr_errno(e, "open --root %s", root);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || rt_id_validate(de->d_name, NULL) < 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (BARRAY_RESERVE(ids, cap, n + 1) < 0)
			goto fail;
		ids[n] = strdup(de->d_name);
		if (!ids[n])
			goto fail;
		n++;
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof(char *), cmp_str);
	*ret_ids = ids;
	*ret_n = n;
	return 0;
fail:
	closedir(d);
	strv_free_n(ids, n);
	return berr_oom(e);
}
