/* netctl: the helpers its commands share (arguments, requests to netd, output). */
#include "netd/netctl/netctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "jsonutil.h"
#include "netd/client/client.h"

bool netctl_json;
const char *netctl_socket_path;

static void vmessage(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vmessage(const char *fmt, va_list ap)
{
	fprintf(stderr, "netctl: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

int netctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "(netctl --help for usage)\n");
	return NETCTL_EXIT_USAGE;
}

int netctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return NETCTL_EXIT_FAIL;
}

static const struct option global_options[] = {
	{"json", no_argument, NULL, NETCTL_OPT_JSON},
	{"socket", required_argument, NULL, NETCTL_OPT_SOCKET},
	{"help", no_argument, NULL, 'h'},
};

/* Is arg as netctl always took it: a long option in full ("--name", "--name=value") or a short one alone ("-p")? */
static bool option_exact(const struct option *longopts, const char *arg)
{
	size_t n = strcspn(arg + 2, "=");

	if (strncmp(arg, "--", 2) != 0)
		return strlen(arg) == 2;
	for (const struct option *o = longopts; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0)
			return true;
	return false;
}

int netctl_getopt_long(int argc, char **argv, const char *optstring, const struct option *longopts,
		       const char **ret_bad)
{
	struct option all[NETCTL_MAX_OPTIONS + ARRAY_SIZE(global_options) + 1] = {{0}};
	size_t n = 0;

	for (const struct option *o = longopts; o && o->name; o++) {
		if (n == NETCTL_MAX_OPTIONS) {
			*ret_bad = o->name;
			return '?';
		}
		all[n++] = *o;
	}
	memcpy(all + n, global_options, sizeof(global_options));
	for (;;) {
		int before = optind ? optind : 1, c;
		bool dashdash = before < argc && strcmp(argv[before], "--") == 0;
		const char *arg;

		c = getopt_long(argc, argv, optstring, all, NULL);
		/* getopt_long ends the options at "--"; netctl never did: an unknown option */
		if (c == -1 && dashdash) {
			*ret_bad = argv[before];
			return '?';
		}
		if (c == -1 || c == 1)
			return c;
		/* where this came from: its value may be the next argument; a short option may lead a cluster */
		if (optarg && optind >= 2 && optarg == argv[optind - 1])
			arg = argv[optind - 2];
		else
			arg = optind > before ? argv[optind - 1] : argv[optind];
		*ret_bad = arg;
		if (c == '?')
			return c;
		/*
		 * No abbreviations (a script's --net would break with the next
		 * --net* option), no clusters or glued values (-p8080:80).
		 */
		if (!option_exact(all, arg))
			return '?';
		if (c == NETCTL_OPT_JSON)
			netctl_json = true;
		else if (c == NETCTL_OPT_SOCKET)
			netctl_socket_path = optarg;
		else
			return c;
	}
}

/* Append to a command's positional arguments; 0, or -EINVAL after the usage message. */
static int add_positional(struct netctl_args *a, char *arg)
{
	if (a->n_pos >= a->max_pos || a->n_pos >= (int)ARRAY_SIZE(a->pos)) {
		a->status = netctl_usage_error("unexpected argument '%s'", arg);
		return -EINVAL;
	}
	a->pos[a->n_pos++] = arg;
	return 0;
}

int netctl_getopt(struct netctl_args *a, const char *shortopts, const struct option *longopts)
{
	/* "-": positional arguments in their place on the line (1); ":": a missing value is ':' */
	char optstring[32];
	const char *bad = NULL;
	int c;

	if (!a->started) {
		a->started = true;
		optind = 0;
	}
	snprintf(optstring, sizeof(optstring), "-:h%s", shortopts);
	for (;;) {
		c = netctl_getopt_long(a->argc, a->argv, optstring, longopts, &bad);
		switch (c) {
		case 1:
			if (add_positional(a, optarg) < 0)
				return -EINVAL;
			continue;
		case -1:
			return 0;
		case 'h':
			a->status = NETCTL_HELP;
			return -ECANCELED;
		case ':':
			a->status = netctl_usage_error("%s needs a value", bad);
			return -EINVAL;
		case '?':
			a->status = netctl_usage_error("unknown option '%s'", bad);
			return -EINVAL;
		default:
			return c;
		}
	}
}

int netctl_getopt_plain(struct netctl_args *a)
{
	return netctl_getopt(a, "", NULL) < 0 ? a->status : 0;
}

json_t *netctl_request(const char *op, const char *fields, ...)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", op);
	json_t *more;
	va_list ap;

	if (!req || !fields)
		return TAKE_PTR(req);
	va_start(ap, fields);
	more = json_vpack_ex(NULL, 0, fields, ap);
	va_end(ap);
	if (json_object_update_new(req, more) < 0)
		return NULL;
	return TAKE_PTR(req);
}

int netctl_call(const json_t *req, int pass_fd, json_t **ret_result)
{
	struct berr e = BERR_INIT;
	int r;

	if (req)
		r = netd_client_request(netd_client_socket_path(netctl_socket_path), req, pass_fd, ret_result, &e);
	else
		r = berr_oom(&e);
	if (r < 0)
		return netctl_fail("%s", berr_message(&e));
	return 0;
}

int netctl_simple_call(const char *op, const char *key, const char *usage, int argc, char **argv, json_t **ret_result)
{
	struct netctl_args a = {.argc = argc, .argv = argv, .max_pos = key ? 1 : 0};
	_cleanup_json_ json_t *req = NULL;
	int r;

	if ((r = netctl_getopt_plain(&a)))
		return r;
	/* without a key, netctl_getopt refused any argument already */
	if (a.n_pos != a.max_pos)
		return netctl_usage_error("%s", usage);
	req = key ? netctl_request(op, "{s:s}", key, a.pos[0]) : netctl_request(op, NULL);
	return netctl_call(req, -1, ret_result);
}

void netctl_print_json(const json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		printf("%s\n", s);
}

int netctl_print_list(const json_t *res, const json_t *rows, const char *const *hdr,
		      int (*add_row)(struct table *t, const json_t *row))
{
	struct table *t;
	json_t *row;
	size_t i;

	if (netctl_json) {
		netctl_print_json(res);
		return 0;
	}
	t = table_new(hdr);
	if (!t)
		return netctl_fail("out of memory");
	json_array_foreach (rows, i, row) {
		if (add_row(t, row) < 0) {
			table_free(t);
			return netctl_fail("out of memory");
		}
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
}

const char *netctl_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

json_int_t netctl_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

bool netctl_bool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}
