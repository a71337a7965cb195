/* berth: logging, for program boundaries and daemons only. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "berth";
static enum blog_level log_level = BLOG_INFO;
static int log_json;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void blog_init(const char *prog)
{
	if (prog)
		log_prog = prog;
}

void blog_set_level(enum blog_level level)
{
	log_level = level;
}

enum blog_level blog_get_level(void)
{
	return log_level;
}

int blog_parse_level(const char *s, enum blog_level *ret_level)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret_level = (enum blog_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*ret_level = BLOG_WARN;
		return 0;
	}
	return -EINVAL;
}

void blog_set_json(int json)
{
	log_json = !!json;
}

int blog_set_file(const char *path)
{
	int fd;

	if (!path) {
		if (log_fd != STDERR_FILENO)
			close(log_fd);
		log_fd = STDERR_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void blogv(enum blog_level level, const char *fmt, va_list ap)
{
	char msg[2048];
	char line[4096];
	int saved = errno;
	int n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_json) {
		struct timespec ts;
		char stamp[64];
		struct tm tm;
		json_t *o;
		char *s;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%09ldZ", stamp, ts.tv_nsec);
		o = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", line);
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
		free(s);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s%s\n", log_prog,
			     level == BLOG_ERROR   ? ""
			     : level == BLOG_WARN  ? "warning: "
			     : level == BLOG_DEBUG ? "debug: "
						   : "",
			     msg);
	}
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0 && write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report a failing log write */
	}
	errno = saved;
}

void blog(enum blog_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	blogv(level, fmt, ap);
	va_end(ap);
}
