/* netctl: netd's command-line client (docs/netd.md). The boundary: arguments, requests, output. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "netd/client/client.h"
#include "netd/netctl/graph.h"
#include "netns.h"
#include "table.h"

#define MAX_ARGS 256

static const char *socket_opt;
static bool json_out;

static void usage(FILE *f)
{
	fprintf(f, "usage: netctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		   "\n"
		   "  network create NAME --subnet CIDR [--gateway IP] [--bridge BR] [--mtu N]\n"
		   "                 [--range START-END] [--no-masquerade] [--internal]\n"
		   "  network rm NAME\n"
		   "  network ls\n"
		   "  network inspect NAME\n"
		   "  attach ID --netns PATH [--network NAME] [--ifname IF] [--ip IP] [--mac MAC]\n"
		   "            [-p [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|/udp]]...\n"
		   "  detach ID [--network NAME] [--ifname IF]\n"
		   "  ls [--network NAME]             endpoints\n"
		   "  inspect ID                      everything about one container's endpoints\n"
		   "  routes ID [--network NAME] [--ifname IF]\n"
		   "                                  routes inside the container, every table\n"
		   "  ports                           every published port\n"
		   "  status NETWORK                  can an attach succeed (free addresses, bridge)\n"
		   "  reconcile                       make the kernel match netd's records now\n"
		   "  graph [--output FILE] [--format dot|svg|png]\n"
		   "                                  the topology as a Graphviz picture (svg, png: needs dot)\n"
		   "  teardown                        remove berth's nftables table (only once no network is left)\n"
		   "  ping                            is netd there\n"
		   "\n"
		   "Global options may also follow the command. The socket is --socket, else\n"
		   "$BERTH_NETD_SOCKET, else " NETD_DEFAULT_SOCKET ".\n");
}

static int die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "netctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(netctl --help for usage)\n");
	return 2;
}

/* Options of one command: names that take a value, and flags. */
struct opt {
	const char *name;  /* "--subnet" */
	const char *alias; /* "-p" or NULL */
	bool has_value;
	bool multi;
	const char *value;
	const char *values[64];
	int n_values;
	bool set;
};

static struct opt *find_opt(struct opt *opts, const char *arg, const char **inline_value)
{
	for (struct opt *o = opts; o && o->name; o++) {
		size_t n = strlen(o->name);

		if (strcmp(arg, o->name) == 0 || (o->alias && strcmp(arg, o->alias) == 0)) {
			*inline_value = NULL;
			return o;
		}
		if (o->has_value && strncmp(arg, o->name, n) == 0 && arg[n] == '=') {
			*inline_value = arg + n + 1;
			return o;
		}
	}
	return NULL;
}

/* Split args into positionals and this command's options. Returns 0 or the exit status for a usage error. */
static int parse_opts(int argc, char **argv, struct opt *opts, char **pos, int *n_pos, int max_pos)
{
	*n_pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *iv;
		struct opt *o;

		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (*n_pos >= max_pos)
				return die_usage("unexpected argument '%s'", a);
			pos[(*n_pos)++] = argv[i];
			continue;
		}
		o = find_opt(opts, a, &iv);
		if (!o)
			return die_usage("unknown option '%s'", a);
		o->set = true;
		if (!o->has_value)
			continue;
		if (!iv) {
			if (i + 1 >= argc)
				return die_usage("%s needs a value", a);
			iv = argv[++i];
		}
		if (o->multi) {
			if (o->n_values >= (int)ARRAY_SIZE(o->values))
				return die_usage("too many %s", o->name);
			o->values[o->n_values++] = iv;
		} else {
			o->value = iv;
		}
	}
	return 0;
}

