/* runtime/spec*.c: config.json validation; every bad field is named in the error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "jsonutil.h"
#include "runtime/caps.h"
#include "runtime/path.h"
#include "runtime/spec.h"

static char bundle[256];

static void setup(void)
{
	char root[300];

	snprintf(bundle, sizeof(bundle), "/tmp/berth-spec-test.XXXXXX");
	cr_assert(mkdtemp(bundle));
	snprintf(root, sizeof(root), "%s/rootfs", bundle);
	cr_assert(mkdir(root, 0755) == 0);
}

static void teardown(void)
{
	bfile_rm_rf(bundle, NULL);
}

TestSuite(rt_spec, .init = setup, .fini = teardown);

static const char base_json[] =
	"{\"ociVersion\":\"1.0.2\","
	"\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"},"
	"\"root\":{\"path\":\"rootfs\"},"
	"\"hostname\":\"h\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
	"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"network\"},"
	"{\"type\":\"ipc\"}]}}";

static json_t *base(void)
{
	json_t *j = NULL;

	cr_assert_eq(bjson_parse(base_json, strlen(base_json), &j, NULL), 0);
	return j;
}

/* Set (or with value NULL remove) a dotted path in j to a JSON value given as text. */
static void set(json_t *j, const char *path, const char *value)
{
	char buf[256];
	char *save = NULL, *tok, *next;
	json_t *cur = j;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		json_t *child = json_object_get(cur, tok);

		if (!child) {
			child = json_object();
			json_object_set_new(cur, tok, child);
		}
		cur = child;
		tok = next;
	}
	if (!value) {
		json_object_del(cur, tok);
		return;
	}
	{
		json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);

		cr_assert(v, "bad test JSON %s", value);
		json_object_set_new(cur, tok, v);
	}
}

static int load(json_t *j, struct rt_spec **ret, struct berr *e)
{
	int r = rt_spec_from_json(j, bundle, ret, e);

	json_decref(j);
	return r;
}

/* Expect the change to be refused with a message containing want. */
static void refused(const char *path, const char *value, const char *want)
{
	json_t *j = base();
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	int r;

	set(j, path, value);
	r = load(j, &spec, &e);
	cr_assert_lt(r, 0, "%s = %s was accepted", path, value ? value : "(removed)");
	cr_assert(strstr(e.msg, want), "%s = %s: message '%s' lacks '%s'", path, value ? value : "(removed)", e.msg,
		  want);
	cr_assert_null(spec);
}

/* Expect the change to be accepted; the spec it gives. */
static struct rt_spec *accepted(const char *path, const char *value)
{
	json_t *j = base();
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;

	set(j, path, value);
	cr_assert_eq(load(j, &spec, &e), 0, "%s = %s: %s", path, value, e.msg);
	return spec;
}

Test(rt_spec, base_is_valid)
{
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	char want[300];

	cr_assert_eq(load(base(), &spec, &e), 0, "%s", e.msg);
	snprintf(want, sizeof(want), "%s/rootfs", bundle);
	cr_assert_str_eq(spec->rootfs, want);
	cr_assert_eq(spec->ns_new, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWIPC);
	cr_assert_eq(spec->n_ns_join, 0);
	cr_assert_str_eq(spec->process.args[0], "sh");
	cr_assert_null(spec->process.args[1]);
	cr_assert_eq(spec->n_mounts, 1);
	cr_assert_str_eq(spec->mounts[0].destination, "/proc");
	cr_assert(!spec->process.has_caps);
	cr_assert_null(spec->network);
	rt_spec_free(spec);
}

Test(rt_spec, top_level_fields)
{
	refused("ociVersion", NULL, "'ociVersion'");
	refused("ociVersion", "\"2.0.0\"", "'ociVersion' 2.0.0 is not supported");
	refused("ociVersion", "7", "'ociVersion' must be a string");
	refused("root", NULL, "'root'");
	refused("root.path", "\"nope\"", "'root.path'");
	refused("root.path", "\"\"", "'root.path' is empty");
	refused("root.readonly", "\"yes\"", "'root.readonly' must be true or false");
	refused("process", NULL, "'process'");
	refused("linux", NULL, "'linux'");
	refused("hostname", "3", "'hostname' must be a string");
	refused("annotations", "{\"a\":1}", "'annotations.a' must be a string");
}

