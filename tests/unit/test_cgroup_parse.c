/* runtime/cgroup*: linux.resources parsing, cgroupsPath validation, mount tables, the device program. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "runtime/cgroup/cgroup_internal.h"

static json_t *J(const char *s)
{
	json_t *v = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(bjson_parse(s, strlen(s), &v, &e), 0, "%s: %s", s, e.msg);
	return v;
}

/* Parse s as linux.resources; expect an error whose message names field. */
static void bad(const char *s, const char *field)
{
	_cleanup_json_ json_t *v = J(s);
	struct rt_cgroup_resources res;
	struct berr e = BERR_INIT;
	int r = rt_cgroup_resources_parse(v, &res, &e);

	cr_assert_lt(r, 0, "%s must be refused", s);
	cr_assert(strstr(e.msg, field), "%s: message '%s' must name %s", s, e.msg, field);
}

Test(cgroup_parse, full_resources)
{
	_cleanup_json_ json_t *v = J("{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728},"
				     "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1,3\","
				     "\"mems\":\"0\"},\"pids\":{\"limit\":64},\"blockIO\":{\"weight\":300},"
				     "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
				     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"wr\"},"
				     "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"m\"}],"
				     "\"hugepageLimits\":[],\"unified\":{}}");
	struct rt_cgroup_resources res;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_cgroup_resources_parse(v, &res, &e), 0, "%s", e.msg);
	cr_assert_eq(res.memory_limit, 67108864);
	cr_assert_eq(res.memory_reservation, 33554432);
	cr_assert_eq(res.memory_swap, 134217728);
	cr_assert_eq(res.cpu_shares, 512);
	cr_assert_eq(res.cpu_quota, 50000);
	cr_assert_eq(res.cpu_period, 100000);
	cr_assert_str_eq(res.cpuset_cpus, "0-1,3");
	cr_assert_str_eq(res.cpuset_mems, "0");
	cr_assert_eq(res.pids_limit, 64);
	cr_assert_eq(res.blkio_weight, 300);
	cr_assert(res.has_devices);
	cr_assert_eq(res.n_devices, 3);
	cr_assert(!res.devices[0].allow);
	cr_assert_eq(res.devices[0].type, 'a');
	cr_assert_eq(res.devices[0].major, -1);
	cr_assert_eq(res.devices[0].minor, -1);
	cr_assert_eq(res.devices[1].type, 'c');
	cr_assert_eq(res.devices[1].major, 1);
	cr_assert_eq(res.devices[1].minor, 3);
	cr_assert_str_eq(res.devices[1].access, "rw", "access is kept in canonical order");
	cr_assert_eq(res.devices[2].minor, -1);
	cr_assert_str_eq(res.devices[2].access, "m");
	rt_cgroup_resources_free(&res);
}

Test(cgroup_parse, absent_and_unlimited)
{
	_cleanup_json_ json_t *v = J("{\"memory\":{\"limit\":-1,\"swap\":-1},\"cpu\":{\"quota\":-1,\"shares\":0},"
				     "\"pids\":{\"limit\":-1}}");
	struct rt_cgroup_resources res;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_cgroup_resources_parse(NULL, &res, &e), 0);
	cr_assert_eq(res.memory_limit, 0);
	cr_assert(!res.has_devices);
	cr_assert_eq(rt_cgroup_resources_parse(v, &res, &e), 0, "%s", e.msg);
	cr_assert_eq(res.memory_limit, -1);
	cr_assert_eq(res.memory_swap, -1);
	cr_assert_eq(res.cpu_quota, -1);
	cr_assert_eq(res.cpu_shares, 0);
	cr_assert_eq(res.pids_limit, -1);
	rt_cgroup_resources_free(&res);
}

