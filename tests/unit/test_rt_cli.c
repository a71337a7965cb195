/* runtime/cli.c, signals.c, features.c, hooks.c, sync.c: the parts that need no privileges. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/cli.h"
#include "runtime/features.h"
#include "runtime/hooks.h"
#include "runtime/signals.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/sync.h"

#define PARSE(c, e, ...)                                                                                               \
	({                                                                                                             \
		static char *argv_[] = {"berth", __VA_ARGS__, NULL};                                                   \
		rt_cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, (c), (e));                            \
	})

Test(rt_cli, conmon_create)
{
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_eq(PARSE(&c, &e, "--root", "/run/x", "--log", "/l.json", "--log-format", "json", "--systemd-cgroup",
			   "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "--no-new-keyring",
			   "--preserve-fds", "2", "ctr1"),
		     0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_CREATE);
	cr_assert_str_eq(c.root, "/run/x");
	cr_assert_str_eq(c.log, "/l.json");
	cr_assert_str_eq(c.log_format, "json");
	cr_assert(c.systemd_cgroup);
	cr_assert_str_eq(c.bundle, "/b");
	cr_assert_str_eq(c.pid_file, "/p");
	cr_assert_str_eq(c.console_socket, "/s");
	cr_assert_eq(c.preserve_fds, 2);
	cr_assert_str_eq(c.id, "ctr1");
	rt_cli_clear(&c);
}

Test(rt_cli, option_forms)
{
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_eq(PARSE(&c, &e, "-root=/r", "run", "-d", "-b", "/b", "--pid-file=/p", "x"), 0, "%s", e.msg);
	cr_assert_str_eq(c.root, "/r");
	cr_assert(c.detach);
	cr_assert_str_eq(c.bundle, "/b");
	cr_assert_str_eq(c.pid_file, "/p");
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "delete", "--force=true", "x"), 0, "%s", e.msg);
	cr_assert(c.force);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "delete", "-f", "x"), 0, "%s", e.msg);
	cr_assert(c.force);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "list", "-f", "json"), 0, "%s", e.msg);
	cr_assert_str_eq(c.format, "json");
	rt_cli_clear(&c);
}

Test(rt_cli, exec_and_kill)
{
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_eq(PARSE(&c, &e, "exec", "-e", "A=1", "--env", "B=2", "--cwd", "/tmp", "-t", "--console-socket", "/s",
			   "-u", "1:2", "--cap", "CAP_KILL", "x", "sh", "-c", "echo -n hi"),
		     0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_EXEC);
	cr_assert_str_eq(c.env[0], "A=1");
	cr_assert_str_eq(c.env[1], "B=2");
	cr_assert_null(c.env[2]);
	cr_assert(c.tty);
	cr_assert_str_eq(c.user, "1:2");
	cr_assert_str_eq(c.caps[0], "CAP_KILL");
	cr_assert_str_eq(c.id, "x");
	cr_assert_str_eq(c.cmd[0], "sh");
	cr_assert_str_eq(c.cmd[2], "echo -n hi");
	cr_assert_null(c.cmd[3]);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "exec", "--process", "/p.json", "--detach", "--pid-file", "/pid", "x"), 0, "%s",
		     e.msg);
	cr_assert_str_eq(c.process, "/p.json");
	cr_assert_null(c.cmd[0]);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "kill", "--all", "x", "KILL"), 0, "%s", e.msg);
	cr_assert(c.all);
	cr_assert_str_eq(c.signal, "KILL");
	rt_cli_clear(&c);
}

Test(rt_cli, errors)
{
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_lt(PARSE(&c, &e, "create", "--bogus", "x"), 0);
	cr_assert(strstr(e.msg, "unknown option '--bogus'"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "create", "--no-pivot", "x"), 0);
	cr_assert(strstr(e.msg, "--no-pivot is not supported"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "create"), 0);
	cr_assert(strstr(e.msg, "missing container id"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "start", "x", "y"), 0);
	cr_assert(strstr(e.msg, "unexpected argument 'y'"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "exec", "x"), 0);
	cr_assert(strstr(e.msg, "give a command or --process"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "--log-format", "xml", "list"), 0);
	cr_assert_lt(PARSE(&c, &e, "create", "--preserve-fds", "lots", "x"), 0);
	cr_assert_lt(PARSE(&c, &e, "create", "--bundle"), 0);
	cr_assert(strstr(e.msg, "needs a value"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "frob"), 0);
	cr_assert(strstr(e.msg, "unknown command 'frob'"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "exec", "-e", "NOVALUE", "x", "true"), 0);
	cr_assert(strstr(e.msg, "KEY=VALUE"), "%s", e.msg);
	cr_assert_eq(PARSE(&c, &e, "--version"), 0);
	cr_assert_eq(c.verb, RT_VERB_VERSION);
	rt_cli_clear(&c);
}

Test(rt_cli, stacks)
{
	struct rt_cli c;
	struct berr e = BERR_INIT;

	cr_assert_eq(PARSE(&c, &e, "--root", "/r", "up", "-f", "web.json", "--cgroup-parent", "/x"), 0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_UP);
	cr_assert_str_eq(c.file, "web.json");
	cr_assert_str_eq(c.cgroup_parent, "/x");
	cr_assert_str_eq(c.root, "/r");
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "down", "--file=web.json"), 0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_DOWN);
	cr_assert_str_eq(c.file, "web.json");
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "down", "web"), 0, "%s", e.msg);
	cr_assert_str_eq(c.id, "web");
	cr_assert_null(c.file);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "logs", "-f", "web.json", "client"), 0, "%s", e.msg);
	cr_assert_eq(c.verb, RT_VERB_LOGS);
	cr_assert_str_eq(c.id, "client");
	rt_cli_clear(&c);
	/* ps: without an id the stacks' (-f is the file), with one runc's (-f is the format) */
	cr_assert_eq(PARSE(&c, &e, "ps", "-f", "web.json", "--json"), 0, "%s", e.msg);
	cr_assert(c.stack_ps);
	cr_assert_str_eq(c.file, "web.json");
	cr_assert_str_eq(c.format, "json");
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "ps"), 0, "%s", e.msg);
	cr_assert(c.stack_ps);
	cr_assert_null(c.file);
	cr_assert_null(c.format);
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "ps", "-f", "json", "ctr1"), 0, "%s", e.msg);
	cr_assert(!c.stack_ps);
	cr_assert_str_eq(c.format, "json");
	cr_assert_str_eq(c.id, "ctr1");
	rt_cli_clear(&c);
	cr_assert_eq(PARSE(&c, &e, "ps", "--format", "table"), 0, "%s", e.msg);
	cr_assert(c.stack_ps);
	cr_assert_str_eq(c.format, "table");
	rt_cli_clear(&c);

	cr_assert_lt(PARSE(&c, &e, "up"), 0);
	cr_assert(strstr(e.msg, "up: give the stack file with -f FILE"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "down"), 0);
	cr_assert(strstr(e.msg, "down: give the stack file"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "down", "-f", "a.json", "web"), 0);
	cr_assert_lt(PARSE(&c, &e, "logs"), 0);
	cr_assert_lt(PARSE(&c, &e, "ps", "--json", "ctr1"), 0);
	cr_assert(strstr(e.msg, "ps ID takes --format"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "ps", "--json", "--format", "table"), 0);
	cr_assert(strstr(e.msg, "contradict"), "%s", e.msg);
	cr_assert_lt(PARSE(&c, &e, "up", "-f", "a.json", "--json"), 0);
	cr_assert(strstr(e.msg, "unknown option '--json'"), "%s", e.msg);
}

