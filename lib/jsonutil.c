/* berth: strict, typed access to JSON input over jansson. */
#include "jsonutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "fileutil.h"

static const char *sep(const char *where)
{
	return where && *where ? "." : "";
}

static const char *nz(const char *where)
{
	return where ? where : "";
}

int bjson_parse(const char *buf, size_t len, json_t **ret, struct berr *e)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return berr_set(e, -EINVAL, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	*ret = v;
	return 0;
}

int bjson_load_file(const char *path, size_t max_size, json_t **ret, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	r = bfile_read_all(path, max_size, &buf, &len, e);
	if (r < 0)
		return r;
	r = bjson_parse(buf, len, ret, e);
	if (r < 0)
		return berr_wrap(e, r, "%s", path);
	return 0;
}

int bjson_check_keys(const json_t *obj, const char *const *allowed, const char *where, struct berr *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return berr_set(e, -EINVAL, "%s: expected an object", where && *where ? where : "input");
	json_object_foreach ((json_t *)obj, key, v) {
		bool ok = false;
		(void)v;
		for (const char *const *a = allowed; *a; a++) {
			if (strcmp(*a, key) == 0) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return berr_set(e, -EINVAL, "unknown key '%s%s%s'", nz(where), sep(where), key);
	}
	return 0;
}

int bjson_get_str(const json_t *obj, const char *key, const char *where, const char **ret, struct berr *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berr_set(e, -EINVAL, "'%s%s%s' must be a string", nz(where), sep(where), key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return berr_set(e, -EINVAL, "'%s%s%s' contains a NUL byte", nz(where), sep(where), key);
	*ret = json_string_value(v);
	return 1;
}

int bjson_get_cidr4(const json_t *obj, const char *key, const char *where, struct bcidr4 *ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(obj, key, where, &s, e);

	if (r <= 0)
		return r;
	r = baddr_parse_cidr4(s, false, ret, e);
	return r < 0 ? berr_wrap(e, r, "%s%s%s", nz(where), sep(where), key) : 1;
}

int bjson_get_cidr6(const json_t *obj, const char *key, const char *where, struct bcidr6 *ret, struct berr *e)
{
	const char *s;
	int r = bjson_get_str(obj, key, where, &s, e);

	if (r <= 0)
		return r;
	r = baddr_parse_cidr6(s, false, ret, e);
	return r < 0 ? berr_wrap(e, r, "%s%s%s", nz(where), sep(where), key) : 1;
}

int bjson_req_str(const json_t *obj, const char *key, const char *where, const char **ret, struct berr *e)
{
	int r = bjson_get_str(obj, key, where, ret, e);

	if (r == 0)
		return berr_set(e, -EINVAL, "missing required key '%s%s%s'", nz(where), sep(where), key);
	return r;
}

int bjson_get_int(const json_t *obj, const char *key, const char *where, int64_t min, int64_t max, int64_t *ret,
		  struct berr *e)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return berr_set(e, -EINVAL, "'%s%s%s' must be an integer", nz(where), sep(where), key);
	i = json_integer_value(v);
	if (i < min || i > max)
		return berr_set(e, -EINVAL, "'%s%s%s' is %lld, must be between %lld and %lld", nz(where), sep(where),
				key, (long long)i, (long long)min, (long long)max);
	*ret = i;
	return 1;
}

int bjson_get_bool(const json_t *obj, const char *key, const char *where, bool *ret, struct berr *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return berr_set(e, -EINVAL, "'%s%s%s' must be true or false", nz(where), sep(where), key);
	*ret = json_is_true(v);
	return 1;
}

int bjson_get_obj(const json_t *obj, const char *key, const char *where, json_t **ret, struct berr *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return berr_set(e, -EINVAL, "'%s%s%s' must be an object", nz(where), sep(where), key);
	*ret = v;
	return 1;
}

int bjson_get_arr(const json_t *obj, const char *key, const char *where, json_t **ret, struct berr *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return berr_set(e, -EINVAL, "'%s%s%s' must be an array", nz(where), sep(where), key);
	*ret = v;
	return 1;
}

char *bjson_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int bjson_set(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}

char *bjson_dump_line(const json_t *j, size_t *ret_len)
{
	char *s = json_dumps(j, JSON_COMPACT), *grown;
	size_t len;

	if (!s)
		return NULL;
	/* json_dumps' buffer ends in the NUL: room for the newline, not for a new NUL after it */
	len = strlen(s);
	grown = realloc(s, len + 2);
	if (!grown) {
		free(s);
		return NULL;
	}
	s = grown;
	s[len] = '\n';
	s[len + 1] = 0;
	*ret_len = len + 1;
	return s;
}