Test(rt_spec, process_fields)
{
	refused("process.args", "[]", "'process.args' must list at least the program");
	refused("process.args", "[1]", "'process.args[0]'");
	refused("process.args", "[\"\"]", "'process.args[0]' is empty");
	refused("process.cwd", "\"relative\"", "'process.cwd' must be an absolute path");
	refused("process.cwd", NULL, "'process.cwd'");
	refused("process.env", "[\"NOEQUALS\"]", "'process.env[0]' must be KEY=VALUE");
	refused("process.user", NULL, "'process.user'");
	refused("process.user.uid", "-1", "'process.user.uid'");
	refused("process.user.gid", "\"0\"", "'process.user.gid' must be an integer");
	refused("process.user.additionalGids", "[\"x\"]", "'process.user.additionalGids[0]'");
	refused("process.capabilities", "{\"bounding\":[\"CAP_BOGUS\"]}",
		"'process.capabilities.bounding[0]': unknown capability 'CAP_BOGUS'");
	refused("process.capabilities", "{\"effective\":[\"CAP_KILL\"]}",
		"'process.capabilities.effective' has CAP_KILL, which is not in permitted");
	refused("process.rlimits", "[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]",
		"'process.rlimits[0].type': unknown rlimit 'RLIMIT_BOGUS'");
	refused("process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]",
		"'process.rlimits[0]': soft limit is above the hard limit");
	refused("process.rlimits",
		"[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1}"
		"]",
		"RLIMIT_NOFILE is given twice");
	refused("process.oomScoreAdj", "1001", "'process.oomScoreAdj' is 1001");
	refused("process.noNewPrivileges", "1", "'process.noNewPrivileges' must be true or false");
	refused("process.scheduler", "{\"policy\":\"SCHED_OTHER\"}", "'process.scheduler' is not supported");
}

/* `runc spec` lists ambient capabilities that are not inheritable: accepted, and named in a warning. */
Test(rt_spec, ambient_not_inheritable_is_a_warning)
{
	struct berr w = BERR_INIT;
	struct rt_spec *spec = accepted(
		"process.capabilities",
		"{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"],\"permitted\":[\"CAP_KILL\","
		"\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"],\"inheritable\":[\"CAP_CHOWN\"],"
		"\"ambient\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\"]}");
	rt_spec_warnings(spec, &w);
	cr_assert_str_eq(w.msg, "'process.capabilities.ambient': CAP_KILL, CAP_NET_BIND_SERVICE not raised: only "
				"capabilities also permitted and inheritable can be");
	rt_spec_free(spec);
	/* nothing to say when every ambient capability can be raised */
	berr_clear(&w);
	spec = accepted("process.capabilities", "{\"bounding\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],"
						"\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}");
	rt_spec_warnings(spec, &w);
	cr_assert_str_eq(w.msg, "");
	rt_spec_free(spec);
}

/* The runtime's mount namespace may be inherited (chroot, nothing mounted): accepted, with a warning. */
Test(rt_spec, no_mount_namespace_is_a_warning)
{
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT, w = BERR_INIT;
	json_t *j = base();

	set(j, "linux.namespaces", "[{\"type\":\"pid\"},{\"type\":\"uts\"}]");
	set(j, "linux.maskedPaths", "[\"/proc/kcore\"]");
	cr_assert_eq(load(j, &spec, &e), 0, "%s", e.msg);
	cr_assert(!(spec->ns_all & CLONE_NEWNS));
	rt_spec_warnings(spec, &w);
	cr_assert(strstr(w.msg, "'mounts', 'linux.maskedPaths' not applied: 'linux.namespaces' has no mount namespace"),
		  "%s", w.msg);
	rt_spec_free(spec);
}

