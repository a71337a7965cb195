/* berth-cni: the CNI_* environment read and checked for the verb. */
#include "cni/cni_env.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cleanup.h"
#include "cni/cni_addr.h"

static const char *const cmd_names[] = {
	[CNI_CMD_ADD] = "ADD", [CNI_CMD_DEL] = "DEL",	    [CNI_CMD_CHECK] = "CHECK",
	[CNI_CMD_GC] = "GC",   [CNI_CMD_STATUS] = "STATUS", [CNI_CMD_VERSION] = "VERSION",
};

const char *cni_getenv(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (char *const *p = envp; p && *p; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

int cni_cmd_parse(const char *s, enum cni_cmd *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_names); i++) {
		if (strcmp(s, cmd_names[i]) == 0) {
			*ret = (enum cni_cmd)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cni_cmd_name(enum cni_cmd cmd)
{
	return (unsigned)cmd < ARRAY_SIZE(cmd_names) ? cmd_names[cmd] : "?";
}

/* Bad or missing CNI_* environment: code 4. */
#define env_fail(ce, ...) cni_fail(ce, CNI_ERR_INVALID_ENV, -EINVAL, __VA_ARGS__)

static bool truthy(const char *v, bool *ret)
{
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0) {
		*ret = true;
		return true;
	}
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0) {
		*ret = false;
		return true;
	}
	return false;
}

/* Copy the pair [s, end) split at '=' into key / val (bounded); false when there is no '='. */
static bool split_pair(const char *s, const char *end, char *key, size_t klen, char *val, size_t vlen)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));

	if (!eq || eq == s || (size_t)(eq - s) >= klen || (size_t)(end - eq - 1) >= vlen)
		return false;
	memcpy(key, s, (size_t)(eq - s));
	key[eq - s] = 0;
	memcpy(val, eq + 1, (size_t)(end - eq - 1));
	val[end - eq - 1] = 0;
	return true;
}

static int args_ip(const char *val, struct cni_args *a, struct cni_err *ce)
{
	/* host-local accepts a comma-separated list, one address per range set: one of each family here. */
	char buf[512];
	char *save = NULL;
	int n4 = 0, n6 = 0;

	snprintf(buf, sizeof(buf), "%s", val);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t ip;
		int r;

		if (cni_is_ipv6(tok)) {
			r = cni_ip6_parse(tok, "CNI_ARGS IP", &a->ip6, NULL, NULL);
			if (r < 0)
				return env_fail(ce, "CNI_ARGS: IP=%s is not an IPv6 address", val);
			if (n6++ > 0)
				return env_fail(ce, "CNI_ARGS: IP=%s asks for more than one IPv6 address", val);
			a->has_ip6 = true;
			continue;
		}
		r = cni_ip4_parse(tok, "CNI_ARGS IP", &ip, NULL, NULL);
		if (r < 0)
			return env_fail(ce, "CNI_ARGS: IP=%s is not an IPv4 address", val);
		if (n4++ > 0)
			return env_fail(ce, "CNI_ARGS: IP=%s asks for more than one IPv4 address", val);
		a->ip = ip;
		a->has_ip = true;
	}
	if (n4 + n6 == 0)
		return env_fail(ce, "CNI_ARGS: IP is empty");
	return 0;
}

int cni_args_parse(const char *s, struct cni_args *ret, struct cni_err *ce)
{
	struct cni_args a = {0};
	char unknown[256] = "";
	const char *p = s;

	/* IgnoreUnknown may come after the key it excuses, so unknown keys are judged at the end. */
	while (p && *p) {
		const char *end = strchr(p, ';');
		char key[64], val[512];

		if (!end)
			end = p + strlen(p);
		if (end == p) {
			p = *end ? end + 1 : end;
			continue;
		}
		if (!split_pair(p, end, key, sizeof(key), val, sizeof(val)))
			return env_fail(ce, "CNI_ARGS: \"%.*s\" is not KEY=VALUE", (int)(end - p), p);
		if (strcmp(key, "IgnoreUnknown") == 0) {
			if (!truthy(val, &a.ignore_unknown))
				return env_fail(ce, "CNI_ARGS: IgnoreUnknown=%s must be 1, 0, true or false", val);
		} else if (strcmp(key, "IP") == 0) {
			int r = args_ip(val, &a, ce);

			if (r < 0)
				return r;
		} else if (strcmp(key, "MAC") == 0) {
			struct cni_err mce = CNI_ERR_INIT;

			if (cni_mac_parse(val, "CNI_ARGS MAC", a.mac, &mce) < 0)
				return env_fail(ce, "CNI_ARGS: %s", berr_message(&mce.e));
			a.has_mac = true;
		} else if (strcmp(key, "K8S_POD_NAME") == 0) {
			if (!*val || strlen(val) >= sizeof(a.pod_name))
				return env_fail(ce, "CNI_ARGS: K8S_POD_NAME is empty or longer than %zu bytes",
						sizeof(a.pod_name) - 1);
			snprintf(a.pod_name, sizeof(a.pod_name), "%s", val);
		} else if (!unknown[0]) {
			snprintf(unknown, sizeof(unknown), "%s", key);
		}
		p = *end ? end + 1 : end;
	}
	if (unknown[0] && !a.ignore_unknown)
		return env_fail(ce, "CNI_ARGS: unknown key '%s' (pass IgnoreUnknown=1 to allow keys for other plugins)",
				unknown);
	*ret = a;
	return 0;
}

