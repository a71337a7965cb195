/* runtime/seccomp.c: OCI linux.seccomp compiled to a BPF program. */
/*
 * OCI linux.seccomp compiled with libseccomp in the parent, exported as a
 * classic BPF program, and loaded in the child with a bare seccomp(2): the
 * child, between fork and exec, must not allocate (and libseccomp would).
 *
 * Decisions shared with runc (docs/cgroups.md, "seccomp"):
 *  - a syscall name libseccomp cannot resolve is skipped, so one profile
 *    serves kernels and architectures that lack some calls;
 *  - a rule whose action equals the default action is redundant and skipped;
 *  - conditions on distinct arguments are ANDed in one rule; when one
 *    argument index appears twice, each condition becomes its own rule (OR),
 *    since libseccomp cannot compare one argument twice in a rule;
 *  - SCMP_ACT_NOTIFY and listenerPath need a seccomp agent and are refused.
 */
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/seccomp.h"

#define W "linux.seccomp"
#define MAX_PROG (1024 * 1024)

#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

struct rt_seccomp {
	unsigned int flags;
	struct sock_fprog prog;
};

static void ctx_release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

void rt_seccomp_free(struct rt_seccomp *sc)
{
	if (!sc)
		return;
	free(sc->prog.filter);
	free(sc);
}

/* field names the action key, errno_field its errno key, for messages. */
static int parse_action(const char *name, const json_t *errno_ret, const char *field, const char *errno_field,
			uint32_t *ret, struct berr *e)
{
	int64_t err = EPERM;

	if (errno_ret && !json_is_null(errno_ret)) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
		    json_integer_value(errno_ret) > 4095)
			return berr_set(e, -EINVAL, "'%s' must be an errno number (0..4095)", errno_field);
		if (strcmp(name, "SCMP_ACT_ERRNO") != 0 && strcmp(name, "SCMP_ACT_TRACE") != 0)
			return berr_set(e, -EINVAL, "'%s' is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
					errno_field);
		err = json_integer_value(errno_ret);
	}
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*ret = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*ret = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*ret = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*ret = SCMP_ACT_ERRNO((uint16_t)err);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*ret = SCMP_ACT_TRACE((uint16_t)err);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*ret = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*ret = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return berr_set(e, -ENOTSUP,
				"'%s' SCMP_ACT_NOTIFY is not supported: berth has no seccomp agent (listenerPath)",
				field);
	else
		return berr_set(e, -EINVAL, "'%s' unknown seccomp action '%.64s'", field, name);
	return 0;
}

static int parse_arch(const char *name, const char *where, uint32_t *ret, struct berr *e)
{
	char low[32];
	size_t n;
	uint32_t a;

	/* OCI "SCMP_ARCH_X86_64" is libseccomp's "x86_64" */
	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || (n = strlen(name + 10)) == 0 || n >= sizeof(low))
		return berr_set(e, -EINVAL, "'%s' unknown architecture '%.64s'", where, name);
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[10 + i]);
	a = seccomp_arch_resolve_name(low);
	if (a == 0)
		return berr_set(e, -EINVAL, "'%s' unknown architecture '%.64s'", where, name);
	*ret = a;
	return 0;
}