Test(cgroup_parse, empty_device_list_still_resets)
{
	_cleanup_json_ json_t *v = J("{\"devices\":[]}");
	struct rt_cgroup_resources res;

	cr_assert_eq(rt_cgroup_resources_parse(v, &res, NULL), 0);
	cr_assert(res.has_devices);
	cr_assert_eq(res.n_devices, 0);
	rt_cgroup_resources_free(&res);
}

Test(cgroup_parse, errors_name_the_field)
{
	bad("[]", "linux.resources");
	bad("{\"memory\":{\"limit\":0}}", "linux.resources.memory.limit");
	bad("{\"memory\":{\"limit\":-2}}", "linux.resources.memory.limit");
	bad("{\"memory\":{\"limit\":\"1G\"}}", "linux.resources.memory.limit");
	bad("{\"memory\":{\"reservation\":0}}", "linux.resources.memory.reservation");
	bad("{\"memory\":{\"limit\":100000000,\"swap\":1000}}", "linux.resources.memory.swap");
	bad("{\"memory\":{\"swap\":100000000}}", "linux.resources.memory.swap");
	bad("{\"memory\":7}", "linux.resources.memory");
	bad("{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares");
	bad("{\"cpu\":{\"shares\":300000}}", "linux.resources.cpu.shares");
	bad("{\"cpu\":{\"quota\":500}}", "linux.resources.cpu.quota");
	bad("{\"cpu\":{\"quota\":-7}}", "linux.resources.cpu.quota");
	bad("{\"cpu\":{\"period\":100}}", "linux.resources.cpu.period");
	bad("{\"cpu\":{\"period\":2000000}}", "linux.resources.cpu.period");
	bad("{\"cpu\":{\"cpus\":\"0-a\"}}", "linux.resources.cpu.cpus");
	bad("{\"cpu\":{\"cpus\":\"3-1\"}}", "linux.resources.cpu.cpus");
	bad("{\"cpu\":{\"mems\":\"0,\"}}", "linux.resources.cpu.mems");
	bad("{\"pids\":{\"limit\":-2}}", "linux.resources.pids.limit");
	bad("{\"pids\":{\"limit\":1.5}}", "linux.resources.pids.limit");
	bad("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight");
	bad("{\"blockIO\":{\"weight\":1001}}", "linux.resources.blockIO.weight");
	bad("{\"devices\":{}}", "linux.resources.devices");
	bad("{\"devices\":[7]}", "linux.resources.devices[0]");
	bad("{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow");
	bad("{\"devices\":[{\"allow\":true},{\"allow\":true,\"type\":\"x\"}]}", "linux.resources.devices[1].type");
	bad("{\"devices\":[{\"allow\":true,\"type\":\"cc\"}]}", "linux.resources.devices[0].type");
	bad("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}", "linux.resources.devices[0].access");
	bad("{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}", "linux.resources.devices[0].access");
	bad("{\"devices\":[{\"allow\":true,\"major\":-5}]}", "linux.resources.devices[0].major");
	bad("{\"devices\":[{\"allow\":true,\"minor\":4294967296}]}", "linux.resources.devices[0].minor");
	bad("{\"devices\":[{\"allow\":\"yes\"}]}", "linux.resources.devices[0].allow");
}

