/* berth-cni: CNI error codes, their names and the error object. */
#include "cni/cni_error.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "jsonutil.h"

int cni_fail(struct cni_err *ce, unsigned code, int r, const char *fmt, ...)
{
	va_list ap;

	if (!ce)
		return r;
	va_start(ap, fmt);
	berr_setv(&ce->e, r, fmt, ap);
	va_end(ap);
	ce->code = code;
	return r;
}

int cni_oom(struct cni_err *ce)
{
	return cni_fail(ce, CNI_ERR_INTERNAL, -ENOMEM, "out of memory");
}

int cni_classify(struct cni_err *ce, unsigned code, int r)
{
	if (!ce)
		return r;
	if (ce->e.code == 0)
		ce->e.code = r;
	if (ce->code == 0)
		ce->code = code ? code : cni_code_from_errno(r);
	return r;
}

unsigned cni_code_from_errno(int r)
{
	switch (r) {
	case -EAGAIN:
	case -ETIMEDOUT:
	case -EINTR:
	case -EBUSY:
		return CNI_ERR_TRY_AGAIN;
	case -ENOSPC:
		return CNI_ERR_POOL_EXHAUSTED;
	case -EADDRINUSE:
	case -EADDRNOTAVAIL:
		return CNI_ERR_ADDRESS;
	case -ENOTUNIQ:
		return CNI_ERR_PORT_IN_USE;
	case -ENOTSUP:
		return CNI_ERR_UNSUPPORTED_FIELD;
	case -EINVAL:
		return CNI_ERR_INVALID_CONFIG;
	case -EIO:
		return CNI_ERR_IO;
	default:
		return CNI_ERR_INTERNAL;
	}
}

const char *cni_code_name(unsigned code)
{
	switch (code) {
	case CNI_OK:
		return "OK";
	case CNI_ERR_INCOMPATIBLE_VERSION:
		return "INCOMPATIBLE_VERSION";
	case CNI_ERR_UNSUPPORTED_FIELD:
		return "UNSUPPORTED_FIELD";
	case CNI_ERR_UNKNOWN_CONTAINER:
		return "UNKNOWN_CONTAINER";
	case CNI_ERR_INVALID_ENV:
		return "INVALID_ENVIRONMENT";
	case CNI_ERR_IO:
		return "IO_FAILURE";
	case CNI_ERR_DECODE:
		return "DECODING_FAILURE";
	case CNI_ERR_INVALID_CONFIG:
		return "INVALID_NETWORK_CONFIG";
	case CNI_ERR_TRY_AGAIN:
		return "TRY_AGAIN_LATER";
	case CNI_ERR_NOT_AVAILABLE:
		return "PLUGIN_NOT_AVAILABLE";
	case CNI_ERR_LIMITED_CONNECTIVITY:
		return "PLUGIN_NOT_AVAILABLE_LIMITED_CONNECTIVITY";
	case CNI_ERR_INTERNAL:
		return "INTERNAL";
	case CNI_ERR_POOL_EXHAUSTED:
		return "POOL_EXHAUSTED";
	case CNI_ERR_ADDRESS:
		return "ADDRESS_UNAVAILABLE";
	case CNI_ERR_PORT_IN_USE:
		return "PORT_IN_USE";
	case CNI_ERR_NETWORK_CONFLICT:
		return "NETWORK_CONFLICT";
	case CNI_ERR_KERNEL:
		return "KERNEL";
	case CNI_ERR_DELEGATE:
		return "DELEGATE_FAILED";
	case CNI_ERR_CHECK:
		return "CHECK_FAILED";
	case CNI_ERR_ATTACHED:
		return "ALREADY_ATTACHED";
	default:
		return "UNKNOWN";
	}
}

json_t *cni_json_string(const char *s)
{
	_cleanup_free_ char *copy = NULL;
	json_t *v = json_string(s);

	if (v)
		return v;
	/* Messages quote outside input, which need not be UTF-8: never lose the message over it. */
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	return json_string(copy);
}

json_t *cni_error_json(const struct cni_err *ce, const char *version)
{
	unsigned code = ce->code ? ce->code : CNI_ERR_INTERNAL;
	_cleanup_json_ json_t *o = json_object();

	if (!o)
		return NULL;
	if (bjson_set(o, "cniVersion", json_string(version)) < 0 || bjson_set(o, "code", json_integer(code)) < 0 ||
	    bjson_set(o, "msg", cni_json_string(berr_message(&ce->e))) < 0)
		return NULL;
	if (ce->details[0] && bjson_set(o, "details", cni_json_string(ce->details)) < 0)
		return NULL;
	return TAKE_PTR(o);
}
