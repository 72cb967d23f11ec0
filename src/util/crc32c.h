/* SPDX-License-Identifier: MIT */
/**
 * \file
 * CRC32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
 * final xor 0xffffffff, as in iSCSI/ext4; the check value of "123456789" is
 * 0xe3069283. Shared by the on-disk formats (journal, snapshot) so that they
 * agree on one definition. Uses the SSE4.2 crc32 instruction when the CPU
 * has it. Pure: no state, thread-safe.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/** \brief CRC32C of n bytes at p (p may be NULL when n is 0). */
uint32_t crc32c(const void *p, size_t n);

/**
 * \brief Continue a CRC over more bytes, for data written or read in pieces:
 * crc32c_extend(crc32c(a, na), b, nb) == crc32c(a || b, na + nb), and
 * crc32c_extend(0, p, n) == crc32c(p, n).
 */
uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n);

/** \brief crc32c_extend() without the CPU instruction (table only), for tests. */
uint32_t crc32c_extend_portable(uint32_t crc, const void *p, size_t n);
