/* Stack files: JSON from users, parsed and validated before anything is made. */
#include <stdint.h>

#include "jsonutil.h"
#include "runtime/stack_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_json_ json_t *doc = NULL;
	struct stack *s = NULL;
	struct berr e = BERR_INIT;

	if (bjson_parse((const char *)data, size, &doc, &e) < 0)
		return 0;
	if (stack_parse(doc, "fuzz", "/base", &s, &e) == 0)
		stack_free(s);
	return 0;
}