Test(rt_spec, mounts)
{
	refused("mounts", "{}", "'mounts' must be an array");
	refused("mounts", "[{\"type\":\"tmpfs\"}]", "'mounts[0].destination'");
	refused("mounts", "[{\"destination\":\"rel\",\"type\":\"tmpfs\"}]",
		"'mounts[0].destination' must be an absolute");
	refused("mounts", "[{\"destination\":\"/x\"}]", "'mounts[0].type' is required");
	refused("mounts", "[{\"destination\":\"/x\",\"type\":\"bind\"}]", "'mounts[0].source' is required for a bind");
	refused("mounts", "[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":[3]}]", "'mounts[0].options[0]'");
	refused("mounts", "[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":[\"idmap\"]}]",
		"mount option 'idmap' is not supported");
	refused("mounts", "[{\"destination\":\"/..\",\"type\":\"tmpfs\"}]", "must not be the container's root");
}

Test(rt_spec, mount_options_split)
{
	static const char mounts[] =
		"[{\"destination\":\"/a/../b//c/\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\","
		"\"ro\",\"mode=755\",\"size=1k\",\"rslave\",\"x-podman\",\"rw\",\"noexec\"]},"
		"{\"destination\":\"/"
		"d\",\"type\":\"none\",\"source\":\"data\",\"options\":[\"rbind\",\"rro\",\"nodev\"]}]";
	struct rt_spec *spec = accepted("mounts", mounts);

	cr_assert_str_eq(spec->mounts[0].destination, "/b/c");
	cr_assert_eq(spec->mounts[0].flags, MS_NOSUID | MS_NOEXEC);
	cr_assert_eq(spec->mounts[0].clear, MS_RDONLY);
	cr_assert_str_eq(spec->mounts[0].data, "mode=755,size=1k");
	cr_assert_eq(spec->mounts[0].propagation, MS_SLAVE | MS_REC);
	cr_assert(!spec->mounts[0].bind);
	cr_assert(spec->mounts[1].bind);
	cr_assert_eq(spec->mounts[1].flags, MS_BIND | MS_REC | MS_NODEV);
	cr_assert_neq(spec->mounts[1].rec_attr_set, 0);
	cr_assert(strstr(spec->mounts[1].source, bundle) == spec->mounts[1].source, "relative bind source: %s",
		  spec->mounts[1].source);
	rt_spec_free(spec);
}

Test(rt_spec, namespaces_and_maps)
{
	refused("linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"bogus\"}]",
		"'linux.namespaces[1].type': unknown namespace type 'bogus'");
	refused("linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"mount\"}]",
		"the mount namespace is listed twice");
	refused("linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"rel\"}]",
		"'linux.namespaces[1].path' must be an absolute path");
	refused("linux.uidMappings", "[{\"containerID\":0,\"hostID\":1000,\"size\":1}]", "need a new user namespace");
	refused("linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"uts\"}]",
		"'linux.uidMappings' is required");
	refused("linux.timeOffsets", "{\"boottime\":{\"secs\":1}}", "'linux.timeOffsets' needs a new time namespace");
	refused("linux.timeOffsets", "{\"realtime\":{\"secs\":1}}", "unknown key 'linux.timeOffsets.realtime'");
}

