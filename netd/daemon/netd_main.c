/* netd: the network daemon (docs/netd.md). The boundary: options, config, daemonizing, logging. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"
#include "log.h"
#include "netd/daemon/config.h"
#include "netd/daemon/request.h"
#include "netd/daemon/server.h"
#include "netd/engine/engine.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: netd [--config FILE] [--socket PATH] [--state-dir DIR] [--run-dir DIR]\n"
		   "            [--foreground] [--log-level error|warn|info|debug] [--log-file FILE]\n"
		   "\n"
		   "  --config FILE     configuration (default " CFG_DEFAULT_PATH "; built-in defaults when absent)\n"
		   "  --socket PATH     listening socket (default /run/berth/netd.sock)\n"
		   "  --state-dir DIR   state store (default /var/lib/berth)\n"
		   "  --run-dir DIR     pidfile and, as a daemon, netd.log (default /run/berth)\n"
		   "  --foreground      stay in the foreground and log to stderr\n");
}

/* Report startup to the waiting parent (daemon mode): "" for ready, else the error. */
static void notify(int fd, const char *msg)
{
	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg) + 1) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(fd);
}

static int fail(int notify_fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int notify_fd, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	if (notify_fd >= 0)
		notify(notify_fd, msg);
	return 1;
}

/* Fork twice, detach from the terminal; the original process waits for the daemon's first word. */
static int daemonize(int *ret_notify)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char msg[BERR_MSG_MAX + 128];
		size_t len = 0;
		ssize_t n;

		close(p[1]);
		waitpid(pid, NULL, 0);
		while (len < sizeof(msg) - 1 && (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) > 0)
			len += (size_t)n;
		msg[len] = '\0';
		if (len == 0) {
			fprintf(stderr, "netd: the daemon died while starting\n");
			_exit(1);
		}
		if (msg[0]) {
			fprintf(stderr, "netd: %s\n", msg);
			_exit(1);
		}
		_exit(0);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(1);
	umask(022);
	{
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
			if (nul > STDERR_FILENO)
				close(nul);
		}
	}
	*ret_notify = p[1];
	return 0;
}

