/* Unit tests of lib's shared helpers: growable arrays, byte buffers, MAC addresses, warnings, 128-bit numbers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "err.h"
#include "mac.h"
#include "strv.h"
#include "u128.h"

Test(lib_array, grows_geometrically_and_keeps_contents)
{
	int *v = NULL;
	size_t n = 0, cap = 0, last_cap = 0, grows = 0;

	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(BARRAY_RESERVE(v, cap, n + 1), 0);
		if (cap != last_cap)
			grows++, last_cap = cap;
		v[n++] = i;
	}
	cr_assert_lt(grows, 20);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(v[i], i);
	free(v);
}

Test(lib_array, overflow_leaves_array_unchanged)
{
	char *v = NULL;
	size_t cap = 0;

	cr_assert_eq(BARRAY_RESERVE(v, cap, 4), 0);
	char *before = v;
	cr_assert_eq(barray_grow(&v, &cap, SIZE_MAX, 16), -EOVERFLOW);
	cr_assert_eq(v, before);
	free(v);
}

Test(lib_buf, append_printf_steal)
{
	struct bbuf b = BBUF_INIT;
	size_t len;
	char *s;

	cr_assert_eq(bbuf_append(&b, "ab", 2), 0);
	cr_assert_eq(bbuf_printf(&b, "-%d-%s", 42, "x"), 0);
	cr_assert_str_eq(b.p, "ab-42-x");
	s = bbuf_steal(&b, &len);
	cr_assert_str_eq(s, "ab-42-x");
	cr_assert_eq(len, 7);
	cr_assert_null(b.p);
	free(s);
	s = bbuf_steal(&b, &len);
	cr_assert_str_eq(s, "");
	free(s);
}

static int pipe_with(const char *data, size_t n)
{
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], data, n), (ssize_t)n);
	close(p[1]);
	return p[0];
}

Test(lib_buf, read_all_and_limit)
{
	static char big[20000];
	char *out = NULL;
	size_t len = 0;
	int fd;

	memset(big, 'z', sizeof(big) - 1);
	fd = pipe_with(big, 10000);
	cr_assert_eq(bfd_read_all(fd, 10000, &out, &len), 0);
	cr_assert_eq(len, 10000);
	cr_assert_eq(out[9999], 'z');
	cr_assert_eq(out[10000], 0);
	free(out);
	close(fd);
	fd = pipe_with(big, 10001);
	cr_assert_eq(bfd_read_all(fd, 10000, &out, &len), -EFBIG);
	close(fd);
	fd = pipe_with("", 0);
	cr_assert_eq(bfd_read_all(fd, 10, &out, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(out, "");
	free(out);
	close(fd);
}

Test(lib_mac, parse_and_format)
{
	uint8_t m[6];
	char buf[BMAC_STRLEN];

	cr_assert_eq(bmac_parse("02:42:AC:11:00:0f", m), 0);
	cr_assert_str_eq(bmac_fmt(m, buf), "02:42:ac:11:00:0f");
	cr_assert(!bmac_is_multicast(m));
	cr_assert_eq(bmac_parse("01:00:5e:00:00:01", m), 0);
	cr_assert(bmac_is_multicast(m));
	cr_assert_eq(bmac_parse("02:42:ac:11:00", m), -EINVAL);
	cr_assert_eq(bmac_parse("02-42-ac-11-00-02", m), -EINVAL);
	cr_assert_eq(bmac_parse(" 2:42:ac:11:00:02", m), -EINVAL);
	cr_assert_eq(bmac_parse("02:42:ac:11:00:0g", m), -EINVAL);
	cr_assert_eq(bmac_parse("02:42:ac:11:00:022", m), -EINVAL);
}

Test(lib_err, append_accumulates_and_keeps_first_code)
{
	struct berr warn = BERR_INIT, e = BERR_INIT;

	berr_set(&e, -ENOENT, "first");
	berr_append(&warn, NULL, &e);
	berr_set(&e, -EBUSY, "second");
	berr_append(&warn, "net0", &e);
	berr_append(NULL, "ignored", &e);
	cr_assert_str_eq(warn.msg, "first; net0: second");
	cr_assert_eq(warn.code, -ENOENT);
	cr_assert_eq(berr_oom(&e), -ENOMEM);
	cr_assert_str_eq(e.msg, "out of memory");
}

Test(lib_strv, free_n_accepts_null_entries)
{
	char **v = calloc(3, sizeof(char *));

	v[0] = strdup("a");
	strv_free_n(v, 3);
	strv_free(NULL);
	strv_free_n(NULL, 4);
}

Test(lib_u128, big_endian_and_ipv6_round_trip)
{
	struct in6_addr a = {.s6_addr = {0xfd, 0, 0, 0x66, [14] = 0x12, [15] = 0x34}}, b;
	uint8_t key[4] = {0x0a, 0x42, 0x00, 0x01};
	bu128 v = bu128_of6(&a);

	cr_assert(v >> 120 == 0xfd);
	cr_assert((v & 0xffff) == 0x1234);
	b = bu128_addr6(v + 0x100);
	cr_assert_eq(b.s6_addr[14], 0x13);
	cr_assert_eq(memcmp(a.s6_addr, b.s6_addr, 14), 0);
	b = bu128_addr6(~(bu128)0);
	cr_assert_eq(b.s6_addr[0], 0xff);
	cr_assert_eq(b.s6_addr[15], 0xff);

	cr_assert(bu128_get(key, 4) == 0x0a420001);
	bu128_put(key, 4, 0x0a430000);
	cr_assert_eq(memcmp(key, "\x0a\x43\x00\x00", 4), 0);
	bu128_put(key, 2, 0x12345);
	cr_assert_eq(memcmp(key, "\x23\x45", 2), 0, "only the low bytes are stored");
}