Test(rt_signals, names_and_numbers)
{
	struct berr e = BERR_INIT;
	int s;

	cr_assert_eq(rt_signal_parse("KILL", &s, &e), 0);
	cr_assert_eq(s, SIGKILL);
	cr_assert_eq(rt_signal_parse("SIGKILL", &s, &e), 0);
	cr_assert_eq(s, SIGKILL);
	cr_assert_eq(rt_signal_parse("9", &s, &e), 0);
	cr_assert_eq(s, 9);
	cr_assert_eq(rt_signal_parse("sigterm", &s, &e), 0);
	cr_assert_eq(s, SIGTERM);
	cr_assert_eq(rt_signal_parse("RTMIN+2", &s, &e), 0);
	cr_assert_eq(s, SIGRTMIN + 2);
	cr_assert_eq(rt_signal_parse("SIGRTMAX-1", &s, &e), 0);
	cr_assert_eq(s, SIGRTMAX - 1);
	cr_assert_lt(rt_signal_parse("0", &s, &e), 0);
	cr_assert_lt(rt_signal_parse("65", &s, &e), 0);
	cr_assert_lt(rt_signal_parse("SIGBOGUS", &s, &e), 0);
	cr_assert(strstr(e.msg, "unknown signal 'SIGBOGUS'"), "%s", e.msg);
	cr_assert_str_eq(rt_signal_name(SIGHUP), "SIGHUP");
}

