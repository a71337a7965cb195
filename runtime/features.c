/* runtime/features.c: `berth features` (what this runtime supports, as runc reports it) and `berth spec`. */
#include "runtime/features.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/caps.h"
#include "runtime/namespaces.h"

static const char *const mount_options[] = {
	"async",      "atime",	     "bind",	"defaults",   "dev",	       "diratime", "dirsync",	  "exec",
	"iversion",   "lazytime",    "loud",	"mand",	      "noatime",       "nodev",	   "nodiratime",  "noexec",
	"noiversion", "nolazytime",  "nomand",	"norelatime", "nostrictatime", "nosuid",   "nosymfollow", "private",
	"ratime",     "rbind",	     "rdev",	"rdiratime",  "relatime",      "remount",  "rexec",	  "rnoatime",
	"rnodev",     "rnodiratime", "rnoexec", "rnosuid",    "rnosymfollow",  "ro",	   "rprivate",	  "rrelatime",
	"rro",	      "rrw",	     "rshared", "rslave",     "rstrictatime",  "rsuid",	   "rsymfollow",  "runbindable",
	"rw",	      "shared",	     "silent",	"slave",      "strictatime",   "suid",	   "symfollow",	  "sync",
	"unbindable", NULL,
};

static const char *const seccomp_actions[] = {
	"SCMP_ACT_ALLOW",	 "SCMP_ACT_ERRNO",	 "SCMP_ACT_KILL",
	"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	"SCMP_ACT_TRACE",	 "SCMP_ACT_TRAP",	 NULL,
};

static const char *const seccomp_operators[] = {
	"SCMP_CMP_EQ", "SCMP_CMP_GE",	     "SCMP_CMP_GT", "SCMP_CMP_LE",
	"SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

static const char *const seccomp_archs[] = {
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",	  "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390X",
	"SCMP_ARCH_X32",     "SCMP_ARCH_X86",	  "SCMP_ARCH_X86_64",  NULL,
};

static json_t *str_array(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int rt_features_json(json_t **ret, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *ns = json_array(), *caps = json_array(), *hooks = json_array();
	int r = 0;

	if (!ns || !caps || !hooks) {
		json_decref(ns);
		json_decref(caps);
		json_decref(hooks);
		return berr_oom(e);
	}
	for (int i = 0; i < RT_NS_COUNT; i++)
		json_array_append_new(ns, json_string(rt_ns_oci_name(rt_ns_types[i])));
	for (int c = 0; rt_cap_name(c); c++)
		json_array_append_new(caps, json_string(rt_cap_name(c)));
	for (int k = 0; k < RT_HOOK_KINDS; k++)
		json_array_append_new(hooks, json_string(rt_hook_kind_name(k)));
	j = json_pack("{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b},s:{s:b,s:o,s:o,s:o},s:{s:b},s:{s:b}},s:{s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", hooks, "mountOptions",
		      str_array(mount_options), "linux", "namespaces", ns, "capabilities", caps, "cgroup", "v1", 1,
		      "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1, "actions",
		      str_array(seccomp_actions), "operators", str_array(seccomp_operators), "archs",
		      str_array(seccomp_archs), "apparmor", "enabled", 0, "selinux", "enabled", 0, "annotations",
		      "org.berth.runtime.version", RT_VERSION);
	if (!j || r)
		return berr_oom(e);
	*ret = TAKE_PTR(j);
	return 0;
}

static const char default_spec[] =
	"{\n"
	"  \"ociVersion\": \"1.0.2\",\n"
	"  \"process\": {\n"
	"    \"terminal\": false,\n"
	"    \"user\": {\"uid\": 0, \"gid\": 0},\n"
	"    \"args\": [\"sh\"],\n"
	"    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
	"    \"cwd\": \"/\",\n"
	"    \"capabilities\": {\n"
	"      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
	"      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
	"    },\n"
	"    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
	"    \"noNewPrivileges\": true\n"
	"  },\n"
	"  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	"  \"hostname\": \"berth\",\n"
	"  \"mounts\": [\n"
	"    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	"     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},\n"
	"    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
	"    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
	"    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
	"     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
	"  ],\n"
	"  \"linux\": {\n"
	"    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
	"    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
	"    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
	"    \"namespaces\": [\n"
	"      {\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},\n"
	"      {\"type\": \"mount\"}, {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}\n"
	"    ],\n"
	"    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", "
	"\"/proc/latency_stats\",\n"
	"      \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", "
	"\"/proc/scsi\"],\n"
	"    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
	"\"/proc/sysrq-trigger\"]\n"
	"  }\n"
	"}\n";

const char *rt_default_spec(void)
{
	return default_spec;
}
