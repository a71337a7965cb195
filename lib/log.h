/* berth: logging, for program boundaries and daemons only. */
#pragma once

#include <stdarg.h>

enum blog_level {
	BLOG_ERROR = 0,
	BLOG_WARN = 1,
	BLOG_INFO = 2,
	BLOG_DEBUG = 3,
};

/* Program name shown in text lines ("netd: ..."). */
void blog_init(const char *prog);
void blog_set_level(enum blog_level level);
enum blog_level blog_get_level(void);
/* Parse "error|warn|info|debug"; returns 0 or -EINVAL. */
int blog_parse_level(const char *s, enum blog_level *ret_level);
/* Write one JSON object per line instead of text. */
void blog_set_json(int json);
/* Log to this file (opened O_APPEND|O_CLOEXEC); NULL means stderr. Returns 0 or -errno. */
int blog_set_file(const char *path);

void blog(enum blog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void blogv(enum blog_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_error(...) blog(BLOG_ERROR, __VA_ARGS__)
#define log_warn(...) blog(BLOG_WARN, __VA_ARGS__)
#define log_info(...) blog(BLOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                                                 \
	do {                                                                                                           \
		if (blog_get_level() >= BLOG_DEBUG)                                                                    \
			blog(BLOG_DEBUG, __VA_ARGS__);                                                                 \
	} while (0)