Test(rt_spec, user_namespace_ids)
{
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	json_t *j = base();

	set(j, "linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"uts\"},{\"type\":\"pid\"}]");
	set(j, "linux.uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
	set(j, "linux.gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
	set(j, "process.user", "{\"uid\":70000,\"gid\":0}");
	cr_assert_lt(load(j, &spec, &e), 0);
	cr_assert(strstr(e.msg, "'process.user.uid' 70000 is not mapped"), "%s", e.msg);
	j = base();
	set(j, "linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"uts\"}]");
	set(j, "linux.uidMappings", "[{\"containerID\":1,\"hostID\":100000,\"size\":10}]");
	set(j, "linux.gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":10}]");
	cr_assert_lt(load(j, &spec, &e), 0);
	cr_assert(strstr(e.msg, "must map container uid 0"), "%s", e.msg);
	j = base();
	set(j, "linux.namespaces", "[{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"uts\"},{\"type\":\"time\"}]");
	set(j, "linux.uidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
	set(j, "linux.gidMappings", "[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]");
	set(j, "linux.timeOffsets", "{\"monotonic\":{\"secs\":-5,\"nanosecs\":7}}");
	cr_assert_eq(load(j, &spec, &e), 0, "%s", e.msg);
	cr_assert_eq(spec->n_uid_maps, 1);
	cr_assert_eq(spec->uid_maps[0].host_id, 100000);
	cr_assert(spec->time_monotonic.set);
	cr_assert_eq(spec->time_monotonic.secs, -5);
	cr_assert(!spec->time_boottime.set);
	rt_spec_free(spec);
}

Test(rt_spec, linux_fields)
{
	refused("linux.sysctl", "{\"vm.swappiness\":\"1\"}", "'vm.swappiness' is not namespaced");
	refused("linux.sysctl", "{\"net.ipv4.../x\":\"1\"}", "invalid key");
	refused("linux.sysctl", "{\"net.ipv4.ip_forward\":1}", "'linux.sysctl.net.ipv4.ip_forward' must be a string");
	refused("linux.devices", "[{\"type\":\"x\",\"path\":\"/dev/x\"}]",
		"'linux.devices[0].type' must be c, b, u or p");
	refused("linux.devices", "[{\"type\":\"c\",\"path\":\"/dev/x\"}]", "'linux.devices[0]' needs major and minor");
	refused("linux.devices", "[{\"type\":\"c\",\"path\":\"dev/x\",\"major\":1,\"minor\":3}]",
		"'linux.devices[0].path' must be an absolute path");
	refused("linux.rootfsPropagation", "\"sideways\"", "'linux.rootfsPropagation': unknown propagation");
	refused("linux.maskedPaths", "[\"proc/kcore\"]", "'linux.maskedPaths[0]' must be an absolute path");
	refused("linux.readonlyPaths", "[7]", "'linux.readonlyPaths[0]'");
	refused("linux.cgroupsPath", "\"a/../b\"", "'linux.cgroupsPath' must not contain '..'");
	refused("linux.intelRdt", "{}", "'linux.intelRdt' is not supported");
	refused("linux.resources", "{\"memory\":{\"limit\":\"lots\"}}", "linux.resources.memory.limit");
}

Test(rt_spec, hooks)
{
	refused("hooks", "[]", "'hooks' must be an object");
	refused("hooks.prestart", "[{\"args\":[]}]", "'hooks.prestart[0].path'");
	refused("hooks.poststop", "[{\"path\":\"relative\"}]", "'hooks.poststop[0].path' must be an absolute path");
	refused("hooks.createRuntime", "[{\"path\":\"/bin/true\",\"timeout\":0}]", "'hooks.createRuntime[0].timeout'");
	refused("hooks.startContainer", "[{\"path\":\"/bin/true\",\"env\":[\"X\"]}]",
		"'hooks.startContainer[0].env[0]' must be KEY=VALUE");
}

Test(rt_spec, hostname_needs_uts)
{
	json_t *j = base();
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;

	set(j, "linux.namespaces", "[{\"type\":\"mount\"}]");
	cr_assert_lt(load(j, &spec, &e), 0);
	cr_assert(strstr(e.msg, "'hostname' needs a UTS namespace"), "%s", e.msg);
}

Test(rt_spec, network_annotations)
{
	struct rt_spec *spec = accepted(
		"annotations",
		"{\"berth.network\":\"blue\",\"berth.ip\":\"10.1.2.3\",\"berth.ports\":\"8080:80/tcp,53:53/udp\"}");
	cr_assert_str_eq(spec->network, "blue");
	cr_assert_str_eq(spec->net_ip, "10.1.2.3");
	cr_assert_str_eq(spec->net_ports[0], "8080:80/tcp");
	cr_assert_str_eq(spec->net_ports[1], "53:53/udp");
	cr_assert_null(spec->net_ports[2]);
	rt_spec_free(spec);
	refused("annotations", "{\"berth.network\":\"bad name!\"}", "annotation 'berth.network': invalid network name");
	refused("annotations", "{\"berth.network\":\"blue\",\"berth.ports\":\"80:99999\"}", "annotation 'berth.ports'");
	refused("annotations", "{\"berth.network\":\"blue\",\"berth.ip\":\"10.1\"}", "annotation 'berth.ip'");
}

Test(rt_spec, ipv6_network_annotations)
{
	struct rt_spec *spec =
		accepted("annotations", "{\"berth.network\":\"ds\",\"berth.ip\":\"10.1.2.3\",\"berth.ip6\":\"fd00::3\","
					"\"berth.ports\":\"[2001:db8::1]:8080:80,[::]:53:53/udp\"}");
	cr_assert_str_eq(spec->nets[0].ip6, "fd00::3");
	cr_assert_str_eq(spec->nets[0].ports[0], "[2001:db8::1]:8080:80/tcp");
	cr_assert_str_eq(spec->nets[0].ports[1], "[::]:53:53/udp");
	rt_spec_free(spec);
	spec = accepted("annotations", "{\"berth.networks\":\"[{\\\"network\\\":\\\"v6\\\",\\\"ip\\\":\\\"fd00::7\\\"},"
				       "{\\\"network\\\":\\\"ds\\\",\\\"ip6\\\":\\\"fd01::7\\\"}]\"}");
	cr_assert_str_eq(spec->nets[0].ip, "fd00::7", "ip takes either family");
	cr_assert_str_eq(spec->nets[1].ip6, "fd01::7");
	rt_spec_free(spec);
	refused("annotations", "{\"berth.network\":\"ds\",\"berth.ip6\":\"10.1.2.3\"}", "annotation 'berth.ip6'");
	refused("annotations", "{\"berth.ip6\":\"fd00::2\",\"berth.networks\":\"[{\\\"network\\\":\\\"b\\\"}]\"}",
		"give \"ip6\" in 'berth.networks'");
}

Test(rt_spec, several_networks)
{
	struct rt_spec *spec = accepted(
		"annotations", "{\"berth.networks\":\"[{\\\"network\\\":\\\"front\\\",\\\"ports\\\":[\\\"8080:80\\\"]},"
			       "{\\\"network\\\":\\\"back\\\",\\\"ip\\\":\\\"10.1.2.3\\\"},"
			       "{\\\"network\\\":\\\"mgmt\\\",\\\"ifname\\\":\\\"m0\\\","
			       "\\\"ports\\\":\\\"53:53/udp,54:54/udp\\\"}]\"}");
	cr_assert_eq(spec->n_nets, 3);
	cr_assert_str_eq(spec->network, "front", "the first network is the one older code reads");
	cr_assert_str_eq(spec->nets[0].ifname, "eth0");
	cr_assert_str_eq(spec->nets[0].ports[0], "8080:80/tcp");
	cr_assert_null(spec->nets[0].ip);
	cr_assert_str_eq(spec->nets[1].ifname, "eth1");
	cr_assert_str_eq(spec->nets[1].ip, "10.1.2.3");
	cr_assert_null(spec->nets[1].ports);
	cr_assert_str_eq(spec->nets[2].ifname, "m0");
	cr_assert_str_eq(spec->nets[2].ports[1], "54:54/udp");
	rt_spec_free(spec);

	/* berth.ports goes with the first network */
	spec = accepted("annotations",
			"{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\"},{\\\"network\\\":\\\"b\\\"}]\","
			"\"berth.ports\":\"81:80\"}");
	cr_assert_str_eq(spec->nets[0].ports[0], "81:80/tcp");
	cr_assert_null(spec->nets[1].ports);
	rt_spec_free(spec);
}

Test(rt_spec, several_networks_refused)
{
	refused("annotations", "{\"berth.network\":\"a\",\"berth.networks\":\"[{\\\"network\\\":\\\"b\\\"}]\"}",
		"exclude each other");
	refused("annotations", "{\"berth.ip\":\"10.0.0.2\",\"berth.networks\":\"[{\\\"network\\\":\\\"b\\\"}]\"}",
		"give \"ip\" in 'berth.networks'");
	refused("annotations", "{\"berth.networks\":\"[\"}", "annotation 'berth.networks':");
	refused("annotations", "{\"berth.networks\":\"[]\"}", "non-empty JSON array");
	refused("annotations", "{\"berth.networks\":\"[{\\\"ip\\\":\\\"10.0.0.2\\\"}]\"}",
		"annotation 'berth.networks'[0]");
	refused("annotations", "{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\",\\\"colour\\\":1}]\"}", "colour");
	refused("annotations",
		"{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\"},{\\\"network\\\":\\\"b\\\",\\\"ifname\\\":"
		"\\\"eth0\\\"}]\"}",
		"interface eth0 is used twice");
	refused("annotations",
		"{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\",\\\"ports\\\":[\\\"80:99999\\\"]}]\"}",
		"annotation 'berth.networks'[0].ports");
	refused("annotations", "{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\",\\\"ip\\\":\\\"10.1\\\"}]\"}",
		"annotation 'berth.networks'[0].ip");
	refused("annotations", "{\"berth.networks\":\"[{\\\"network\\\":\\\"bad name\\\"}]\"}", "invalid network name");
	refused("annotations",
		"{\"berth.networks\":\"[{\\\"network\\\":\\\"a\\\",\\\"ports\\\":[\\\"1:1\\\"]}]\",\"berth.ports\":\"2:"
		"2\"}",
		"give the ports once");
}

Test(rt_spec, reserved_id)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_id_validate("stacks", &e), -EINVAL);
	cr_assert(strstr(e.msg, "reserved"), "%s", e.msg);
	cr_assert_eq(rt_id_validate("stacks2", NULL), 0);
}

