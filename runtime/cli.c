/* runtime/cli.c: parsing the berth command line. */
#include "runtime/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cleanup.h"

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
} verbs[] = {
	{"create", RT_VERB_CREATE, 1}, {"start", RT_VERB_START, 1},	{"state", RT_VERB_STATE, 1},
	{"kill", RT_VERB_KILL, 1},     {"delete", RT_VERB_DELETE, 1},	{"run", RT_VERB_RUN, 1},
	{"exec", RT_VERB_EXEC, 1},     {"list", RT_VERB_LIST, 0},	{"ps", RT_VERB_PS, 1},
	{"pause", RT_VERB_PAUSE, 1},   {"resume", RT_VERB_RESUME, 1},	{"features", RT_VERB_FEATURES, 0},
	{"spec", RT_VERB_SPEC, 0},     {"version", RT_VERB_VERSION, 0}, {"help", RT_VERB_HELP, 0},
	{"up", RT_VERB_UP, 0},	       {"down", RT_VERB_DOWN, 0},	{"logs", RT_VERB_LOGS, 1},
	{"update", RT_VERB_UPDATE, 0}, {"events", RT_VERB_EVENTS, 0},
};

const char *rt_cli_usage(void)
{
	return "usage: berth [global options] COMMAND [options] [ID] [args]\n"
	       "\n"
	       "global options: --root DIR (default /run/berth), --log FILE, --log-format text|json, --debug,\n"
	       "                --systemd-cgroup (accepted), --netd-socket PATH, --version\n"
	       "\n"
	       "commands:\n"
	       "  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
	       "  start ID\n"
	       "  state ID\n"
	       "  kill [--all] ID [SIGNAL]\n"
	       "  delete [--force] ID\n"
	       "  run [--bundle DIR] [-d] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
	       "  exec [--process FILE] [-d] [--pid-file F] [-t --console-socket S] [-e K=V] [--cwd DIR]\n"
	       "       [--user UID[:GID]] [--cap CAP] [--no-new-privs] [--preserve-fds N] ID [COMMAND...]\n"
	       "  list [--format table|json] [-q]\n"
	       "  ps [--format table|json] ID\n"
	       "  pause ID | resume ID\n"
	       "  features\n"
	       "  spec [--bundle DIR]\n"
	       "  update [-r FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--kernel-memory N]\n"
	       "         [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L]\n"
	       "         [--pids-limit N] [--blkio-weight N] ID\n"
	       "  events [--stats] [--interval 5s] ID\n"
	       "\n"
	       "stacks (docs/stacks.md):\n"
	       "  up -f FILE [--cgroup-parent PATH]   create or update the stack's networks and containers\n"
	       "  down -f FILE | down NAME            remove everything up made for the stack\n"
	       "  ps [-f FILE] [--format table|json | --json]\n"
	       "                                      the stacks' containers (with an ID: runc's ps)\n"
	       "  logs [-f FILE] NAME                 a stack container's output\n";
}

void rt_cli_clear(struct rt_cli *c)
{
	free(c->env);
	free(c->caps);
	memset(c, 0, sizeof(*c));
}

static int push(char ***v, const char *s)
{
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	nv[n] = (char *)s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

static const struct opt *find_opt(const char *arg, unsigned scope, const char **ret_inline, struct berr *e)
{
	const char *name = arg + 1;
	size_t len;
	const char *eq;

	*ret_inline = NULL;
	if (name[0] == '-')
		name++;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];
		bool in_scope = scope == GLOBAL ? o->verbs == GLOBAL : (o->verbs & scope) != 0;

		if (!in_scope)
			continue;
		if ((strlen(o->name) == len && strncmp(o->name, name, len) == 0) ||
		    (arg[1] != '-' && len == 1 && o->short_name == name[0])) {
			if (eq)
				*ret_inline = eq + 1;
			return o;
		}
	}
	berr_set(e, -EINVAL, "unknown option '%s'", arg);
	return NULL;
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