Test(cgroup_parse, default_devices_go_after_the_last_deny_all)
{
	_cleanup_json_ json_t *v = J("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
				     "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	struct rt_cgroup_resources res, none;
	bool null_allowed_at = false;
	size_t n;

	cr_assert_eq(rt_cgroup_resources_parse(v, &res, NULL), 0);
	cr_assert_eq(rt_cgroup_resources_add_default_devices(&res, NULL), 0);
	n = res.n_devices;
	cr_assert_gt(n, 5);
	cr_assert(!res.devices[0].allow && res.devices[0].type == 'a', "the deny-all stays first");
	for (size_t i = 1; i + 1 < n; i++)
		if (res.devices[i].allow && res.devices[i].major == 1 && res.devices[i].minor == 3)
			null_allowed_at = true;
	cr_assert(null_allowed_at, "/dev/null is among the defaults");
	cr_assert(!res.devices[n - 1].allow && res.devices[n - 1].major == 1 && res.devices[n - 1].minor == 3,
		  "the config's own deny of c 1:3 comes last and wins");
	rt_cgroup_resources_free(&res);

	memset(&none, 0, sizeof(none));
	cr_assert_eq(rt_cgroup_resources_add_default_devices(&none, NULL), 0);
	cr_assert_eq(none.n_devices, 0, "without a device list nothing is added (all allowed)");
}

static void path_ok(const char *in, const char *want)
{
	char *out = NULL;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_cgroup_path_parse(in, in ? strlen(in) : 0, "c1", &out, &e), 0, "%s: %s", in, e.msg);
	cr_assert_str_eq(out, want, "%s", in);
	free(out);
}

static void path_bad(const char *in, size_t len, const char *msg)
{
	char *out = NULL;
	struct berr e = BERR_INIT;

	cr_assert_lt(rt_cgroup_path_parse(in, len, "c1", &out, &e), 0, "'%s' must be refused", in);
	cr_assert(strstr(e.msg, msg), "'%s': message '%s' must say '%s'", in, e.msg, msg);
	cr_assert_null(out);
}

Test(cgroup_parse, cgroups_path)
{
	path_ok(NULL, "/berth/c1");
	path_ok("", "/berth/c1");
	path_ok("/a/b", "/a/b");
	path_ok("a/b", "a/b");
	path_ok("/a:b/c.d", "/a:b/c.d");
	path_bad("/a/../b", 7, "'..'");
	path_bad("..", 2, "'..'");
	path_bad("/a/./b", 6, "'.'");
	path_bad("/a//b", 5, "empty path component");
	path_bad("/a/", 3, "empty path component");
	path_bad("/", 1, "root cgroup");
	path_bad("/a\nb", 4, "control characters");
	path_bad("/a\0b", 4, "NUL");
}

Test(cgroup_parse, cgroups_path_systemd_form)
{
	path_ok("machine.slice:libpod:abc", "/machine.slice/libpod-abc.scope");
	path_ok("a-b.slice:p:n", "/a.slice/a-b.slice/p-n.scope");
	path_ok(":p:n", "/system.slice/p-n.scope");
	path_ok("-.slice:p:n", "/p-n.scope");
	path_ok("x.slice::n", "/x.slice/n.scope");
	path_ok("x.slice:p:x-y.slice", "/x.slice/x-y.slice");
	path_bad("bad:p:n", 7, "not a slice name");
	path_bad("a--b.slice:p:n", 14, "invalid slice name");
	path_bad("-a.slice:p:n", 12, "invalid slice name");
	path_bad("a.slice:p:", 10, "unit name is empty");
	path_bad("a:b", 3, "slice:prefix:name");
	path_bad("a.slice:p:n:x", 13, "slice:prefix:name");
	path_bad("a.slice:p:x/y", 13, "'/'");
}

Test(cgroup_parse, default_path_needs_a_sane_id)
{
	char *out = NULL;

	cr_assert_lt(rt_cgroup_path_parse(NULL, 0, "..", &out, NULL), 0);
	cr_assert_lt(rt_cgroup_path_parse(NULL, 0, "a/b", &out, NULL), 0);
	cr_assert_lt(rt_cgroup_path_parse(NULL, 0, "", &out, NULL), 0);
	cr_assert_lt(rt_cgroup_path_parse(NULL, 0, NULL, &out, NULL), 0);
}

Test(cgroup_parse, join)
{
	char *s = NULL;

	cr_assert_eq(cg_path_join("/", "a/b", &s, NULL), 0);
	cr_assert_str_eq(s, "/a/b");
	free(s);
	cr_assert_eq(cg_path_join("/x/y", "a", &s, NULL), 0);
	cr_assert_str_eq(s, "/x/y/a");
	free(s);
}