static bool container_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CNI_CONTAINERID_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

int cni_env_parse(char *const *envp, struct cni_env *ret, struct cni_err *ce)
{
	struct cni_env env = {.envp = envp};
	bool need_id, need_netns, need_ifname;
	const char *netns;
	int r;

	env.command = cni_getenv(envp, "CNI_COMMAND");
	if (!env.command || !*env.command)
		return env_fail(ce, "CNI_COMMAND is not set (expected ADD, DEL, CHECK, GC, STATUS or VERSION)");
	if (cni_cmd_parse(env.command, &env.cmd) < 0)
		return env_fail(ce, "CNI_COMMAND=%s is not one of ADD, DEL, CHECK, GC, STATUS, VERSION", env.command);
	if (env.cmd == CNI_CMD_VERSION) {
		*ret = env;
		return 0;
	}

	need_id = env.cmd == CNI_CMD_ADD || env.cmd == CNI_CMD_DEL || env.cmd == CNI_CMD_CHECK;
	need_netns = env.cmd == CNI_CMD_ADD || env.cmd == CNI_CMD_CHECK;
	need_ifname = need_id;

	env.path = cni_getenv(envp, "CNI_PATH");
	if (env.path && !*env.path)
		env.path = NULL;
	env.state_dir = cni_getenv(envp, "BERTH_STATE_DIR");
	if (env.state_dir && !*env.state_dir)
		env.state_dir = NULL;
	if (env.state_dir && env.state_dir[0] != '/')
		return env_fail(ce, "BERTH_STATE_DIR=%s must be an absolute path", env.state_dir);

	{
		const char *t = cni_getenv(envp, "BERTH_LOCK_TIMEOUT_MS");
		uint64_t ms;

		if (t && *t) {
			if (bparse_u64(t, 1, 600000, &ms) < 0)
				return env_fail(
					ce, "BERTH_LOCK_TIMEOUT_MS=%s must be a number of milliseconds (1-600000)", t);
			env.lock_timeout_ms = (int)ms;
		}
	}

	if (need_id) {
		env.container_id = cni_getenv(envp, "CNI_CONTAINERID");
		if (!env.container_id || !*env.container_id)
			return env_fail(ce, "CNI_CONTAINERID is not set (required for %s)", env.command);
		if (!container_id_valid(env.container_id))
			return env_fail(ce,
					"CNI_CONTAINERID=\"%.64s\" is invalid: it must start with a letter or digit, "
					"contain only letters, digits, '_', '.' and '-', and be at most %d bytes",
					env.container_id, CNI_CONTAINERID_MAX);
	}
	if (need_ifname) {
		env.ifname = cni_getenv(envp, "CNI_IFNAME");
		if (!env.ifname || !*env.ifname)
			return env_fail(ce, "CNI_IFNAME is not set (required for %s)", env.command);
		if (!bifname_valid(env.ifname))
			return env_fail(ce,
					"CNI_IFNAME=\"%.32s\" is not a valid interface name (1-15 bytes, no '/', ':' "
					"or whitespace, not \".\" or \"..\")",
					env.ifname);
	}
	netns = cni_getenv(envp, "CNI_NETNS");
	if (netns && *netns) {
		if (netns[0] != '/')
			return env_fail(ce, "CNI_NETNS=%s must be an absolute path", netns);
		env.netns = netns;
	} else if (need_netns) {
		return env_fail(ce, "CNI_NETNS is not set (required for %s)", env.command);
	}
	if (need_id) {
		r = cni_args_parse(cni_getenv(envp, "CNI_ARGS"), &env.args, ce);
		if (r < 0)
			return r;
	}
	*ret = env;
	return 0;
}
