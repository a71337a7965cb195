/* berth: error context carried from the failing call up to the program boundary. */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int berr_setv(struct berr *e, int code, const char *fmt, va_list ap)
{
	if (code > 0)
		code = -code;
	if (code == 0)
		code = -EIO;
	if (!e)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int berr_set(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = berr_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

/* Append ": strerror(code)" to the message set just before. */
static int append_strerror(struct berr *e, int code)
{
	size_t n;

	if (!e)
		return code;
	n = strlen(e->msg);
	if (n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(-code));
	return code;
}

int berr_sys(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = berr_setv(e, code, fmt, ap);
	va_end(ap);
	return append_strerror(e, code);
}

int berr_errno(struct berr *e, const char *fmt, ...)
{
	int code = errno ? -errno : -EIO;
	va_list ap;

	va_start(ap, fmt);
	berr_setv(e, code, fmt, ap);
	va_end(ap);
	return append_strerror(e, code);
}

int berr_wrap(struct berr *e, int code, const char *fmt, ...)
{
	char prefix[BERR_MSG_MAX];
	char old[BERR_MSG_MAX];
	va_list ap;

	if (code > 0)
		code = -code;
	if (code == 0)
		code = -EIO;
	if (!e)
		return code;
	if (e->code == 0)
		e->code = code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", berr_message(e));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	return code;
}

void berr_clear(struct berr *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

const char *berr_message(const struct berr *e)
{
	if (!e)
		return "unknown error";
	if (e->msg[0])
		return e->msg;
	if (e->code)
		return strerror(-e->code);
	return "success";
}

const char *berr_errno_name(int code)
{
	const char *name;

	if (code < 0)
		code = -code;
	name = strerrorname_np(code);
	return name ? name : "E?";
}

int berr_oom(struct berr *e)
{
	return berr_set(e, -ENOMEM, "out of memory");
}

void berr_append(struct berr *warn, const char *what, const struct berr *e)
{
	size_t n;

	if (!warn)
		return;
	n = strlen(warn->msg);
	snprintf(warn->msg + n, sizeof(warn->msg) - n, "%s%s%s%s", n ? "; " : "", what ? what : "", what ? ": " : "",
		 berr_message(e));
	if (!warn->code)
		warn->code = e->code ? e->code : -EIO;
}