static const char hybrid_mountinfo[] = "23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
				       "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
				       "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
				       "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
				       "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
				       "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:5 - cgroup cgroup "
				       "rw,xattr,release_agent=/x,name=systemd\n"
				       "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
				       "99 31 0:32 / /mnt/mem\\040again rw,relatime - cgroup cgroup rw,memory\n";
static const char hybrid_proc[] = "9:name=systemd:/\n"
				  "4:memory:/process_api/331a\n"
				  "2:cpuacct:/\n"
				  "1:cpu:/\n"
				  "0::/\n";

static const struct cg_mount *mount_at(const struct cg_mounts *ms, const char *mnt)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].mount, mnt) == 0)
			return &ms->m[i];
	return NULL;
}

Test(cgroup_parse, mounts_hybrid)
{
	struct cg_mounts ms;
	const struct cg_mount *m;

	cr_assert_eq(cg_mounts_parse(hybrid_mountinfo, hybrid_proc, false, &ms, NULL), 0);
	cr_assert_eq(ms.n, 5, "the second mount of the memory hierarchy is not a new hierarchy");
	cr_assert_eq(cg_mounts_mode(&ms), RT_CGROUP_HYBRID);
	m = mount_at(&ms, "/sys/fs/cgroup/memory");
	cr_assert_not_null(m);
	cr_assert_eq(m->kind, CG_V1);
	cr_assert_str_eq(m->controllers, "memory");
	cr_assert_str_eq(m->own, "/process_api/331a");
	m = mount_at(&ms, "/sys/fs/cgroup/systemd");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->controllers, "name=systemd");
	m = mount_at(&ms, "/sys/fs/cgroup/unified");
	cr_assert_not_null(m);
	cr_assert_eq(m->kind, CG_V2);
	cr_assert_str_eq(m->own, "/");
	cr_assert_null(mount_at(&ms, "/sys/fs/cgroup/cpuset"), "no cpuset line in /proc/self/cgroup: not used");
	cg_mounts_free(&ms);
}

Test(cgroup_parse, mounts_v2_v1_and_subtree_roots)
{
	struct cg_mounts ms;
	const struct cg_mount *m;

	cr_assert_eq(cg_mounts_parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
				     "0::/user.slice/x.scope\n", false, &ms, NULL),
		     0);
	cr_assert_eq(cg_mounts_mode(&ms), RT_CGROUP_V2);
	cr_assert_str_eq(ms.m[0].own, "/user.slice/x.scope");
	cg_mounts_free(&ms);

	/* a container's view: the hierarchy mounted from a subdirectory */
	cr_assert_eq(cg_mounts_parse("30 23 0:26 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
				     "rw,cpu,cpuacct\n"
				     "31 23 0:27 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
				     "3:pids:/other\n2:cpu,cpuacct:/docker/abc/sub\n", false, &ms, NULL),
		     0);
	cr_assert_eq(cg_mounts_mode(&ms), RT_CGROUP_V1);
	m = mount_at(&ms, "/sys/fs/cgroup/cpu,cpuacct");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->controllers, "cpu,cpuacct");
	cr_assert_str_eq(m->own, "/sub");
	m = mount_at(&ms, "/sys/fs/cgroup/pids");
	cr_assert_not_null(m);
	cr_assert_null(m->own, "own cgroup outside the mounted subtree is unreachable");
	cg_mounts_free(&ms);
}

Test(cgroup_parse, mount_point_unescaped)
{
	struct cg_mounts ms;

	cr_assert_eq(cg_mounts_parse("99 31 0:32 / /mnt/a\\040b rw - cgroup cgroup rw,memory\n", "4:memory:/\n", false,
				     &ms, NULL),
		     0);
	cr_assert_eq(ms.n, 1);
	cr_assert_str_eq(ms.m[0].mount, "/mnt/a b");
	cg_mounts_free(&ms);
}

