/*
 * berth's command line as engines pass it (runc-compatible options, ids,
 * signals). Input: the arguments separated by NUL bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/cli.h"
#include "runtime/signals.h"
#include "runtime/spec.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_text(data, size), *argv[MAX_ARGS + 2];
	struct rt_cli c;
	struct berr e = BERR_INIT;
	int argc;

	if (!buf)
		return 0;
	argc = fuzz_args("berth", buf, size, argv, MAX_ARGS);
	if (rt_cli_parse(argc, argv, &c, &e) == 0) {
		int sig;

		if (c.id)
			(void)rt_id_validate(c.id, &e);
		if (c.signal)
			(void)rt_signal_parse(c.signal, &sig, &e);
		rt_cli_clear(&c);
	}
	free(buf);
	return 0;
}
