/* stack/stack_bundle.c: the OCI config.json of a stack container. */
/*
 * An application container: new pid, network, ipc, uts, mount and cgroup
 * namespaces (no user namespace: the root filesystem is shared and owned
 * by the host's root), the root filesystem read-only with private tmpfs on
 * /tmp and /run, runc's default capabilities (CAP_AUDIT_WRITE, CAP_KILL,
 * CAP_NET_BIND_SERVICE) and masked paths, no new privileges, the stack's
 * limits, and /etc/hosts, /etc/resolv.conf, /etc/hostname bind-mounted
 * read-only from the container's directory. Networking is the berth.networks
 * annotation (runtime/spec_net.c): one interface per network, eth0 first,
 * published ports on the first, the aliases of each network with it; the
 * container's name (berth.name) and hostname (berth.aliases) are its names
 * in netd's DNS.
 *
 * The text is generated the same way every time, so an unchanged
 * definition gives byte-identical text: that is how up tells whether a
 * running container still matches its file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "stack/stack_int.h"

static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
static const char *const masked[] = {"/proc/acpi",
				     "/proc/asound",
				     "/proc/kcore",
				     "/proc/keys",
				     "/proc/latency_stats",
				     "/proc/timer_list",
				     "/proc/timer_stats",
				     "/proc/sched_debug",
				     "/sys/firmware",
				     "/proc/scsi",
				     NULL};
static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
static const char *const namespaces[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && (n == (size_t)-1 ? v[i] != NULL : i < n); i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *mount(const char *dst, const char *type, const char *src, const char *const *opts)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", type, "source", src, "options",
			 strings(opts, (size_t)-1));
}

static json_t *mounts(const struct stack_run *run, const char *name)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
	static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	static const char *const tmp[] = {"nosuid", "nodev", "mode=1777", NULL};
	static const char *const run_opts[] = {"nosuid", "nodev", "mode=755", NULL};
	static const char *const file[] = {"rbind", "ro", "nosuid", "nodev", "noexec", NULL};
	static const char *const etc[] = {"hosts", "resolv.conf", "hostname"};
	json_t *m = json_array();

	if (!m)
		return NULL;
	if (json_array_append_new(
		    m, json_pack("{s:s,s:s,s:s}", "destination", "/proc", "type", "proc", "source", "proc")) < 0 ||
	    json_array_append_new(m, mount("/dev", "tmpfs", "tmpfs", dev)) < 0 ||
	    json_array_append_new(m, mount("/dev/pts", "devpts", "devpts", pts)) < 0 ||
	    json_array_append_new(m, mount("/dev/shm", "tmpfs", "shm", shm)) < 0 ||
	    json_array_append_new(m, mount("/dev/mqueue", "mqueue", "mqueue", mq)) < 0 ||
	    json_array_append_new(m, mount("/sys", "sysfs", "sysfs", sys)) < 0 ||
	    json_array_append_new(m, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg)) < 0 ||
	    json_array_append_new(m, mount("/tmp", "tmpfs", "tmpfs", tmp)) < 0 ||
	    json_array_append_new(m, mount("/run", "tmpfs", "tmpfs", run_opts)) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(etc); i++) {
		_cleanup_free_ char *src = stack_run_ctr_path(run, name, etc[i]);
		char dst[32];

		snprintf(dst, sizeof(dst), "/etc/%s", etc[i]);
		if (!src || json_array_append_new(m, mount(dst, "bind", src, file)) < 0)
			goto fail;
	}
	return m;
fail:
	json_decref(m);
	return NULL;
}

static json_t *process(const struct stack_container *c)
{
	json_t *env = json_array(), *p;
	bool has_path = false;
	unsigned uid = 0, gid = 0;
	char host[128];

	for (size_t i = 0; env && i < c->n_env; i++)
		has_path = has_path || strncmp(c->env[i], "PATH=", 5) == 0;
	snprintf(host, sizeof(host), "HOSTNAME=%s", c->hostname);
	if (!env || (!has_path && json_array_append_new(env, json_string(DEFAULT_PATH)) < 0) ||
	    json_array_append_new(env, json_string(host)) < 0) {
		json_decref(env);
		return NULL;
	}
	for (size_t i = 0; i < c->n_env; i++)
		if (json_array_append_new(env, json_string(c->env[i])) < 0) {
			json_decref(env);
			return NULL;
		}
	if (c->user && sscanf(c->user, "%u:%u", &uid, &gid) < 2)
		gid = uid;
	p = json_pack("{s:b,s:{s:I,s:I},s:o,s:o,s:s,s:{s:o,s:o,s:o},s:[{s:s,s:i,s:i}],s:b}", "terminal", 0, "user",
		      "uid", (json_int_t)uid, "gid", (json_int_t)gid, "args",
		      strings((const char *const *)c->command, c->n_command), "env", env, "cwd",
		      c->working_dir ? c->working_dir : "/", "capabilities", "bounding", strings(caps, (size_t)-1),
		      "effective", strings(caps, (size_t)-1), "permitted", strings(caps, (size_t)-1), "rlimits", "type",
		      "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
	return p;
}

static json_t *resources(const struct stack_container *c)
{
	json_t *r = json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm");

	if (!r)
		return NULL;
	if (c->memory && bjson_set(r, "memory", json_pack("{s:I}", "limit", (json_int_t)c->memory)) < 0)
		goto fail;
	if (c->cpu_quota_us &&
	    bjson_set(r, "cpu", json_pack("{s:I,s:I}", "quota", (json_int_t)c->cpu_quota_us, "period", 100000)) < 0)
		goto fail;
	if (c->pids && bjson_set(r, "pids", json_pack("{s:I}", "limit", (json_int_t)c->pids)) < 0)
		goto fail;
	return r;
fail:
	json_decref(r);
	return NULL;
}

/* berth.networks: eth0, eth1... in the container's order; the ports on the first. */
static char *networks_annotation(const struct stack_container *c)
{
	_cleanup_json_ json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < c->n_networks; i++) {
		json_t *o = json_object();
		char ifname[16], ip[INET_ADDRSTRLEN];

		snprintf(ifname, sizeof(ifname), "eth%zu", i);
		if (!o || json_array_append_new(a, o) < 0 ||
		    bjson_set(o, "network", json_string(c->networks[i].network)) ||
		    bjson_set(o, "ifname", json_string(ifname)) ||
		    (c->networks[i].ip && bjson_set(o, "ip", json_string(baddr_fmt4(c->networks[i].ip, ip)))))
			return NULL;
		/* the names netd's DNS answers for it on this network alone */
		if (c->networks[i].n_aliases) {
			json_t *al = json_array();

			if (!al || bjson_set(o, "aliases", al) < 0)
				return NULL;
			for (size_t k = 0; k < c->networks[i].n_aliases; k++)
				if (json_array_append_new(al, json_string(c->networks[i].aliases[k])) < 0)
					return NULL;
		}
		if (i == 0 && c->n_ports) {
			json_t *ports = json_array();

			if (!ports || bjson_set(o, "ports", ports) < 0)
				return NULL;
			for (size_t p = 0; p < c->n_ports; p++) {
				char spec[96];

				if (json_array_append_new(
					    ports, json_string(bportspec_fmt(&c->ports[p], spec, sizeof(spec)))) < 0)
					return NULL;
			}
		}
	}
	return json_dumps(a, JSON_COMPACT);
}

