/* stack/stack_view.c: `berth ps` (without a container id) and `berth logs`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/container.h"
#include "stack/stack_int.h"
#include "strv.h"
#include "table.h"

const char *stk_port_text(const char *spec, char *buf, size_t len)
{
	struct bportspec p;
	char ip[INET6_ADDRSTRLEN + 3], a6[INET6_ADDRSTRLEN], host[32], ctr[32];

	if (bportspec_parse(spec, &p, NULL) < 0) {
		snprintf(buf, len, "%s", spec);
		return buf;
	}
	if (p.host_port_end != p.host_port)
		snprintf(host, sizeof(host), "%u-%u", p.host_port, p.host_port_end);
	else
		snprintf(host, sizeof(host), "%u", p.host_port);
	if (p.container_port_end != p.container_port)
		snprintf(ctr, sizeof(ctr), "%u-%u", p.container_port, p.container_port_end);
	else
		snprintf(ctr, sizeof(ctr), "%u", p.container_port);
	if (p.host_v6)
		snprintf(ip, sizeof(ip), "[%s]", baddr_fmt6(&p.host_ip6, a6));
	else if (p.host_ip)
		baddr_fmt4(p.host_ip, ip);
	else
		ip[0] = '\0';
	snprintf(buf, len, "%s%s%s->%s/%s", ip, ip[0] ? ":" : "", host, ctr, bproto_name(p.proto));
	return buf;
}

/* The container's runtime status now ("missing" when the runtime has no state for it). */
static const char *status_of(const struct stack_opts *o, const char *id, pid_t *ret_pid)
{
	_cleanup_state_ struct rt_state *rs = NULL;

	*ret_pid = 0;
	if (!id || rt_state_open(o->root, id, false, &rs, NULL) < 0)
		return "missing";
	if (!rs->json)
		return rt_status_name(RT_STATUS_CREATING);
	if (rt_state_alive(rs))
		*ret_pid = rs->pid;
	return rt_status_name(rt_state_status(rs));
}

static void join(char *buf, size_t len, const char *item)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? "," : "", item);
}

/* Where ps puts its rows: a table, or a JSON list. */
struct ps_out {
	struct table *t;
	json_t *list;
};

static int row(const struct stack_opts *o, const struct stack_run *run, const json_t *c, void *ctx, struct berr *e)
{
	struct ps_out *out = ctx;
	const char *stack = run->name;
	char nets[512] = "", addrs[512] = "", ports[512] = "";
	const char *id = stk_str(c, "id"), *state;
	json_t *n, *p;
	size_t i;
	pid_t pid;

	state = status_of(o, id, &pid);
	json_array_foreach (json_object_get(c, "networks"), i, n) {
		char a[64], a6[80];

		join(nets, sizeof(nets), stk_str(n, "network") ? stk_str(n, "network") : "?");
		snprintf(a, sizeof(a), "%s/%lld", stk_str(n, "ip") ? stk_str(n, "ip") : "-",
			 (long long)json_integer_value(json_object_get(n, "prefix")));
		snprintf(a6, sizeof(a6), "%s/%lld", stk_str(n, "ip6") ? stk_str(n, "ip6") : "-",
			 (long long)json_integer_value(json_object_get(n, "prefix6")));
		if (stk_str(n, "ip"))
			join(addrs, sizeof(addrs), a);
		if (stk_str(n, "ip6"))
			join(addrs, sizeof(addrs), a6);
		if (!stk_str(n, "ip") && !stk_str(n, "ip6"))
			join(addrs, sizeof(addrs), "-");
	}
	json_array_foreach (json_object_get(c, "ports"), i, p) {
		char text[80];

		if (json_is_string(p))
			join(ports, sizeof(ports), stk_port_text(json_string_value(p), text, sizeof(text)));
	}
	if (out->t) {
		const char *cells[] = {stack,
				       stk_str(c, "name"),
				       state,
				       nets[0] ? nets : NULL,
				       addrs[0] ? addrs : NULL,
				       ports[0] ? ports : NULL};

		return table_add(out->t, cells) < 0 ? berr_oom(e) : 0;
	}
	if (json_array_append_new(out->list, json_pack("{s:s,s:s,s:s?,s:s,s:i,s:O,s:O}", "stack", stack, "name",
						       stk_str(c, "name"), "id", id, "state", state, "pid", (int)pid,
						       "networks", json_object_get(c, "networks") ?: json_null(),
						       "ports", json_object_get(c, "ports") ?: json_null())) < 0)
		return berr_oom(e);
	return 0;
}