/* Options from argv[*i] on, while they start with '-'. */
static int parse_opts(int argc, char **argv, int *i, unsigned scope, struct rt_cli *c, struct berr *e)
{
	while (*i < argc && argv[*i][0] == '-' && argv[*i][1]) {
		const char *arg = argv[*i], *val = NULL;
		const struct opt *o;
		int r;

		if (strcmp(arg, "--") == 0) {
			(*i)++;
			break;
		}
		o = find_opt(arg, scope, &val, e);
		if (!o)
			return -EINVAL;
		(*i)++;
		if (o->value && !val) {
			if (*i >= argc)
				return berr_set(e, -EINVAL, "option '%s' needs a value", arg);
			val = argv[(*i)++];
		} else if (!o->value && val) {
			if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
				return berr_set(e, -EINVAL, "option '%s' takes no value", arg);
			if (strcmp(val, "false") == 0)
				continue;
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
			return 0;
	}
	return 0;
}

int rt_cli_parse(int argc, char **argv, struct rt_cli *ret, struct berr *e)
{
	struct rt_cli c = {0};
	int i = 1, ids = 0, r;

	r = parse_opts(argc, argv, &i, GLOBAL, &c, e);
	if (r < 0)
		goto fail;
	if (c.verb == RT_VERB_HELP || c.verb == RT_VERB_VERSION) {
		*ret = c;
		return 0;
	}
	if (i >= argc) {
		r = berr_set(e, -EINVAL, "missing command (try berth --help)");
		goto fail;
	}
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++) {
		if (strcmp(argv[i], verbs[v].name) == 0) {
			c.verb = verbs[v].verb;
			c.verb_name = verbs[v].name;
			ids = verbs[v].ids;
		}
	}
	if (c.verb == RT_VERB_NONE) {
		r = berr_set(e, -EINVAL, "unknown command '%s' (try berth --help)", argv[i]);
		goto fail;
	}
	if (c.verb == RT_VERB_UPDATE || c.verb == RT_VERB_EVENTS) {
		c.args = argv + i;
		*ret = c;
		return 0;
	}
	i++;
	r = parse_opts(argc, argv, &i, 1u << c.verb, &c, e);
	if (r < 0)
		goto fail;
	if (c.verb == RT_VERB_HELP) {
		*ret = c;
		return 0;
	}
	if (c.verb == RT_VERB_PS && i >= argc) {
		/* no id: the stacks' ps */
		c.stack_ps = true;
		ids = 0;
		if (c.ps_short_f) {
			if (c.file) {
				r = berr_set(e, -EINVAL, "ps: give the stack file once");
				goto fail;
			}
			c.file = c.ps_short_f;
		}
		c.format = c.ps_long_format;
		if (c.json) {
			if (c.format && strcmp(c.format, "json") != 0) {
				r = berr_set(e, -EINVAL, "ps: --json and --format %s contradict each other", c.format);
				goto fail;
			}
			c.format = "json";
		}
	} else if (c.verb == RT_VERB_PS && (c.file || c.json)) {
		r = berr_set(e, -EINVAL, "ps ID takes --format, not --file or --json (those list stacks)");
		goto fail;
	}
	if (c.verb == RT_VERB_DOWN && i < argc && argv[i][0] != '-')
		c.id = argv[i++]; /* the stack's name */
	if (ids) {
		if (i >= argc) {
			r = berr_set(e, -EINVAL, "%s: missing container id", c.verb_name);
			goto fail;
		}
		c.id = argv[i++];
	}
	if (c.verb == RT_VERB_KILL && i < argc)
		c.signal = argv[i++];
	if (c.verb == RT_VERB_EXEC) {
		c.cmd = argv + i;
		i = argc;
		if (!c.process && !c.cmd[0]) {
			r = berr_set(e, -EINVAL, "exec: give a command or --process");
			goto fail;
		}
	}
	if (i < argc) {
		r = berr_set(e, -EINVAL, "%s: unexpected argument '%s' (options go before the container id)",
			     c.verb_name, argv[i]);
		goto fail;
	}
	if (c.verb == RT_VERB_UP && !c.file) {
		r = berr_set(e, -EINVAL, "up: give the stack file with -f FILE");
		goto fail;
	}
	if (c.verb == RT_VERB_DOWN && !c.file == !c.id) {
		r = berr_set(e, -EINVAL, "down: give the stack file with -f FILE, or the stack's name");
		goto fail;
	}
	if (c.tty && c.verb == RT_VERB_EXEC && !c.console_socket && !c.process) {
		r = berr_set(e, -EINVAL, "exec --tty needs --console-socket");
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	rt_cli_clear(&c);
	return r;
}
