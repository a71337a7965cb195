/*
 * The allocation bitmap (<state>/networks/NAME/ipam) as the engine maps it
 * back from disk: after a crash, a full disk or a hand edit it may hold
 * anything. Whatever the file says, an address handed out must be a free
 * host address of the range, never the network, broadcast or gateway
 * address, and the counts must stay within the range.
 *
 * Input: byte 0 picks the prefix (/22 to /30), byte 1 whether there is a
 * gateway and a range and whether the header is taken verbatim, bytes 2-5
 * the gateway and range offsets; the rest is the file (a valid header is
 * written first unless verbatim).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netd/engine/ipam.h"

#define HDR 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[PATH_MAX];

static void remove_file(void)
{
	unlink(path);
}

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (path[0])
		return 0;
	snprintf(path, sizeof(path), "%s/berth-fuzz-ipam.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	atexit(remove_file);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_def d = {{0x0a010000, 0}, 0, 0, 0};
	struct berr e = BERR_INIT;
	struct ipam *ip = NULL;
	uint8_t *file;
	uint32_t nbits, a;
	size_t len;
	int fd;

	if (size < 6 || setup() < 0)
		return 0;
	d.subnet.prefix = (uint8_t)(22 + data[0] % 9);
	nbits = (uint32_t)1 << (32 - d.subnet.prefix);
	if (data[1] & 1)
		d.gateway = d.subnet.addr + 1 + data[2] % (nbits - 2);
	if (data[1] & 2) {
		uint32_t lo = 1 + data[3] % (nbits - 2), hi = 1 + data[4] % (nbits - 2);

		d.range_start = d.subnet.addr + (lo < hi ? lo : hi);
		d.range_end = d.subnet.addr + (lo < hi ? hi : lo);
	}
	if (ipam_def_check(&d, &e) < 0)
		return 0;
	len = HDR + ((size_t)nbits + 63) / 64 * 8;
	file = calloc(1, len);
	if (!file)
		return 0;
	memcpy(file, data + 6, size - 6 < len ? size - 6 : len);
	if (!(data[1] & 4)) {
		uint32_t hdr[4] = {d.subnet.addr, d.subnet.prefix, 0, nbits};

		memcpy(hdr + 2, file + 16, 4); /* "last" stays the fuzzer's */
		memcpy(file, "BIPAM001", 8);
		memcpy(file + 8, hdr, sizeof(hdr));
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, file, len) != (ssize_t)len)
		abort();
	close(fd);
	free(file);
	if (ipam_open(path, &d, &ip, &e) < 0)
		return 0;
	if (ipam_used(ip) > ipam_capacity(ip))
		__builtin_trap();
	for (int i = 0; i < 4 && ipam_next(ip, &a) == 0; i++) {
		uint32_t lo = d.range_start ? d.range_start : d.subnet.addr + 1;
		uint32_t hi = d.range_end ? d.range_end : d.subnet.addr + nbits - 2;

		if (!ipam_in_subnet(ip, a) || ipam_reserved(ip, a) || ipam_test(ip, a) || a < lo || a > hi)
			__builtin_trap(); /* an address that is not ours to hand out */
		ipam_set(ip, a, true);
	}
	ipam_clear(ip, d.subnet.addr + 1);
	ipam_close(ip);
	return 0;
}