Test(rt_features, shape_like_runc)
{
	json_t *j = NULL, *linux_obj;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_features_json(&j, &e), 0, "%s", e.msg);
	cr_assert_str_eq(json_string_value(json_object_get(j, "ociVersionMin")), "1.0.0");
	cr_assert_eq(json_array_size(json_object_get(j, "hooks")), 6);
	linux_obj = json_object_get(j, "linux");
	cr_assert_eq(json_array_size(json_object_get(linux_obj, "namespaces")), 8);
	cr_assert(json_array_size(json_object_get(linux_obj, "capabilities")) >= 41);
	cr_assert(json_is_true(json_object_get(json_object_get(linux_obj, "seccomp"), "enabled")));
	cr_assert(json_is_true(json_object_get(json_object_get(linux_obj, "cgroup"), "v1")));
	cr_assert(json_array_size(json_object_get(j, "mountOptions")) > 20);
	json_decref(j);
}

Test(rt_features, default_spec_is_valid)
{
	char dir[] = "/tmp/berth-defspec.XXXXXX", root[64];
	json_t *j = NULL;
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	const char *s = rt_default_spec();

	cr_assert(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/rootfs", dir);
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(bjson_parse(s, strlen(s), &j, &e), 0, "%s", e.msg);
	cr_assert_eq(rt_spec_from_json(j, dir, &spec, &e), 0, "%s", e.msg);
	cr_assert_eq(__builtin_popcount(spec->ns_new), 8, "all eight namespaces are new");
	cr_assert_eq(spec->n_uid_maps, 1);
	cr_assert(spec->process.no_new_privileges);
	rt_spec_free(spec);
	json_decref(j);
	bfile_rm_rf(dir, NULL);
}

Test(rt_state, hook_json)
{
	json_t *a = json_pack("{s:s}", "k", "v");
	char *s = rt_state_hook_json("1.0.2", "c1", "created", 42, "/b", a);
	json_t *j = NULL;

	cr_assert_eq(bjson_parse(s, strlen(s), &j, NULL), 0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "c1");
	cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "created");
	cr_assert_eq(json_integer_value(json_object_get(j, "pid")), 42);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "annotations"), "k")), "v");
	cr_assert_eq(json_object_size(j), 6);
	json_decref(j);
	json_decref(a);
	free(s);
}

Test(rt_state, proc_stat_of_self)
{
	char st;
	unsigned long long start = 0;

	cr_assert_eq(rt_proc_stat(getpid(), &st, &start), 0);
	cr_assert_eq(st, 'R');
	cr_assert_gt(start, 0);
	cr_assert_lt(rt_proc_stat(0x3fffffff, &st, &start), 0);
}

