/* berth: the OCI runtime's command line boundary (everything else lives in libberthrt.a). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "log.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/early.h"
#include "runtime/features.h"
#include "runtime/path.h"
#include "runtime/selfprot.h"
#include "runtime/signals.h"
#include "runtime/trace.h"
#include "stack/stack.h"

static bool log_to_file;

static int fail(const struct berr *e)
{
	fprintf(stderr, "berth: %s\n", berr_message(e));
	if (log_to_file)
		log_error("%s", berr_message(e));
	return 1;
}

static void warn(const struct berr *w)
{
	if (!w->code && !w->msg[0])
		return;
	fprintf(stderr, "berth: warning: %s\n", berr_message(w));
	if (log_to_file)
		log_warn("%s", berr_message(w));
}

static int setup_log(const struct rt_cli *c, struct berr *e)
{
	blog_init("berth");
	if (c->debug)
		blog_set_level(BLOG_DEBUG);
	if (c->log_format && strcmp(c->log_format, "json") == 0)
		blog_set_json(1);
	if (c->log) {
		int r = blog_set_file(c->log);

		if (r < 0)
			return berr_sys(e, r, "--log %s", c->log);
		log_to_file = true;
	}
	return 0;
}

static int cmd_spec(const struct rt_cli *c, struct berr *e)
{
	_cleanup_free_ char *path = rt_path_join(c->bundle ? c->bundle : ".", "config.json");
	const char *s = rt_default_spec();
	_cleanup_close_ int fd = -1;

	if (!path)
		return berr_oom(e);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return berr_errno(e, "create %s", path);
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		return berr_errno(e, "write %s", path);
	return 0;
}

/* up, down, stack ps, logs: progress on stdout, problems that did not fail the command as warnings. */
static int cmd_stack(const struct rt_cli *c, const char *root, struct berr *w, struct berr *e)
{
	struct stack_opts so = {
		.root = root,
		.netd_socket = c->netd_socket,
		.cgroup_parent = c->cgroup_parent,
		.progress = stdout,
	};
	bool found = false;
	int r;

	switch (c->verb) {
	case RT_VERB_UP:
		r = stack_up(&so, c->file, w, e);
		if (r < 0)
			return r;
		printf("\n");
		return stack_ps(&so, c->file, "table", stdout, e);
	case RT_VERB_DOWN:
		r = stack_down(&so, c->file, c->id, &found, w, e);
		if (r == 0 && !found)
			printf("stack %s is not up: nothing to remove\n", c->file ? c->file : c->id);
		return r;
	case RT_VERB_LOGS:
		so.progress = NULL;
		return stack_logs(&so, c->file, c->id, stdout, e);
	default:
		so.progress = NULL;
		return stack_ps(&so, c->file, c->format, stdout, e);
	}
}

static int cmd_features(struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;
	int r = rt_features_json(&j, e);

	if (r < 0)
		return r;
	s = json_dumps(j, JSON_INDENT(4));
	if (!s)
		return berr_oom(e);
	printf("%s\n", s);
	return 0;
}

