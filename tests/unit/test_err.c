#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "err.h"

static int fails_deep(struct berr *e)
{
	return berr_set(e, -ENOENT, "network '%s' not found", "blue");
}

static int fails_mid(struct berr *e)
{
	int r = fails_deep(e);
	if (r < 0)
		return berr_wrap(e, r, "attach %s", "c1");
	return 0;
}

Test(err, carries_code_and_message)
{
	struct berr e = BERR_INIT;

	cr_assert_eq(fails_mid(&e), -ENOENT);
	cr_assert_eq(e.code, -ENOENT);
	cr_assert_str_eq(berr_message(&e), "attach c1: network 'blue' not found");
	cr_assert_str_eq(berr_errno_name(e.code), "ENOENT");
}

Test(err, null_context_is_accepted)
{
	cr_assert_eq(fails_mid(NULL), -ENOENT);
	cr_assert_eq(berr_set(NULL, EPERM, "x"), -EPERM);
}

Test(err, sys_appends_strerror)
{
	struct berr e = BERR_INIT;

	errno = EACCES;
	cr_assert_eq(berr_errno(&e, "open %s", "/x"), -EACCES);
	cr_assert_str_eq(e.msg, "open /x: Permission denied");
	cr_assert_eq(berr_sys(&e, -EEXIST, "create"), -EEXIST);
	cr_assert_str_eq(e.msg, "create: File exists");
}

Test(err, message_without_text)
{
	struct berr e = BERR_INIT;

	e.code = -EBUSY;
	cr_assert_str_eq(berr_message(&e), strerror(EBUSY));
	berr_clear(&e);
	cr_assert_eq(e.code, 0);
}
