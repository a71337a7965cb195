/* berth-cni: a delegated IPAM plugin found on CNI_PATH, run with the config, its reply read back. */
#include "cni/cni_delegate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cni/cni_result.h"
#include "cni/cni_version.h"
#include "jsonutil.h"

int cni_delegate_find(const char *search_path, const char *type, char **ret_path, struct cni_err *ce)
{
	const char *p = search_path;

	if (!search_path || !*search_path)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, -EINVAL,
				"CNI_PATH is not set: it is needed to find the IPAM plugin '%s'", type);
	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char path[PATH_MAX];
		struct stat st;

		if (n > 0 && snprintf(path, sizeof(path), "%.*s/%s", (int)n, p, type) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) {
			*ret_path = strdup(path);
			if (!*ret_path)
				return cni_oom(ce);
			return 0;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return cni_fail(ce, CNI_ERR_DELEGATE, -ENOENT, "IPAM plugin '%s' not found in CNI_PATH (%s)", type,
			search_path);
}

/* envp without the variables we set, plus ours; the strings of envp are borrowed. */
static char **child_env(char *const *envp, char *own[], size_t n_own)
{
	size_t n = 0, k = 0;
	char **out;

	for (char *const *p = envp; p && *p; p++)
		n++;
	out = calloc(n + n_own + 1, sizeof(char *));
	if (!out)
		return NULL;
	for (char *const *p = envp; p && *p; p++) {
		bool replaced = false;

		for (size_t i = 0; i < n_own && !replaced; i++) {
			size_t klen = strcspn(own[i], "=") + 1;

			replaced = strncmp(*p, own[i], klen) == 0;
		}
		if (!replaced)
			out[k++] = *p;
	}
	for (size_t i = 0; i < n_own; i++)
		out[k++] = own[i];
	return out;
}

/* Feed input and collect output at once, so neither pipe can fill up and stall the other side. */
static int pump(int in_fd, int out_fd, const char *input, size_t len, char **ret_buf, size_t *ret_len)
{
	_cleanup_bbuf_ struct bbuf out = BBUF_INIT;
	size_t sent = 0;
	int r = 0;

	if (len == 0)
		in_fd = berth_close_safe(in_fd);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = in_fd, .events = POLLOUT}};
		ssize_t got;

		if (poll(pfd, in_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (in_fd >= 0 && pfd[1].revents) {
			ssize_t w = write(in_fd, input + sent, len - sent);

			if (w < 0 && errno != EINTR && errno != EAGAIN) {
				/* The plugin stopped reading (EPIPE): it will tell why on its stdout. */
				in_fd = berth_close_safe(in_fd);
			} else if (w > 0) {
				sent += (size_t)w;
				if (sent == len)
					in_fd = berth_close_safe(in_fd);
			}
		}
		if (!pfd[0].revents)
			continue;
		got = bbuf_read_once(&out, out_fd, CNI_DELEGATE_OUTPUT_MAX);
		if (got == 0)
			break;
		if (got < 0 && got != -EAGAIN) {
			r = (int)got;
			break;
		}
	}
	berth_close_safe(in_fd);
	if (r < 0)
		return r;
	*ret_buf = bbuf_steal(&out, ret_len);
	return *ret_buf ? 0 : -ENOMEM;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			return false;
	return true;
}

/* A failed plugin's stdout: the CNI error object, passed on with its code. */
static int plugin_error(const char *name, int status, const char *out, size_t len, struct cni_err *ce)
{
	_cleanup_json_ json_t *err = NULL;
	json_t *code, *msg, *details;

	if (WIFSIGNALED(status))
		return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s was killed by signal %d", name, WTERMSIG(status));
	if (len == 0 || bjson_parse(out, len, &err, NULL) < 0 || !json_is_object(err))
		return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s failed (exit status %d) without a CNI error reply",
				name, WEXITSTATUS(status));
	code = json_object_get(err, "code");
	msg = json_object_get(err, "msg");
	details = json_object_get(err, "details");
	cni_fail(ce,
		 json_is_integer(code) && json_integer_value(code) > 0 ? (unsigned)json_integer_value(code)
								       : CNI_ERR_DELEGATE,
		 -EPROTO, "%s: %s", name, json_is_string(msg) ? json_string_value(msg) : "failed");
	if (ce && json_is_string(details))
		snprintf(ce->details, sizeof(ce->details), "%s", json_string_value(details));
	return -EPROTO;
}

