/* The etcd client's encoders: base64 both ways and the range end of a key prefix. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netd/fabric/etcd.h"

Test(fabric_etcd_codec, base64_round_trip)
{
	static const char *const cases[][2] = {
		{"", ""},	 {"f", "Zg=="},	       {"fo", "Zm8="},
		{"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"/berth/a", "L2JlcnRoL2E="},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *enc = etcd_b64_encode(cases[i][0], strlen(cases[i][0])), *dec;
		size_t len;

		cr_assert_str_eq(enc, cases[i][1]);
		cr_assert(etcd_b64_decode(enc, &dec, &len) == 0);
		cr_assert_eq(len, strlen(cases[i][0]));
		cr_assert_str_eq(dec, cases[i][0]);
		free(enc);
		free(dec);
	}
	{
		unsigned char bin[256];
		char *enc, *dec;
		size_t len;

		for (int i = 0; i < 256; i++)
			bin[i] = (unsigned char)i;
		enc = etcd_b64_encode(bin, sizeof(bin));
		cr_assert(etcd_b64_decode(enc, &dec, &len) == 0);
		cr_assert_eq(len, sizeof(bin));
		cr_assert(memcmp(dec, bin, len) == 0);
		free(enc);
		free(dec);
	}
}

Test(fabric_etcd_codec, base64_rejects_garbage)
{
	char *dec;

	cr_assert_eq(etcd_b64_decode("abc", &dec, NULL), -EINVAL);
	cr_assert_eq(etcd_b64_decode("ab!d", &dec, NULL), -EINVAL);
	cr_assert_eq(etcd_b64_decode("a=bc", &dec, NULL), -EINVAL);
	cr_assert_eq(etcd_b64_decode("ab==abcd", &dec, NULL), -EINVAL);
}

Test(fabric_etcd_codec, prefix_end)
{
	char *end;
	size_t len;

	cr_assert(etcd_prefix_end("/berth/", &end, &len) == 0);
	cr_assert_str_eq(end, "/berth0");
	cr_assert_eq(len, 7);
	free(end);
	cr_assert(etcd_prefix_end("a\xff", &end, &len) == 0);
	cr_assert_str_eq(end, "b");
	free(end);
	cr_assert(etcd_prefix_end("", &end, &len) == 0);
	cr_assert_eq(len, 1);
	cr_assert_eq(end[0], '\0');
	free(end);
}
