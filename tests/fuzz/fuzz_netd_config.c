/* netd's configuration file (/etc/berth/netd.json), over the built-in defaults. */
#include <stdint.h>

#include "netd/daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c = {0};
	struct berr e = BERR_INIT;

	if (cfg_defaults(&c, &e) < 0)
		return 0;
	(void)cfg_parse(&c, (const char *)data, size, &e);
	cfg_free(&c);
	return 0;
}
