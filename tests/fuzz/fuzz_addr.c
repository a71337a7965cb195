/* Address, CIDR and published-port specs: every string a user or a config can hand us. */
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];
	struct bportspec p;
	struct bcidr4 c;
	uint32_t a;
	uint64_t v;
	char out[64];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (bportspec_parse(s, &p, NULL) == 0) {
		struct bportspec q;

		/* what we print must parse back to the same thing */
		bportspec_fmt(&p, out, sizeof(out));
		if (bportspec_parse(out, &q, NULL) != 0 || memcmp(&p, &q, sizeof(p)) != 0)
			__builtin_trap();
	}
	if (baddr_parse_cidr4(s, true, &c, NULL) == 0)
		baddr_fmt_cidr4(&c, out);
	if (baddr_parse4(s, &a, NULL) == 0) {
		uint32_t b;

		baddr_fmt4(a, out);
		if (baddr_parse4(out, &b, NULL) != 0 || a != b)
			__builtin_trap();
	}
	(void)bparse_u64(s, 0, UINT64_MAX, &v);
	(void)bname_valid(s, 64);
	(void)bifname_valid(s);
	return 0;
}
