/* SPDX-License-Identifier: MIT */
/**
 * \file
 * SOA timer arithmetic of a secondary zone (RFC 1034 §4.3.5, RFC 1912
 * §2.2): the refresh, retry and expire of the zone's SOA, clamped to the
 * operator's bounds, and jitter so that thousands of zones loaded at the
 * same moment do not query their primaries in lockstep. Pure.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct refresh_limits {
	uint32_t refresh_min, refresh_max;
	uint32_t retry_min, retry_max;
	uint32_t expire_min, expire_max;
} refresh_limits_t;

typedef struct refresh_timers {
	uint32_t refresh, retry, expire; /*!< seconds */
} refresh_timers_t;

/**
 * \brief Timers from an SOA rdata (wire, uncompressed names), clamped.
 * Expire is kept at least as long as refresh (a zone must not expire
 * before its first refresh is even due).
 * \return false when the rdata is not a well-formed SOA (then the
 *   minimums are used).
 */
bool refresh_from_soa(const uint8_t *rdata, uint16_t rdlen, const refresh_limits_t *lim, refresh_timers_t *out);

/**
 * \brief Spread an interval: the result lies in [secs - secs/10, secs]
 * (never earlier than asked by more than a tenth, never later), in
 * milliseconds. rnd is any random 32-bit value.
 */
uint64_t refresh_jitter_ms(uint32_t secs, uint32_t rnd);