/* The stacks to show: the file's, or every one under root. */
static int stack_names(const struct stack_opts *o, const char *file, char ***ret, size_t *ret_n, struct berr *e)
{
	char *name = NULL;
	int r;

	if (!file)
		return stk_list(o->root, ret, ret_n, e);
	r = stack_name_of_file(file, &name, e);
	if (r < 0)
		return r;
	*ret = calloc(1, sizeof(char *));
	if (!*ret) {
		free(name);
		return berr_oom(e);
	}
	(*ret)[0] = name;
	*ret_n = 1;
	return 0;
}

/*
 * fn for every container of the stacks to show (the file's, or every one
 * under root), as last recorded; a negative return stops.
 */
static int each_container(const struct stack_opts *o, const char *file,
			  int (*fn)(const struct stack_opts *o, const struct stack_run *run, const json_t *c, void *ctx,
				    struct berr *e),
			  void *ctx, struct berr *e)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	r = stack_names(o, file, &names, &n, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_(stack_run_closep) struct stack_run *run = NULL;
		json_t *c;
		size_t k;

		if (stack_run_peek(o->root, names[i], &run, NULL) < 0)
			continue;
		json_array_foreach (json_object_get(run->rec, "containers"), k, c) {
			r = fn(o, run, c, ctx, e);
			if (r < 0)
				break;
		}
	}
	strv_free_n(names, n);
	return r;
}

int stack_ps(const struct stack_opts *o, const char *file, const char *format, FILE *out, struct berr *e)
{
	static const char *const hdr[] = {"STACK", "CONTAINER", "STATE", "NETWORKS", "ADDRESSES", "PORTS", NULL};
	_cleanup_json_ json_t *list = NULL;
	struct ps_out rows = {0};
	bool json = format && strcmp(format, "json") == 0;
	int r;

	if (format && !json && strcmp(format, "table") != 0)
		return berr_set(e, -EINVAL, "--format must be table or json, not '%s'", format);
	if (json)
		rows.list = list = json_array();
	else
		rows.t = table_new(hdr);
	if (!rows.list && !rows.t)
		return berr_oom(e);
	r = each_container(o, file, row, &rows, e);
	if (r == 0 && json) {
		char *text = json_dumps(list, JSON_INDENT(2));

		if (!text)
			return berr_oom(e);
		fprintf(out, "%s\n", text);
		free(text);
	} else if (r == 0) {
		table_print(rows.t, out);
	}
	table_free(rows.t);
	return r;
}

static int copy_file(const char *path, FILE *out, struct berr *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : berr_errno(e, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return berr_errno(e, "write");
	return n < 0 ? berr_errno(e, "read %s", path) : 0;
}

/* The container logs looks for, by name or id, and the stacks that have one. */
struct logs_find {
	const char *name;
	size_t hits;
	char *log; /* the first one's output.log */
	char others[512];
};

static int match(const struct stack_opts *o, const struct stack_run *run, const json_t *c, void *ctx, struct berr *e)
{
	struct logs_find *f = ctx;
	const char *cn = stk_str(c, "name"), *id = stk_str(c, "id");

	(void)o;
	if (!cn || (strcmp(cn, f->name) != 0 && (!id || strcmp(id, f->name) != 0)))
		return 0;
	if (f->hits++ == 0 && !(f->log = stack_run_ctr_path(run, cn, STK_LOG)))
		return berr_oom(e);
	join(f->others, sizeof(f->others), run->name);
	return 0;
}

int stack_logs(const struct stack_opts *o, const char *file, const char *name, FILE *out, struct berr *e)
{
	struct logs_find f = {.name = name};
	_cleanup_free_ char *log = NULL;
	int r;

	r = each_container(o, file, match, &f, e);
	log = f.log;
	if (r < 0)
		return r;
	if (f.hits == 0) {
		if (file)
			return berr_set(e, -ENOENT, "stack of %s has no container '%s' that is up", file, name);
		return berr_set(e, -ENOENT, "no container '%s' in any stack that is up (berth ps lists them)", name);
	}
	if (f.hits > 1)
		return berr_set(e, -EINVAL, "container '%s' is in several stacks (%s): pick one with -f FILE", name,
				f.others);
	return copy_file(log, out, e);
}
