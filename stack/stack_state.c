/* runtime/stack_state.c: a stack's directory under <root>/stacks, its lock and its record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "lock.h"
#include "runtime/spec.h"
#include "stack/stack_int.h"

#define RECORD_MAX (4u << 20)

char *stk_stacks_dir(const char *root)
{
	char *p = NULL;

	return asprintf(&p, "%s/" RT_RESERVED_ID, root) < 0 ? NULL : p;
}

const char *stk_ctr_id(const char *stack, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s", stack, name);
	return buf;
}

char *stk_ctr_path(const struct stk *s, const char *name, const char *file)
{
	char *p = NULL;
	int r = file ? asprintf(&p, "%s/containers/%s/%s", s->dir, name, file)
		     : asprintf(&p, "%s/containers/%s", s->dir, name);

	return r < 0 ? NULL : p;
}

const char *stk_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_t *stk_rec_array(struct stk *s, const char *key)
{
	json_t *a = json_object_get(s->rec, key);

	if (!json_is_array(a)) {
		a = json_array();
		if (!a || bjson_set(s->rec, key, a) < 0)
			return NULL;
	}
	return a;
}

json_t *stk_rec_find(struct stk *s, const char *key, const char *name)
{
	json_t *a = json_object_get(s->rec, key), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *n = stk_str(v, "name");

		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

void stk_rec_remove(struct stk *s, const char *key, const char *name)
{
	json_t *a = json_object_get(s->rec, key), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *n = stk_str(v, "name");

		if (n && strcmp(n, name) == 0) {
			json_array_remove(a, i);
			return;
		}
	}
}

void stk_close(struct stk *s)
{
	if (!s)
		return;
	berth_close_safe(s->lockfd);
	json_decref(s->rec);
	free(s->name);
	free(s->dir);
	free(s);
}

BERTH_DEFINE_PTR_CLEANUP(stk_closep, struct stk, stk_close)

static int stk_alloc(const char *root, const char *name, struct stk **ret, struct berr *e)
{
	_cleanup_(stk_closep) struct stk *s = NULL;
	_cleanup_free_ char *stacks = NULL;

	if (!bname_valid(name, STACK_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid stack name '%s'", name);
	s = calloc(1, sizeof(*s));
	stacks = stk_stacks_dir(root);
	if (!s || !stacks)
		return berr_oom(e);
	s->lockfd = -1;
	s->name = strdup(name);
	if (!s->name || asprintf(&s->dir, "%s/%s", stacks, name) < 0) {
		s->dir = NULL;
		return berr_oom(e);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

/* A record rebuilt from the container directories when stack.json is unreadable: down still finds them. */
static int rebuild_record(struct stk *s, struct berr *e)
{
	_cleanup_free_ char *cdir = NULL;
	json_t *ctrs;
	DIR *d;
	struct dirent *de;

	if (asprintf(&cdir, "%s/containers", s->dir) < 0)
		return berr_oom(e);
	ctrs = stk_rec_array(s, "containers");
	if (!ctrs)
		return berr_oom(e);
	d = opendir(cdir);
	if (!d)
		return errno == ENOENT ? 0 : berr_errno(e, "open %s", cdir);
	while ((de = readdir(d))) {
		char id[256];

		if (de->d_name[0] == '.' || !bname_valid(de->d_name, 63))
			continue;
		stk_ctr_id(s->name, de->d_name, id, sizeof(id));
		if (json_array_append_new(ctrs, json_pack("{s:s,s:s}", "name", de->d_name, "id", id)) < 0) {
			closedir(d);
			return berr_oom(e);
		}
	}
	closedir(d);
	return bjson_set(s->rec, "damaged", json_true()) < 0 ? berr_oom(e) : 0;
}

static int load_record(struct stk *s, struct berr *e)
{
	_cleanup_free_ char *path = NULL;
	struct berr sub = BERR_INIT;
	int r;

	if (asprintf(&path, "%s/" STK_RECORD, s->dir) < 0)
		return berr_oom(e);
	r = bjson_load_file(path, RECORD_MAX, &s->rec, &sub);
	if (r == 0 && json_is_object(s->rec) && json_integer_value(json_object_get(s->rec, "version")) == 1 &&
	    json_is_array(json_object_get(s->rec, "containers")) && json_is_array(json_object_get(s->rec, "networks")))
		return 0;
	json_decref(s->rec);
	s->rec = json_pack("{s:i,s:s,s:[],s:[]}", "version", 1, "name", s->name, "networks", "containers");
	if (!s->rec)
		return berr_oom(e);
	return r == -ENOENT ? 0 : rebuild_record(s, e);
}

int stk_open(const char *root, const char *name, bool create, struct stk **ret, struct berr *e)
{
	_cleanup_(stk_closep) struct stk *s = NULL;
	int r;

	r = stk_alloc(root, name, &s, e);
	if (r < 0)
		return r;
	/* down removes the directory under the lock: a waiter that got a lock on a removed file tries again */
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *lock = NULL;
		struct stat a, b;

		if (create) {
			r = bfile_mkdir_p(s->dir, 0700, e);
			if (r < 0)
				return r;
		} else if (!bfile_exists(s->dir)) {
			return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, s->dir);
		}
		if (asprintf(&lock, "%s/lock", s->dir) < 0)
			return berr_oom(e);
		r = block_acquire(lock, STK_LOCK_TIMEOUT_MS, &s->lockfd, e);
		if (r == -ENOENT && !create)
			return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, s->dir);
		if (r < 0)
			return berr_wrap(e, r, "lock stack '%s'", name);
		if (fstat(s->lockfd, &a) == 0 && stat(lock, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		s->lockfd = berth_close_safe(s->lockfd);
		if (attempt > 16)
			return berr_set(e, -EAGAIN, "stack '%s': its state keeps being removed", name);
	}
	r = load_record(s, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int stk_peek(const char *root, const char *name, struct stk **ret, struct berr *e)
{
	_cleanup_(stk_closep) struct stk *s = NULL;
	int r;

	r = stk_alloc(root, name, &s, e);
	if (r < 0)
		return r;
	if (!bfile_exists(s->dir))
		return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, s->dir);
	r = load_record(s, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int stk_save(struct stk *s, struct berr *e)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	text = json_dumps(s->rec, JSON_INDENT(2));
	if (!text || asprintf(&path, "%s/" STK_RECORD, s->dir) < 0)
		return berr_oom(e);
	return bfile_write_atomic(path, text, strlen(text), 0600, 0, e);
}

int stk_remove_dir(struct stk *s, struct berr *e)
{
	/* the lock file goes with the directory; holding its fd keeps other berths out until then */
	return bfile_rm_rf(s->dir, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int stk_list(const char *root, char ***ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ char *dir = stk_stacks_dir(root);
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (!dir)
		return berr_oom(e);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berr_errno(e, "open %s", dir);
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || !bname_valid(de->d_name, STACK_NAME_MAX))
			continue;
		nv = realloc(v, (n + 1) * sizeof(char *));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
			closedir(d);
			return berr_oom(e);
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}
