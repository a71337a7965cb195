/* IPAM: the allocation bitmap (next fit, exhaustion, reserved addresses, requested addresses, persistence). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "netd/engine/ipam.h"

static char dir[256], path[300];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/berth-ipam.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ipam", dir);
}

static void teardown(void)
{
	bfile_rm_rf(dir, NULL);
}

TestSuite(netd_ipam, .init = setup, .fini = teardown);

static uint32_t ip(const char *s)
{
	uint32_t a;

	cr_assert_eq(baddr_parse4(s, &a, NULL), 0);
	return a;
}

static struct ipam_def def(const char *cidr, const char *gw, const char *lo, const char *hi)
{
	struct ipam_def d = {0};

	cr_assert_eq(baddr_parse_cidr4(cidr, false, &d.subnet, NULL), 0);
	d.gateway = gw ? ip(gw) : 0;
	d.range_start = lo ? ip(lo) : 0;
	d.range_end = hi ? ip(hi) : 0;
	return d;
}

static struct ipam *fresh(const struct ipam_def *d)
{
	struct berr e = BERR_INIT;
	struct ipam *p = NULL;

	cr_assert_eq(ipam_create(path, d, NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam_open(path, d, &p, &e), 0, "%s", e.msg);
	return p;
}

static uint32_t take(struct ipam *p)
{
	uint32_t a = 0;

	cr_assert_eq(ipam_next(p, &a), 0);
	ipam_set(p, a, true);
	return a;
}

Test(netd_ipam, next_fit_skips_reserved_and_continues_after_the_last)
{
	struct ipam_def d = def("10.66.0.0/24", "10.66.0.1", NULL, NULL);
	struct ipam *p = fresh(&d);

	cr_assert(ipam_reserved(p, ip("10.66.0.0")));
	cr_assert(ipam_reserved(p, ip("10.66.0.1")));
	cr_assert(ipam_reserved(p, ip("10.66.0.255")));
	cr_assert_eq(take(p), ip("10.66.0.2"));
	cr_assert_eq(take(p), ip("10.66.0.3"));
	cr_assert_eq(take(p), ip("10.66.0.4"));
	ipam_clear(p, ip("10.66.0.3"));
	/* next fit: a freed address is not handed out again at once */
	cr_assert_eq(take(p), ip("10.66.0.5"));
	cr_assert_eq(ipam_capacity(p), 253);
	cr_assert_eq(ipam_used(p), 3);
	ipam_close(p);
}

Test(netd_ipam, exhaustion_and_wrap_around)
{
	struct ipam_def d = def("10.66.0.0/29", "10.66.0.1", NULL, NULL);
	struct ipam *p = fresh(&d);
	uint32_t a;

	/* /29: .0 network, .1 gateway, .7 broadcast: five addresses */
	cr_assert_eq(ipam_capacity(p), 5);
	for (int i = 2; i <= 6; i++)
		cr_assert_eq(take(p), ip("10.66.0.0") + (uint32_t)i);
	cr_assert_eq(ipam_next(p, &a), -ENOSPC);
	ipam_clear(p, ip("10.66.0.3"));
	/* wraps around to the only free one */
	cr_assert_eq(take(p), ip("10.66.0.3"));
	cr_assert_eq(ipam_next(p, &a), -ENOSPC);
	/* reserved addresses never come free */
	ipam_clear(p, ip("10.66.0.1"));
	cr_assert(ipam_test(p, ip("10.66.0.1")));
	ipam_close(p);
}

Test(netd_ipam, range_limits_automatic_allocation_only)
{
	struct ipam_def d = def("10.66.0.0/24", "10.66.0.1", "10.66.0.100", "10.66.0.101");
	struct ipam *p = fresh(&d);
	uint32_t a;

	cr_assert_eq(take(p), ip("10.66.0.100"));
	cr_assert_eq(take(p), ip("10.66.0.101"));
	cr_assert_eq(ipam_next(p, &a), -ENOSPC);
	/* a requested address outside the range is still known and tracked */
	cr_assert(ipam_in_subnet(p, ip("10.66.0.50")));
	cr_assert(!ipam_test(p, ip("10.66.0.50")));
	ipam_set(p, ip("10.66.0.50"), false);
	cr_assert(ipam_test(p, ip("10.66.0.50")));
	cr_assert(!ipam_in_subnet(p, ip("10.67.0.1")));
	ipam_close(p);
}