static int open_pidfile(const char *path, int *ret_fd, struct berr *e)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return berr_errno(e, "open pidfile %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (errno == EWOULDBLOCK)
			return berr_set(e, -EEXIST, "netd is already running (pid %s, pidfile %s)", buf[0] ? buf : "?",
					path);
		return berr_errno(e, "lock pidfile %s", path);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int write_pidfile(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

static json_t *handle(void *arg, const char *line, size_t len, int fd)
{
	struct berr pe = BERR_INIT;
	struct req q;
	json_t *rep, *err;

	if (req_parse(line, len, &q, &pe) < 0) {
		rep = req_error_reply(pe.code, berr_message(&pe));
	} else {
		/* which requests came, for debugging clients (the tests count them) */
		log_debug("request %s%s%s", req_op_name(q.op), q.id ? " " : "", q.id ? q.id : "");
		rep = req_exec(arg, &q, fd);
		req_free(&q);
	}
	err = json_object_get(rep, "error");

	if (json_is_object(err))
		log_info("request failed: %s", json_string_value(json_object_get(err, "message")));
	/* give memory of big replies (ls of thousands) back instead of holding the peak */
	malloc_trim(0);
	return rep;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 'd'},
		{"run-dir", required_argument, NULL, 'r'},
		{"foreground", no_argument, NULL, 'f'},
		{"log-level", required_argument, NULL, 'l'},
		{"log-file", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *socket_path = NULL, *state_dir = NULL, *run_dir = NULL, *level = NULL,
		   *log_file = NULL;
	bool foreground = false;
	struct cfg cfg;
	struct berr e = BERR_INIT;
	struct eng_opts eo = {0};
	struct eng *eng = NULL;
	struct srv *srv = NULL;
	struct srv_opts so = {0};
	struct req_ctx ctx;
	struct eng_reconcile_report rep;
	enum blog_level lvl;
	char pidpath[PATH_MAX], sockdir[PATH_MAX];
	sigset_t mask;
	int c, r, notify_fd = -1, pid_fd = -1, sig_fd = -1, rc = 1;

	blog_init("netd");
	while ((c = getopt_long(argc, argv, "c:s:d:r:fl:L:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'l':
			level = optarg;
			break;
		case 'L':
			log_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (cfg_defaults(&cfg, &e) < 0 || cfg_load(&cfg, config ? config : CFG_DEFAULT_PATH, config != NULL, &e) < 0) {
		fprintf(stderr, "netd: config: %s\n", berr_message(&e));
		return 2;
	}
	if ((socket_path && !(free(cfg.socket), cfg.socket = strdup(socket_path))) ||
	    (state_dir && !(free(cfg.state_dir), cfg.state_dir = strdup(state_dir))) ||
	    (run_dir && !(free(cfg.run_dir), cfg.run_dir = strdup(run_dir))) ||
	    (level && !(free(cfg.log_level), cfg.log_level = strdup(level))) ||
	    (log_file && !(free(cfg.log_file), cfg.log_file = strdup(log_file)))) {
		fprintf(stderr, "netd: out of memory\n");
		return 1;
	}
	if (blog_parse_level(cfg.log_level, &lvl) < 0) {
		fprintf(stderr, "netd: --log-level: '%s' is not error, warn, info or debug\n", cfg.log_level);
		return 2;
	}
	blog_set_level(lvl);
	if (geteuid() != 0) {
		fprintf(stderr, "netd: must run as root (it manages links, routes and nftables)\n");
		return 1;
	}
	snprintf(sockdir, sizeof(sockdir), "%s", cfg.socket);
	if (bfile_mkdir_p(cfg.run_dir, 0755, &e) < 0 || bfile_mkdir_p(dirname(sockdir), 0755, &e) < 0) {
		fprintf(stderr, "netd: %s\n", berr_message(&e));
		return 1;
	}
	snprintf(pidpath, sizeof(pidpath), "%s/netd.pid", cfg.run_dir);
	if (open_pidfile(pidpath, &pid_fd, &e) < 0) {
		fprintf(stderr, "netd: %s\n", berr_message(&e));
		return 1;
	}
	if (!foreground) {
		char logpath[PATH_MAX];

		r = daemonize(&notify_fd);
		if (r < 0) {
			fprintf(stderr, "netd: daemonize: %s\n", strerror(-r));
			return 1;
		}
		snprintf(logpath, sizeof(logpath), "%s/netd.log", cfg.run_dir);
		blog_set_file(cfg.log_file ? cfg.log_file : logpath);
	} else if (cfg.log_file) {
		blog_set_file(cfg.log_file);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		rc = fail(notify_fd, "signalfd: %s", strerror(errno));
		goto out;
	}
	eo.state_dir = cfg.state_dir;
	eo.lock_timeout_ms = cfg.lock_timeout_ms;
	eo.defer_link_removal = true;
	if (eng_open(&eo, &eng, &e) < 0) {
		rc = fail(notify_fd, "%s", berr_message(&e));
		goto out;
	}
	if (eng_reconcile(eng, &rep, &e) < 0) {
		rc = fail(notify_fd, "reconcile: %s", berr_message(&e));
		goto out;
	}
	log_info("reconciled %zu network(s): %zu endpoint(s) kept, %zu repaired, %zu dropped, %zu bridge(s) "
		 "re-created, %zu stray link(s) removed, %zu published port(s)",
		 rep.networks, rep.endpoints_kept, rep.endpoints_repaired, rep.endpoints_dropped, rep.bridges_created,
		 rep.links_removed, rep.ports);
	for (size_t i = 0; i < cfg.n_networks; i++) {
		berr_clear(&e);
		if (eng_network_ensure(eng, &cfg.networks[i], NULL, &e) < 0)
			log_error("network '%s' from the configuration: %s", cfg.networks[i].name, berr_message(&e));
	}
	ctx.eng = eng;
	ctx.default_network = cfg.default_network;
	so.path = cfg.socket;
	so.max_line = cfg.max_line;
	so.max_clients = cfg.max_clients;
	so.client_timeout_ms = cfg.client_timeout_ms;
	so.signal_fd = sig_fd;
	if (srv_open(&so, handle, &ctx, &srv, &e) < 0) {
		rc = fail(notify_fd, "%s", berr_message(&e));
		goto out;
	}
	if (write_pidfile(pid_fd) < 0) {
		rc = fail(notify_fd, "write pidfile %s: %s", pidpath, strerror(errno));
		goto out;
	}
	log_info("listening on %s (state %s, pid %d)", cfg.socket, cfg.state_dir, (int)getpid());
	malloc_trim(0);
	notify(notify_fd, "");
	notify_fd = -1;
	if (srv_run(srv, &e) < 0) {
		log_error("%s", berr_message(&e));
		goto out;
	}
	rc = 0;
out:
	srv_close(srv);
	eng_close(eng);
	if (pid_fd >= 0) {
		unlink(pidpath);
		close(pid_fd);
	}
	if (sig_fd >= 0)
		close(sig_fd);
	cfg_free(&cfg);
	return rc;
}
