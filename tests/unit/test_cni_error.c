#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cni/cni_error.h"
#include "jsonutil.h"

Test(cni_error, json_shape)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *s = NULL;

	cni_fail(&ce, CNI_ERR_INVALID_CONFIG, -EINVAL, "'mtu' is %d", 5);
	j = cni_error_json(&ce, "1.1.0");
	s = bjson_dump(j);
	cr_assert_str_eq(s, "{\"cniVersion\":\"1.1.0\",\"code\":7,\"msg\":\"'mtu' is 5\"}");
	json_decref(j);
	free(s);
	snprintf(ce.details, sizeof(ce.details), "see docs/cni.md");
	j = cni_error_json(&ce, "0.4.0");
	s = bjson_dump(j);
	cr_assert_str_eq(
		s, "{\"cniVersion\":\"0.4.0\",\"code\":7,\"msg\":\"'mtu' is 5\",\"details\":\"see docs/cni.md\"}");
}

Test(cni_error, unclassified_is_internal_and_message_never_lost)
{
	struct cni_err ce = CNI_ERR_INIT;
	_cleanup_json_ json_t *j = NULL;

	berr_set(&ce.e, -EIO, "bad byte \xff here");
	j = cni_error_json(&ce, "1.0.0");
	cr_assert_eq(json_integer_value(json_object_get(j, "code")), CNI_ERR_INTERNAL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "bad byte ? here");
}

Test(cni_error, classify_keeps_inner_code)
{
	struct cni_err ce = CNI_ERR_INIT;

	cni_fail(&ce, CNI_ERR_ADDRESS, -EADDRINUSE, "taken");
	cr_assert_eq(cni_classify(&ce, CNI_ERR_INTERNAL, -EADDRINUSE), -EADDRINUSE);
	cr_assert_eq(ce.code, CNI_ERR_ADDRESS);
	ce = (struct cni_err)CNI_ERR_INIT;
	berr_set(&ce.e, -ENOSPC, "full");
	cni_classify(&ce, 0, -ENOSPC);
	cr_assert_eq(ce.code, CNI_ERR_POOL_EXHAUSTED);
}

Test(cni_error, errno_mapping)
{
	cr_assert_eq(cni_code_from_errno(-EAGAIN), CNI_ERR_TRY_AGAIN);
	cr_assert_eq(cni_code_from_errno(-ETIMEDOUT), CNI_ERR_TRY_AGAIN);
	cr_assert_eq(cni_code_from_errno(-ENOSPC), CNI_ERR_POOL_EXHAUSTED);
	cr_assert_eq(cni_code_from_errno(-EADDRINUSE), CNI_ERR_ADDRESS);
	cr_assert_eq(cni_code_from_errno(-EPERM), CNI_ERR_INTERNAL);
	cr_assert_str_eq(cni_code_name(CNI_ERR_TRY_AGAIN), "TRY_AGAIN_LATER");
	cr_assert_str_eq(cni_code_name(CNI_ERR_NOT_AVAILABLE), "PLUGIN_NOT_AVAILABLE");
}