Test(netd_ipam, persists_and_rebuilds_from_records)
{
	struct ipam_def d = def("10.66.0.0/16", "10.66.0.1", NULL, NULL);
	struct ipam *p = fresh(&d);
	uint32_t used[] = {ip("10.66.0.9"), ip("10.66.3.4")};
	struct berr e = BERR_INIT;

	cr_assert_eq(take(p), ip("10.66.0.2"));
	cr_assert_eq(take(p), ip("10.66.0.3"));
	ipam_close(p);
	/* another process (here: a reopen) sees the same bits and continues after the last */
	cr_assert_eq(ipam_open(path, &d, &p, &e), 0, "%s", e.msg);
	cr_assert(ipam_test(p, ip("10.66.0.2")));
	cr_assert_eq(take(p), ip("10.66.0.4"));
	ipam_close(p);
	/* rebuilt from records: exactly those, next fit after the last given */
	cr_assert_eq(ipam_create(path, &d, used, 2, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam_open(path, &d, &p, &e), 0, "%s", e.msg);
	cr_assert(!ipam_test(p, ip("10.66.0.2")));
	cr_assert(ipam_test(p, ip("10.66.0.9")));
	cr_assert_eq(ipam_used(p), 2);
	cr_assert_eq(take(p), ip("10.66.3.5"));
	ipam_close(p);
}

Test(netd_ipam, mismatched_or_damaged_bitmaps_are_refused)
{
	struct ipam_def d = def("10.66.0.0/24", NULL, NULL, NULL);
	struct ipam_def other = def("10.67.0.0/24", NULL, NULL, NULL);
	struct berr e = BERR_INIT;
	struct ipam *p = fresh(&d);
	FILE *f;

	ipam_close(p);
	cr_assert_eq(ipam_open(path, &other, &p, &e), -EBADMSG);
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	cr_assert_eq(ipam_open(path, &d, &p, &e), -EBADMSG);
}

Test(netd_ipam, definitions_are_checked)
{
	struct berr e = BERR_INIT;
	struct ipam_def d;

	d = def("10.66.0.0/31", NULL, NULL, NULL);
	cr_assert_eq(ipam_def_check(&d, &e), -EINVAL);
	d = def("10.0.0.0/7", NULL, NULL, NULL);
	cr_assert_eq(ipam_def_check(&d, &e), -EINVAL);
	d = def("10.66.0.0/24", "10.66.1.1", NULL, NULL);
	cr_assert_eq(ipam_def_check(&d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "gateway"), "%s", e.msg);
	d = def("10.66.0.0/24", "10.66.0.255", NULL, NULL);
	cr_assert_eq(ipam_def_check(&d, &e), -EINVAL);
	d = def("10.66.0.0/24", NULL, "10.66.0.20", "10.66.0.10");
	cr_assert_eq(ipam_def_check(&d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "range"), "%s", e.msg);
}

Test(netd_ipam, a_large_fill_keeps_next_fit_order)
{
	struct ipam_def d = def("10.0.0.0/12", "10.0.0.1", NULL, NULL);
	struct ipam *p = fresh(&d);

	/* next fit: each search starts where the last ended (the benchmark measures the cost) */
	for (uint32_t i = 0; i < 100000; i++)
		cr_assert_eq(take(p), ip("10.0.0.2") + i);
	cr_assert_eq(ipam_used(p), 100000);
	ipam_close(p);
}

/* A bitmap whose header matches but whose bits were zeroed (a hand edit, a damaged disk). */
Test(netd_ipam, reserved_addresses_stay_reserved_in_a_zeroed_bitmap)
{
	struct ipam_def d = def("10.66.0.0/30", "10.66.0.1", NULL, NULL);
	struct berr e = BERR_INIT;
	struct ipam *p = fresh(&d);
	uint32_t a = 0;
	FILE *f;

	ipam_close(p);
	f = fopen(path, "r+");
	cr_assert(f);
	cr_assert_eq(fseek(f, 64, SEEK_SET), 0);
	cr_assert_eq(fputc(0, f), 0);
	fclose(f);
	cr_assert_eq(ipam_open(path, &d, &p, &e), 0, "%s", e.msg);
	cr_assert_eq(ipam_used(p), 0);
	cr_assert_eq(ipam_capacity(p), 1);
	cr_assert_eq(ipam_next(p, &a), 0);
	cr_assert_str_eq(baddr_fmt4(a, (char[16]){0}), "10.66.0.2", "handed out a reserved address");
	ipam_set(p, a, true);
	cr_assert_eq(ipam_next(p, &a), -ENOSPC);
	ipam_close(p);
}
