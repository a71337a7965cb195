/* runtime/cmd/spec.c: `berth spec [--bundle DIR]`: write a default config.json (never over an existing one). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "runtime/cmd/cmd.h"
#include "runtime/features.h"
#include "runtime/path.h"

int cmd_spec(struct cmd_ctx *x, struct berr *e)
{
	_cleanup_free_ char *path = rt_path_join(x->cli->bundle ? x->cli->bundle : ".", "config.json");
	const char *s = rt_default_spec();
	_cleanup_close_ int fd = -1;

	if (!path)
		return berr_oom(e);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return berr_errno(e, "create %s", path);
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		return berr_errno(e, "write %s", path);
	return 0;
}
