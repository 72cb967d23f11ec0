/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Growable arrays: the one "double the capacity when full" step that zone
 * tables, queues and batches share.
 */
#pragma once

#include <stddef.h>

/**
 * \brief Make room for one more element: when *n == *cap, *arr is
 * reallocated to twice the capacity (at least first) elements of elem bytes.
 * \param arr  address of the array pointer (void ** of any T *)
 * \return 0, or FL_ENOMEM (*arr and *cap unchanged).
 */
int fl_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first);
