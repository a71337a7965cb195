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

#include "buf.h"
#include "cni/cni_conf.h"
#include "cni/cni_plugin.h"
#include "jsonutil.h"

extern char **environ;

/* All of stdin; no stdin at all (closed) reads as empty: VERSION needs none. */
static int read_stdin(char **ret, size_t *ret_len)
{
	int r = bfd_read_all(STDIN_FILENO, CNI_STDIN_MAX, ret, ret_len);

	if (r != -EBADF)
		return r;
	*ret_len = 0;
	*ret = strdup("");
	return *ret ? 0 : -ENOMEM;
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
