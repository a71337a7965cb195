/* stack/stack_file.c: parsing and checking a stack file (stack_file.h). */
#include "stack/stack_file.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "strv.h"

static const char *const top_keys[] = {"name", "networks", "containers", NULL};
static const char *const net_keys[] = {"name", "subnet",   "gateway",	 "subnet6",	"bridge",
				       "mtu",  "internal", "masquerade", "masquerade6", NULL};
static const char *const att_keys[] = {"name", "ip", "aliases", NULL};

void stack_free(struct stack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_networks; i++) {
		free(s->networks[i].name);
		free(s->networks[i].bridge);
	}
	free(s->networks);
	for (size_t i = 0; i < s->n_containers; i++) {
		struct stack_container *c = &s->containers[i];

		free(c->name);
		free(c->rootfs);
		strv_free_n(c->command, c->n_command);
		strv_free_n(c->env, c->n_env);
		free(c->working_dir);
		free(c->hostname);
		free(c->user);
		for (size_t j = 0; j < c->n_networks; j++) {
			free(c->networks[j].network);
			strv_free_n(c->networks[j].aliases, c->networks[j].n_aliases);
		}
		free(c->networks);
		free(c->ports);
		strv_free_n(c->depends_on, c->n_depends_on);
	}
	free(s->containers);
	free(s->name);
	free(s->path);
	free(s);
}

const struct stack_container *stack_find_container(const struct stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_containers; i++)
		if (strcmp(s->containers[i].name, name) == 0)
			return &s->containers[i];
	return NULL;
}

const struct stack_network *stack_find_network(const struct stack *s, const char *name)
{
	for (size_t i = 0; i < s->n_networks; i++)
		if (strcmp(s->networks[i].name, name) == 0)
			return &s->networks[i];
	return NULL;
}

int stack_parse_size(const char *s, int64_t *ret)
{
	uint64_t v = 0, mult = 1;
	size_t n = strlen(s);
	char digits[32];

	if (n == 0 || n >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, n + 1);
	switch (tolower((unsigned char)digits[n - 1])) {
	case 'k':
		mult = 1024;
		break;
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'g':
		mult = 1024ull * 1024 * 1024;
		break;
	case 'b':
		break;
	default:
		if (!isdigit((unsigned char)digits[n - 1]))
			return -EINVAL;
		n++;
	}
	digits[n - 1] = '\0';
	if (bparse_u64(digits, 1, INT64_MAX, &v) < 0 || v > (uint64_t)INT64_MAX / mult)
		return -EINVAL;
	*ret = (int64_t)(v * mult);
	return 0;
}

static int dup_str(const char *s, char **ret, struct berr *e)
{
	*ret = strdup(s);
	return *ret ? 0 : berr_oom(e);
}

/* "<where>.<key>": the name of a key in messages about its elements. */
static const char *key_where(char *buf, size_t len, const char *where, const char *key)
{
	snprintf(buf, len, "%s.%s", where, key);
	return buf;
}

/* The "name" key of j: a valid name of at most max bytes ("'<where>.name' is not a valid <what> name"). */
static int name_key(const json_t *j, const char *where, size_t max, const char *what, char **ret, struct berr *e)
{
	const char *s = NULL;
	int r = bjson_req_str(j, "name", where, &s, e);

	if (r < 0)
		return r;
	if (!bname_valid(s, max))
		return berr_set(e, -EINVAL, "'%s.name' is not a valid %s name: '%s'", where, what, s);
	return dup_str(s, ret, e);
}