Test(rt_spec, network_needs_new_netns)
{
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	json_t *j = base();

	set(j, "annotations", "{\"berth.network\":\"blue\"}");
	set(j, "linux.namespaces",
	    "[{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}]");
	cr_assert_lt(load(j, &spec, &e), 0);
	cr_assert(strstr(e.msg, "joined by path"), "%s", e.msg);
}

Test(rt_spec, load_names_the_file)
{
	struct rt_spec *spec = NULL;
	struct berr e = BERR_INIT;
	char path[300];

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	cr_assert_eq(bfile_write_atomic(path, "{\"ociVersion\": ", 15, 0644, 0, NULL), 0);
	cr_assert_lt(rt_spec_load(bundle, &spec, &e), 0);
	cr_assert(strstr(e.msg, "config.json"), "%s", e.msg);
	cr_assert(strstr(e.msg, "invalid JSON"), "%s", e.msg);
	cr_assert_lt(rt_spec_load("/nonexistent/bundle", &spec, &e), 0);
	cr_assert(strstr(e.msg, "/nonexistent/bundle"), "%s", e.msg);
}

Test(rt_spec, ids)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_id_validate("c1", &e), 0);
	cr_assert_eq(rt_id_validate("a.b_c-d", &e), 0);
	cr_assert_lt(rt_id_validate("", &e), 0);
	cr_assert_lt(rt_id_validate("../x", &e), 0);
	cr_assert(strstr(e.msg, "invalid container id"), "%s", e.msg);
	cr_assert_lt(rt_id_validate("-x", &e), 0);
	cr_assert_lt(rt_id_validate("a/b", &e), 0);
	cr_assert_lt(rt_id_validate("a b", &e), 0);
}

