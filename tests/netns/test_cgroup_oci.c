/*
 * runtime/cgroup*: what the OCI runtime-tools suite checks in the cgroup
 * files (docs/robustness.md): device rules listed in the config's order,
 * the v1 memory extras, and linux.resources.network on a v1 net_cls /
 * net_prio hierarchy this test mounts in its own mount namespace.
 */
#include <sys/stat.h>

#include "cg_helpers.h"
#include "fileutil.h"

TestSuite(cgroup_oci, .init = tst_isolate, .fini = tst_teardown);

static struct rt_cgroup *create_with(const char *path, const char *res_json, bool defaults, struct berr *e)
{
	struct rt_cgroup_resources res;
	struct rt_cgroup *cg = NULL;
	_cleanup_json_ json_t *j = NULL;

	cr_assert_eq(bjson_parse(res_json, strlen(res_json), &j, e), 0, "%s", e->msg);
	cr_assert_eq(rt_cgroup_resources_parse(j, &res, e), 0, "%s", e->msg);
	if (defaults)
		cr_assert_eq(rt_cgroup_resources_add_default_devices(&res, e), 0);
	if (rt_cgroup_create(path, "t", &res, &cg, e) < 0)
		cg = NULL;
	rt_cgroup_resources_free(&res);
	return cg;
}

static char *read_file(const char *dir, const char *file)
{
	char path[1024], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	cr_assert_eq(bfile_read_all(path, 65536, &buf, &len, NULL), 0, "read %s", path);
	return buf;
}

Test(cgroup_oci, device_rules_listed_in_the_configs_order)
{
	struct berr e = BERR_INIT;
	struct rt_cgroup *cg =
		create_with(cgt_base("devorder"),
			    "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
			    "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"},"
			    "{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":20,\"access\":\"rw\"},"
			    "{\"allow\":true,\"type\":\"b\",\"major\":10,\"minor\":200,\"access\":\"r\"},"
			    "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"w\"}]}",
			    true, &e);
	const char *dir;
	char *list;

	cr_assert(cg, "%s", e.msg);
	dir = rt_cgroup_dir(cg, "devices");
	if (!dir || strstr(dir, "/unified")) {
		cgt_destroy(cg, NULL);
		cr_skip("no v1 devices hierarchy (devices.list exists on v1 only)");
	}
	list = read_file(dir, "devices.list");
	cr_assert_eq(strncmp(list, "c 10:229 rwm\nb 8:20 rw\nb 10:200 r\n", 34), 0,
		     "the config's rules first, in order:\n%s", list);
	/* the defaults follow, and the config's later deny still takes w from /dev/null */
	cr_assert(strstr(list, "\nc 1:3 rm\n"), "%s", list);
	cr_assert(strstr(list, "\nc 1:5 rwm\n"), "%s", list);
	free(list);
	cgt_destroy(cg, NULL);
}

Test(cgroup_oci, v1_memory_swappiness_oom_killer_kernel_tcp)
{
	struct berr e = BERR_INIT;
	struct rt_cgroup *cg = create_with(cgt_base("memx"),
					   "{\"memory\":{\"limit\":50593792,\"swappiness\":10,"
					   "\"disableOOMKiller\":true,\"kernelTCP\":50593792}}",
					   false, &e);
	const char *dir;
	char *s;

	cr_assert(cg, "%s", e.msg);
	dir = rt_cgroup_dir(cg, "memory");
	if (!dir || !cg_has_file(dir, "memory.swappiness")) {
		cgt_destroy(cg, NULL);
		cr_skip("the memory controller is not on a v1 hierarchy here");
	}
	s = read_file(dir, "memory.swappiness");
	cr_assert_str_eq(s, "10\n");
	free(s);
	s = read_file(dir, "memory.oom_control");
	cr_assert(strstr(s, "oom_kill_disable 1"), "%s", s);
	free(s);
	s = read_file(dir, "memory.kmem.tcp.limit_in_bytes");
	cr_assert_str_eq(s, "50593792\n");
	free(s);
	cgt_destroy(cg, NULL);
}

/* cgroups of the hierarchy, dying ones included (/proc/cgroups); -1 when not found */
static int net_cls_cgroups(void)
{
	FILE *f = fopen("/proc/cgroups", "re");
	char line[256], name[64];
	int hier, n, en, found = -1;

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %d %d %d", name, &hier, &n, &en) == 4 && strcmp(name, "net_cls") == 0)
			found = n;
	fclose(f);
	return found;
}

Test(cgroup_oci, network_on_v1_net_cls_and_net_prio)
{
	const char *res = "{\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"lo\",\"priority\":10}]}}";
	const char *mnt = tst_path("netcls");
	const char *base = cgt_base("net");
	struct berr e = BERR_INIT;
	struct rt_cgroup *cg;
	char *s;

	/* without the controllers: a clear refusal, nothing made */
	if (!bfile_exists("/sys/fs/cgroup/net_cls")) {
		cr_assert_null(create_with(base, res, false, &e));
		cr_assert(strstr(e.msg, "'linux.resources.network.classID': no cgroup v1 hierarchy has the net_cls "
					"controller"),
			  "%s", e.msg);
	}
	cr_assert_eq(mkdir(mnt, 0755), 0);
	if (mount("cgroup", mnt, "cgroup", 0, "net_cls,net_prio") < 0)
		cr_skip("cannot mount a v1 net_cls,net_prio hierarchy here: %s", strerror(errno));
	cg = create_with(base, res, false, &e);
	cr_assert(cg, "%s", e.msg);
	s = read_file(rt_cgroup_dir(cg, "net_cls"), "net_cls.classid");
	cr_assert_str_eq(s, "1048577\n");
	free(s);
	s = read_file(rt_cgroup_dir(cg, "net_prio"), "net_prio.ifpriomap");
	cr_assert(strstr(s, "lo 10\n"), "%s", s);
	free(s);
	/* the cgroup and the parents made for it go: the hierarchy then vanishes with the unmount */
	cgt_destroy(cg, base);
	/* net_prio names the host's interfaces */
	cr_assert_null(
		create_with(base, "{\"network\":{\"priorities\":[{\"name\":\"nope0\",\"priority\":1}]}}", false, &e));
	cr_assert(strstr(e.msg, "no interface 'nope0' on the host"), "%s", e.msg);
	/* a v1 hierarchy unmounted while removed cgroups are still dying stays behind (without a mount) */
	for (int i = 0; i < 500 && net_cls_cgroups() > 1; i++)
		cgt_sleep_ms(10);
	cr_assert_eq(umount2(mnt, 0), 0);
}