/* An array of strings, or one string, into a NULL-terminated vector. */
static int parse_strv(const json_t *v, const char *where, size_t max_len, char ***ret, size_t *ret_n, struct berr *e)
{
	char **out;
	size_t n, i;

	if (json_is_string(v)) {
		out = calloc(2, sizeof(char *));
		if (!out || !(out[0] = strdup(json_string_value(v)))) {
			free(out);
			return berr_oom(e);
		}
		*ret = out;
		*ret_n = 1;
		return 0;
	}
	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s' must be a string or an array of strings", where);
	n = json_array_size(v);
	out = calloc(n + 1, sizeof(char *));
	if (!out)
		return berr_oom(e);
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);

		if (!json_is_string(s) || json_string_length(s) > max_len) {
			strv_free_n(out, i);
			return berr_set(e, -EINVAL, "'%s[%zu]' must be a string of at most %zu bytes", where, i,
					max_len);
		}
		out[i] = strdup(json_string_value(s));
		if (!out[i]) {
			strv_free_n(out, i);
			return berr_oom(e);
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static int parse_network(const json_t *j, const char *where, struct stack_network *n, struct berr *e)
{
	const char *s = NULL;
	int64_t mtu = 0;
	int r;

	n->masquerade = true;
	r = bjson_check_keys(j, net_keys, where, e);
	if (r < 0)
		return r;
	r = name_key(j, where, 64, "network", &n->name, e);
	if (r < 0)
		return r;
	n->masquerade6 = -1;
	r = bjson_get_str(j, "subnet6", where, &s, e);
	if (r < 0)
		return r;
	if (s) {
		if (baddr_parse_cidr6(s, false, &n->subnet6, e) < 0)
			return berr_wrap(e, -EINVAL, "'%s.subnet6'", where);
		if (n->subnet6.prefix > 124 || n->subnet6.prefix < 16)
			return berr_set(e, -EINVAL, "'%s.subnet6' %s: prefix must be between /16 and /124", where, s);
	}
	s = NULL;
	r = n->subnet6.prefix ? bjson_get_str(j, "subnet", where, &s, e) : bjson_req_str(j, "subnet", where, &s, e);
	if (r < 0)
		return r;
	if (s && baddr_parse_cidr4(s, false, &n->subnet, e) < 0)
		return berr_wrap(e, -EINVAL, "'%s.subnet'", where);
	if (s && (n->subnet.prefix > 30 || n->subnet.prefix < 8))
		return berr_set(e, -EINVAL, "'%s.subnet' %s: prefix must be between /8 and /30", where, s);
	s = NULL;
	r = bjson_get_str(j, "gateway", where, &s, e);
	if (r < 0)
		return r;
	if (s && !n->subnet.prefix)
		return berr_set(e, -EINVAL, "'%s.gateway': the network has no IPv4 subnet", where);
	if (s) {
		if (baddr_parse4(s, &n->gateway, e) < 0)
			return berr_wrap(e, -EINVAL, "'%s.gateway'", where);
		if (!baddr_in4(&n->subnet, n->gateway))
			return berr_set(e, -EINVAL, "'%s.gateway' %s is outside the subnet", where, s);
	}
	s = NULL;
	r = bjson_get_str(j, "bridge", where, &s, e);
	if (r < 0)
		return r;
	if (s) {
		if (!bifname_valid(s) || strchr(s, '.'))
			return berr_set(e, -EINVAL, "'%s.bridge' is not a valid bridge name (1-15 bytes, no '.'): '%s'",
					where, s);
		r = dup_str(s, &n->bridge, e);
		if (r < 0)
			return r;
	} else if (!bifname_valid(n->name) || strchr(n->name, '.')) {
		/* netd names the bridge after the network */
		return berr_set(e, -EINVAL,
				"'%s.name' '%s' cannot name its bridge (at most 15 bytes, no '.'): give '%s.bridge'",
				where, n->name, where);
	}
	r = bjson_get_int(j, "mtu", where, 576, 65535, &mtu, e);
	if (r < 0)
		return r;
	n->mtu = (int)mtu;
	r = bjson_get_bool(j, "internal", where, &n->internal, e);
	if (r < 0)
		return r;
	if (json_object_get(j, "masquerade6")) {
		bool m6 = false;

		r = bjson_get_bool(j, "masquerade6", where, &m6, e);
		if (r < 0)
			return r;
		n->masquerade6 = m6;
	}
	r = bjson_get_bool(j, "masquerade", where, &n->masquerade, e);
	if (r < 0)
		return r;
	return 0;
}

static int parse_attachment(const json_t *j, const char *where, struct stack_attachment *a, struct berr *e)
{
	const char *s = NULL;
	json_t *al = NULL;
	int r;

	if (json_is_string(j)) {
		s = json_string_value(j);
		if (!bname_valid(s, 64))
			return berr_set(e, -EINVAL, "'%s' is not a valid network name: '%s'", where, s);
		return dup_str(s, &a->network, e);
	}
	r = bjson_check_keys(j, att_keys, where, e);
	if (r < 0)
		return r;
	r = name_key(j, where, 64, "network", &a->network, e);
	if (r < 0)
		return r;
	r = bjson_get_str(j, "ip", where, &s, e);
	if (r < 0)
		return r;
	if (s && baddr_parse4(s, &a->ip, e) < 0)
		return berr_wrap(e, -EINVAL, "'%s.ip'", where);
	r = bjson_get_arr(j, "aliases", where, &al, e);
	if (r < 0)
		return r;
	if (al) {
		char sub[256];

		r = parse_strv(al, key_where(sub, sizeof(sub), where, "aliases"), 253, &a->aliases, &a->n_aliases, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < a->n_aliases; i++)
			if (!bname_valid(a->aliases[i], 253))
				return berr_set(e, -EINVAL, "'%s[%zu]' is not a valid host name: '%s'", sub, i,
						a->aliases[i]);
	}
	return 0;
}

static int resolve_path(const char *base_dir, const char *p, char **ret, struct berr *e)
{
	if (p[0] == '/' || !base_dir)
		return dup_str(p, ret, e);
	if (asprintf(ret, "%s/%s", base_dir, p) < 0)
		return berr_oom(e);
	return 0;
}

/* What the parser of one container key gets. */
struct ctr_src {
	const json_t *obj;    /* the container */
	const char *where;    /* "containers[2]" */
	const char *base_dir; /* the file's directory */
	json_t *v;	      /* the key's value (NULL: absent) */
};

static int ctr_name(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	return name_key(in->obj, in->where, 63, "container", &c->name, e);
}

static int ctr_rootfs(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	const char *s = NULL;
	int r = bjson_req_str(in->obj, "rootfs", in->where, &s, e);

	if (r < 0)
		return r;
	if (!*s)
		return berr_set(e, -EINVAL, "'%s.rootfs' is empty", in->where);
	return resolve_path(in->base_dir, s, &c->rootfs, e);
}

/* An argv, or a string: a shell command line, as in compose files. */
static int ctr_command(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	char sub[256], **argv;
	int r;

	if (!v)
		return berr_set(e, -EINVAL, "missing required key '%s.command'", in->where);
	r = parse_strv(v, key_where(sub, sizeof(sub), in->where, "command"), 65536, &c->command, &c->n_command, e);
	if (r < 0)
		return r;
	if (c->n_command == 0 || !c->command[0][0])
		return berr_set(e, -EINVAL, "'%s.command' is empty", in->where);
	if (!json_is_string(v))
		return 0;
	argv = calloc(4, sizeof(char *));
	if (!argv)
		return berr_oom(e);
	argv[0] = strdup("/bin/sh");
	argv[1] = strdup("-c");
	argv[2] = c->command[0];
	free(c->command);
	c->command = argv;
	c->n_command = 3;
	return argv[0] && argv[1] ? 0 : berr_oom(e);
}

static int env_from_object(json_t *v, const char *where, struct stack_container *c, struct berr *e)
{
	const char *k;
	json_t *val;

	c->env = calloc(json_object_size(v) + 1, sizeof(char *));
	if (!c->env)
		return berr_oom(e);
	json_object_foreach (v, k, val) {
		if (!*k || strchr(k, '='))
			return berr_set(e, -EINVAL, "'%s.env' has an invalid variable name '%s'", where, k);
		if (!json_is_string(val))
			return berr_set(e, -EINVAL, "'%s.env.%s' must be a string", where, k);
		if (asprintf(&c->env[c->n_env], "%s=%s", k, json_string_value(val)) < 0) {
			c->env[c->n_env] = NULL;
			return berr_oom(e);
		}
		c->n_env++;
	}
	return 0;
}

/* {"KEY": "VALUE"} or ["KEY=VALUE"]. */
static int ctr_env(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	char sub[256];
	int r;

	if (json_is_object(v))
		return env_from_object(v, in->where, c, e);
	key_where(sub, sizeof(sub), in->where, "env");
	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s' must be an object or an array of \"KEY=VALUE\"", sub);
	r = parse_strv(v, sub, 65536, &c->env, &c->n_env, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_env; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return berr_set(e, -EINVAL, "'%s[%zu]' must look like KEY=VALUE: '%s'", sub, i, c->env[i]);
	return 0;
}

static int ctr_working_dir(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	const char *s = NULL;
	int r = bjson_get_str(in->obj, "working_dir", in->where, &s, e);

	if (r <= 0)
		return r;
	if (s[0] != '/')
		return berr_set(e, -EINVAL, "'%s.working_dir' must be an absolute path: '%s'", in->where, s);
	return dup_str(s, &c->working_dir, e);
}

/* The container's name when not given. */
static int ctr_hostname(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	const char *s = NULL;
	int r = bjson_get_str(in->obj, "hostname", in->where, &s, e);

	if (r < 0)
		return r;
	if (s && !bname_valid(s, 63))
		return berr_set(e, -EINVAL, "'%s.hostname' is not a valid host name: '%s'", in->where, s);
	return dup_str(s ? s : c->name, &c->hostname, e);
}

/* "UID" or "UID:GID", numeric: the root filesystem's passwd is not read. */
static int ctr_user(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	const char *s = NULL;
	unsigned uid, gid;
	char tail;
	int r = bjson_get_str(in->obj, "user", in->where, &s, e);

	if (r <= 0)
		return r;
	if (sscanf(s, "%u:%u%c", &uid, &gid, &tail) != 2 && sscanf(s, "%u%c", &uid, &tail) != 1)
		return berr_set(e, -EINVAL, "'%s.user' must be UID or UID:GID: '%s'", in->where, s);
	return dup_str(s, &c->user, e);
}

static int ctr_networks(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	size_t n;
	int r;

	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s.networks' must be an array", in->where);
	n = json_array_size(v);
	if (n > STACK_MAX_CONTAINER_NETWORKS)
		return berr_set(e, -EINVAL, "'%s.networks' lists %zu networks, at most %d", in->where, n,
				STACK_MAX_CONTAINER_NETWORKS);
	c->networks = calloc(n ? n : 1, sizeof(*c->networks));
	if (!c->networks)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		char sub[256];

		snprintf(sub, sizeof(sub), "%s.networks[%zu]", in->where, i);
		c->n_networks = i + 1;
		r = parse_attachment(json_array_get(v, i), sub, &c->networks[i], e);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(c->networks[k].network, c->networks[i].network) == 0)
				return berr_set(e, -EINVAL, "'%s' attaches to network '%s' twice", sub,
						c->networks[i].network);
	}
	return 0;
}

