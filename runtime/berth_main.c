/* berth: the OCI runtime's command line boundary: parse, dispatch to runtime/cmd/, print what went wrong. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "runtime/cli.h"
#include "runtime/cmd/cmd.h"
#include "runtime/early.h"
#include "runtime/selfprot.h"
#include "runtime/trace.h"

/* berth's commands (runtime/cli.h lists them): the handler of each and what runs before it. */
static const struct command {
	int (*run)(struct cmd_ctx *x, struct berr *e);
	unsigned flags; /* RT_CMD_* */
} commands[] = {
#define COMMAND(ID, name, ids, flags, usage, help) [RT_VERB_##ID] = {cmd_##name, flags},
	RT_COMMANDS(COMMAND)
#undef COMMAND
};

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

/*
 * A command that starts container processes first re-executes berth from
 * its sealed copy (selfprot.h), create and run making the container's
 * cgroup meanwhile (early.h). Returns when already sealed, or on failure.
 */
static int reexec_sealed(const struct command *cmd, const struct cmd_ctx *x, char **argv, struct berr *e)
{
	struct rt_create_opts co;

	if (!(cmd->flags & RT_CMD_SEALED) || rt_selfprot_sealed())
		return 0;
	cmd_create_opts(x, &co);
	if (cmd->flags & RT_CMD_EARLY)
		return rt_early_reexec(&co, argv, e);
	rt_trace("reexec");
	return rt_selfprot_reexec(argv, x->root, e);
}

/*
 * jansson seeds its hash tables on first use from /dev/urandom (open, read,
 * close, in both images of a create or run, and path walks to /dev);
 * getrandom is one system call.
 */
static void seed_json(void)
{
	size_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		json_object_seed(seed | 1);
}

/* berth's exit status: 1 when the command failed or its output could not be written, else its own (run, exec). */
static int finish(int r, const struct cmd_ctx *x, const struct berr *e)
{
	warn(&x->warn);
	if (r < 0)
		return fail(e);
	if (fflush(stdout) != 0)
		return 1;
	return x->status;
}

int main(int argc, char **argv)
{
	struct rt_cli c;
	struct cmd_ctx x = {.cli = &c, .warn = BERR_INIT};
	struct berr e = BERR_INIT;
	const struct command *cmd;
	int r;

	/* a vanished reader must be an error return, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	seed_json();
	rt_trace("main");
	if (rt_cli_parse(argc, argv, &c, &e) < 0 || setup_log(&c, &e) < 0)
		return fail(&e);
	x.root = c.root ? c.root : RT_DEFAULT_ROOT;
	cmd = &commands[c.verb];
	if (reexec_sealed(cmd, &x, argv, &e) < 0)
		return fail(&e);
	r = cmd->run(&x, &e);
	r = finish(r, &x, &e);
	rt_cli_clear(&c);
	rt_trace("main end");
	return r;
}
