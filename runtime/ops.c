/* runtime/ops.c: state, list, ps, pause and resume. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "runtime/container.h"

int rt_print_state(const char *root, const char *id, FILE *out, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;
	int r;

	r = rt_state_open(root, id, false, &st, e);
	if (r < 0)
		return r;
	r = rt_state_oci_json(st, rt_state_status(st), &j, e);
	if (r < 0)
		return r;
	s = json_dumps(j, JSON_INDENT(2));
	if (!s)
		return berr_oom(e);
	fprintf(out, "%s\n", s);
	return 0;
}

int rt_print_list(const char *root, const char *format, FILE *out, struct berr *e)
{
	_cleanup_json_ json_t *arr = NULL;
	char **ids = NULL;
	size_t n = 0;
	bool json = format && strcmp(format, "json") == 0;
	int r;

	if (format && !json && strcmp(format, "table") != 0)
		return berr_set(e, -EINVAL, "--format must be table or json, not '%s'", format);
	r = rt_state_list(root, &ids, &n, e);
	if (r < 0)
		return r;
	arr = json_array();
	if (!json)
		fprintf(out, "%-24s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	for (size_t i = 0; i < n; i++) {
		struct rt_state *st = NULL;
		enum rt_status status;

		if (rt_state_open(root, ids[i], false, &st, NULL) == 0) {
			status = rt_state_status(st);
			if (json) {
				json_t *o = json_pack(
					"{s:s,s:i,s:s,s:s,s:s,s:s,s:O?,s:s}", "id", st->id, "pid",
					status == RT_STATUS_STOPPED || !st->json ? 0 : (int)st->pid, "status",
					rt_status_name(status), "bundle", st->bundle ? st->bundle : "", "rootfs",
					st->rootfs ? st->rootfs : "", "created", st->created ? st->created : "",
					"annotations", st->annotations, "owner", "");

				if (o)
					json_array_append_new(arr, o);
			} else {
				fprintf(out, "%-24s %-8d %-10s %-40s %s\n", st->id,
					status == RT_STATUS_STOPPED || !st->json ? 0 : (int)st->pid,
					rt_status_name(status), st->bundle ? st->bundle : "",
					st->created ? st->created : "");
			}
			rt_state_free(st);
		}
		free(ids[i]);
	}
	free(ids);
	if (json) {
		_cleanup_free_ char *s = json_dumps(arr, JSON_COMPACT);

		if (!s)
			return berr_oom(e);
		fprintf(out, "%s\n", s);
	}
	return 0;
}

static void read_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n - 1; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
}

int rt_print_ps(const char *root, const char *id, const char *format, FILE *out, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct rt_cgroup *cg = NULL;
	bool json = format && strcmp(format, "json") == 0;
	size_t n = 0;
	int r;

	if (format && !json && strcmp(format, "table") != 0)
		return berr_set(e, -EINVAL, "--format must be table or json, not '%s'", format);
	r = rt_state_open(root, id, false, &st, e);
	if (r < 0)
		return r;
	if (rt_state_status(st) == RT_STATUS_STOPPED)
		return berr_set(e, -ESRCH, "container '%s' is not running", id);
	r = rt_state_cgroup(st, &cg, e);
	if (r < 0)
		return r;
	if (!cg)
		return berr_set(e, -ENOENT, "container '%s' has no cgroup", id);
	r = rt_cgroup_pids(cg, &pids, &n, e);
	rt_cgroup_free(cg);
	if (r < 0)
		return r;
	if (json) {
		fputc('[', out);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%d", i ? "," : "", (int)pids[i]);
		fputs("]\n", out);
		return 0;
	}
	fprintf(out, "%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		char cmd[512];

		read_cmdline(pids[i], cmd, sizeof(cmd));
		fprintf(out, "%-8d %s\n", (int)pids[i], cmd);
	}
	return 0;
}

int rt_pause(const char *root, const char *id, bool pause, struct berr *e)
{
	_cleanup_state_ struct rt_state *st = NULL;
	struct rt_cgroup *cg = NULL;
	enum rt_status status;
	int r;

	r = rt_state_open(root, id, true, &st, e);
	if (r < 0)
		return r;
	status = rt_state_status(st);
	if (pause && status != RT_STATUS_RUNNING)
		return berr_set(e, -EINVAL, "cannot pause container '%s': it is %s", id, rt_status_name(status));
	if (!pause && status != RT_STATUS_PAUSED)
		return berr_set(e, -EINVAL, "cannot resume container '%s': it is %s", id, rt_status_name(status));
	r = rt_state_cgroup(st, &cg, e);
	if (r < 0)
		return r;
	if (!cg)
		return berr_set(e, -ENOENT, "container '%s' has no cgroup", id);
	r = rt_cgroup_freeze(cg, pause, e);
	rt_cgroup_free(cg);
	return r;
}