/* Published on the first network's address, so after "networks". */
static int ctr_ports(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	size_t n;

	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s.ports' must be an array of \"[HOSTIP:]HOST:CONTAINER[/proto]\"",
				in->where);
	n = json_array_size(v);
	c->ports = calloc(n ? n : 1, sizeof(*c->ports));
	if (!c->ports)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(v, i);

		if (!json_is_string(p))
			return berr_set(e, -EINVAL, "'%s.ports[%zu]' must be a string", in->where, i);
		if (bportspec_parse(json_string_value(p), &c->ports[i], e) < 0)
			return berr_wrap(e, -EINVAL, "'%s.ports[%zu]'", in->where, i);
		c->n_ports = i + 1;
	}
	if (n && c->n_networks == 0)
		return berr_set(e, -EINVAL, "'%s.ports' needs the container on a network", in->where);
	return 0;
}

/* Bytes, or a size like "64m". */
static int ctr_memory(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;

	if (json_is_integer(v) && json_integer_value(v) > 0)
		c->memory = json_integer_value(v);
	else if (!json_is_string(v) || stack_parse_size(json_string_value(v), &c->memory) < 0)
		return berr_set(e, -EINVAL, "'%s.memory' must be a size like \"64m\", \"1g\" or bytes", in->where);
	if (c->memory < 4 * 1024 * 1024)
		return berr_set(e, -EINVAL, "'%s.memory' must be at least 4m", in->where);
	return 0;
}