int stk_bundle_text(const struct stack_run *run, const struct stack *st, const struct stack_container *c,
		    const char *cgroup_parent, char **ret, struct berr *e)
{
	_cleanup_json_ json_t *cfg = NULL;
	_cleanup_free_ char *nets = NULL, *cgpath = NULL;
	json_t *ns = json_array(), *ann = json_object();
	char *text;

	if (!ns || !ann) {
		json_decref(ns);
		json_decref(ann);
		return berr_oom(e);
	}
	for (size_t i = 0; namespaces[i]; i++)
		json_array_append_new(ns, json_pack("{s:s}", "type", namespaces[i]));
	if (c->n_networks) {
		nets = networks_annotation(c);
		if (!nets || bjson_set(ann, "berth.networks", json_string(nets)) < 0) {
			json_decref(ns);
			json_decref(ann);
			return berr_oom(e);
		}
	}
	/* its name in netd's DNS, and its hostname when that differs (runtime/spec_net.c) */
	if (c->n_networks && bdns_name_valid(c->name) &&
	    (bjson_set(ann, "berth.name", json_string(c->name)) < 0 ||
	     (strcmp(c->hostname, c->name) != 0 && bdns_name_valid(c->hostname) &&
	      bjson_set(ann, "berth.aliases", json_string(c->hostname)) < 0))) {
		json_decref(ns);
		json_decref(ann);
		return berr_oom(e);
	}
	if (bjson_set(ann, "berth.stack", json_string(st->name)) < 0 ||
	    bjson_set(ann, "berth.stack.container", json_string(c->name)) < 0 ||
	    asprintf(&cgpath, "%s/%s/%s", cgroup_parent, st->name, c->name) < 0) {
		cgpath = NULL;
		json_decref(ns);
		json_decref(ann);
		return berr_oom(e);
	}
	cfg = json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o,s:{s:s,s:o,s:o,s:o,s:o}}", "ociVersion", "1.0.2", "process",
			process(c), "root", "path", c->rootfs, "readonly", 1, "hostname", c->hostname, "mounts",
			mounts(run, c->name), "annotations", ann, "linux", "cgroupsPath", cgpath, "resources",
			resources(c), "namespaces", ns, "maskedPaths", strings(masked, (size_t)-1), "readonlyPaths",
			strings(readonly, (size_t)-1));
	if (!cfg)
		return berr_oom(e);
	text = json_dumps(cfg, JSON_INDENT(2));
	if (!text)
		return berr_oom(e);
	*ret = text;
	return 0;
}
