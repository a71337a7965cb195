/* runtime/cli.c: parsing the berth command line (getopt_long over the option table below). */
#include "runtime/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "array.h"
#include "cleanup.h"
#include "strv.h"

#define V(x) (1u << RT_VERB_##x)
#define GLOBAL 0u

enum opt_id {
	O_ROOT,
	O_LOG,
	O_LOG_FORMAT,
	O_DEBUG,
	O_SYSTEMD_CGROUP,
	O_NETD_SOCKET,
	O_IGNORED_VALUE, /* accepted for compatibility, value ignored */
	O_IGNORED_FLAG,	 /* accepted for compatibility */
	O_VERSION,
	O_HELP,
	O_BUNDLE,
	O_PID_FILE,
	O_CONSOLE_SOCKET,
	O_PRESERVE_FDS,
	O_DETACH,
	O_NO_PIVOT,
	O_PROCESS,
	O_TTY,
	O_CWD,
	O_USER,
	O_ENV,
	O_CAP,
	O_NO_NEW_PRIVS,
	O_ALL,
	O_FORCE,
	O_FORMAT,
	O_QUIET,
	O_ROOTLESS_SPEC,
	O_FILE,
	O_CGROUP_PARENT,
	O_JSON,
};

struct opt {
	const char *name;
	char short_name;
	bool value;
	unsigned verbs; /* GLOBAL: before the verb */
	enum opt_id id;
};

static const struct opt opts[] = {
	{"root", 0, true, GLOBAL, O_ROOT},
	{"log", 0, true, GLOBAL, O_LOG},
	{"log-format", 0, true, GLOBAL, O_LOG_FORMAT},
	{"debug", 0, false, GLOBAL, O_DEBUG},
	{"systemd-cgroup", 0, false, GLOBAL, O_SYSTEMD_CGROUP},
	{"netd-socket", 0, true, GLOBAL, O_NETD_SOCKET},
	{"criu", 0, true, GLOBAL, O_IGNORED_VALUE},
	{"rootless", 0, true, GLOBAL, O_IGNORED_VALUE},
	{"log-level", 0, true, GLOBAL, O_IGNORED_VALUE},
	{"version", 'v', false, GLOBAL, O_VERSION},
	{"help", 'h', false, GLOBAL, O_HELP},

	{"bundle", 'b', true, V(CREATE) | V(RUN) | V(SPEC), O_BUNDLE},
	{"pid-file", 0, true, V(CREATE) | V(RUN) | V(EXEC), O_PID_FILE},
	{"console-socket", 0, true, V(CREATE) | V(RUN) | V(EXEC), O_CONSOLE_SOCKET},
	{"preserve-fds", 0, true, V(CREATE) | V(RUN) | V(EXEC), O_PRESERVE_FDS},
	{"detach", 'd', false, V(RUN) | V(EXEC), O_DETACH},
	{"no-pivot", 0, false, V(CREATE) | V(RUN), O_NO_PIVOT},
	{"no-new-keyring", 0, false, V(CREATE) | V(RUN), O_IGNORED_FLAG},
	{"notify-socket", 0, true, V(CREATE) | V(RUN), O_IGNORED_VALUE},
	{"no-subreaper", 0, false, V(RUN), O_IGNORED_FLAG},
	{"keep", 0, false, V(RUN), O_IGNORED_FLAG},
	{"process", 'p', true, V(EXEC), O_PROCESS},
	{"tty", 't', false, V(EXEC), O_TTY},
	{"cwd", 0, true, V(EXEC), O_CWD},
	{"user", 'u', true, V(EXEC), O_USER},
	{"env", 'e', true, V(EXEC), O_ENV},
	{"cap", 'c', true, V(EXEC), O_CAP},
	{"no-new-privs", 0, false, V(EXEC), O_NO_NEW_PRIVS},
	{"process-label", 0, true, V(EXEC), O_IGNORED_VALUE},
	{"apparmor", 0, true, V(EXEC), O_IGNORED_VALUE},
	{"ignore-paused", 0, false, V(EXEC), O_IGNORED_FLAG},
	{"all", 'a', false, V(KILL), O_ALL},
	{"force", 'f', false, V(DELETE), O_FORCE},
	{"format", 'f', true, V(LIST) | V(PS), O_FORMAT},
	{"quiet", 'q', false, V(LIST), O_QUIET},
	{"rootless", 0, false, V(SPEC), O_ROOTLESS_SPEC},
	{"file", 'f', true, V(UP) | V(DOWN) | V(LOGS), O_FILE},
	{"file", 0, true, V(PS), O_FILE},
	{"cgroup-parent", 0, true, V(UP), O_CGROUP_PARENT},
	{"json", 0, false, V(PS), O_JSON},
	{"help", 'h', false, ~0u & ~1u, O_HELP},
};

