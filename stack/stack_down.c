/* stack/stack_down.c: `berth down`: remove what up recorded, and nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "netd/client/client.h"
#include "runtime/container.h"
#include "stack/stack_int.h"

int stk_ctr_owned(const char *root, const char *id, const char *stack, const char *name, struct berr *e)
{
	_cleanup_state_ struct rt_state *rs = NULL;
	const char *a, *b;
	int r;

	r = rt_state_open(root, id, false, &rs, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || !rs->json)
		return 1;
	a = json_string_value(json_object_get(rs->annotations, "berth.stack"));
	b = json_string_value(json_object_get(rs->annotations, "berth.stack.container"));
	if (a && b && strcmp(a, stack) == 0 && strcmp(b, name) == 0)
		return 1;
	return berr_set(e, -EEXIST,
			"container id '%s' is taken by a container that is not container '%s' of stack '%s' "
			"(berth list shows it): rename the stack or the container",
			id, name, stack);
}

/* Delete the runtime's container id (record entry ctr) and netd's endpoints of it; already gone is fine. */
static int delete_container(const struct stack_opts *o, const json_t *ctr, const char *id, const char *name,
			    struct berr *warn, struct berr *e)
{
	struct berr w = BERR_INIT;
	json_t *n;
	size_t i;
	int r;

	r = rt_delete(o->root, id, true, o->netd_socket, &w, e);
	if (r == -ENOENT)
		berr_clear(e);
	else if (r < 0)
		return berr_wrap(e, r, "remove container '%s'", name);
	if (w.code || w.msg[0])
		berr_append(warn, name, &w);
	/*
	 * The runtime detached what its state recorded; a create that died
	 * between netd's attach and writing that state leaves endpoints only
	 * netd knows of, so ask netd to forget every one of this id.
	 */
	json_array_foreach (json_object_get(ctr, "networks"), i, n) {
		struct berr de = BERR_INIT;
		const char *net = stk_str(n, "network");

		if (net && netd_client_detach(o->netd_socket, id, net, &de) < 0)
			berr_append(warn, name, &de);
	}
	return 0;
}

int stk_ctr_remove(struct stack_run *run, const struct stack_opts *o, const char *name, struct berr *warn,
		   struct berr *e)
{
	_cleanup_free_ char *dir = stack_run_ctr_path(run, name, NULL);
	struct berr w = BERR_INIT;
	char id[256];
	int r;

	if (!dir)
		return berr_oom(e);
	stk_ctr_id(run->name, name, id, sizeof(id));
	r = stk_ctr_owned(o->root, id, run->name, name, &w);
	if (r < 0) {
		/* up never made a container under an id that was taken: only the record is ours */
		berr_append(warn, name, &w);
	} else {
		r = delete_container(o, stack_run_rec_find(run, "containers", name), id, name, warn, e);
		if (r < 0)
			return r;
	}
	r = bfile_rm_rf(dir, e);
	if (r < 0)
		return r;
	stack_run_rec_remove(run, "containers", name);
	return stack_run_save(run, e);
}

int stack_name_of_file(const char *file, char **ret, struct berr *e)
{
	_cleanup_json_ json_t *doc = NULL;
	struct stack *st = NULL;
	const char *name;
	char *base, *dot;

	if (stack_load(file, &st, NULL) == 0) {
		*ret = strdup(st->name);
		stack_free(st);
		return *ret ? 0 : berr_oom(e);
	}
	/* a file broken since up: its name key, else its base name, as stack_load would have taken it */
	if (bjson_load_file(file, 4u << 20, &doc, NULL) == 0 && json_is_string(json_object_get(doc, "name")))
		name = json_string_value(json_object_get(doc, "name"));
	else
		name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	base = strdup(name);
	if (!base)
		return berr_oom(e);
	dot = strrchr(base, '.');
	if (dot && strcmp(dot, ".json") == 0 && !json_is_string(json_object_get(doc, "name")))
		*dot = '\0';
	if (!bname_valid(base, STACK_NAME_MAX)) {
		free(base);
		return berr_set(e, -EINVAL, "%s: cannot tell the stack's name", file);
	}
	*ret = base;
	return 0;
}

