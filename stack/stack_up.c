/* stack/stack_up.c: `berth up`, the stack of a file brought up or made to match it. */
/*
 * 1. The file is parsed and checked whole (stack_file.c), netd is asked
 *    whether it runs and how the stack's networks stand: a broken file, an
 *    absent netd, a missing rootfs, an unknown external network or a
 *    network that exists with another definition stops up before anything
 *    is made.
 * 2. The stack's state directory is locked; every step is recorded before
 *    it is taken (stack_int.h), so down can undo a failed or interrupted up.
 * 3. Networks: created through netd when missing (recorded as ours).
 * 4. Containers no longer in the file go, then each container in
 *    dependency order: unchanged and running stays; otherwise the old one
 *    (if any) is deleted and a new one created from a fresh bundle, its
 *    addresses read back from its state, every hosts file of the stack
 *    rewritten, and it is started.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/container.h"
#include "runtime/net.h"
#include "runtime/sys.h"
#include "stack/stack_int.h"

static int cgroup_parent(const struct stack_opts *o, const char **ret, struct berr *e)
{
	_cleanup_free_ char *norm = NULL;
	const char *p = o->cgroup_parent;
	int r;

	if (!p || !*p)
		p = getenv(STACK_ENV_CGROUP_PARENT);
	if (!p || !*p)
		p = STACK_DEFAULT_CGROUP_PARENT;
	if (p[0] != '/')
		return berr_set(e, -EINVAL, "cgroup parent '%s' must be an absolute cgroup path", p);
	r = rt_cgroup_path_parse(p, strlen(p), NULL, &norm, e);
	if (r < 0)
		return berr_wrap(e, r, "cgroup parent");
	if (strcmp(norm, p) != 0)
		return berr_set(e, -EINVAL, "cgroup parent '%s': write it as %s", p, norm);
	*ret = p;
	return 0;
}

/* What netd has of each network the stack defines or uses; nothing is made here. */
struct net_plan {
	const char *name;
	const struct stack_network *def; /* NULL: not defined in the file, must exist */
	bool exists;
	bool created; /* by this up */
};

static int plan_networks(const struct stack_opts *o, const struct stack *st, struct net_plan **ret, size_t *ret_n,
			 struct berr *e)
{
	size_t n = 0, cap = st->n_networks + 1;
	_cleanup_free_ struct net_plan *p = NULL;
	int r;

	for (size_t i = 0; i < st->n_containers; i++)
		cap += st->containers[i].n_networks;
	p = calloc(cap, sizeof(*p));
	if (!p)
		return berr_oom(e);
	for (size_t i = 0; i < st->n_networks; i++)
		p[n++] = (struct net_plan){.name = st->networks[i].name, .def = &st->networks[i]};
	for (size_t i = 0; i < st->n_containers; i++) {
		for (size_t k = 0; k < st->containers[i].n_networks; k++) {
			const char *name = st->containers[i].networks[k].network;
			bool seen = false;

			for (size_t j = 0; j < n && !seen; j++)
				seen = strcmp(p[j].name, name) == 0;
			if (!seen)
				p[n++] = (struct net_plan){.name = name};
		}
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_t *have = NULL;

		r = stk_netd_inspect(o->netd_socket, p[i].name, &have, e);
		if (r < 0)
			return r;
		p[i].exists = r > 0;
		if (p[i].def && p[i].exists && (r = stk_netd_same(p[i].def, have, e)) < 0)
			return r;
		if (!p[i].def && !p[i].exists)
			return berr_set(e, -ENOENT,
					"network '%s' is neither defined in the stack file nor known to netd "
					"(netctl network ls)",
					p[i].name);
	}
	*ret = TAKE_PTR(p);
	*ret_n = n;
	return 0;
}

static int check_files(const struct stack *st, struct berr *e)
{
	for (size_t i = 0; i < st->n_containers; i++) {
		const struct stack_container *c = &st->containers[i];
		struct stat sb;

		if (stat(c->rootfs, &sb) < 0)
			return berr_errno(e, "container '%s': rootfs %s", c->name, c->rootfs);
		if (!S_ISDIR(sb.st_mode))
			return berr_set(e, -ENOTDIR, "container '%s': rootfs %s is not a directory", c->name,
					c->rootfs);
	}
	return 0;
}

