/* berth: growable arrays. */
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int barray_grow(void *parray, size_t *cap, size_t need, size_t elem_size)
{
	void *old, *grown;
	size_t nc;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap : 8;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -EOVERFLOW;
		nc *= 2;
	}
	if (elem_size && nc > SIZE_MAX / elem_size)
		return -EOVERFLOW;
	memcpy(&old, parray, sizeof(old));
	grown = realloc(old, nc * elem_size);
	if (!grown)
		return -ENOMEM;
	memcpy(parray, &grown, sizeof(grown));
	*cap = nc;
	return 0;
}
