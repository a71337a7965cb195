/*
 * OCI bundles: config.json parsed and validated as `berth create` does,
 * with its seccomp profile compiled (libseccomp, in memory), and a process
 * object as `berth exec --process FILE` reads it. No container is made.
 * The bundle is a scratch directory holding an empty "rootfs", so configs
 * with the usual root.path get past the root filesystem check.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonutil.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char bundle[PATH_MAX];

static void remove_bundle(void)
{
	char rootfs[PATH_MAX + 16];

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	rmdir(rootfs);
	rmdir(bundle);
}

static const char *scratch_bundle(void)
{
	char rootfs[PATH_MAX + 16];
	const char *tmp = getenv("TMPDIR");

	if (bundle[0])
		return bundle;
	snprintf(bundle, sizeof(bundle), "%s/berth-fuzz-spec.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(bundle))
		abort();
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	if (mkdir(rootfs, 0755) < 0)
		abort();
	atexit(remove_bundle);
	return bundle;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_json_ json_t *doc = NULL;
	struct rt_spec *spec = NULL;
	struct rt_process p;
	struct berr e = BERR_INIT;

	if (bjson_parse((const char *)data, size, &doc, NULL) < 0)
		return 0;
	if (rt_spec_from_json(doc, scratch_bundle(), &spec, &e) == 0) {
		struct rt_seccomp *sc = NULL;

		if (rt_seccomp_build(spec->seccomp, &sc, &e) == 0)
			rt_seccomp_free(sc);
		rt_spec_free(spec);
	}
	if (rt_process_parse(doc, "process", &p, &e) == 0)
		rt_process_clear(&p);
	return 0;
}