/* Every container id free or already this stack's (ids are "<stack>-<name>": "a-b"+"c" is "a"+"b-c"). */
static int check_ids(const struct stack_opts *o, const struct stack *st, struct berr *e)
{
	for (size_t i = 0; i < st->n_containers; i++) {
		char id[256];
		int r;

		stk_ctr_id(st->name, st->containers[i].name, id, sizeof(id));
		r = stk_ctr_owned(o->root, id, st->name, st->containers[i].name, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int record_network(struct stack_run *run, const char *name, bool created, struct berr *e)
{
	json_t *nets = stack_run_rec_array(run, "networks");

	if (!nets || json_array_append_new(nets, json_pack("{s:s,s:b}", "name", name, "created", created)) < 0)
		return berr_oom(e);
	return stack_run_save(run, e);
}

static int make_networks(const struct stack_opts *o, struct stack_run *run, struct net_plan *p, size_t n,
			 struct berr *e)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		json_t *have = stack_run_rec_find(run, "networks", p[i].name);

		if (p[i].exists) {
			if (!have && (r = record_network(run, p[i].name, false, e)) < 0)
				return r;
			if (!have)
				stk_progress(o, "network %s: exists, used as it is\n", p[i].name);
			continue;
		}
		/* recorded first: an up killed right after netd made it still leaves it to down */
		if (!have && (r = record_network(run, p[i].name, true, e)) < 0)
			return r;
		if (have && !json_is_true(json_object_get(have, "created"))) {
			/* it existed at an earlier up and was removed by someone else since: ours now */
			if (bjson_set(have, "created", json_true()) < 0)
				return berr_oom(e);
			if ((r = stack_run_save(run, e)) < 0)
				return r;
		}
		r = stk_netd_create(o->netd_socket, p[i].def, e);
		if (r < 0) {
			struct berr se = BERR_INIT;

			stack_run_rec_remove(run, "networks", p[i].name);
			stack_run_save(run, &se);
			return r;
		}
		p[i].created = true;
		stk_progress(o, "network %s: created\n", p[i].name);
	}
	return 0;
}

/* What netd says of DNS on each network of the plan, kept in the record for the containers' files. */
static int record_dns(const struct stack_opts *o, struct stack_run *run, const struct net_plan *p, size_t n,
		      struct berr *e)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_t *have = NULL;
		json_t *rec = stack_run_rec_find(run, "networks", p[i].name), *dns;
		int r;

		if (!rec)
			continue;
		r = stk_netd_inspect(o->netd_socket, p[i].name, &have, e);
		if (r < 0)
			return r;
		dns = json_object_get(have, "dns");
		if (!dns)
			json_object_del(rec, "dns");
		else if (bjson_set(rec, "dns", json_incref(dns)) < 0)
			return berr_oom(e);
	}
	return stack_run_save(run, e);
}

/* A running container on a network this up had to create again lost its interface with the old one. */
static bool on_new_network(const struct stack_container *c, const struct net_plan *p, size_t n)
{
	for (size_t i = 0; i < c->n_networks; i++)
		for (size_t k = 0; k < n; k++)
			if (p[k].created && strcmp(p[k].name, c->networks[i].network) == 0)
				return true;
	return false;
}

