/* berth: string vectors. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

void strv_free_n(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int strv_from_json(const json_t *arr, const char *where, bool env, char ***ret, struct berr *e)
{
	char **v;
	size_t i;
	json_t *s;

	if (arr && !json_is_array(arr))
		return berr_set(e, -EINVAL, "'%s' must be an array of strings", where);
	v = calloc((arr ? json_array_size(arr) : 0) + 1, sizeof(char *));
	if (!v)
		return berr_oom(e);
	if (arr) {
		json_array_foreach ((json_t *)arr, i, s) {
			const char *str;
			const char *eq;

			if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
				free(v);
				return berr_set(e, -EINVAL, "'%s[%zu]' must be a string without NUL bytes", where, i);
			}
			str = json_string_value(s);
			eq = strchr(str, '=');
			if (env && (!eq || eq == str)) {
				free(v);
				return berr_set(e, -EINVAL, "'%s[%zu]' must be KEY=VALUE, not '%s'", where, i, str);
			}
			v[i] = (char *)str;
		}
	}
	*ret = v;
	return 0;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

const char *strv_env_get(char *const *env, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; env && env[i]; i++) {
		if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
			return env[i] + kl + 1;
	}
	return NULL;
}
