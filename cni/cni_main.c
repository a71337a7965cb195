/*
 * berth-cni: the CNI plugin binary. A thin boundary over libberthcni: read
 * stdin, run, print the result (or the CNI error object) on stdout, a
 * diagnostic on stderr, and exit non-zero on failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni_conf.h"
#include "cni/cni_plugin.h"
#include "jsonutil.h"

extern char **environ;

static int read_stdin(char **ret, size_t *ret_len)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *grown;

			if (cap >= CNI_STDIN_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 16384;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* No stdin at all (closed) reads as empty: VERSION needs none. */
			if (errno == EBADF)
				break;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(4) | JSON_ENCODE_ANY);

	if (!s)
		return -ENOMEM;
	printf("%s\n", s);
	free(s);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

int main(void)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_free_ char *in = NULL;
	_cleanup_json_ json_t *out = NULL;
	const char *version = CNI_VERSION_LATEST_STR;
	size_t len = 0;
	int r;

	/*
	 * VERSION needs nothing from stdin, but a runtime may still write the
	 * config there: drain it so the writer never gets EPIPE. Only a terminal
	 * (someone trying it by hand) is not waited for.
	 */
	if (getenv("CNI_COMMAND") && strcmp(getenv("CNI_COMMAND"), "VERSION") == 0 && isatty(STDIN_FILENO)) {
		in = strdup("");
		r = in ? 0 : -ENOMEM;
	} else {
		r = read_stdin(&in, &len);
	}
	if (r < 0)
		r = cni_fail(&ce, r == -EFBIG ? CNI_ERR_DECODE : CNI_ERR_IO, r, "reading stdin: %s",
			     r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
	else
		r = cni_run(environ, in, len, &out, &version, &ce);
	if (r >= 0) {
		if (out && print_json(out) < 0) {
			fprintf(stderr, "berth-cni: writing the result failed\n");
			return 1;
		}
		return 0;
	}
	{
		_cleanup_json_ json_t *err = cni_error_json(&ce, version);

		if (err)
			print_json(err);
	}
	fprintf(stderr, "berth-cni: %s (code %u, %s)\n", berr_message(&ce.e), ce.code ? ce.code : CNI_ERR_INTERNAL,
		cni_code_name(ce.code ? ce.code : CNI_ERR_INTERNAL));
	return 1;
}