static const struct {
	const char *name;
	enum rt_verb verb;
	int ids; /* positional container ids expected */
	unsigned flags;
	const char *usage, *help;
} verbs[] = {
#define VERB(ID, name, ids, flags, usage, help) {#name, RT_VERB_##ID, ids, flags, usage, help},
	RT_COMMANDS(VERB)
#undef VERB
};
/* each verb is a bit of struct opt's verbs (bit 0 being RT_VERB_NONE) */
_Static_assert(ARRAY_SIZE(verbs) < 32, "more verbs than bits in struct opt's verbs");

void rt_cli_usage(FILE *out)
{
	fputs("usage: berth [global options] COMMAND [options] [ID] [args]\n"
	      "\n"
	      "global options: --root DIR (default /run/berth), --log FILE, --log-format text|json, --debug,\n"
	      "                --systemd-cgroup (accepted), --netd-socket PATH, --version\n"
	      "\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, "  %s%s%s\n      %s\n", verbs[i].name, verbs[i].usage[0] ? " " : "", verbs[i].usage,
			verbs[i].help);
}

void rt_cli_clear(struct rt_cli *c)
{
	free(c->env);
	free(c->caps);
	memset(c, 0, sizeof(*c));
}

/* Append s to the NULL-terminated vector *v (whose capacity is not kept: at least its length + 1). */
static int push(char ***v, const char *s)
{
	size_t n = strv_len(*v), cap = *v ? n + 1 : 0;
	int r = BARRAY_RESERVE(*v, cap, n + 2);

	if (r < 0)
		return r;
	(*v)[n] = (char *)s;
	(*v)[n + 1] = NULL;
	return 0;
}

/* The options of one scope (GLOBAL or one verb) as getopt_long takes them. */
struct scope {
	struct option longopts[ARRAY_SIZE(opts) + 1];
	const struct opt *of[ARRAY_SIZE(opts)]; /* longopts[i] is of[i], returned as LONG_BASE + i */
	char shorts[2 + 2 * ARRAY_SIZE(opts) + 1];
};

#define LONG_BASE 256

static void scope_init(struct scope *s, unsigned scope)
{
	char *sp = s->shorts;
	size_t n = 0;

	/* +: stop at the first argument that is not an option (the verb, the container id); ':' for a missing value */
	*sp++ = '+';
	*sp++ = ':';
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];

		if (scope == GLOBAL ? o->verbs != GLOBAL : (o->verbs & scope) == 0)
			continue;
		/* a flag takes "=true" or "=false" */
		s->longopts[n] = (struct option){o->name, o->value ? required_argument : optional_argument, NULL,
						 LONG_BASE + (int)n};
		s->of[n++] = o;
		if (o->short_name) {
			*sp++ = o->short_name;
			if (o->value)
				*sp++ = ':';
		}
	}
	s->longopts[n] = (struct option){0};
	*sp = '\0';
}

static const struct opt *scope_short(const struct scope *s, int c)
{
	for (size_t i = 0; s->longopts[i].name; i++)
		if (s->of[i]->short_name == c)
			return s->of[i];
	return NULL;
}