static int call(json_t *req, int fd, json_t **ret)
{
	struct berr e = BERR_INIT;
	int r;

	r = netd_client_request(netd_client_socket_path(socket_opt), req, fd, ret, &e);
	if (r < 0) {
		fprintf(stderr, "netctl: %s\n", berr_message(&e));
		return 1;
	}
	return 0;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s) {
		printf("%s\n", s);
		free(s);
	}
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static bool jbool(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static json_t *new_req(const char *op)
{
	json_t *r = json_object();

	if (!r || bjson_set(r, "op", json_string(op)) < 0) {
		fprintf(stderr, "netctl: out of memory\n");
		exit(1);
	}
	return r;
}

static void put(json_t *req, const char *k, json_t *v)
{
	if (bjson_set(req, k, v) < 0) {
		fprintf(stderr, "netctl: out of memory\n");
		exit(1);
	}
}

/* "8080:80/tcp, 127.0.0.1:53:53/udp" from an endpoint's ports */
static void ports_text(const json_t *ep, char *buf, size_t len)
{
	json_t *p;
	size_t i, off = 0;

	buf[0] = '\0';
	json_array_foreach (json_object_get(ep, "ports"), i, p) {
		struct bportspec ps = {0};
		char one[80];

		baddr_parse4(jstr(p, "host_ip"), &ps.host_ip, NULL);
		ps.host_port = (uint16_t)jint(p, "host_port");
		ps.host_port_end = (uint16_t)jint(p, "host_port_end");
		ps.container_port = (uint16_t)jint(p, "container_port");
		ps.container_port_end = (uint16_t)jint(p, "container_port_end");
		bproto_parse(jstr(p, "protocol"), &ps.proto);
		bportspec_fmt(&ps, one, sizeof(one));
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", i ? "," : "", one);
	}
}

static int cmd_network(int argc, char **argv)
{
	struct opt opts[] = {
		{.name = "--subnet", .has_value = true},
		{.name = "--gateway", .has_value = true},
		{.name = "--bridge", .has_value = true},
		{.name = "--mtu", .has_value = true},
		{.name = "--range", .has_value = true},
		{.name = "--no-masquerade"},
		{.name = "--internal"},
		{NULL},
	};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	char *pos[4];
	int n_pos, r;
	const char *sub;

	if (argc < 1)
		return die_usage("network: give create, rm, ls or inspect");
	sub = argv[0];
	r = parse_opts(argc - 1, argv + 1, opts, pos, &n_pos, 4);
	if (r)
		return r;
	if (strcmp(sub, "create") == 0) {
		uint64_t mtu;

		if (n_pos != 1)
			return die_usage("network create NAME --subnet CIDR ...");
		if (!opts[0].value)
			return die_usage("network create: --subnet is required");
		req = new_req("network.create");
		put(req, "name", json_string(pos[0]));
		put(req, "subnet", json_string(opts[0].value));
		if (opts[1].value)
			put(req, "gateway", json_string(opts[1].value));
		if (opts[2].value)
			put(req, "bridge", json_string(opts[2].value));
		if (opts[3].value) {
			if (bparse_u64(opts[3].value, 68, 65535, &mtu) < 0)
				return die_usage("--mtu: '%s' is not a number in 68..65535", opts[3].value);
			put(req, "mtu", json_integer((json_int_t)mtu));
		}
		if (opts[4].value) {
			char buf[64], *dash;

			snprintf(buf, sizeof(buf), "%s", opts[4].value);
			dash = strchr(buf, '-');
			if (!dash)
				return die_usage("--range: expected START-END");
			*dash = '\0';
			put(req, "range_start", json_string(buf));
			put(req, "range_end", json_string(dash + 1));
		}
		if (opts[5].set)
			put(req, "masquerade", json_false());
		if (opts[6].set)
			put(req, "internal", json_true());
		if ((r = call(req, -1, &res)))
			return r;
		if (json_out)
			print_json(res);
		else
			printf("%s\n", jstr(res, "name"));
		return 0;
	}
	if (opts[0].set || opts[1].set || opts[2].set || opts[3].set || opts[4].set || opts[5].set || opts[6].set)
		return die_usage("network %s takes no options", sub);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "inspect") == 0) {
		if (n_pos != 1)
			return die_usage("network %s NAME", sub);
		req = new_req(strcmp(sub, "rm") == 0 ? "network.rm" : "network.inspect");
		put(req, "name", json_string(pos[0]));
		if ((r = call(req, -1, &res)))
			return r;
		if (json_out || strcmp(sub, "inspect") == 0)
			print_json(res);
		else
			printf("%s\n", pos[0]);
		return 0;
	}
	if (strcmp(sub, "ls") == 0) {
		static const char *const hdr[] = {"NAME", "BRIDGE",    "SUBNET",  "GATEWAY",
						  "MTU",  "ENDPOINTS", "OPTIONS", NULL};
		struct table *t;
		json_t *n;
		size_t i;

		if (n_pos)
			return die_usage("network ls takes no arguments");
		req = new_req("network.ls");
		if ((r = call(req, -1, &res)))
			return r;
		if (json_out) {
			print_json(res);
			return 0;
		}
		t = table_new(hdr);
		json_array_foreach (res, i, n) {
			char mtu[16], eps[16], flags[64];

			snprintf(mtu, sizeof(mtu), "%lld", (long long)jint(n, "mtu"));
			snprintf(eps, sizeof(eps), "%lld", (long long)jint(n, "endpoints"));
			snprintf(flags, sizeof(flags), "%s%s",
				 jbool(n, "internal")	  ? "internal"
				 : jbool(n, "masquerade") ? "masquerade"
							  : "no-masquerade",
				 jbool(n, "adopted") ? ",adopted" : "");
			const char *row[] = {jstr(n, "name"),
					     jstr(n, "bridge"),
					     jstr(n, "subnet"),
					     jstr(n, "gateway"),
					     mtu,
					     eps,
					     flags};
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
		return 0;
	}
	return die_usage("network: unknown subcommand '%s'", sub);
}

