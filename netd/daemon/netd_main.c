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
#include "netd/daemon/dns.h"
#include "netd/daemon/proxy6.h"
#include "netd/daemon/request.h"
#include "netd/daemon/server.h"
#include "netd/engine/engine.h"
#include "netd/fabric/fabric.h"
#include "netns.h"
#include "strv.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: netd [--config FILE] [--socket PATH] [--state-dir DIR] [--run-dir DIR]\n"
		   "            [--foreground] [--log-level error|warn|info|debug] [--log-file FILE]\n"
		   "\n"
		   "  --config FILE     configuration (default " CFG_DEFAULT_PATH "; built-in defaults when absent)\n"
		   "  --socket PATH     listening socket (default /run/berth/netd.sock)\n"
		   "  --state-dir DIR   state store (default /var/lib/berth)\n"
		   "  --run-dir DIR     pidfile and, as a daemon, netd.log (default /run/berth)\n"
		   "  --foreground      stay in the foreground and log to stderr\n"
		   "\n"
		   "The fabric across hosts (docs/fabric.md; the config's \"fabric\" object):\n"
		   "  --etcd URL        an etcd endpoint, http://ADDR:2379 (repeat, or separate with commas)\n"
		   "  --node NAME       this host's name in the fabric (default: the hostname)\n"
		   "  --underlay ADDR|IFNAME  the address (or interface) other hosts reach this one by\n"
		   "  --underlay-family ipv4|ipv6  which address of the --underlay interface (default: IPv4 if it has "
		   "one)\n"
		   "  --vxlan-port N    UDP port of the VXLAN tunnels (default 4789)\n");
}