static int parse_flags(const json_t *arr, unsigned int *ret, struct berr *e)
{
	size_t i;
	json_t *f;

	*ret = 0;
	json_array_foreach ((json_t *)arr, i, f) {
		const char *s = json_string_value(f);

		if (!s)
			return berr_set(e, -EINVAL, "'" W ".flags[%zu]' must be a string", i);
		if (strcmp(s, "SECCOMP_FILTER_FLAG_LOG") == 0)
			*ret |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(s, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			*ret |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(s, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			*ret |= SECCOMP_FILTER_FLAG_TSYNC;
		else if (strcmp(s, "SECCOMP_FILTER_FLAG_NEW_LISTENER") == 0 ||
			 strcmp(s, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			return berr_set(e, -ENOTSUP, "'" W ".flags[%zu]' %s needs a seccomp agent, which berth lacks",
					i, s);
		else
			return berr_set(e, -EINVAL, "'" W ".flags[%zu]' unknown flag '%.64s'", i, s);
	}
	return 0;
}

static int parse_op(const char *s, enum scmp_compare *ret)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{"SCMP_CMP_NE", SCMP_CMP_NE},
		{"SCMP_CMP_LT", SCMP_CMP_LT},
		{"SCMP_CMP_LE", SCMP_CMP_LE},
		{"SCMP_CMP_EQ", SCMP_CMP_EQ},
		{"SCMP_CMP_GE", SCMP_CMP_GE},
		{"SCMP_CMP_GT", SCMP_CMP_GT},
		{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(s, ops[i].name) == 0) {
			*ret = ops[i].op;
			return 0;
		}
	}
	return -EINVAL;
}

static int get_u64(const json_t *o, const char *key, const char *where, bool required, uint64_t *ret, struct berr *e)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			return berr_set(e, -EINVAL, "missing required key '%s.%s'", where, key);
		*ret = 0;
		return 0;
	}
	/* jansson stores integers as signed 64-bit: values past 2^63 arrive negative and mean the same bits */
	if (!json_is_integer(v))
		return berr_set(e, -EINVAL, "'%s.%s' must be an integer", where, key);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_args(const json_t *args, const char *where, struct scmp_arg_cmp *cmps, size_t *ret_n, bool *ret_dup,
		      struct berr *e)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
	unsigned seen = 0;
	size_t i;
	json_t *a;

	*ret_dup = false;
	if (json_array_size(args) > 6 * 4)
		return berr_set(e, -E2BIG, "'%s.args' has too many conditions", where);
	json_array_foreach ((json_t *)args, i, a) {
		char w[96];
		const char *op = NULL;
		int64_t index = 0;
		uint64_t value, two;
		int r;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if ((r = bjson_check_keys(a, keys, w, e)) < 0)
			return r;
		r = bjson_get_int(a, "index", w, 0, 5, &index, e);
		if (r < 0)
			return r;
		if (r == 0)
			return berr_set(e, -EINVAL, "missing required key '%s.index'", w);
		if ((r = get_u64(a, "value", w, true, &value, e)) < 0 ||
		    (r = get_u64(a, "valueTwo", w, false, &two, e)) < 0)
			return r;
		if ((r = bjson_req_str(a, "op", w, &op, e)) < 0)
			return r;
		if (parse_op(op, &cmps[i].op) < 0)
			return berr_set(e, -EINVAL, "'%s.op' unknown operator '%.64s'", w, op);
		cmps[i].arg = (unsigned)index;
		/* libseccomp's MASKED_EQ takes the mask first; OCI gives it as value */
		cmps[i].datum_a = value;
		cmps[i].datum_b = two;
		if (seen & (1u << index))
			*ret_dup = true;
		seen |= 1u << index;
	}
	*ret_n = i;
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, uint32_t def, const json_t *sc, size_t idx, struct berr *e)
{
	static const char *const keys[] = {"names",   "action",	  "errnoRet", "args",
					   "comment", "includes", "excludes", NULL};
	char w[64];
	const char *action = NULL;
	json_t *names = NULL, *args = NULL, *name;
	struct scmp_arg_cmp cmps[24];
	size_t n_cmps = 0, i;
	uint32_t act;
	bool dup = false;
	int r;

	snprintf(w, sizeof(w), W ".syscalls[%zu]", idx);
	if ((r = bjson_check_keys(sc, keys, w, e)) < 0)
		return r;
	if ((r = bjson_get_arr(sc, "names", w, &names, e)) < 0)
		return r;
	if (r == 0 || json_array_size(names) == 0)
		return berr_set(e, -EINVAL, "'%s.names' must list at least one syscall", w);
	if ((r = bjson_req_str(sc, "action", w, &action, e)) < 0)
		return r;
	{
		char aw[80], ew[80];

		snprintf(aw, sizeof(aw), "%s.action", w);
		snprintf(ew, sizeof(ew), "%s.errnoRet", w);
		r = parse_action(action, json_object_get(sc, "errnoRet"), aw, ew, &act, e);
		if (r < 0)
			return r;
	}
	if ((r = bjson_get_arr(sc, "args", w, &args, e)) < 0)
		return r;
	if (args && (r = parse_args(args, w, cmps, &n_cmps, &dup, e)) < 0)
		return r;
	json_array_foreach (names, i, name) {
		const char *s = json_string_value(name);
		int nr;

		if (!s || !*s)
			return berr_set(e, -EINVAL, "'%s.names[%zu]' must be a syscall name", w, i);
		if (act == def)
			continue;
		nr = seccomp_syscall_resolve_name(s);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (!dup) {
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned)n_cmps, n_cmps ? cmps : NULL);
		} else {
			r = 0;
			for (size_t k = 0; k < n_cmps && r == 0; k++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[k]);
		}
		if (r < 0)
			return berr_sys(e, r, "'%s': rule for '%s'", w, s);
	}
	return 0;
}