static int cmd_attach(int argc, char **argv)
{
	struct opt opts[] = {
		{.name = "--netns", .has_value = true},
		{.name = "--network", .has_value = true},
		{.name = "--ifname", .has_value = true},
		{.name = "--ip", .has_value = true},
		{.name = "--mac", .has_value = true},
		{.name = "--publish", .alias = "-p", .has_value = true, .multi = true},
		{NULL},
	};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	_cleanup_close_ int nsfd = -1;
	struct berr e = BERR_INIT;
	char *pos[2];
	int n_pos, r;

	r = parse_opts(argc, argv, opts, pos, &n_pos, 2);
	if (r)
		return r;
	if (n_pos != 1)
		return die_usage("attach ID --netns PATH ...");
	if (!opts[0].value)
		return die_usage("attach: --netns is required");
	/* Open it here: the fd travels to netd, so netd needs no access to our path. */
	if (bns_open(opts[0].value, CLONE_NEWNET, &nsfd, &e) < 0) {
		fprintf(stderr, "netctl: --netns: %s\n", berr_message(&e));
		return 1;
	}
	req = new_req("attach");
	put(req, "id", json_string(pos[0]));
	if (opts[0].value[0] == '/')
		put(req, "netns", json_string(opts[0].value));
	if (opts[1].value)
		put(req, "network", json_string(opts[1].value));
	if (opts[2].value)
		put(req, "ifname", json_string(opts[2].value));
	if (opts[3].value)
		put(req, "ip", json_string(opts[3].value));
	if (opts[4].value)
		put(req, "mac", json_string(opts[4].value));
	if (opts[5].n_values) {
		json_t *ports = json_array();

		put(req, "ports", ports);
		for (int i = 0; i < opts[5].n_values; i++) {
			struct bportspec ps;

			/* checked here too, for an error that names the option */
			if (bportspec_parse(opts[5].values[i], &ps, &e) < 0)
				return die_usage("-p %s: %s", opts[5].values[i], berr_message(&e));
			json_array_append_new(ports, json_string(opts[5].values[i]));
		}
	}
	if ((r = call(req, nsfd, &res)))
		return r;
	if (json_out) {
		print_json(res);
	} else {
		char ports[512];

		ports_text(res, ports, sizeof(ports));
		printf("%s %s %s/%lld on %s (mac %s%s%s%s%s)\n", jstr(res, "id"), jstr(res, "ifname"), jstr(res, "ip"),
		       (long long)jint(res, "prefix"), jstr(res, "network"), jstr(res, "mac"),
		       *jstr(res, "gateway") ? ", gateway " : "", jstr(res, "gateway"), ports[0] ? ", ports " : "",
		       ports);
	}
	return 0;
}

