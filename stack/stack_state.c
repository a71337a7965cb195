/* stack/stack_state.c: a stack's directory under <root>/stacks, its lock and its record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "array.h"
#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "lock.h"
#include "runtime/spec.h"
#include "stack/stack_int.h"
#include "strv.h"

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

char *stack_run_ctr_path(const struct stack_run *run, const char *name, const char *file)
{
	char *p = NULL;
	int r = file ? asprintf(&p, "%s/containers/%s/%s", run->dir, name, file)
		     : asprintf(&p, "%s/containers/%s", run->dir, name);

	return r < 0 ? NULL : p;
}

const char *stk_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

json_t *stack_run_rec_array(struct stack_run *run, const char *key)
{
	json_t *a = json_object_get(run->rec, key);

	if (!json_is_array(a)) {
		a = json_array();
		if (!a || bjson_set(run->rec, key, a) < 0)
			return NULL;
	}
	return a;
}

json_t *stack_run_rec_find(struct stack_run *run, const char *key, const char *name)
{
	json_t *a = json_object_get(run->rec, key), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *n = stk_str(v, "name");

		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

void stack_run_rec_remove(struct stack_run *run, const char *key, const char *name)
{
	json_t *a = json_object_get(run->rec, key), *v;
	size_t i;

	json_array_foreach (a, i, v) {
		const char *n = stk_str(v, "name");

		if (n && strcmp(n, name) == 0) {
			json_array_remove(a, i);
			return;
		}
	}
}

void stack_run_close(struct stack_run *run)
{
	if (!run)
		return;
	berth_close_safe(run->lockfd);
	json_decref(run->rec);
	free(run->name);
	free(run->dir);
	free(run);
}

static int stack_run_alloc(const char *root, const char *name, struct stack_run **ret, struct berr *e)
{
	_cleanup_(stack_run_closep) struct stack_run *run = NULL;
	_cleanup_free_ char *stacks = NULL;

	if (!bname_valid(name, STACK_NAME_MAX))
		return berr_set(e, -EINVAL, "invalid stack name '%s'", name);
	run = calloc(1, sizeof(*run));
	stacks = stk_stacks_dir(root);
	if (!run || !stacks)
		return berr_oom(e);
	run->lockfd = -1;
	run->name = strdup(name);
	if (!run->name || asprintf(&run->dir, "%s/%s", stacks, name) < 0) {
		run->dir = NULL;
		return berr_oom(e);
	}
	*ret = TAKE_PTR(run);
	return 0;
}

/* A record rebuilt from the container directories when stack.json is unreadable: down still finds them. */
static int rebuild_record(struct stack_run *run, struct berr *e)
{
	_cleanup_free_ char *cdir = NULL;
	json_t *ctrs;
	DIR *d;
	struct dirent *de;

	if (asprintf(&cdir, "%s/containers", run->dir) < 0)
		return berr_oom(e);
	ctrs = stack_run_rec_array(run, "containers");
	if (!ctrs)
		return berr_oom(e);
	d = opendir(cdir);
	if (!d)
		return errno == ENOENT ? 0 : berr_errno(e, "open %s", cdir);
	while ((de = readdir(d))) {
		char id[256];

		if (de->d_name[0] == '.' || !bname_valid(de->d_name, 63))
			continue;
		stk_ctr_id(run->name, de->d_name, id, sizeof(id));
		if (json_array_append_new(ctrs, json_pack("{s:s,s:s}", "name", de->d_name, "id", id)) < 0) {
			closedir(d);
			return berr_oom(e);
		}
	}
	closedir(d);
	return bjson_set(run->rec, "damaged", json_true()) < 0 ? berr_oom(e) : 0;
}

static int load_record(struct stack_run *run, struct berr *e)
{
	_cleanup_free_ char *path = NULL;
	struct berr sub = BERR_INIT;
	int r;

	if (asprintf(&path, "%s/" STK_RECORD, run->dir) < 0)
		return berr_oom(e);
	r = bjson_load_file(path, RECORD_MAX, &run->rec, &sub);
	if (r == 0 && json_is_object(run->rec) && json_integer_value(json_object_get(run->rec, "version")) == 1 &&
	    json_is_array(json_object_get(run->rec, "containers")) &&
	    json_is_array(json_object_get(run->rec, "networks")))
		return 0;
	json_decref(run->rec);
	run->rec = json_pack("{s:i,s:s,s:[],s:[]}", "version", 1, "name", run->name, "networks", "containers");
	if (!run->rec)
		return berr_oom(e);
	return r == -ENOENT ? 0 : rebuild_record(run, e);
}

int stack_run_open(const char *root, const char *name, bool create, struct stack_run **ret, struct berr *e)
{
	_cleanup_(stack_run_closep) struct stack_run *run = NULL;
	int r;

	r = stack_run_alloc(root, name, &run, e);
	if (r < 0)
		return r;
	/* down removes the directory under the lock: a waiter that got a lock on a removed file tries again */
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *lock = NULL;
		struct stat a, b;

		if (create) {
			r = bfile_mkdir_p(run->dir, 0700, e);
			if (r < 0)
				return r;
		} else if (!bfile_exists(run->dir)) {
			return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, run->dir);
		}
		if (asprintf(&lock, "%s/lock", run->dir) < 0)
			return berr_oom(e);
		r = block_acquire(lock, STK_LOCK_TIMEOUT_MS, &run->lockfd, e);
		if (r == -ENOENT && !create)
			return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, run->dir);
		if (r < 0)
			return berr_wrap(e, r, "lock stack '%s'", name);
		if (fstat(run->lockfd, &a) == 0 && stat(lock, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		run->lockfd = berth_close_safe(run->lockfd);
		if (attempt > 16)
			return berr_set(e, -EAGAIN, "stack '%s': its state keeps being removed", name);
	}
	r = load_record(run, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(run);
	return 0;
}

int stack_run_peek(const char *root, const char *name, struct stack_run **ret, struct berr *e)
{
	_cleanup_(stack_run_closep) struct stack_run *run = NULL;
	int r;

	r = stack_run_alloc(root, name, &run, e);
	if (r < 0)
		return r;
	if (!bfile_exists(run->dir))
		return berr_set(e, -ENOENT, "stack '%s' is not up (no state in %s)", name, run->dir);
	r = load_record(run, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(run);
	return 0;
}

int stack_run_save(struct stack_run *run, struct berr *e)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	text = json_dumps(run->rec, JSON_INDENT(2));
	if (!text || asprintf(&path, "%s/" STK_RECORD, run->dir) < 0)
		return berr_oom(e);
	return bfile_write_atomic(path, text, strlen(text), 0600, 0, e);
}

int stack_run_remove_dir(struct stack_run *run, struct berr *e)
{
	/* the lock file goes with the directory; holding its fd keeps other berths out until then */
	return bfile_rm_rf(run->dir, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int stk_list(const char *root, char ***ret, size_t *ret_n, struct berr *e)
{
	_cleanup_free_ char *dir = stk_stacks_dir(root);
	char **v = NULL;
	size_t n = 0, cap = 0;
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
		if (de->d_name[0] == '.' || !bname_valid(de->d_name, STACK_NAME_MAX))
			continue;
		if (BARRAY_RESERVE(v, cap, n + 1) < 0 || !(v[n] = strdup(de->d_name))) {
			strv_free_n(v, n);
			closedir(d);
			return berr_oom(e);
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}