/* libseccomp writes the program to an fd; a memfd keeps it off the file system. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, struct berr *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct sock_filter *buf = NULL;
	off_t size;
	ssize_t n;
	int r;

	fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return berr_errno(e, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berr_sys(e, r, "export the seccomp program");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size > MAX_PROG || size % (off_t)sizeof(struct sock_filter) != 0)
		return berr_set(e, -EINVAL, "the exported seccomp program has a bad size (%lld)", (long long)size);
	if ((size_t)size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berr_set(e, -E2BIG, "the seccomp program has %zu instructions, more than the kernel's %d",
				(size_t)size / sizeof(struct sock_filter), BPF_MAXINSNS);
	buf = malloc((size_t)size);
	if (!buf)
		return berr_oom(e);
	n = pread(fd, buf, (size_t)size, 0);
	if (n != size)
		return berr_set(e, -EIO, "read back the seccomp program");
	prog->len = (unsigned short)((size_t)size / sizeof(struct sock_filter));
	prog->filter = TAKE_PTR(buf);
	return 0;
}

int rt_seccomp_build(const json_t *seccomp, struct rt_seccomp **ret, struct berr *e)
{
	static const char *const keys[] = {"defaultAction", "defaultErrnoRet",	"architectures", "flags",
					   "listenerPath",  "listenerMetadata", "syscalls",	 NULL};
	_cleanup_(ctx_release) scmp_filter_ctx ctx = NULL;
	const char *def_name = NULL, *listener = NULL;
	json_t *arr = NULL, *v;
	struct rt_seccomp *sc;
	unsigned int flags = 0;
	uint32_t def;
	size_t i;
	int r;

	if (!seccomp || json_is_null(seccomp)) {
		*ret = NULL;
		return 0;
	}
	if ((r = bjson_check_keys(seccomp, keys, W, e)) < 0)
		return r;
	if ((r = bjson_get_str(seccomp, "listenerPath", W, &listener, e)) < 0)
		return r;
	if (listener && *listener)
		return berr_set(e, -ENOTSUP, "'" W ".listenerPath' is not supported: berth has no seccomp agent");
	if ((r = bjson_req_str(seccomp, "defaultAction", W, &def_name, e)) < 0)
		return r;
	r = parse_action(def_name, json_object_get(seccomp, "defaultErrnoRet"), W ".defaultAction",
			 W ".defaultErrnoRet", &def, e);
	if (r < 0)
		return r;
	if ((r = bjson_get_arr(seccomp, "flags", W, &arr, e)) < 0)
		return r;
	if (arr && (r = parse_flags(arr, &flags, e)) < 0)
		return r;
	ctx = seccomp_init(def);
	if (!ctx)
		return berr_set(e, -ENOMEM, "seccomp_init failed");
	/* the bpf is loaded by hand: libseccomp's own NNP handling does not apply */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* a binary tree of syscalls instead of a linear list: shorter paths for long profiles */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	arr = NULL;
	if ((r = bjson_get_arr(seccomp, "architectures", W, &arr, e)) < 0)
		return r;
	json_array_foreach (arr, i, v) {
		char w[64];
		uint32_t a = 0;
		const char *s = json_string_value(v);

		snprintf(w, sizeof(w), W ".architectures[%zu]", i);
		if (!s)
			return berr_set(e, -EINVAL, "'%s' must be a string", w);
		if ((r = parse_arch(s, w, &a, e)) < 0)
			return r;
		r = seccomp_arch_add(ctx, a);
		if (r < 0 && r != -EEXIST)
			return berr_sys(e, r, "'%s' %s", w, s);
	}
	arr = NULL;
	if ((r = bjson_get_arr(seccomp, "syscalls", W, &arr, e)) < 0)
		return r;
	json_array_foreach (arr, i, v) {
		if (!json_is_object(v))
			return berr_set(e, -EINVAL, "'" W ".syscalls[%zu]' must be an object", i);
		if ((r = add_rules(ctx, def, v, i, e)) < 0)
			return r;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return berr_oom(e);
	r = export_bpf(ctx, &sc->prog, e);
	if (r < 0) {
		free(sc);
		return r;
	}
	sc->flags = flags;
	*ret = sc;
	return 0;
}

int rt_seccomp_apply(const struct rt_seccomp *sc)
{
	long r;

	if (!sc)
		return 0;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &sc->prog);
	if (r < 0)
		return -errno;
	/* with TSYNC, a positive result is the thread that could not be synchronised */
	if (r > 0)
		return -ESRCH;
	return 0;
}
