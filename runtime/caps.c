/* runtime/caps.c: capability names and the OCI capability sets. */
#include "runtime/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int rt_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++) {
		if (strcmp(name, cap_names[i]) == 0)
			return (int)i;
	}
	return -EINVAL;
}

const char *rt_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

int rt_cap_last(void)
{
	static int last = -1;

	/*
	 * Probed with PR_CAPBSET_READ (EINVAL past the kernel's last capability),
	 * never read from /proc/sys/kernel/cap_last_cap: berth exec runs this after
	 * joining the container, where root can mount a file over that path and
	 * keep capabilities out of the bounding set berth clears.
	 */
	int lo = 0, hi = RT_CAP_MAX;

	if (last >= 0)
		return last;
	/* the known capabilities are 0..last: a binary search takes 6 probes where counting up took 41 */
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;

		if (prctl(PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	last = lo;
	return last;
}

int rt_caps_parse_list(const json_t *arr, const char *where, uint64_t *ret, struct berr *e)
{
	uint64_t mask = 0;
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return berr_set(e, -EINVAL, "'%s' must be an array of capability names", where);
	json_array_foreach ((json_t *)arr, i, v) {
		int cap;

		if (!json_is_string(v))
			return berr_set(e, -EINVAL, "'%s[%zu]' must be a string", where, i);
		cap = rt_cap_from_name(json_string_value(v));
		if (cap < 0)
			return berr_set(e, -EINVAL, "'%s[%zu]': unknown capability '%s'", where, i,
					json_string_value(v));
		mask |= 1ULL << cap;
	}
	*ret = mask;
	return 0;
}

int rt_caps_drop_bounding(const struct rt_caps *caps, struct berr *e)
{
	int last = rt_cap_last();

	for (int cap = 0; cap <= last; cap++) {
		if (caps->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return berr_errno(e, "drop %s from the bounding set", rt_cap_name(cap) ?: "capability");
	}
	return 0;
}

int rt_caps_apply(const struct rt_caps *caps, struct berr *e)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	int last = rt_cap_last();
	uint64_t known = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	uint64_t eff = caps->effective & known, perm = caps->permitted & known, inh = caps->inheritable & known;
	uint64_t raisable = caps->ambient & perm & inh;

	memset(data, 0, sizeof(data));
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return berr_errno(e, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berr_errno(e, "clear ambient capabilities");
	for (int cap = 0; cap <= last; cap++) {
		if (!(raisable & (1ULL << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return berr_errno(e, "raise ambient %s", rt_cap_name(cap) ?: "capability");
	}
	return 0;
}

void rt_caps_warnings(const struct rt_caps *caps, const char *where, struct berr *warn)
{
	uint64_t lost = caps->ambient & ~(caps->permitted & caps->inheritable);
	struct berr w = BERR_INIT;
	char names[512] = "";
	size_t n = 0;

	if (!lost)
		return;
	for (int cap = 0; cap <= RT_CAP_MAX && n < sizeof(names); cap++) {
		if (lost & (1ULL << cap))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
					      rt_cap_name(cap) ?: "?");
	}
	berr_set(&w, -EPERM,
		 "'%s.capabilities.ambient': %s not raised: only capabilities also permitted and inheritable can be",
		 where, names);
	berr_append(warn, NULL, &w);
}
