/* stack/stack_progress.c: the step-by-step report of up and down. */
#include <stdarg.h>
#include <stdio.h>

#include "stack/stack_int.h"

void stk_progress(const struct stack_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vfprintf(o->progress, fmt, ap);
	va_end(ap);
	fflush(o->progress);
}
