/* berth: error context carried from the failing call up to the program boundary. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define BERR_MSG_MAX 1024

/*
 * Functions return 0 or a negative errno. When they fail they may also fill
 * a struct berr with a human-readable message; only the program boundary
 * (daemon reply, CNI error JSON, CLI stderr) prints it. A NULL struct berr
 * pointer is always accepted: the caller then only gets the errno.
 */
struct berr {
	int code;		/* negative errno, 0 when no error */
	char msg[BERR_MSG_MAX]; /* empty when no message was set */
};

#define BERR_INIT                                                                                                      \
	{                                                                                                              \
		0, ""                                                                                                  \
	}

/* Set the error (replacing any previous one) and return code (negative). */
int berr_set(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int berr_setv(struct berr *e, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Like berr_set, with ": strerror(-code)" appended. */
int berr_sys(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Use errno (captured first) as the code; returns -errno. */
int berr_errno(struct berr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Prefix the existing message with context ("creating bridge: <old>") and
 * return code, the error being passed up (e->code is set to it when unset).
 */
int berr_wrap(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* berr_oom(e): returns -ENOMEM. */
int berr_oom(struct berr *e);

/*
 * Accumulate a warning in warn (NULL: ignored): append "; [what: ]message of
 * e", and keep the first code (-EIO when e has none). For the clean-ups that
 * go on after a failure and report everything that went wrong at the end.
 */
void berr_append(struct berr *warn, const char *what, const struct berr *e);

/* Forget any error. */
void berr_clear(struct berr *e);

/* The message, or strerror of the code when no message was set. Never NULL. */
const char *berr_message(const struct berr *e);

/* Symbolic name of an errno ("EEXIST"), or "E?" when unknown. */
const char *berr_errno_name(int code);