/* OP ID [--network NAME] [--ifname IF]: the requests about one container's endpoints. */
static int endpoint_call(const char *op, int argc, char **argv, const char **ret_id, json_t **ret_res)
{
	struct opt opts[] = {{.name = "--network", .has_value = true}, {.name = "--ifname", .has_value = true}, {NULL}};
	_cleanup_json_ json_t *req = NULL;
	char *pos[1];
	int n_pos, r;

	r = parse_opts(argc, argv, opts, pos, &n_pos, 1);
	if (r)
		return r;
	if (n_pos != 1)
		return die_usage("%s ID [--network NAME] [--ifname IF]", op);
	req = new_req(op);
	put(req, "id", json_string(pos[0]));
	if (opts[0].value)
		put(req, "network", json_string(opts[0].value));
	if (opts[1].value)
		put(req, "ifname", json_string(opts[1].value));
	*ret_id = pos[0];
	return call(req, -1, ret_res);
}

static int cmd_detach(int argc, char **argv)
{
	_cleanup_json_ json_t *res = NULL;
	const char *id = NULL;
	int r;

	if ((r = endpoint_call("detach", argc, argv, &id, &res)))
		return r;
	if (json_out)
		print_json(res);
	else
		printf("detached %lld endpoint%s of %s\n", (long long)jint(res, "detached"),
		       jint(res, "detached") == 1 ? "" : "s", id);
	return 0;
}