Test(rt_spec, path_clean)
{
	static const char *const cases[][2] = {
		{"/", "/"},	    {"//a//b/", "/a/b"}, {"/a/./b", "/a/b"}, {"/a/../b", "/b"},
		{"/../../x", "/x"}, {"/a/b/..", "/a"},	 {"/a/..", "/"},     {"/.", "/"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = rt_path_clean(cases[i][0]);

		cr_assert_str_eq(c, cases[i][1], "clean(%s)", cases[i][0]);
		free(c);
	}
	cr_assert_str_eq(rt_path_rel("/a/b"), "a/b");
	cr_assert_str_eq(rt_path_rel("/"), ".");
}

Test(rt_spec, capabilities_by_name)
{
	cr_assert_eq(rt_cap_from_name("CAP_CHOWN"), 0);
	cr_assert_eq(rt_cap_from_name("CAP_NET_ADMIN"), 12);
	cr_assert_eq(rt_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	cr_assert_eq(rt_cap_from_name("NET_ADMIN"), -EINVAL);
	cr_assert_str_eq(rt_cap_name(21), "CAP_SYS_ADMIN");
	cr_assert_null(rt_cap_name(63));
	cr_assert_eq(rt_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
	cr_assert_eq(rt_rlimit_from_name("NOFILE"), -EINVAL);
}