/* Containers and networks of an earlier up that the file no longer has. */
static int drop_stale(const struct stack_opts *o, struct stack_run *run, const struct stack *st,
		      const struct net_plan *p, size_t np, struct berr *warn, struct berr *e)
{
	json_t *arr = json_object_get(run->rec, "containers");
	int r;

	for (size_t i = json_array_size(arr); i-- > 0;) {
		const char *name = stk_str(json_array_get(arr, i), "name");
		_cleanup_free_ char *copy = NULL;

		if (!name || stack_find_container(st, name))
			continue;
		copy = strdup(name);
		if (!copy)
			return berr_oom(e);
		r = stk_ctr_remove(run, o, copy, warn, e);
		if (r < 0)
			return r;
		stk_progress(o, "container %s: removed (no longer in the file)\n", copy);
	}
	arr = json_object_get(run->rec, "networks");
	for (size_t i = json_array_size(arr); i-- > 0;) {
		json_t *v = json_array_get(arr, i);
		const char *name = stk_str(v, "name");
		_cleanup_free_ char *copy = NULL;
		bool used = false;

		for (size_t k = 0; name && k < np && !used; k++)
			used = strcmp(p[k].name, name) == 0;
		if (!name || used)
			continue;
		copy = strdup(name);
		if (!copy)
			return berr_oom(e);
		if (json_is_true(json_object_get(v, "created"))) {
			struct berr ne = BERR_INIT;

			r = stk_netd_remove(o->netd_socket, copy, &ne);
			if (r == -EBUSY) {
				/* others' containers are on it (as down does): it stays, and is theirs now */
				berr_append(warn, NULL, &ne);
			} else if (r < 0) {
				if (e)
					*e = ne;
				return r;
			} else {
				stk_progress(o, "network %s: removed (no longer in the file)\n", copy);
			}
		}
		stack_run_rec_remove(run, "networks", copy);
		r = stack_run_save(run, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The record entry of a container about to be created: where it attaches, under which names. */
static json_t *ctr_entry(const char *id, const struct stack_container *c)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:[],s:[]}", "name", c->name, "id", id, "hostname", c->hostname, "networks",
			      "ports");
	json_t *nets = json_object_get(o, "networks"), *ports = json_object_get(o, "ports");

	for (size_t i = 0; o && i < c->n_networks; i++) {
		char ifname[16];
		json_t *al = json_array();

		snprintf(ifname, sizeof(ifname), "eth%zu", i);
		for (size_t k = 0; al && k < c->networks[i].n_aliases; k++)
			json_array_append_new(al, json_string(c->networks[i].aliases[k]));
		if (json_array_append_new(nets, json_pack("{s:s,s:s,s:o}", "network", c->networks[i].network, "ifname",
							  ifname, "aliases", al)) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	for (size_t i = 0; o && i < c->n_ports; i++) {
		char spec[96];

		if (json_array_append_new(ports, json_string(bportspec_fmt(&c->ports[i], spec, sizeof(spec)))) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Copy the addresses netd gave (the runtime keeps them in its state) into the record entry. */
static int read_addresses(const struct stack_opts *o, json_t *entry, struct berr *e)
{
	_cleanup_state_ struct rt_state *rs = NULL;
	_cleanup_json_ json_t *att = NULL;
	const char *text;
	json_t *a;
	size_t i;
	int r;

	r = rt_state_open(o->root, stk_str(entry, "id"), false, &rs, e);
	if (r < 0)
		return r;
	text = json_string_value(json_object_get(rs->annotations, RT_NET_ANNOTATION_ATTACHED));
	if (!text)
		return 0;
	r = bjson_parse(text, strlen(text), &att, e);
	if (r < 0)
		return berr_wrap(e, r, "container '%s': annotation " RT_NET_ANNOTATION_ATTACHED,
				 stk_str(entry, "name"));
	json_array_foreach (att, i, a) {
		json_t *n;
		size_t k;

		json_array_foreach (json_object_get(entry, "networks"), k, n) {
			const char *ifn = stk_str(n, "ifname"), *aifn = stk_str(a, "ifname");

			if (!ifn || !aifn || strcmp(ifn, aifn) != 0)
				continue;
			if (json_is_string(json_object_get(a, "ip")) &&
			    (bjson_set(n, "ip", json_incref(json_object_get(a, "ip"))) < 0 ||
			     bjson_set(n, "prefix", json_integer(json_integer_value(json_object_get(a, "prefix")))) <
				     0))
				return berr_oom(e);
			if (json_is_string(json_object_get(a, "ip6")) &&
			    (bjson_set(n, "ip6", json_incref(json_object_get(a, "ip6"))) < 0 ||
			     bjson_set(n, "prefix6", json_integer(json_integer_value(json_object_get(a, "prefix6")))) <
				     0))
				return berr_oom(e);
		}
	}
	return 0;
}

/*
 * `berth create` in a child whose stdio is the container's: the init
 * inherits stdin (/dev/null), stdout and stderr (the log file). The error,
 * if any, comes back through shared memory, not a pipe, since the waiting
 * init holds every inherited fd until it execs.
 */
static int create_container(const struct stack_opts *o, const char *id, const char *bundle, const char *log,
			    struct berr *e)
{
	struct berr *shared;
	_cleanup_close_ int logfd = -1, nul = -1;
	pid_t pid;
	int status = 0, r;

	logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		return berr_errno(e, "open %s", log);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0)
		return berr_errno(e, "open /dev/null");
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return berr_errno(e, "mmap");
	*shared = (struct berr)BERR_INIT;
	if (o->progress)
		fflush(o->progress);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = berr_errno(e, "fork");
		munmap(shared, sizeof(*shared));
		return r;
	}
	if (pid == 0) {
		struct rt_create_opts co = {.root = o->root, .id = id, .bundle = bundle, .netd_socket = o->netd_socket};
		struct rt_created cr;

		if (dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 || rt_sys_close_range(3, ~0U, 0) < 0) {
			berr_errno(shared, "set up the container's stdio");
			_exit(1);
		}
		r = rt_create(&co, &cr, shared);
		if (r == 0)
			rt_created_clear(&cr);
		else if (!shared->code)
			shared->code = r;
		_exit(r < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = 0;
	} else if (shared->code || shared->msg[0]) {
		r = shared->code ? shared->code : -EIO;
		if (e) {
			*e = *shared;
			e->code = r;
		}
	} else {
		r = berr_set(e, -EIO, "create of container '%s' died (status %d)", id, status);
	}
	munmap(shared, sizeof(*shared));
	return r;
}

/* Status of the container's runtime state (an enum rt_status), or the negative errno of opening it: none. */
static int runtime_status(const struct stack_opts *o, const char *id, pid_t *ret_pid)
{
	_cleanup_state_ struct rt_state *rs = NULL;
	int r;

	*ret_pid = 0;
	r = rt_state_open(o->root, id, false, &rs, NULL);
	if (r < 0)
		return r;
	if (!rs->json)
		return RT_STATUS_CREATING;
	*ret_pid = rs->pid;
	return (int)rt_state_status(rs);
}

static int start(const struct stack_opts *o, const char *id, const char *name, struct berr *warn, struct berr *e)
{
	struct berr w = BERR_INIT;
	int r = rt_start(o->root, id, &w, e);

	if (w.code || w.msg[0])
		berr_append(warn, name, &w);
	return r < 0 ? berr_wrap(e, r, "start container '%s'", name) : 0;
}

static int up_container(const struct stack_opts *o, struct stack_run *run, const struct stack *st,
			const struct stack_container *c, const char *parent, bool renew, struct berr *warn,
			struct berr *e)
{
	_cleanup_free_ char *text = NULL, *dir = NULL, *cfg = NULL, *log = NULL, *old = NULL;
	json_t *entry, *arr;
	const char *why;
	char id[256];
	size_t old_len = 0;
	bool same;
	pid_t pid;
	int status, r;

	stk_ctr_id(st->name, c->name, id, sizeof(id));
	dir = stack_run_ctr_path(run, c->name, NULL);
	cfg = stack_run_ctr_path(run, c->name, "config.json");
	log = stack_run_ctr_path(run, c->name, STK_LOG);
	if (!dir || !cfg || !log)
		return berr_oom(e);
	r = stk_bundle_text(run, st, c, parent, &text, e);
	if (r < 0)
		return r;
	r = stk_ctr_owned(o->root, id, st->name, c->name, e);
	if (r < 0)
		return r;
	status = runtime_status(o, id, &pid);
	same = bfile_read_all(cfg, 4u << 20, &old, &old_len, NULL) == 0 && strcmp(old, text) == 0 &&
	       stack_run_rec_find(run, "containers", c->name) && !renew;

	/* a paused container is left paused: pausing is its user's business */
	if (same && (status == RT_STATUS_RUNNING || status == RT_STATUS_PAUSED)) {
		/* the record may have missed the addresses (an up killed at that moment) */
		entry = stack_run_rec_find(run, "containers", c->name);
		if ((r = read_addresses(o, entry, e)) < 0 || (r = stack_run_save(run, e)) < 0)
			return r;
		stk_progress(o, "container %s: unchanged, %s (pid %d)\n", c->name, rt_status_name(status), (int)pid);
		return 0;
	}
	if (same && status == RT_STATUS_CREATED) {
		entry = stack_run_rec_find(run, "containers", c->name);
		if ((r = read_addresses(o, entry, e)) < 0 || (r = stack_run_save(run, e)) < 0 ||
		    (r = stk_hosts_refresh(run, e)) < 0 || (r = start(o, id, c->name, warn, e)) < 0)
			return r;
		stk_progress(o, "container %s: started\n", c->name);
		return 0;
	}
	why = status < 0 ? "created"
	      : renew	 ? "recreated (its network was made again)"
	      : !same	 ? "recreated (definition changed)"
			 : "recreated (it had stopped)";
	if (status >= 0) {
		struct berr w = BERR_INIT;

		r = rt_delete(o->root, id, true, o->netd_socket, &w, e);
		if (r < 0 && r != -ENOENT)
			return berr_wrap(e, r, "remove the old container '%s'", c->name);
		berr_clear(e);
	}
	r = bfile_mkdir_p(dir, 0700, e);
	if (r < 0)
		return r;
	entry = ctr_entry(id, c);
	arr = stack_run_rec_array(run, "containers");
	if (!entry || !arr) {
		json_decref(entry);
		return berr_oom(e);
	}
	stack_run_rec_remove(run, "containers", c->name);
	/* recorded before it exists: down removes it whatever happens next */
	if (json_array_append_new(arr, entry) < 0)
		return berr_oom(e);
	if ((r = stack_run_save(run, e)) < 0 || (r = bfile_write_atomic(cfg, text, strlen(text), 0600, 0, e)) < 0 ||
	    (r = stk_etc_write(run, entry, e)) < 0)
		return r;
	r = create_container(o, id, dir, log, e);
	if (r < 0)
		return berr_wrap(e, r, "create container '%s'", c->name);
	if ((r = read_addresses(o, entry, e)) < 0 || (r = stack_run_save(run, e)) < 0 ||
	    (r = stk_hosts_refresh(run, e)) < 0)
		return r;
	r = start(o, id, c->name, warn, e);
	if (r < 0)
		return r;
	runtime_status(o, id, &pid);
	stk_progress(o, "container %s: %s, started (pid %d)\n", c->name, why, (int)pid);
	return 0;
}

static int check_parent(struct stack_run *run, const char *parent, struct berr *e)
{
	const char *had = stk_str(run->rec, "cgroup_parent");

	if (had && strcmp(had, parent) != 0 && json_array_size(json_object_get(run->rec, "containers")) > 0)
		return berr_set(e, -EINVAL,
				"stack '%s' is up with its cgroups under %s, not %s: run berth down first to move them",
				run->name, had, parent);
	if (bjson_set(run->rec, "cgroup_parent", json_string(parent)) < 0)
		return berr_oom(e);
	return 0;
}

int stack_up(const struct stack_opts *o, const char *file, struct berr *warn, struct berr *e)
{
	_cleanup_(stack_freep) struct stack *st = NULL;
	_cleanup_(stack_run_closep) struct stack_run *run = NULL;
	_cleanup_free_ struct net_plan *plan = NULL;
	const char *parent = NULL;
	size_t n_plan = 0;
	int r;

	/* nothing is made before every check has passed */
	if ((r = stack_load(file, &st, e)) < 0 || (r = cgroup_parent(o, &parent, e)) < 0 ||
	    (r = check_files(st, e)) < 0 || (r = check_ids(o, st, e)) < 0 ||
	    (r = stk_netd_check(o->netd_socket, e)) < 0 || (r = plan_networks(o, st, &plan, &n_plan, e)) < 0)
		return r;
	r = stack_run_open(o->root, st->name, true, &run, e);
	if (r < 0)
		return r;
	if ((r = check_parent(run, parent, e)) < 0)
		return r;
	if (bjson_set(run->rec, "file", json_string(st->path)) < 0)
		return berr_oom(e);
	r = stack_run_save(run, e);
	if (r < 0)
		return r;
	if ((r = make_networks(o, run, plan, n_plan, e)) < 0 || (r = record_dns(o, run, plan, n_plan, e)) < 0 ||
	    (r = drop_stale(o, run, st, plan, n_plan, warn, e)) < 0)
		goto fail;
	for (size_t i = 0; i < st->n_containers; i++) {
		r = up_container(o, run, st, &st->containers[i], parent,
				 on_new_network(&st->containers[i], plan, n_plan), warn, e);
		if (r < 0)
			goto fail;
	}
	r = stk_hosts_refresh(run, e);
	if (r < 0)
		goto fail;
	return 0;
fail:
	return berr_wrap(e, r,
			 "up of stack '%s' stopped; what it made so far is recorded, and `berth down -f %s` "
			 "removes it",
			 st->name, file);
}
