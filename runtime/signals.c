/* runtime/signals.c: signal names. */
#include "runtime/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cleanup.h"

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT},	 {"ILL", SIGILL},   {"TRAP", SIGTRAP},
	{"ABRT", SIGABRT}, {"IOT", SIGIOT},	  {"BUS", SIGBUS},	 {"FPE", SIGFPE},   {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV},	  {"USR2", SIGUSR2},	 {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
	{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},	 {"CLD", SIGCHLD},  {"CONT", SIGCONT},
	{"STOP", SIGSTOP}, {"TSTP", SIGTSTP},	  {"TTIN", SIGTTIN},	 {"TTOU", SIGTTOU}, {"URG", SIGURG},
	{"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},	  {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO},	   {"POLL", SIGPOLL},	  {"PWR", SIGPWR},	 {"SYS", SIGSYS},
};

const char *rt_signal_name(int sig)
{
	static char buf[16];

	for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
		if (signals[i].sig == sig) {
			strcpy(buf, "SIG");
			strcat(buf, signals[i].name);
			return buf;
		}
	}
	return NULL;
}

int rt_signal_parse(const char *s, int *ret, struct berr *e)
{
	const char *name = s;
	uint64_t n;

	if (!s || !*s)
		return berr_set(e, -EINVAL, "empty signal");
	if (s[0] >= '0' && s[0] <= '9') {
		if (bparse_u64(s, 1, (uint64_t)SIGRTMAX, &n) < 0)
			return berr_set(e, -EINVAL, "invalid signal number '%s' (1-%d)", s, SIGRTMAX);
		*ret = (int)n;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
		if (strcasecmp(name, signals[i].name) == 0) {
			*ret = signals[i].sig;
			return 0;
		}
	}
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = strncasecmp(name, "RTMIN", 5) == 0;
		int base = min ? SIGRTMIN : SIGRTMAX;
		const char *off = name + 5;

		if (!*off) {
			*ret = base;
			return 0;
		}
		if ((min && off[0] == '+') || (!min && off[0] == '-')) {
			if (bparse_u64(off + 1, 0, (uint64_t)(SIGRTMAX - SIGRTMIN), &n) == 0) {
				*ret = min ? base + (int)n : base - (int)n;
				return 0;
			}
		}
	}
	return berr_set(e, -EINVAL, "unknown signal '%s'", s);
}