/* CPUs (0.5: half of one), as a quota per 100 ms period. */
static int ctr_cpus(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	double cpus;

	if (!json_is_number(v))
		return berr_set(e, -EINVAL, "'%s.cpus' must be a number like 0.5", in->where);
	cpus = json_number_value(v);
	if (!(cpus >= 0.01 && cpus <= 1024))
		return berr_set(e, -EINVAL, "'%s.cpus' must be between 0.01 and 1024", in->where);
	c->cpu_quota_us = (uint64_t)(cpus * 100000.0 + 0.5);
	return 0;
}

static int ctr_pids(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	int r = bjson_get_int(in->obj, "pids", in->where, 1, 4194304, &c->pids, e);

	return r < 0 ? r : 0;
}

/* Names only here: that they name containers of the file is checked once all are parsed. */
static int ctr_depends_on(const struct ctr_src *in, struct stack_container *c, struct berr *e)
{
	json_t *v = in->v;
	char sub[256];

	key_where(sub, sizeof(sub), in->where, "depends_on");
	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s' must be an array of container names", sub);
	return parse_strv(v, sub, 63, &c->depends_on, &c->n_depends_on, e);
}

/*
 * A container's keys and their parsers, run in this order (hostname
 * defaults to the name, ports need the networks); those of optional keys
 * without a default only when the key is there.
 */