static const struct rt_cgroup_view *view(const struct rt_cgroup_view *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

Test(cgroup_parse, views_hybrid)
{
	struct rt_cgroup_view *v;
	const struct rt_cgroup_view *w;
	size_t n;

	cr_assert_eq(rt_cgroup_views_parse(hybrid_mountinfo, hybrid_proc, false, &v, &n, NULL), 0);
	cr_assert_eq(n, 5, "one per place below /sys/fs/cgroup, not the second memory mount");
	w = view(v, n, "memory");
	cr_assert_not_null(w);
	cr_assert_not(w->v2);
	cr_assert_str_eq(w->options, "memory");
	cr_assert_str_eq(w->own, "/sys/fs/cgroup/memory/process_api/331a");
	cr_assert_null(w->links[0]);
	w = view(v, n, "systemd");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->options, "none,name=systemd");
	cr_assert_str_eq(w->own, "/sys/fs/cgroup/systemd");
	w = view(v, n, "unified");
	cr_assert_not_null(w);
	cr_assert(w->v2);
	cr_assert_str_eq(w->options, "");
	cr_assert_str_eq(w->own, "/sys/fs/cgroup/unified");
	rt_cgroup_views_free(v, n);
}

Test(cgroup_parse, views_comounted_v2_and_subtrees)
{
	struct rt_cgroup_view *v;
	const struct rt_cgroup_view *w;
	size_t n;

	/* co-mounted controllers get links; a mount from a subtree maps the own path below it */
	cr_assert_eq(rt_cgroup_views_parse("30 23 0:26 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup "
					   "rw,cpu,cpuacct\n"
					   "31 23 0:27 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
					   "32 23 0:28 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup "
					   "rw,net_cls,net_prio\n"
					   "33 23 0:29 / /sys/fs/cgroup/cpu/deeper rw - cgroup cgroup rw,freezer\n"
					   "34 23 0:30 / /mnt/blkio rw - cgroup cgroup rw,blkio\n",
					   "5:blkio:/\n4:freezer:/\n3:pids:/other\n2:cpu,cpuacct:/docker/abc/sub\n"
					   "1:net_cls,net_prio:/x\n",
					   false, &v, &n, NULL),
		     0);
	cr_assert_eq(n, 3, "only mounts directly below /sys/fs/cgroup");
	w = view(v, n, "cpu,cpuacct");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->options, "cpu,cpuacct");
	cr_assert_str_eq(w->own, "/sys/fs/cgroup/cpu,cpuacct/sub");
	cr_assert_str_eq(w->links[0], "cpu");
	cr_assert_str_eq(w->links[1], "cpuacct");
	cr_assert_null(w->links[2]);
	w = view(v, n, "net_cls,net_prio");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->own, "/sys/fs/cgroup/net_cls,net_prio/x");
	cr_assert_str_eq(w->links[1], "net_prio");
	w = view(v, n, "pids");
	cr_assert_not_null(w);
	cr_assert_null(w->own, "own cgroup outside the mounted subtree");
	rt_cgroup_views_free(v, n);

	/* v2: the root itself */
	cr_assert_eq(rt_cgroup_views_parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
					   "0::/user.slice/x.scope\n", false, &v, &n, NULL),
		     0);
	cr_assert_eq(n, 1);
	cr_assert(v[0].v2);
	cr_assert_str_eq(v[0].name, "");
	cr_assert_str_eq(v[0].own, "/sys/fs/cgroup/user.slice/x.scope");
	rt_cgroup_views_free(v, n);
}

Test(cgroup_parse, cpu_lists)
{
	cr_assert(cg_valid_list("0"));
	cr_assert(cg_valid_list("0-3,5,7-8"));
	cr_assert(!cg_valid_list(""));
	cr_assert(!cg_valid_list("0,"));
	cr_assert(!cg_valid_list("a"));
	cr_assert(!cg_valid_list("1 2"));
	cr_assert(!cg_valid_list("-1"));
}