static int cmd_ls(int argc, char **argv)
{
	static const char *const hdr[] = {"ID", "NETWORK", "IFNAME", "ADDRESS", "MAC", "PORTS", NULL};
	struct opt opts[] = {{.name = "--network", .has_value = true}, {NULL}};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	struct table *t;
	char *pos[1];
	json_t *ep;
	size_t i;
	int n_pos, r;

	r = parse_opts(argc, argv, opts, pos, &n_pos, 0);
	if (r)
		return r;
	req = new_req("ls");
	if (opts[0].value)
		put(req, "network", json_string(opts[0].value));
	if ((r = call(req, -1, &res)))
		return r;
	if (json_out) {
		print_json(res);
		return 0;
	}
	t = table_new(hdr);
	json_array_foreach (res, i, ep) {
		char addr[40], ports[512];

		snprintf(addr, sizeof(addr), "%s/%lld", jstr(ep, "ip"), (long long)jint(ep, "prefix"));
		ports_text(ep, ports, sizeof(ports));
		const char *row[] = {jstr(ep, "id"), jstr(ep, "network"), jstr(ep, "ifname"),
				     addr,	     jstr(ep, "mac"),	  ports};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	char *pos[1];
	json_t *ep;
	size_t i;
	int n_pos, r;

	r = parse_opts(argc, argv, NULL, pos, &n_pos, 1);
	if (r)
		return r;
	if (n_pos != 1)
		return die_usage("inspect ID");
	req = new_req("inspect");
	put(req, "id", json_string(pos[0]));
	if ((r = call(req, -1, &res)))
		return r;
	if (json_out) {
		print_json(res);
		return 0;
	}
	json_array_foreach (res, i, ep) {
		char ports[1024];
		json_t *rt;
		size_t k;

		ports_text(ep, ports, sizeof(ports));
		printf("%sid:            %s\n", i ? "\n" : "", jstr(ep, "id"));
		printf("network:       %s\n", jstr(ep, "network"));
		printf("interface:     %s (host side %s)\n", jstr(ep, "ifname"), jstr(ep, "host_ifname"));
		printf("address:       %s/%lld%s\n", jstr(ep, "ip"), (long long)jint(ep, "prefix"),
		       jbool(ep, "ip_external") ? " (external IPAM)" : "");
		printf("gateway:       %s\n", *jstr(ep, "gateway") ? jstr(ep, "gateway") : "-");
		printf("mac:           %s\n", jstr(ep, "mac"));
		printf("mtu:           %lld\n", (long long)jint(ep, "mtu"));
		printf("netns:         %s\n", *jstr(ep, "netns") ? jstr(ep, "netns") : "(passed as fd)");
		printf("ports:         %s\n", ports[0] ? ports : "-");
		json_array_foreach (json_object_get(ep, "routes"), k, rt)
			printf("route:         %s via %s\n", jstr(rt, "dst"), jstr(rt, "gateway"));
		printf("state:         %s\n", jstr(ep, "state"));
	}
	return 0;
}

static int cmd_routes(int argc, char **argv)
{
	static const char *const hdr[] = {"DESTINATION", "GATEWAY", "DEVICE", "TABLE",
					  "SCOPE",	 "PROTO",   "METRIC", NULL};
	_cleanup_json_ json_t *res = NULL;
	const char *id = NULL;
	struct table *t;
	json_t *rt;
	size_t i;
	int r;

	if ((r = endpoint_call("routes", argc, argv, &id, &res)))
		return r;
	if (json_out) {
		print_json(res);
		return 0;
	}
	t = table_new(hdr);
	json_array_foreach (json_object_get(res, "routes"), i, rt) {
		char metric[16];

		snprintf(metric, sizeof(metric), "%lld", (long long)jint(rt, "metric"));
		const char *row[] = {jstr(rt, "dst"),	jstr(rt, "gateway"),  jstr(rt, "dev"), jstr(rt, "table"),
				     jstr(rt, "scope"), jstr(rt, "protocol"), metric};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
}

static int cmd_ports(int argc, char **argv)
{
	static const char *const hdr[] = {"HOST", "PROTO", "CONTAINER", "ID", "NETWORK", NULL};
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	struct table *t;
	char *pos[1];
	json_t *p;
	size_t i;
	int n_pos, r;

	r = parse_opts(argc, argv, NULL, pos, &n_pos, 0);
	if (r)
		return r;
	req = new_req("ports");
	if ((r = call(req, -1, &res)))
		return r;
	if (json_out) {
		print_json(res);
		return 0;
	}
	t = table_new(hdr);
	json_array_foreach (res, i, p) {
		char host[64], ctr[64];
		json_int_t hp = jint(p, "host_port"), hpe = jint(p, "host_port_end");
		json_int_t cp = jint(p, "container_port"), cpe = jint(p, "container_port_end");

		if (hp == hpe)
			snprintf(host, sizeof(host), "%s:%lld", jstr(p, "host_ip"), (long long)hp);
		else
			snprintf(host, sizeof(host), "%s:%lld-%lld", jstr(p, "host_ip"), (long long)hp, (long long)hpe);
		if (cp == cpe)
			snprintf(ctr, sizeof(ctr), "%s:%lld", jstr(p, "container_ip"), (long long)cp);
		else
			snprintf(ctr, sizeof(ctr), "%s:%lld-%lld", jstr(p, "container_ip"), (long long)cp,
				 (long long)cpe);
		const char *row[] = {host, jstr(p, "protocol"), ctr, jstr(p, "id"), jstr(p, "network")};
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
}

/* Run `dot -TFORMAT [-o OUTPUT]` with the DOT text on its stdin. */
static int render(const char *text, const char *format, const char *output)
{
	extern char **environ;
	char tflag[16];
	char *argv[] = {"dot", tflag, NULL, NULL, NULL};
	posix_spawn_file_actions_t fa;
	int p[2], status = 0, r;
	pid_t pid;
	size_t len = strlen(text);

	snprintf(tflag, sizeof(tflag), "-T%s", format);
	if (output) {
		argv[2] = "-o";
		argv[3] = (char *)output;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "netctl: pipe: %s\n", strerror(errno));
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	r = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (r != 0) {
		close(p[1]);
		if (r == ENOENT)
			fprintf(stderr,
				"netctl: graph --format %s needs Graphviz's dot, which is not installed "
				"(apt-get install graphviz); --format dot writes the DOT text\n",
				format);
		else
			fprintf(stderr, "netctl: run dot: %s\n", strerror(r));
		return 1;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(p[1], text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "netctl: dot failed (status %d)\n", status);
		return 1;
	}
	return 0;
}

static int cmd_graph(int argc, char **argv)
{
	struct opt opts[] = {{.name = "--output", .alias = "-o", .has_value = true},
			     {.name = "--format", .has_value = true},
			     {NULL}};
	_cleanup_json_ json_t *nreq = NULL, *nets = NULL, *ereq = NULL, *eps = NULL;
	struct berr e = BERR_INIT;
	const char *format, *out = NULL, *dotext;
	char *text = NULL;
	size_t len = 0;
	char *pos[1];
	FILE *f;
	int n_pos, r;

	r = parse_opts(argc, argv, opts, pos, &n_pos, 0);
	if (r)
		return r;
	out = opts[0].value;
	format = opts[1].value;
	dotext = out ? strrchr(out, '.') : NULL;
	if (!format)
		format = dotext && (strcmp(dotext, ".svg") == 0 || strcmp(dotext, ".png") == 0) ? dotext + 1 : "dot";
	if (strcmp(format, "dot") != 0 && strcmp(format, "svg") != 0 && strcmp(format, "png") != 0)
		return die_usage("graph: --format is dot, svg or png, not '%s'", format);
	nreq = new_req("network.ls");
	ereq = new_req("ls");
	if ((r = call(nreq, -1, &nets)) || (r = call(ereq, -1, &eps)))
		return r;
	f = open_memstream(&text, &len);
	if (!f || graph_dot(nets, eps, f, &e) < 0 || fclose(f) != 0) {
		fprintf(stderr, "netctl: graph: %s\n", e.msg[0] ? berr_message(&e) : "out of memory");
		free(text);
		return 1;
	}
	if (strcmp(format, "dot") != 0) {
		r = render(text, format, out);
	} else if (out) {
		r = 0;
		f = fopen(out, "we");
		if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "netctl: write %s: %s\n", out, strerror(errno));
			r = 1;
		}
	} else {
		fputs(text, stdout);
		r = 0;
	}
	free(text);
	return r;
}

static int cmd_simple(const char *op, int argc, char **argv, int want_pos, const char *key)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_json_ json_t *res = NULL;
	char *pos[1];
	int n_pos, r;

	r = parse_opts(argc, argv, NULL, pos, &n_pos, want_pos);
	if (r)
		return r;
	if (n_pos != want_pos)
		return die_usage("%s: expected %d argument%s", op, want_pos, want_pos == 1 ? "" : "s");
	req = new_req(op);
	if (want_pos)
		put(req, key, json_string(pos[0]));
	if ((r = call(req, -1, &res)))
		return r;
	print_json(res);
	return 0;
}