int main(int argc, char **argv)
{
	struct rt_cli c;
	struct berr e = BERR_INIT, w = BERR_INIT;
	struct rt_create_opts co = {0};
	struct rt_exec_opts xo = {0};
	const char *root;
	int status = 0, sig = SIGTERM, r;

	/* a vanished reader must be an error return, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	rt_trace("main");
	if (rt_cli_parse(argc, argv, &c, &e) < 0)
		return fail(&e);
	if (setup_log(&c, &e) < 0)
		return fail(&e);
	root = c.root ? c.root : RT_DEFAULT_ROOT;
	co.root = root;
	co.id = c.id;
	co.bundle = c.bundle;
	co.pid_file = c.pid_file;
	co.console_socket = c.console_socket;
	co.netd_socket = c.netd_socket;
	co.preserve_fds = c.preserve_fds;
	/* up creates containers too: from a sealed copy, like create */
	if ((c.verb == RT_VERB_CREATE || c.verb == RT_VERB_RUN || c.verb == RT_VERB_EXEC || c.verb == RT_VERB_UP) &&
	    !rt_selfprot_sealed()) {
		bool early = c.verb == RT_VERB_CREATE || c.verb == RT_VERB_RUN;

		if (early && rt_early_start(&co, &e) < 0)
			return fail(&e);
		rt_trace("reexec");
		if (rt_selfprot_reexec(argv, root, &e) < 0) {
			if (early)
				rt_early_abort(&co);
			return fail(&e);
		}
	}
	switch (c.verb) {
	case RT_VERB_CREATE: {
		struct rt_created created;

		r = rt_create(&co, &created, &e);
		if (r == 0) {
			warn(&created.warn);
			rt_created_clear(&created);
		}
		break;
	}
	case RT_VERB_RUN:
		co.run = true;
		r = rt_run(&co, c.detach, &status, &w, &e);
		warn(&w);
		if (r == 0) {
			rt_cli_clear(&c);
			return status;
		}
		break;
	case RT_VERB_START:
		r = rt_start(root, c.id, &w, &e);
		warn(&w);
		break;
	case RT_VERB_STATE:
		r = rt_print_state(root, c.id, stdout, &e);
		break;
	case RT_VERB_KILL:
		r = c.signal ? rt_signal_parse(c.signal, &sig, &e) : 0;
		if (r == 0)
			r = rt_kill(root, c.id, sig, c.all, &e);
		break;
	case RT_VERB_DELETE:
		r = rt_delete(root, c.id, c.force, c.netd_socket, &w, &e);
		warn(&w);
		break;
	case RT_VERB_EXEC:
		xo.root = root;
		xo.id = c.id;
		xo.process_file = c.process;
		xo.cmd = c.cmd;
		xo.env = c.env;
		xo.cwd = c.cwd;
		xo.user = c.user;
		xo.caps = c.caps;
		xo.no_new_privs = c.no_new_privs;
		xo.tty = c.tty;
		xo.console_socket = c.console_socket;
		xo.pid_file = c.pid_file;
		xo.preserve_fds = c.preserve_fds;
		xo.detach = c.detach;
		xo.warn = &w;
		r = rt_exec(&xo, &status, &e);
		warn(&w);
		if (r == 0) {
			rt_cli_clear(&c);
			return status;
		}
		break;
	case RT_VERB_LIST:
		if (c.quiet) {
			char **ids = NULL;
			size_t n = 0;

			r = rt_state_list(root, &ids, &n, &e);
			for (size_t i = 0; i < n; i++) {
				if (r == 0)
					printf("%s\n", ids[i]);
				free(ids[i]);
			}
			free(ids);
		} else {
			r = rt_print_list(root, c.format, stdout, &e);
		}
		break;
	case RT_VERB_PS:
		if (c.stack_ps) {
			r = cmd_stack(&c, root, &w, &e);
			break;
		}
		r = rt_print_ps(root, c.id, c.format, stdout, &e);
		break;
	case RT_VERB_UP:
	case RT_VERB_DOWN:
	case RT_VERB_LOGS:
		r = cmd_stack(&c, root, &w, &e);
		/* a failed up or down names what is left in its error; the warnings would repeat it */
		if (r == 0)
			warn(&w);
		break;
	case RT_VERB_PAUSE:
	case RT_VERB_RESUME:
		r = rt_pause(root, c.id, c.verb == RT_VERB_PAUSE, &e);
		break;
	case RT_VERB_FEATURES:
		r = cmd_features(&e);
		break;
	case RT_VERB_SPEC:
		r = cmd_spec(&c, &e);
		break;
	case RT_VERB_VERSION:
		printf("berth version %s\nspec: %s\n", RT_VERSION, RT_OCI_VERSION);
		r = 0;
		break;
	case RT_VERB_HELP:
	default:
		fputs(rt_cli_usage(), stdout);
		r = 0;
		break;
	}
	rt_cli_clear(&c);
	if (r < 0)
		return fail(&e);
	if (fflush(stdout) != 0)
		return 1;
	return 0;
}
