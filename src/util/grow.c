/* SPDX-License-Identifier: MIT */
/** \file Growable arrays (see grow.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/grow.h"

int
fl_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap < n + 1 || ncap > SIZE_MAX / elem)
		return FL_ENOMEM;
	void *old;
	memcpy(&old, arr, sizeof(old));
	void *grown = realloc(old, ncap * elem);
	if (grown == NULL)
		return FL_ENOMEM;
	memcpy(arr, &grown, sizeof(grown));
	*cap = ncap;
	return 0;
}