static const char *cgroup_keep(const char *parent)
{
	/* berth's own parent goes too once empty; one given by the user stays */
	return strcmp(parent, STACK_DEFAULT_CGROUP_PARENT) == 0 ? "/" : parent;
}

int stack_down(const struct stack_opts *o, const char *file, const char *name, bool *ret_found, struct berr *warn,
	       struct berr *e)
{
	_cleanup_free_ char *owned = NULL, *cgpath = NULL;
	struct stack_run *run = NULL;
	json_t *arr, *v;
	const char *parent;
	size_t n;
	int r, failed = 0;

	*ret_found = false;
	if (file) {
		r = stack_name_of_file(file, &owned, e);
		if (r < 0)
			return r;
		name = owned;
	}
	r = stack_run_open(o->root, name, false, &run, e);
	if (r == -ENOENT) {
		berr_clear(e);
		return 0;
	}
	if (r < 0)
		return r;
	*ret_found = true;
	/* containers first, the last started first */
	arr = json_object_get(run->rec, "containers");
	for (n = json_array_size(arr); n-- > 0;) {
		_cleanup_free_ char *cname = NULL;
		struct berr ce = BERR_INIT;

		v = json_array_get(arr, n);
		if (!stk_str(v, "name") || !(cname = strdup(stk_str(v, "name")))) {
			json_array_remove(arr, n);
			continue;
		}
		r = stk_ctr_remove(run, o, cname, warn, &ce);
		if (r < 0) {
			berr_append(warn, cname, &ce);
			failed = failed ?: r;
			continue;
		}
		stk_progress(o, "container %s: removed\n", cname);
	}
	arr = json_object_get(run->rec, "networks");
	for (n = json_array_size(arr); n-- > 0;) {
		_cleanup_free_ char *nname = NULL;
		struct berr ne = BERR_INIT;

		v = json_array_get(arr, n);
		if (!stk_str(v, "name") || !(nname = strdup(stk_str(v, "name")))) {
			json_array_remove(arr, n);
			continue;
		}
		if (json_is_true(json_object_get(v, "created"))) {
			r = stk_netd_remove(o->netd_socket, nname, &ne);
			if (r == -EBUSY) {
				/* containers of others (another stack using the same network) are on it: it stays
				 * theirs */
				berr_append(warn, nname, &ne);
				stk_progress(o, "network %s: left in place, other containers use it\n", nname);
			} else if (r < 0) {
				berr_append(warn, nname, &ne);
				failed = failed ?: r;
				continue;
			} else {
				stk_progress(o, "network %s: removed\n", nname);
			}
		}
		json_array_remove(arr, n);
	}
	parent = stk_str(run->rec, "cgroup_parent");
	if (parent && asprintf(&cgpath, "%s/%s", parent, run->name) >= 0) {
		struct berr ge = BERR_INIT;

		if (rt_cgroup_prune(cgpath, cgroup_keep(parent), &ge) < 0) {
			berr_append(warn, "cgroup", &ge);
			failed = failed ?: -EBUSY;
		}
	}
	if (failed) {
		struct berr se = BERR_INIT;

		stack_run_save(run, &se);
		stack_run_close(run);
		return berr_set(e, failed,
				"stack '%s' is not completely down (%s); what is left stays recorded: run down "
				"again once that is fixed",
				name, warn && warn->msg[0] ? warn->msg : "see the warnings");
	}
	r = stack_run_remove_dir(run, e);
	stack_run_close(run);
	if (r == 0) {
		_cleanup_free_ char *stacks = stk_stacks_dir(o->root);

		/* the last stack takes <root>/stacks with it; another one's up recreates it */
		if (stacks)
			(void)rmdir(stacks);
	}
	return r;
}
