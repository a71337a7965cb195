/*
 * berth's command line as engines pass it (runc-compatible options, ids,
 * signals). Input: the arguments separated by NUL bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli.h"
#include "runtime/signals.h"
#include "runtime/spec.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 0;
	struct rt_cli c;
	struct berr e = BERR_INIT;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "berth";
	for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
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