int cni_delegate_exec(const char *plugin, const char *name, char *const *envp, const char *command,
		      const char *container_id, const char *ifname, const char *input, size_t len, json_t **ret_out,
		      struct cni_err *ce)
{
	_cleanup_free_ char *cmd_var = NULL, *id_var = NULL, *if_var = NULL, *out = NULL;
	_cleanup_free_ char **env = NULL;
	_cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1;
	posix_spawn_file_actions_t fa;
	char *own[3];
	size_t n_own = 0, out_len = 0;
	char *argv[] = {(char *)plugin, NULL};
	pid_t pid;
	int r, status;

	if (asprintf(&cmd_var, "CNI_COMMAND=%s", command) < 0)
		return cni_oom(ce);
	own[n_own++] = cmd_var;
	if (container_id) {
		if (asprintf(&id_var, "CNI_CONTAINERID=%s", container_id) < 0)
			return cni_oom(ce);
		own[n_own++] = id_var;
	}
	if (ifname) {
		if (asprintf(&if_var, "CNI_IFNAME=%s", ifname) < 0)
			return cni_oom(ce);
		own[n_own++] = if_var;
	}
	env = child_env(envp, own, n_own);
	if (!env)
		return cni_oom(ce);

	{
		int p1[2], p2[2];

		if (pipe2(p1, O_CLOEXEC) < 0)
			return cni_fail(ce, CNI_ERR_INTERNAL, -errno, "pipe: %s", strerror(errno));
		in_r = p1[0];
		in_w = p1[1];
		if (pipe2(p2, O_CLOEXEC) < 0)
			return cni_fail(ce, CNI_ERR_INTERNAL, -errno, "pipe: %s", strerror(errno));
		out_r = p2[0];
		out_w = p2[1];
	}
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return cni_fail(ce, CNI_ERR_INTERNAL, -r, "posix_spawn_file_actions_init: %s", strerror(r));
	/* dup2 clears O_CLOEXEC on the target, so only stdin/stdout (and the inherited stderr) reach the plugin. */
	r = posix_spawn_file_actions_adddup2(&fa, in_r, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	if (r == 0)
		r = posix_spawn(&pid, plugin, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return cni_fail(ce, CNI_ERR_DELEGATE, -r, "cannot run %s (%s): %s", name, plugin, strerror(r));
	in_r = berth_close_safe(in_r);
	out_w = berth_close_safe(out_w);

	{
		/* A plugin that exits without reading stdin must not kill us with SIGPIPE. */
		struct sigaction ign = {.sa_handler = SIG_IGN}, old;

		sigaction(SIGPIPE, &ign, &old);
		r = pump(TAKE_FD(in_w), out_r, input, len, &out, &out_len);
		sigaction(SIGPIPE, &old, NULL);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cni_fail(ce, CNI_ERR_INTERNAL, -errno, "waiting for %s: %s", name, strerror(errno));
	}
	if (r < 0)
		return cni_fail(ce, CNI_ERR_DELEGATE, r, "reading the reply of %s: %s", name, strerror(-r));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return plugin_error(name, status, out, out_len, ce);
	if (blank(out, out_len)) {
		*ret_out = NULL;
		return 0;
	}
	r = bjson_parse(out, out_len, ret_out, &ce->e);
	if (r < 0)
		return cni_fail(ce, CNI_ERR_DELEGATE, r, "%s printed a reply that is not JSON: %s", name,
				berr_message(&ce->e));
	return 0;
}

static int dump_doc(const json_t *doc, char **ret, struct cni_err *ce)
{
	*ret = json_dumps(doc, JSON_COMPACT);
	if (!*ret)
		return cni_oom(ce);
	return 0;
}

/* The highest version both berth-cni and the plugin speak, from its VERSION reply. */
static int plugin_version(const char *plugin, const char *name, char *const *envp, enum cni_version *ret,
			  struct cni_err *ce)
{
	static const char query[] = "{\"cniVersion\":\"" CNI_VERSION_LATEST_STR "\"}";
	_cleanup_json_ json_t *info = NULL;
	int r;

	r = cni_delegate_exec(plugin, name, envp, "VERSION", NULL, NULL, query, sizeof(query) - 1, &info, ce);
	if (r < 0)
		return r;
	return cni_version_negotiate(info, name, ret, ce);
}

/*
 * The config for a delegate speaking version v: stdin byte for byte when that
 * is the config's own version, else re-written with that cniVersion and a
 * prevResult in that version's shape.
 */
static int config_for(const struct cni_conf *c, enum cni_version v, char **ret, size_t *ret_len, struct cni_err *ce)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *prev = NULL;
	int r;

	if (v == c->version && c->raw_text) {
		*ret = strndup(c->raw_text, c->raw_len);
		*ret_len = c->raw_len;
		return *ret ? 0 : cni_oom(ce);
	}
	doc = json_deep_copy(c->raw);
	if (!doc || bjson_set(doc, "cniVersion", json_string(cni_version_str(v))) < 0)
		return cni_oom(ce);
	if (c->prev_result) {
		r = cni_result_render(c->prev_result, v, &prev);
		if (r < 0 || bjson_set(doc, "prevResult", prev) < 0)
			return cni_oom(ce);
	}
	r = dump_doc(doc, ret, ce);
	if (r >= 0)
		*ret_len = strlen(*ret);
	return r;
}

int cni_delegate_ipam(const struct cni_conf *c, const struct cni_env *env, enum cni_cmd cmd, const char *container_id,
		      const char *ifname, json_t **ret_result, struct cni_err *ce)
{
	_cleanup_free_ char *plugin = NULL, *input = NULL;
	_cleanup_json_ json_t *out = NULL;
	const char *name = c->ipam.type;
	const char *command = cni_cmd_name(cmd);
	enum cni_version v = c->version;
	size_t input_len = 0;
	int r;

	r = cni_delegate_find(env->path, name, &plugin, ce);
	if (r < 0)
		return r;

	if (cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS) {
		/* Plugins older than 1.1.0 do not know these verbs (Debian's host-local answers GC with code 3). */
		r = plugin_version(plugin, name, env->envp, &v, ce);
		if (r < 0)
			return r;
		if (!cni_version_has_gc(v))
			return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, -ENOTSUP,
					"%s does not support %s (CNI < 1.1.0)", name, command);
	}
	r = config_for(c, v, &input, &input_len, ce);
	if (r < 0)
		return r;
	r = cni_delegate_exec(plugin, name, env->envp, command, container_id, ifname, input, input_len, &out, ce);
	if (r < 0 && ce->code == CNI_ERR_INCOMPATIBLE_VERSION && cmd != CNI_CMD_GC && cmd != CNI_CMD_STATUS) {
		struct cni_err first = *ce;

		*ce = (struct cni_err)CNI_ERR_INIT;
		if (plugin_version(plugin, name, env->envp, &v, ce) < 0 || v == c->version) {
			*ce = first;
			return r;
		}
		if (cmd == CNI_CMD_CHECK && !cni_version_has_check(v))
			return 0; /* the delegate cannot CHECK at any version we share */
		free(input);
		input = NULL;
		r = config_for(c, v, &input, &input_len, ce);
		if (r < 0)
			return r;
		r = cni_delegate_exec(plugin, name, env->envp, command, container_id, ifname, input, input_len, &out,
				      ce);
	}
	if (r < 0)
		return r;
	if (cmd == CNI_CMD_ADD) {
		if (!out)
			return cni_fail(ce, CNI_ERR_DELEGATE, -EPROTO, "%s returned no result for ADD", name);
		r = cni_result_parse(out, "ipam result", CNI_ERR_DELEGATE, ret_result, ce);
		if (r < 0)
			return berr_wrap(&ce->e, r, "%s", name);
	}
	return 0;
}
