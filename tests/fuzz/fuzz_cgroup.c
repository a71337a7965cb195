/*
 * cgroup inputs: a bundle's linux.cgroupsPath (absolute, relative, or
 * systemd's "slice:prefix:name"), and /proc/self/mountinfo with
 * /proc/self/cgroup, whose mount points and paths carry names other
 * programs chose (escaped spaces and all).
 *
 * Input: byte 0 picks the parser; for cgroupsPath the rest is the path; for
 * the mount tables the rest is mountinfo, a line "--", then /proc/self/cgroup.
 * A parsed cgroupsPath has no component that climbs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/cgroup_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berr e = BERR_INIT;
	char *buf;

	if (size < 1 || !(buf = fuzz_text(data + 1, size - 1)))
		return 0;
	if (data[0] & 1) {
		char *sep = strstr(buf, "\n--\n");
		struct cg_mounts ms;

		if (sep) {
			*sep = '\0';
			if (cg_mounts_parse(buf, sep + 4, false, &ms, &e) == 0) {
				(void)cg_mounts_mode(&ms);
				cg_mounts_free(&ms);
			}
		}
	} else {
		char *path = NULL;

		if (rt_cgroup_path_parse(buf, strlen(buf), "c1", &path, &e) == 0) {
			/* absolute, or relative to berth's own cgroup; never a component that climbs */
			char *copy = strdup(path), *save = NULL;

			for (char *c = copy ? strtok_r(copy, "/", &save) : NULL; c; c = strtok_r(NULL, "/", &save))
				if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
					__builtin_trap();
			if (strstr(path, "//"))
				__builtin_trap();
			free(copy);
			free(path);
		}
	}
	free(buf);
	return 0;
}