/* name: "name" or "name=value" */
static bool scope_has_long(const struct scope *s, const char *name)
{
	size_t len = strcspn(name, "=");

	for (size_t i = 0; s->longopts[i].name; i++)
		if (strlen(s->longopts[i].name) == len && strncmp(s->longopts[i].name, name, len) == 0)
			return true;
	return false;
}

/*
 * The argument in a form getopt_long reads as runc (Go's flag package)
 * does. runc takes long options with one dash as with two ("-root=/r") and
 * "-X=value" for a short option, and no abbreviations ("--pid"), clusters
 * ("-dt") or values glued to a short option ("-b/b"); getopt_long(_only)
 * reads some of these differently or not at all, so an argument with one
 * dash is first put in the form getopt_long reads alike: "-name..." as
 * "--name...", "-X=value" as "--name-of-X=value" (abbreviations are refused
 * in next_opt). *ret is NULL when arg stays as it is.
 */
static int canonical_arg(const struct scope *s, const char *arg, char **ret)
{
	const struct opt *o;
	int n;

	*ret = NULL;
	if (arg[0] != '-' || arg[1] == '-' || !arg[1] || !arg[2])
		return 0;
	if (arg[2] == '=' && (o = scope_short(s, arg[1])))
		n = asprintf(ret, "--%s%s", o->name, arg + 2);
	else
		n = asprintf(ret, "-%s", arg);
	if (n < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * One option from argv[optind], read by getopt_long (with argv[optind] as
 * canonical_arg has it meanwhile): its table entry, its value (NULL for a
 * flag given without one; pointing into argv) and the argument as given.
 * 0 at the end of the options.
 */
static int next_opt(const struct scope *s, int argc, char **argv, const struct opt **ret, const char **ret_val,
		    const char **ret_arg, struct berr *e)
{
	int at = optind ? optind : 1, c;
	const char *arg = at < argc ? argv[at] : NULL, *long_opt, *eq;
	_cleanup_free_ char *canon = NULL;
	const struct opt *o = NULL;

	if (arg && canonical_arg(s, arg, &canon) < 0)
		return berr_oom(e);
	long_opt = canon ? canon : arg;
	/* getopt_long also takes abbreviations ("--pid" for --pid-file); runc does not */
	if (long_opt && strncmp(long_opt, "--", 2) == 0 && long_opt[2] && !scope_has_long(s, long_opt + 2))
		return berr_set(e, -EINVAL, "unknown option '%s'", arg);
	if (canon)
		argv[at] = canon;
	c = getopt_long(argc, argv, s->shorts, s->longopts, NULL);
	if (canon)
		argv[at] = (char *)arg;
	if (c == -1)
		return 0;
	if (c == ':')
		return berr_set(e, -EINVAL, "option '%s' needs a value", arg);
	if (c >= LONG_BASE)
		o = s->of[c - LONG_BASE];
	else if (c != '?')
		o = scope_short(s, c);
	if (!o)
		return berr_set(e, -EINVAL, "unknown option '%s'", arg);
	/* a value given with '=' is read from argv, not from the canonical copy about to be freed */
	eq = strchr(arg, '=');
	*ret = o;
	*ret_val = optarg && eq ? eq + 1 : optarg;
	*ret_arg = arg;
	return 1;
}

static int apply(struct rt_cli *c, const struct opt *o, const char *val, struct berr *e)
{
	uint64_t n;

	switch (o->id) {
	case O_ROOT:
		c->root = val;
		break;
	case O_LOG:
		c->log = val;
		break;
	case O_LOG_FORMAT:
		if (strcmp(val, "text") != 0 && strcmp(val, "json") != 0)
			return berr_set(e, -EINVAL, "--log-format must be text or json, not '%s'", val);
		c->log_format = val;
		break;
	case O_DEBUG:
		c->debug = true;
		break;
	case O_SYSTEMD_CGROUP:
		c->systemd_cgroup = true;
		break;
	case O_NETD_SOCKET:
		c->netd_socket = val;
		break;
	case O_IGNORED_VALUE:
	case O_IGNORED_FLAG:
		break;
	case O_VERSION:
		c->verb = RT_VERB_VERSION;
		break;
	case O_HELP:
		c->verb = RT_VERB_HELP;
		break;
	case O_BUNDLE:
		c->bundle = val;
		break;
	case O_PID_FILE:
		c->pid_file = val;
		break;
	case O_CONSOLE_SOCKET:
		c->console_socket = val;
		break;
	case O_PRESERVE_FDS:
		if (bparse_u64(val, 0, 65536, &n) < 0)
			return berr_set(e, -EINVAL, "--preserve-fds takes a number, not '%s'", val);
		c->preserve_fds = (int)n;
		break;
	case O_DETACH:
		c->detach = true;
		break;
	case O_NO_PIVOT:
		return berr_set(e, -EOPNOTSUPP, "--no-pivot is not supported: berth always uses pivot_root");
	case O_PROCESS:
		c->process = val;
		break;
	case O_TTY:
		c->tty = true;
		break;
	case O_CWD:
		c->cwd = val;
		break;
	case O_USER:
		c->user = val;
		break;
	case O_ENV:
		if (!strchr(val, '=') || val[0] == '=')
			return berr_set(e, -EINVAL, "--env takes KEY=VALUE, not '%s'", val);
		return push(&c->env, val) < 0 ? berr_oom(e) : 0;
	case O_CAP:
		return push(&c->caps, val) < 0 ? berr_oom(e) : 0;
	case O_NO_NEW_PRIVS:
		c->no_new_privs = true;
		break;
	case O_ALL:
		c->all = true;
		break;
	case O_FORCE:
		c->force = true;
		break;
	case O_FORMAT:
		c->format = val;
		break;
	case O_QUIET:
		c->quiet = true;
		break;
	case O_ROOTLESS_SPEC:
		c->rootless_spec = true;
		break;
	case O_FILE:
		c->file = val;
		break;
	case O_CGROUP_PARENT:
		c->cgroup_parent = val;
		break;
	case O_JSON:
		c->json = true;
		break;
	}
	return 0;
}

/* Options from argv[*i] on, while they start with '-'; *i is left at the first argument after them. */
static int parse_opts(int argc, char **argv, int *i, unsigned scope, struct rt_cli *c, struct berr *e)
{
	struct scope s;
	/* argv[*i - 1] (the program, or the verb) plays getopt's argv[0] */
	int base = *i - 1, r;

	scope_init(&s, scope);
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	for (;;) {
		const char *arg = NULL, *val = NULL;
		const struct opt *o = NULL;

		r = next_opt(&s, argc - base, argv + base, &o, &val, &arg, e);
		if (r <= 0)
			break;
		if (!o->value && val) {
			if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
				return berr_set(e, -EINVAL, "option '%s' takes no value", arg);
			if (strcmp(val, "false") == 0)
				continue;
			val = NULL;
		}
		/* runc's `ps -f FORMAT ID` or the stacks' `ps -f FILE`: told apart once we know whether an id follows
		 */
		if (o->id == O_FORMAT && c->verb == RT_VERB_PS && arg[1] != '-')
			c->ps_short_f = val;
		else if (o->id == O_FORMAT)
			c->ps_long_format = val;
		r = apply(c, o, val, e);
		if (r < 0)
			return r;
		if (c->verb == RT_VERB_HELP || (scope == GLOBAL && c->verb == RT_VERB_VERSION))
			break;
	}
	*i = base + (optind ? optind : 1);
	return r;
}

/* The verb at argv[*i]: sets c->verb and c->verb_name; ret_ids: how many container ids it takes. */
static int find_verb(int argc, char **argv, int *i, struct rt_cli *c, int *ret_ids, struct berr *e)
{
	if (*i >= argc)
		return berr_set(e, -EINVAL, "missing command (try berth --help)");
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++) {
		if (strcmp(argv[*i], verbs[v].name) == 0) {
			c->verb = verbs[v].verb;
			c->verb_name = verbs[v].name;
			*ret_ids = verbs[v].ids;
			if (verbs[v].flags & RT_CMD_OWN_OPTS)
				c->args = argv + *i;
		}
	}
	if (c->verb == RT_VERB_NONE)
		return berr_set(e, -EINVAL, "unknown command '%s' (try berth --help)", argv[*i]);
	(*i)++;
	return 0;
}

/* ps without a container id lists the stacks' containers: -f was the stack file, --json means --format json. */
static int stack_ps(struct rt_cli *c, struct berr *e)
{
	c->stack_ps = true;
	if (c->ps_short_f) {
		if (c->file)
			return berr_set(e, -EINVAL, "ps: give the stack file once");
		c->file = c->ps_short_f;
	}
	c->format = c->ps_long_format;
	if (c->json) {
		if (c->format && strcmp(c->format, "json") != 0)
			return berr_set(e, -EINVAL, "ps: --json and --format %s contradict each other", c->format);
		c->format = "json";
	}
	return 0;
}

/* What follows the verb's options: the container id(s), kill's signal, exec's command. */
static int parse_args(int argc, char **argv, int i, int ids, struct rt_cli *c, struct berr *e)
{
	int r;

	if (c->verb == RT_VERB_PS && i >= argc) {
		r = stack_ps(c, e);
		if (r < 0)
			return r;
		ids = 0;
	} else if (c->verb == RT_VERB_PS && (c->file || c->json)) {
		return berr_set(e, -EINVAL, "ps ID takes --format, not --file or --json (those list stacks)");
	}
	if (c->verb == RT_VERB_DOWN && i < argc && argv[i][0] != '-')
		c->id = argv[i++]; /* the stack's name */
	if (ids) {
		if (i >= argc)
			return berr_set(e, -EINVAL, "%s: missing container id", c->verb_name);
		c->id = argv[i++];
	}
	if (c->verb == RT_VERB_KILL && i < argc)
		c->signal = argv[i++];
	if (c->verb == RT_VERB_EXEC) {
		c->cmd = argv + i;
		i = argc;
		if (!c->process && !c->cmd[0])
			return berr_set(e, -EINVAL, "exec: give a command or --process");
	}
	if (i < argc)
		return berr_set(e, -EINVAL, "%s: unexpected argument '%s' (options go before the container id)",
				c->verb_name, argv[i]);
	return 0;
}

/* The combinations the table cannot say. */
static int check(const struct rt_cli *c, struct berr *e)
{
	if (c->verb == RT_VERB_UP && !c->file)
		return berr_set(e, -EINVAL, "up: give the stack file with -f FILE");
	if (c->verb == RT_VERB_DOWN && !c->file == !c->id)
		return berr_set(e, -EINVAL, "down: give the stack file with -f FILE, or the stack's name");
	if (c->tty && c->verb == RT_VERB_EXEC && !c->console_socket && !c->process)
		return berr_set(e, -EINVAL, "exec --tty needs --console-socket");
	return 0;
}

/* The verb at argv[i] and everything after it. */
static int parse_verb(int argc, char **argv, int i, struct rt_cli *c, struct berr *e)
{
	int ids = 0, r;

	if ((r = find_verb(argc, argv, &i, c, &ids, e)) < 0)
		return r;
	if (c->args)
		return 0;
	if ((r = parse_opts(argc, argv, &i, 1u << c->verb, c, e)) < 0)
		return r;
	if (c->verb == RT_VERB_HELP)
		return 0;
	if ((r = parse_args(argc, argv, i, ids, c, e)) < 0)
		return r;
	return check(c, e);
}

int rt_cli_parse(int argc, char **argv, struct rt_cli *ret, struct berr *e)
{
	struct rt_cli c = {0};
	int i = 1, r;

	r = parse_opts(argc, argv, &i, GLOBAL, &c, e);
	if (r == 0 && c.verb != RT_VERB_HELP && c.verb != RT_VERB_VERSION)
		r = parse_verb(argc, argv, i, &c, e);
	if (r < 0) {
		rt_cli_clear(&c);
		return r;
	}
	*ret = c;
	return 0;
}