static const struct {
	const char *key;
	bool absent_too; /* required, or a default */
	int (*parse)(const struct ctr_src *in, struct stack_container *c, struct berr *e);
} ctr_keys[] = {
	{"name", true, ctr_name},
	{"rootfs", true, ctr_rootfs},
	{"command", true, ctr_command},
	{"env", false, ctr_env},
	{"working_dir", false, ctr_working_dir},
	{"hostname", true, ctr_hostname},
	{"user", false, ctr_user},
	{"networks", false, ctr_networks},
	{"ports", false, ctr_ports},
	{"memory", false, ctr_memory},
	{"cpus", false, ctr_cpus},
	{"pids", false, ctr_pids},
	{"depends_on", false, ctr_depends_on},
};

static int parse_container(const json_t *j, const char *where, const char *base_dir, struct stack_container *c,
			   struct berr *e)
{
	struct ctr_src in = {.obj = j, .where = where, .base_dir = base_dir};
	const char *known[ARRAY_SIZE(ctr_keys) + 1] = {NULL};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(ctr_keys); i++)
		known[i] = ctr_keys[i].key;
	r = bjson_check_keys(j, known, where, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(ctr_keys); i++) {
		in.v = json_object_get(j, ctr_keys[i].key);
		if (!in.v && !ctr_keys[i].absent_too)
			continue;
		r = ctr_keys[i].parse(&in, c, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Order containers so that each comes after what it depends on (stable; cycles refused). */
static int order_containers(struct stack *s, struct berr *e)
{
	size_t n = s->n_containers, done = 0;
	_cleanup_free_ struct stack_container *out = calloc(n ? n : 1, sizeof(*out));
	_cleanup_free_ bool *placed = calloc(n ? n : 1, sizeof(bool));

	if (!out || !placed)
		return berr_oom(e);
	for (size_t i = 0; i < n; i++) {
		struct stack_container *c = &s->containers[i];

		for (size_t d = 0; d < c->n_depends_on; d++) {
			if (!stack_find_container(s, c->depends_on[d]))
				return berr_set(e, -EINVAL, "'containers[%zu].depends_on' names unknown container '%s'",
						i, c->depends_on[d]);
			if (strcmp(c->depends_on[d], c->name) == 0)
				return berr_set(e, -EINVAL, "container '%s' depends on itself", c->name);
		}
	}
	while (done < n) {
		bool progress = false;

		for (size_t i = 0; i < n; i++) {
			struct stack_container *c = &s->containers[i];
			bool ready = true;

			if (placed[i])
				continue;
			for (size_t d = 0; d < c->n_depends_on && ready; d++) {
				for (size_t k = 0; k < n; k++)
					if (!placed[k] && strcmp(s->containers[k].name, c->depends_on[d]) == 0)
						ready = false;
			}
			if (ready) {
				out[done++] = *c;
				placed[i] = true;
				progress = true;
			}
		}
		if (!progress) {
			for (size_t i = 0; i < n; i++)
				if (!placed[i])
					return berr_set(e, -EINVAL, "depends_on forms a cycle through container '%s'",
							s->containers[i].name);
		}
	}
	memcpy(s->containers, out, n * sizeof(*out));
	return 0;
}

/* Fixed addresses inside their network, not its reserved ones, not taken twice; ports on a network that allows them. */
static int check_attachments(const struct stack *s, size_t ci, const char *where, struct berr *e)
{
	const struct stack_container *c = &s->containers[ci];
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < c->n_networks; i++) {
		const struct stack_attachment *att = &c->networks[i];
		const struct stack_network *net = stack_find_network(s, att->network);
		uint32_t bcast, gw;

		if (!net || !att->ip)
			continue;
		if (!net->subnet.prefix)
			return berr_set(e, -EINVAL, "'%s.networks[%zu].ip': network '%s' has no IPv4 subnet", where, i,
					net->name);
		if (!baddr_in4(&net->subnet, att->ip))
			return berr_set(e, -EINVAL, "'%s.networks[%zu].ip' %s is outside network '%s' (%s)", where, i,
					baddr_fmt4(att->ip, a), net->name,
					baddr_fmt_cidr4(&net->subnet, (char[24]){0}));
		bcast = net->subnet.addr | ~baddr_mask4(net->subnet.prefix);
		gw = net->gateway ? net->gateway : net->subnet.addr + 1;
		if (att->ip == net->subnet.addr || att->ip == bcast || att->ip == gw)
			return berr_set(e, -EINVAL, "'%s.networks[%zu].ip' %s is the %s address of network '%s'", where,
					i, baddr_fmt4(att->ip, a),
					att->ip == gw	   ? "gateway"
					: att->ip == bcast ? "broadcast"
							   : "network",
					net->name);
		for (size_t k = 0; k < ci; k++) {
			const struct stack_container *o = &s->containers[k];

			for (size_t j = 0; j < o->n_networks; j++)
				if (o->networks[j].ip == att->ip && strcmp(o->networks[j].network, att->network) == 0)
					return berr_set(e, -EINVAL,
							"'%s.networks[%zu].ip' %s is also given to container '%s'",
							where, i, baddr_fmt4(att->ip, a), o->name);
		}
	}
	if (c->n_ports) {
		const struct stack_network *first = stack_find_network(s, c->networks[0].network);

		/* published ports go to the first network's address */
		if (first && first->internal)
			return berr_set(e, -EINVAL,
					"'%s.ports': ports are published on the first network, and '%s' is internal; "
					"list a network that is not internal first",
					where, first->name);
	}
	return 0;
}

/* Two specs of one port meet on some address: a family they share, and the same address or every one. */
static bool specs_share_address(const struct bportspec *x, const struct bportspec *y)
{
	bool both_x = !x->host_v6 && !x->host_ip, both_y = !y->host_v6 && !y->host_ip;

	if (both_x || both_y)
		return true;
	if (x->host_v6 != y->host_v6)
		return false;
	if (x->host_v6)
		return baddr_zero6(&x->host_ip6) || baddr_zero6(&y->host_ip6) || baddr_eq6(&x->host_ip6, &y->host_ip6);
	return x->host_ip == y->host_ip;
}

static int check_ports_unique(const struct stack *s, struct berr *e)
{
	for (size_t i = 0; i < s->n_containers; i++) {
		const struct stack_container *a = &s->containers[i];

		for (size_t p = 0; p < a->n_ports; p++) {
			for (size_t j = i; j < s->n_containers; j++) {
				const struct stack_container *b = &s->containers[j];

				for (size_t q = (j == i ? p + 1 : 0); q < b->n_ports; q++) {
					const struct bportspec *x = &a->ports[p], *y = &b->ports[q];

					if (x->proto != y->proto || x->host_port > y->host_port_end ||
					    y->host_port > x->host_port_end)
						continue;
					if (!specs_share_address(x, y))
						continue;
					return berr_set(e, -EINVAL,
							"host port %u/%s is published by both '%s' and '%s'",
							x->host_port > y->host_port ? x->host_port : y->host_port,
							bproto_name(x->proto), a->name, b->name);
				}
			}
		}
	}
	return 0;
}

int stack_parse(const json_t *doc, const char *default_name, const char *base_dir, struct stack **ret, struct berr *e)
{
	_cleanup_(stack_freep) struct stack *s = NULL;
	const char *name = default_name;
	json_t *nets = NULL, *ctrs = NULL;
	int r;

	r = bjson_check_keys(doc, top_keys, "", e);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_oom(e);
	r = bjson_get_str(doc, "name", "", &name, e);
	if (r < 0)
		return r;
	if (!name || !bname_valid(name, STACK_NAME_MAX))
		return berr_set(e, -EINVAL, "stack name '%s' is not valid (letters, digits, '_', '.', '-'; at most %d)",
				name ? name : "", STACK_NAME_MAX);
	r = dup_str(name, &s->name, e);
	if (r < 0)
		return r;

	r = bjson_get_arr(doc, "networks", "", &nets, e);
	if (r < 0)
		return r;
	if (nets) {
		size_t n = json_array_size(nets);

		if (n > STACK_MAX_NETWORKS)
			return berr_set(e, -EINVAL, "'networks' has %zu entries, at most %d", n, STACK_MAX_NETWORKS);
		s->networks = calloc(n ? n : 1, sizeof(*s->networks));
		if (!s->networks)
			return berr_oom(e);
		for (size_t i = 0; i < n; i++) {
			char where[64];

			snprintf(where, sizeof(where), "networks[%zu]", i);
			s->n_networks = i + 1;
			r = parse_network(json_array_get(nets, i), where, &s->networks[i], e);
			if (r < 0)
				return r;
			for (size_t k = 0; k < i; k++) {
				if (strcmp(s->networks[k].name, s->networks[i].name) == 0)
					return berr_set(e, -EINVAL, "network '%s' is defined twice",
							s->networks[i].name);
				if ((s->networks[k].subnet.prefix && s->networks[i].subnet.prefix &&
				     baddr_overlap4(&s->networks[k].subnet, &s->networks[i].subnet)) ||
				    (s->networks[k].subnet6.prefix && s->networks[i].subnet6.prefix &&
				     baddr_overlap6(&s->networks[k].subnet6, &s->networks[i].subnet6)))
					return berr_set(e, -EINVAL, "networks '%s' and '%s' have overlapping subnets",
							s->networks[k].name, s->networks[i].name);
			}
		}
	}

	r = bjson_get_arr(doc, "containers", "", &ctrs, e);
	if (r < 0)
		return r;
	if (!ctrs || json_array_size(ctrs) == 0)
		return berr_set(e, -EINVAL, "'containers' must list at least one container");
	if (json_array_size(ctrs) > STACK_MAX_CONTAINERS)
		return berr_set(e, -EINVAL, "'containers' has %zu entries, at most %d", json_array_size(ctrs),
				STACK_MAX_CONTAINERS);
	s->containers = calloc(json_array_size(ctrs), sizeof(*s->containers));
	if (!s->containers)
		return berr_oom(e);
	for (size_t i = 0; i < json_array_size(ctrs); i++) {
		char where[64];

		snprintf(where, sizeof(where), "containers[%zu]", i);
		s->n_containers = i + 1;
		r = parse_container(json_array_get(ctrs, i), where, base_dir, &s->containers[i], e);
		if (r < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->containers[k].name, s->containers[i].name) == 0)
				return berr_set(e, -EINVAL, "container '%s' is defined twice", s->containers[i].name);
		r = check_attachments(s, i, where, e);
		if (r < 0)
			return r;
	}
	r = check_ports_unique(s, e);
	if (r < 0)
		return r;
	r = order_containers(s, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int stack_load(const char *path, struct stack **ret, struct berr *e)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_free_ char *base = NULL, *dir = NULL, *abs = NULL;
	struct stack *s = NULL;
	char *slash, *dot;
	int r;

	r = bjson_load_file(path, 4 * 1024 * 1024, &doc, e);
	if (r < 0)
		return r;
	abs = realpath(path, NULL);
	if (!abs)
		return berr_errno(e, "resolve %s", path);
	dir = strdup(abs);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash)
		return berr_oom(e);
	*slash = '\0';
	base = strdup(slash + 1);
	if (!base)
		return berr_oom(e);
	dot = strrchr(base, '.');
	if (dot && strcmp(dot, ".json") == 0)
		*dot = '\0';
	r = stack_parse(doc, base, *dir ? dir : "/", &s, e);
	if (r < 0)
		return berr_wrap(e, r, "%s", path);
	s->path = TAKE_PTR(abs);
	*ret = s;
	return 0;
}
