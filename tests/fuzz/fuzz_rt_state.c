/*
 * A container's state.json as later berth invocations read it back from
 * --root (state, kill, delete, exec, list): it may be damaged or edited.
 * Read through rt_state_open, then every part commands use: the status,
 * the OCI state, the hook state, the recorded cgroup and hooks.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/spec.h"
#include "runtime/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX];
static char state_file[PATH_MAX + 32];

static void remove_root(void)
{
	char dir[PATH_MAX + 8];

	unlink(state_file);
	snprintf(dir, sizeof(dir), "%s/c1", root);
	rmdir(dir);
	rmdir(root);
}

static int setup(void)
{
	char dir[PATH_MAX + 8];
	const char *tmp = getenv("TMPDIR");

	if (root[0])
		return 0;
	snprintf(root, sizeof(root), "%s/berth-fuzz-state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/c1", root);
	if (mkdir(dir, 0700) < 0)
		return -1;
	snprintf(state_file, sizeof(state_file), "%s/state.json", dir);
	atexit(remove_root);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_state *st = NULL;
	struct berr e = BERR_INIT;
	int fd;

	if (setup() < 0)
		abort();
	fd = open(state_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (rt_state_open(root, "c1", false, &st, &e) == 0) {
		if (st->json) {
			enum rt_status s = rt_state_status(st);
			json_t *oci = NULL;
			struct rt_cgroup *cg = NULL;
			struct rt_hooks hooks = {0};
			char *hook_state;

			if (rt_state_oci_json(st, s, &oci, &e) == 0)
				json_decref(oci);
			hook_state = rt_state_hook_json_of(st, s);
			free(hook_state);
			if (rt_state_cgroup(st, &cg, &e) == 0)
				rt_cgroup_free(cg);
			/* rt_hooks_clear frees what a failed parse filled in too, as lifecycle.c relies on */
			(void)rt_hooks_parse(st->hooks_json, &hooks, &e);
			rt_hooks_clear(&hooks);
		}
		rt_state_free(st);
	}
	return 0;
}
