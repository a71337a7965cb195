/* runtime/cgroup/cgroup_bpf.c: the v2 device controller's BPF program. */
/*
 * The v2 device controller is a BPF_PROG_TYPE_CGROUP_DEVICE program: the
 * kernel calls it with (type, access, major, minor) on every open and mknod
 * of a device node by a task of the cgroup, and a return of 0 means EPERM.
 * The program is assembled here by hand (no libbpf), the way crun does.
 *
 * Semantics: the OCI list is read with the last matching rule winning and a
 * default of deny (the list starts with an implicit "deny all"). Each access
 * bit asked for (mknod, read, write) is judged on its own, so a request for
 * "rw" passes only when both bits are allowed; a rule matches a bit only if
 * its access string has that bit. Rules are emitted last to first, so the
 * first match in the program is the last in the list; a wildcard rule
 * (type a, any major, any minor) ends the scan for that bit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "runtime/cgroup/cgroup_internal.h"

#define INSN_MAX 65536

struct prog {
	struct bpf_insn *insn;
	size_t n, cap;
	bool oom;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n >= INSN_MAX || BARRAY_RESERVE(p->insn, p->cap, p->n + 1) < 0) {
		p->oom = true;
		return p->n;
	}
	p->insn[p->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return p->n++;
}

/* Point the jump at index at to target. */
static void patch(struct prog *p, size_t at, size_t target)
{
	if (!p->oom)
		p->insn[at].off = (int16_t)(target - at - 1);
}

enum {
	R_ACCESS_TYPE = 2,
	R_TYPE = 3,
	R_ACCESS = 4,
	R_MAJOR = 5,
	R_MINOR = 6,
	R_TMP = 7,
};

static bool rule_has(const struct rt_cgroup_device_rule *d, int bit)
{
	switch (bit) {
	case BPF_DEVCG_ACC_MKNOD:
		return strchr(d->access, 'm') != NULL;
	case BPF_DEVCG_ACC_READ:
		return strchr(d->access, 'r') != NULL;
	default:
		return strchr(d->access, 'w') != NULL;
	}
}

static void emit_ret(struct prog *p, int v)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, v);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* The checks for one access bit; allowed requests jump to the end of the block. */
static void emit_bit(struct prog *p, const struct rt_cgroup_device_rule *rules, size_t n, int bit)
{
	size_t skip_bit, allows[4096 + 16];
	size_t n_allows = 0;
	bool wildcard = false;

	/* r7 = access & bit; if (r7 == 0) skip the block */
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, R_TMP, 0, 0, bit);
	skip_bit = emit(p, BPF_JMP | BPF_JEQ | BPF_K, R_TMP, 0, 0, 0);
	for (size_t k = n; k-- > 0 && !wildcard;) {
		const struct rt_cgroup_device_rule *d = &rules[k];
		size_t jumps[3];
		size_t nj = 0;

		if (!rule_has(d, bit))
			continue;
		if (d->type != 'a')
			jumps[nj++] = emit(p, BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, 0,
					   d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		if (d->major >= 0)
			jumps[nj++] = emit(p, BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)d->major);
		if (d->minor >= 0)
			jumps[nj++] = emit(p, BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)d->minor);
		wildcard = nj == 0;
		if (d->allow) {
			if (n_allows < ARRAY_SIZE(allows))
				allows[n_allows++] = emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
		} else {
			emit_ret(p, 0);
		}
		for (size_t j = 0; j < nj; j++)
			patch(p, jumps[j], p->n);
	}
	/* no rule for this bit: the default deny */
	if (!wildcard)
		emit_ret(p, 0);
	for (size_t j = 0; j < n_allows; j++)
		patch(p, allows[j], p->n);
	patch(p, skip_bit, p->n);
}

int cg_bpf_devices_build(const struct rt_cgroup_device_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n,
			 struct berr *e)
{
	struct prog p = {NULL, 0, 0, false};
	static const int bits[] = {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE};

	if (n > 4096)
		return berr_set(e, -E2BIG, "more than 4096 device rules");
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; } */
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_ACCESS_TYPE, 1, 0, 0);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, R_TYPE, R_ACCESS_TYPE, 0, 0);
	emit(&p, BPF_ALU64 | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, R_ACCESS, R_ACCESS_TYPE, 0, 0);
	emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, 1, 4, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, R_MINOR, 1, 8, 0);
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		emit_bit(&p, rules, n, bits[i]);
	emit_ret(&p, 1);
	if (p.oom) {
		free(p.insn);
		return berr_set(e, -E2BIG, "device program too large");
	}
	/* jumps are 16-bit: a list long enough to overflow them is refused rather than miscompiled */
	if (p.n > 32767) {
		free(p.insn);
		return berr_set(e, -E2BIG, "device program too large (%zu instructions)", p.n);
	}
	*ret = p.insn;
	*ret_n = p.n;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct bpf_insn *insn, size_t n, int *ret_fd, struct berr *e)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insn;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) {
		int err = errno;
		_cleanup_free_ char *log = calloc(1, 65536);

		/* load again with the verifier's log, for a message that says why */
		if (log && err == EINVAL) {
			attr.log_buf = (uint64_t)(uintptr_t)log;
			attr.log_size = 65536;
			attr.log_level = 1;
			if (sys_bpf(BPF_PROG_LOAD, &attr) < 0)
				return berr_set(e, -err, "load the device program: %s: %.300s", strerror(err), log);
		}
		return berr_set(e, -err, "load the device program: %s", strerror(err));
	}
	*ret_fd = fd;
	return 0;
}

/* Programs already attached to the cgroup for devices (by an earlier apply). */
static int query(int cgfd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = *n;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return -errno;
	*n = attr.query.prog_cnt;
	return 0;
}

static void detach(int cgfd, uint32_t id)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	attr.open_flags = 0;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	(void)sys_bpf(BPF_PROG_DETACH, &attr);
	close(fd);
}

int cg_bpf_devices_attach(const char *dir, const struct rt_cgroup_device_rule *rules, size_t n, struct berr *e)
{
	_cleanup_free_ struct bpf_insn *insn = NULL;
	_cleanup_close_ int cgfd = -1, progfd = -1;
	uint32_t old[64];
	uint32_t n_old = ARRAY_SIZE(old);
	union bpf_attr attr;
	size_t n_insn = 0;
	int r;

	r = cg_bpf_devices_build(rules, n, &insn, &n_insn, e);
	if (r < 0)
		return r;
	cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return berr_errno(e, "open %s", dir);
	if (query(cgfd, old, &n_old) < 0)
		n_old = 0;
	r = load(insn, n_insn, &progfd, e);
	if (r < 0)
		return r;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)progfd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	/* MULTI: programs of the ancestors (systemd's, the engine's) keep running, all must allow */
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return berr_errno(e, "attach the device program to %s", dir);
	/* the new program is in place before the old ones go, so there is no moment without a filter */
	for (uint32_t i = 0; i < n_old && i < ARRAY_SIZE(old); i++)
		detach(cgfd, old[i]);
	return 0;
}