Test(rt_sync, messages_and_errors)
{
	int sp[2];
	struct rt_sync_msg m;
	struct berr e = BERR_INIT, sent = BERR_INIT;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	cr_assert_eq(rt_sync_send(sp[0], RT_SYNC_GO, 0, 7, "hello", 5), 0);
	cr_assert_eq(rt_sync_expect(sp[1], RT_SYNC_GO, "peer", &m, &e), 0, "%s", e.msg);
	cr_assert_eq(m.value, 7);
	cr_assert_str_eq(m.data, "hello");
	rt_sync_msg_clear(&m);
	berr_set(&sent, -ENOENT, "exec: \"x\": not found");
	rt_sync_send_error(sp[0], &sent);
	cr_assert_eq(rt_sync_expect(sp[1], RT_SYNC_READY, "peer", &m, &e), -ENOENT);
	cr_assert_str_eq(e.msg, "exec: \"x\": not found");
	cr_assert_eq(rt_sync_send(sp[0], RT_SYNC_HOOKS, 0, 0, NULL, 0), 0);
	cr_assert_eq(rt_sync_expect(sp[1], RT_SYNC_READY, "peer", &m, &e), -EPROTO);
	close(sp[0]);
	cr_assert_eq(rt_sync_wait_exec(sp[1], &e), 0, "end of file is success");
	close(sp[1]);
}

static void hook_of(struct rt_hooks *h, enum rt_hook_kind k, const char *script, int timeout)
{
	static char *args[4];
	static char *env[] = {"PATH=/bin:/usr/bin", NULL};
	static struct rt_hook hook;

	args[0] = "sh";
	args[1] = "-c";
	args[2] = (char *)script;
	args[3] = NULL;
	hook.path = "/bin/sh";
	hook.args = args;
	hook.env = env;
	hook.timeout = timeout;
	memset(h, 0, sizeof(*h));
	h->list[k] = &hook;
	h->n[k] = 1;
}

Test(rt_hooks, state_on_stdin_and_failures)
{
	char dir[] = "/tmp/berth-hooks.XXXXXX", script[256], *out = NULL;
	struct rt_hooks h;
	struct berr e = BERR_INIT;

	cr_assert(mkdtemp(dir));
	snprintf(script, sizeof(script), "cat > %s/state; echo $PATH >> %s/state", dir, dir);
	hook_of(&h, RT_HOOK_POSTSTART, script, 0);
	cr_assert_eq(rt_hooks_run(&h, RT_HOOK_POSTSTART, "{\"id\":\"x\"}", &e), 0, "%s", e.msg);
	snprintf(script, sizeof(script), "%s/state", dir);
	cr_assert_eq(bfile_read_all(script, 4096, &out, NULL, NULL), 0);
	cr_assert_str_eq(out, "{\"id\":\"x\"}/bin:/usr/bin\n");
	free(out);
	hook_of(&h, RT_HOOK_PRESTART, "echo oops; exit 4", 0);
	cr_assert_lt(rt_hooks_run(&h, RT_HOOK_PRESTART, "{}", &e), 0);
	cr_assert_str_eq(e.msg, "hooks.prestart[0] /bin/sh exited with status 4: oops");
	hook_of(&h, RT_HOOK_POSTSTOP, "sleep 10", 1);
	cr_assert_eq(rt_hooks_run(&h, RT_HOOK_POSTSTOP, "{}", &e), -ETIMEDOUT);
	cr_assert(strstr(e.msg, "timed out after 1 s"), "%s", e.msg);
	/* a hook that never reads its stdin still runs */
	hook_of(&h, RT_HOOK_POSTSTOP, "exit 0", 0);
	cr_assert_eq(rt_hooks_run(&h, RT_HOOK_POSTSTOP, "{}", &e), 0, "%s", e.msg);
	bfile_rm_rf(dir, NULL);
}

Test(rt_hooks, a_hook_that_ignores_a_big_state_does_not_kill_the_caller)
{
	struct rt_hooks h;
	struct berr e = BERR_INIT;
	size_t len = 1024 * 1024;
	char *state = malloc(len + 1);

	cr_assert(state);
	memset(state, ' ', len);
	state[0] = '{';
	state[len - 1] = '}';
	state[len] = '\0';
	/* more than a pipe holds: the write must meet EPIPE once the hook is gone */
	signal(SIGPIPE, SIG_DFL);
	hook_of(&h, RT_HOOK_POSTSTOP, "exit 0", 0);
	cr_assert_eq(rt_hooks_run(&h, RT_HOOK_POSTSTOP, state, &e), 0, "%s", e.msg);
	free(state);
}