int main(int argc, char **argv)
{
	char *args[MAX_ARGS];
	int n = 0;

	/* Global options anywhere on the line; everything else is the command and its arguments. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json_out = true;
		} else if (strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc)
				return die_usage("--socket needs a value");
			socket_opt = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			socket_opt = a + 9;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			if (n >= MAX_ARGS)
				return die_usage("too many arguments");
			args[n++] = argv[i];
		}
	}
	if (n == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(args[0], "network") == 0)
		return cmd_network(n - 1, args + 1);
	if (strcmp(args[0], "attach") == 0)
		return cmd_attach(n - 1, args + 1);
	if (strcmp(args[0], "detach") == 0)
		return cmd_detach(n - 1, args + 1);
	if (strcmp(args[0], "ls") == 0)
		return cmd_ls(n - 1, args + 1);
	if (strcmp(args[0], "inspect") == 0)
		return cmd_inspect(n - 1, args + 1);
	if (strcmp(args[0], "routes") == 0)
		return cmd_routes(n - 1, args + 1);
	if (strcmp(args[0], "ports") == 0)
		return cmd_ports(n - 1, args + 1);
	if (strcmp(args[0], "status") == 0)
		return cmd_simple("status", n - 1, args + 1, 1, "network");
	if (strcmp(args[0], "reconcile") == 0)
		return cmd_simple("reconcile", n - 1, args + 1, 0, NULL);
	if (strcmp(args[0], "graph") == 0)
		return cmd_graph(n - 1, args + 1);
	if (strcmp(args[0], "teardown") == 0)
		return cmd_simple("teardown", n - 1, args + 1, 0, NULL);
	if (strcmp(args[0], "ping") == 0)
		return cmd_simple("ping", n - 1, args + 1, 0, NULL);
	return die_usage("unknown command '%s'", args[0]);
}
