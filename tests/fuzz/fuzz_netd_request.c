/*
 * netd's request lines, as any root client on the socket sends them:
 * parsed and validated into a typed request, never executed here.
 */
#include <stdint.h>

#include "netd/daemon/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req q;
	struct berr e = BERR_INIT;

	if (req_parse((const char *)data, size, &q, &e) == 0) {
		/* a name the reply and the log can print */
		if (!req_op_name(q.op))
			__builtin_trap();
		req_free(&q);
	}
	return 0;
}