/* ---- the device program, run on a small interpreter of the instructions it uses */

static int run(const struct bpf_insn *p, size_t n, char type, int major, int minor, const char *acc)
{
	uint32_t ctx[3];
	uint64_t r[11] = {0};
	int access = 0;

	for (const char *c = acc; *c; c++)
		access |= *c == 'm' ? BPF_DEVCG_ACC_MKNOD : *c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
	ctx[0] = (uint32_t)access << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	ctx[1] = (uint32_t)major;
	ctx[2] = (uint32_t)minor;
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t imm = (uint64_t)(int64_t)i->imm;

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			cr_assert_eq(i->src_reg, 1);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			r[i->dst_reg] = r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = imm;
			break;
		case BPF_ALU64 | BPF_AND | BPF_K:
			r[i->dst_reg] &= imm;
			break;
		case BPF_ALU64 | BPF_RSH | BPF_K:
			r[i->dst_reg] >>= imm;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			if (r[i->dst_reg] == imm)
				pc += (size_t)(int64_t)i->off;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != imm)
				pc += (size_t)(int64_t)i->off;
			break;
		case BPF_JMP | BPF_JA:
			pc += (size_t)(int64_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			cr_assert_fail("unexpected opcode %#x at %zu", i->code, pc);
		}
		cr_assert_lt(pc + 1, n + 1, "jump out of the program");
	}
	cr_assert_fail("fell off the end of the program");
	return -1;
}

static int judge(const struct rt_cgroup_device_rule *rules, size_t n, char type, int major, int minor, const char *acc)
{
	struct bpf_insn *p = NULL;
	size_t len = 0;
	int v;

	cr_assert_eq(cg_bpf_devices_build(rules, n, &p, &len, NULL), 0);
	v = run(p, len, type, major, minor, acc);
	free(p);
	return v;
}

Test(cgroup_parse, device_program_semantics)
{
	const struct rt_cgroup_device_rule allow_all_but_null[] = {
		{true, 'a', -1, -1, "rwm"},
		{false, 'c', 1, 3, "rwm"},
	};
	const struct rt_cgroup_device_rule some[] = {
		{true, 'c', 1, -1, "rw"},
		{false, 'c', 1, 5, "w"},
		{true, 'b', 8, 0, "r"},
		{true, 'c', -1, -1, "m"},
	};
	const struct rt_cgroup_device_rule later_wins[] = {
		{false, 'c', 1, 3, "rwm"},
		{true, 'c', 1, 3, "rwm"},
	};
	const struct rt_cgroup_device_rule reset[] = {
		{true, 'c', 1, 3, "rwm"},
		{false, 'a', -1, -1, "rwm"},
		{true, 'c', 1, 9, "r"},
	};

	cr_assert_eq(judge(NULL, 0, 'c', 1, 3, "r"), 0, "an empty list denies all");
	cr_assert_eq(judge(allow_all_but_null, 2, 'c', 1, 3, "r"), 0);
	cr_assert_eq(judge(allow_all_but_null, 2, 'c', 1, 3, "m"), 0);
	cr_assert_eq(judge(allow_all_but_null, 2, 'c', 1, 5, "rw"), 1);
	cr_assert_eq(judge(allow_all_but_null, 2, 'b', 1, 3, "rw"), 1, "the deny names char devices only");

	cr_assert_eq(judge(some, 4, 'c', 1, 7, "rw"), 1);
	cr_assert_eq(judge(some, 4, 'c', 1, 5, "r"), 1, "deny of w leaves r");
	cr_assert_eq(judge(some, 4, 'c', 1, 5, "rw"), 0, "rw needs both");
	cr_assert_eq(judge(some, 4, 'b', 8, 0, "r"), 1);
	cr_assert_eq(judge(some, 4, 'b', 8, 0, "w"), 0);
	cr_assert_eq(judge(some, 4, 'b', 8, 1, "r"), 0);
	cr_assert_eq(judge(some, 4, 'c', 4, 64, "m"), 1);
	cr_assert_eq(judge(some, 4, 'b', 8, 0, "m"), 0, "mknod allowed for char devices only");

	cr_assert_eq(judge(later_wins, 2, 'c', 1, 3, "rw"), 1);
	cr_assert_eq(judge(reset, 3, 'c', 1, 3, "r"), 0, "a deny-all later in the list wipes earlier allows");
	cr_assert_eq(judge(reset, 3, 'c', 1, 9, "r"), 1);
	cr_assert_eq(judge(reset, 3, 'c', 1, 9, "w"), 0);
}