/* Report startup to the waiting parent (daemon mode): "" for ready, else the error. Closes *fd. */
static void notify(int *fd, const char *msg)
{
	if (*fd < 0)
		return;
	if (write(*fd, msg, strlen(msg) + 1) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(*fd);
	*fd = -1;
}

/* Log a startup failure and tell the waiting parent; returns 1, main's exit status. */
static int fail(int *notify_fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int *notify_fd, const char *fmt, ...)
{
	char msg[BERR_MSG_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
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

/* One request line: netd's reply, failures logged. */
static json_t *handle(void *arg, const char *line, size_t len, int fd)
{
	json_t *rep = req_handle(arg, line, len, fd);
	json_t *err = json_object_get(rep, "error");

	if (json_is_object(err))
		log_info("request failed: %s", json_string_value(json_object_get(err, "message")));
	/* give memory of big replies (ls of thousands) back instead of holding the peak */
	malloc_trim(0);
	return rep;
}

/* What the command line sets; the rest comes from the configuration. */
struct netd_opts {
	const char *config, *socket, *state_dir, *run_dir, *log_level, *log_file;
	const char *etcd[16], *node, *underlay, *underlay_family, *vxlan_port;
	size_t n_etcd;
	bool foreground;
	bool help; /* --help was printed: exit 0 */
};

/* The daemon's resources, from the start to shut_down. */
struct netd {
	struct cfg cfg;
	char pidpath[PATH_MAX];
	int pid_fd, sig_fd, notify_fd;
	struct eng *eng;
	struct dns *dns;
	struct srv *srv;
	struct fabric *fabric;
	struct req_ctx ctx;
};

/* The steps below return 0 to go on, or main's exit status (1, or 2 for a wrong command line) once reported. */
#define EXIT_USAGE 2

static int parse_options(int argc, char **argv, struct netd_opts *o)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},     {"socket", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 'd'},  {"run-dir", required_argument, NULL, 'r'},
		{"foreground", no_argument, NULL, 'f'},	      {"log-level", required_argument, NULL, 'l'},
		{"log-file", required_argument, NULL, 'L'},   {"help", no_argument, NULL, 'h'},
		{"etcd", required_argument, NULL, 'E'},	      {"node", required_argument, NULL, 'N'},
		{"underlay", required_argument, NULL, 'U'},   {"underlay-family", required_argument, NULL, 'F'},
		{"vxlan-port", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:s:d:r:fl:L:h", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'l':
			o->log_level = optarg;
			break;
		case 'L':
			o->log_file = optarg;
			break;
		case 'E':
			if (o->n_etcd == sizeof(o->etcd) / sizeof(o->etcd[0])) {
				fprintf(stderr, "netd: --etcd: at most 16 endpoints\n");
				return EXIT_USAGE;
			}
			o->etcd[o->n_etcd++] = optarg;
			break;
		case 'N':
			o->node = optarg;
			break;
		case 'U':
			o->underlay = optarg;
			break;
		case 'F':
			o->underlay_family = optarg;
			break;
		case 'P':
			o->vxlan_port = optarg;
			break;
		case 'h':
			usage(stdout);
			o->help = true;
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* *field = a copy of value, when the command line gave one. 0 or -ENOMEM. */
static int override(char **field, const char *value)
{
	char *copy;

	if (!value)
		return 0;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* The configuration file over the defaults, the command line over both; the log level set. */
static int load_config(const struct netd_opts *o, struct cfg *cfg)
{
	struct berr e = BERR_INIT;
	enum blog_level lvl;

	if (cfg_defaults(cfg, &e) < 0 ||
	    cfg_load(cfg, o->config ? o->config : CFG_DEFAULT_PATH, o->config != NULL, &e) < 0) {
		fprintf(stderr, "netd: config: %s\n", berr_message(&e));
		return EXIT_USAGE;
	}
	if (override(&cfg->socket, o->socket) < 0 || override(&cfg->state_dir, o->state_dir) < 0 ||
	    override(&cfg->run_dir, o->run_dir) < 0 || override(&cfg->log_level, o->log_level) < 0 ||
	    override(&cfg->log_file, o->log_file) < 0) {
		fprintf(stderr, "netd: out of memory\n");
		return 1;
	}
	if (o->n_etcd || o->node || o->underlay || o->underlay_family || o->vxlan_port) {
		struct fabric_cfg *fc = cfg->fabric;
		uint64_t port = 0;

		if (!fc && !(fc = cfg->fabric = calloc(1, sizeof(*fc)))) {
			fprintf(stderr, "netd: out of memory\n");
			return 1;
		}
		if (o->vxlan_port && bparse_u64(o->vxlan_port, 1, 65535, &port) < 0) {
			fprintf(stderr, "netd: --vxlan-port: '%s' is not a port\n", o->vxlan_port);
			return EXIT_USAGE;
		}
		if (port)
			fc->vxlan_port = (unsigned)port;
		if (o->underlay_family) {
			if (strcmp(o->underlay_family, "ipv4") != 0 && strcmp(o->underlay_family, "ipv6") != 0) {
				fprintf(stderr, "netd: --underlay-family: '%s' is not ipv4 or ipv6\n",
					o->underlay_family);
				return EXIT_USAGE;
			}
			fc->underlay_family = o->underlay_family[3] == '4' ? 4 : 6;
		}
		if (o->n_etcd) {
			strv_free(fc->etcd);
			fc->etcd = NULL;
			fc->n_etcd = 0;
			for (size_t i = 0; i < o->n_etcd; i++) {
				_cleanup_free_ char *copy = strdup(o->etcd[i]);
				char *save = NULL;

				if (!copy) {
					fprintf(stderr, "netd: out of memory\n");
					return 1;
				}
				for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
					char **nv = realloc(fc->etcd, (fc->n_etcd + 2) * sizeof(*nv));

					/* fc->etcd stays NULL-terminated whatever fails, for strv_free */
					if (nv)
						fc->etcd = nv;
					if (!nv || !(nv[fc->n_etcd] = strdup(t))) {
						fprintf(stderr, "netd: out of memory\n");
						return 1;
					}
					fc->etcd[++fc->n_etcd] = NULL;
				}
			}
		}
		if (override(&fc->node, o->node) < 0 || override(&fc->underlay, o->underlay) < 0) {
			fprintf(stderr, "netd: out of memory\n");
			return 1;
		}
	}
	if (blog_parse_level(cfg->log_level, &lvl) < 0) {
		fprintf(stderr, "netd: --log-level: '%s' is not error, warn, info or debug\n", cfg->log_level);
		return EXIT_USAGE;
	}
	blog_set_level(lvl);
	return 0;
}

/* Root, the run and socket directories, and the pidfile locked: no other netd owns them. */
static int claim_run_dir(struct netd *d)
{
	struct berr e = BERR_INIT;
	char sockdir[PATH_MAX];

	if (geteuid() != 0) {
		fprintf(stderr, "netd: must run as root (it manages links, routes and nftables)\n");
		return 1;
	}
	snprintf(sockdir, sizeof(sockdir), "%s", d->cfg.socket);
	if (bfile_mkdir_p(d->cfg.run_dir, 0755, &e) < 0 || bfile_mkdir_p(dirname(sockdir), 0755, &e) < 0) {
		fprintf(stderr, "netd: %s\n", berr_message(&e));
		return 1;
	}
	snprintf(d->pidpath, sizeof(d->pidpath), "%s/netd.pid", d->cfg.run_dir);
	if (open_pidfile(d->pidpath, &d->pid_fd, &e) < 0) {
		fprintf(stderr, "netd: %s\n", berr_message(&e));
		return 1;
	}
	return 0;
}

/* Daemonize unless in the foreground, and log where the configuration says. */
static int detach_and_log(struct netd *d, bool foreground)
{
	char logpath[PATH_MAX];
	int r;

	if (foreground) {
		if (d->cfg.log_file)
			blog_set_file(d->cfg.log_file);
		return 0;
	}
	r = daemonize(&d->notify_fd);
	if (r < 0) {
		fprintf(stderr, "netd: daemonize: %s\n", strerror(-r));
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/netd.log", d->cfg.run_dir);
	blog_set_file(d->cfg.log_file ? d->cfg.log_file : logpath);
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP arrive on a signalfd the server polls; SIGPIPE is ignored. */
static int take_signals(struct netd *d)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sig_fd < 0)
		return fail(&d->notify_fd, "signalfd: %s", strerror(errno));
	return 0;
}

/* The engine on the state store, the kernel reconciled with the records, the configured networks there. */
static int open_engine(struct netd *d)
{
	struct eng_opts eo = {
		.state_dir = d->cfg.state_dir,
		.lock_timeout_ms = d->cfg.lock_timeout_ms,
		.defer_link_removal = true,
	};
	struct eng_reconcile_report rep;
	struct berr e = BERR_INIT;

	if (eng_open(&eo, &d->eng, &e) < 0)
		return fail(&d->notify_fd, "%s", berr_message(&e));
	if (eng_reconcile(d->eng, &rep, &e) < 0)
		return fail(&d->notify_fd, "reconcile: %s", berr_message(&e));
	log_info("reconciled %zu network(s): %zu endpoint(s) kept, %zu repaired, %zu dropped, %zu bridge(s) "
		 "re-created, %zu stray link(s) removed, %zu published port(s)",
		 rep.networks, rep.endpoints_kept, rep.endpoints_repaired, rep.endpoints_dropped, rep.bridges_created,
		 rep.links_removed, rep.ports);
	for (size_t i = 0; i < d->cfg.n_networks; i++) {
		berr_clear(&e);
		if (eng_network_ensure(d->eng, &d->cfg.networks[i], NULL, &e) < 0)
			log_error("network '%s' from the configuration: %s", d->cfg.networks[i].name, berr_message(&e));
	}
	return 0;
}

/* The DNS server on every network's gateway (docs/dns.md), unless the configuration turns it off. */
static int start_dns(struct netd *d)
{
	struct dns_opts o = {
		.state_dir = d->cfg.state_dir,
		.domain = d->cfg.dns.domain,
		.ttl = d->cfg.dns.ttl,
		.resolv_conf = d->cfg.dns.resolv_conf,
		.upstream_timeout_ms = d->cfg.dns.upstream_timeout_ms,
		.port = d->cfg.dns.port,
	};
	struct berr e = BERR_INIT;

	if (!d->cfg.dns.enabled)
		return 0;
	if (dns_start(&o, &d->dns, &e) < 0)
		return fail(&d->notify_fd, "%s", berr_message(&e));
	return 0;
}

static struct names *names_acquire(void *dns)
{
	return dns_names_acquire(dns);
}

static void names_release(void *dns)
{
	dns_names_release(dns);
}

/*
 * With a "fabric" in the configuration: the agent joins etcd in the
 * background (netd/fabric/fabric.h), publishes this host's names and feeds
 * DNS with the other hosts' (docs/dns.md).
 */
static int join_fabric(struct netd *d)
{
	struct berr e = BERR_INIT;

	if (!d->cfg.fabric)
		return 0;
	if (fabric_start(d->cfg.fabric, d->cfg.state_dir, d->cfg.lock_timeout_ms, &d->fabric, &e) < 0)
		return fail(&d->notify_fd, "%s", berr_message(&e));
	log_info("fabric: joining as %s", d->cfg.fabric->node ? d->cfg.fabric->node : "(the hostname)");
	if (d->dns) {
		struct fabric_names_ops ops = {.acquire = names_acquire, .release = names_release, .arg = d->dns};

		fabric_names_connect(d->fabric, &ops);
		dns_on_local_change(d->dns, fabric_names_changed, d->fabric);
	}
	return 0;
}

/* Listen, tell the waiting parent netd is ready, and serve until a stop signal. */
static int serve(struct netd *d)
{
	struct srv_opts so = {
		.path = d->cfg.socket,
		.max_line = d->cfg.max_line,
		.max_clients = d->cfg.max_clients,
		.client_timeout_ms = d->cfg.client_timeout_ms,
		.signal_fd = d->sig_fd,
	};
	struct berr e = BERR_INIT;

	d->ctx.eng = d->eng;
	d->ctx.default_network = d->cfg.default_network;
	d->ctx.dns = d->dns;
	d->ctx.fabric = d->fabric;
	/* published ports on [::1] (docs/nftables.md); without IPv6 there is nothing to answer there */
	if (bns_ipv6_available()) {
		if (proxy6_start(&d->ctx.proxy, &e) < 0)
			return fail(&d->notify_fd, "%s", berr_message(&e));
		req_proxy_sync(&d->ctx);
	}
	if (srv_open(&so, handle, &d->ctx, &d->srv, &e) < 0)
		return fail(&d->notify_fd, "%s", berr_message(&e));
	if (write_pidfile(d->pid_fd) < 0)
		return fail(&d->notify_fd, "write pidfile %s: %s", d->pidpath, strerror(errno));
	log_info("listening on %s (state %s, pid %d)", d->cfg.socket, d->cfg.state_dir, (int)getpid());
	malloc_trim(0);
	notify(&d->notify_fd, "");
	if (srv_run(d->srv, &e) < 0) {
		log_error("%s", berr_message(&e));
		return 1;
	}
	return 0;
}

/* Release whatever the steps got, the pidfile removed only when it was ours. */
static void shut_down(struct netd *d)
{
	srv_close(d->srv);
	proxy6_stop(d->ctx.proxy);
	/* the fabric first: it feeds DNS names (docs/dns.md); DNS stops telling it first */
	dns_on_local_change(d->dns, NULL, NULL);
	fabric_stop(d->fabric);
	dns_stop(d->dns);
	eng_close(d->eng);
	if (d->pid_fd >= 0) {
		unlink(d->pidpath);
		close(d->pid_fd);
	}
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	cfg_free(&d->cfg);
}

int main(int argc, char **argv)
{
	struct netd_opts o = {0};
	struct netd d = {.pid_fd = -1, .sig_fd = -1, .notify_fd = -1};
	int rc;

	blog_init("netd");
	rc = parse_options(argc, argv, &o);
	if (rc || o.help)
		return rc;
	rc = load_config(&o, &d.cfg);
	if (rc == 0)
		rc = claim_run_dir(&d);
	if (rc == 0)
		rc = detach_and_log(&d, o.foreground);
	if (rc == 0)
		rc = take_signals(&d);
	if (rc == 0)
		rc = open_engine(&d);
	if (rc == 0)
		rc = start_dns(&d);
	if (rc == 0)
		rc = join_fabric(&d);
	if (rc == 0)
		rc = serve(&d);
	shut_down(&d);
	return rc;
}