Test(cgroup_parse, memory_v1_extras_and_network)
{
	_cleanup_json_ json_t *v = J("{\"memory\":{\"swappiness\":0,\"disableOOMKiller\":true,\"kernelTCP\":4194304,"
				     "\"kernel\":4194304},\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":"
				     "\"lo\",\"priority\":10},{\"name\":\"eth0\",\"priority\":30}]}}");
	_cleanup_json_ json_t *unset = J("{\"memory\":{\"swappiness\":-1}}");
	struct rt_cgroup_resources res;
	struct berr e = BERR_INIT;

	cr_assert_eq(rt_cgroup_resources_parse(v, &res, &e), 0, "%s", e.msg);
	cr_assert(res.has_swappiness && res.memory_swappiness == 0, "swappiness 0 is a value, not unset");
	cr_assert(res.disable_oom_killer);
	cr_assert_eq(res.memory_kernel_tcp, 4194304);
	cr_assert(res.has_kernel_memory);
	cr_assert(res.has_net_classid && res.net_classid == 1048577);
	cr_assert_eq(res.n_net_prios, 2);
	cr_assert_str_eq(res.net_prios[1].ifname, "eth0");
	cr_assert_eq(res.net_prios[1].priority, 30);
	rt_cgroup_resources_free(&res);
	cr_assert_null(res.net_prios);
	/* -1 is how Go runtimes write an unset swappiness */
	cr_assert_eq(rt_cgroup_resources_parse(unset, &res, &e), 0, "%s", e.msg);
	cr_assert(!res.has_swappiness);
	rt_cgroup_resources_free(&res);
	bad("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness");
	bad("{\"memory\":{\"disableOOMKiller\":1}}", "linux.resources.memory.disableOOMKiller");
	bad("{\"memory\":{\"kernelTCP\":0}}", "linux.resources.memory.kernelTCP");
	bad("{\"network\":{\"classID\":-1}}", "linux.resources.network.classID");
	bad("{\"network\":{\"classID\":4294967296}}", "linux.resources.network.classID");
	bad("{\"network\":{\"priorities\":[{\"priority\":1}]}}", "linux.resources.network.priorities[0].name");
	bad("{\"network\":{\"priorities\":[{\"name\":\"lo\"}]}}", "linux.resources.network.priorities[0].priority");
	bad("{\"network\":{\"priorities\":[{\"name\":\"lo\",\"priority\":1},{\"name\":\"a/b\",\"priority\":1}]}}",
	    "linux.resources.network.priorities[1].name");
}

Test(cgroup_parse, kernel_memory_is_a_warning)
{
	_cleanup_json_ json_t *v = J("{\"memory\":{\"limit\":67108864,\"kernel\":4194304}}");
	struct rt_cgroup_resources res;
	struct berr w = BERR_INIT;

	cr_assert_eq(rt_cgroup_resources_parse(v, &res, NULL), 0);
	rt_cgroup_resources_warnings(&res, &w);
	cr_assert(
		strstr(w.msg, "'linux.resources.memory.kernel' is not applied: the kernel has no kernel memory limit"),
		"%s", w.msg);
	rt_cgroup_resources_free(&res);
}
