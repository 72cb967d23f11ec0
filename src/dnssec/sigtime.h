/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Signature timing of a signed zone (RFC 4034 §3.1.5, RFC 6781 §4.4.2):
 * the policy (validity, refresh, jitter, inception offset), the effective
 * values for one zone version, the per-RRset jitter of expiration times,
 * and when a signed version next needs re-signing. Pure: no I/O, no clock
 * (the caller passes now), so every rule here is unit-tested directly.
 *
 * The rule behind the effective refresh: a secondary that loses its
 * primary keeps serving the zone until SOA expire after its last refresh,
 * and resolvers cache an answer for up to its TTL. A signature handed out
 * with less validity left than expire + the largest TTL could therefore be
 * served, or cached, after it expired. So refresh is never below that sum;
 * when the configured one is, it is raised (and the validity with it, by
 * the same amount, so the interval between re-signings stays as configured).
 *
 * Re-signing in batches: when the earliest signature reaches refresh, every
 * signature within sigtime_batch() of it is remade in the same new version,
 * so a zone whose expirations are spread by the jitter is re-signed in a
 * few versions per cycle, not one per RRset.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "zone/zone.h"

/** Seconds. */
typedef struct sigtime {
	uint32_t validity;          /*!< expiration = now + validity (before the jitter) */
	uint32_t refresh;           /*!< re-sign when less validity than this is left */
	uint32_t jitter;            /*!< expiration - [0, jitter), per owner and type */
	uint32_t inception_offset;  /*!< inception = now - inception_offset */
} sigtime_t;

/** A re-sign timer never fires sooner than this after it is set (seconds). */
#define SIGTIME_MIN_DELAY 2

/**
 * \brief The values to sign z with: conf, with refresh raised to z's SOA
 * expire + its largest TTL when that is more, and then validity raised by
 * as much as refresh was (never lowered).
 * \param need  receives SOA expire + largest TTL (may be NULL)
 * \return true when refresh was raised.
 */
bool sigtime_effective(const sigtime_t *conf, const zone_t *z, sigtime_t *eff, uint32_t *need);

/**
 * \brief The batch window: min(jitter / 4, (validity - refresh - jitter) / 2),
 * so a new signature (at least validity - jitter left) is never inside
 * refresh + window; 0 when the values leave no room.
 */
uint32_t sigtime_batch(const sigtime_t *t);

/**
 * \brief The reuse threshold to sign with (sign_opts_t.refresh): a previous
 * signature with at most refresh + batch validity left is remade.
 */
uint32_t sigtime_reuse_threshold(const sigtime_t *t);

/**
 * \brief Deterministic pseudo-random offset in [0, jitter) for the RRset
 * owner/type (a 64-bit FNV-1a of the owner's wire form and the type, then
 * a finaliser): the same RRset gets the same offset on every signing and
 * every machine, different RRsets spread evenly. 0 when jitter is 0.
 * \param owner  lowercase wire name
 */
uint32_t sigtime_jitter(const uint8_t *owner, uint16_t type, uint32_t jitter);

/**
 * \brief Least validity left (expiration - now, RFC 1982 arithmetic, may be
 * negative) among the RRSIGs of z.
 * \return false when z has no RRSIG.
 */
bool sigtime_earliest(const zone_t *z, uint32_t now, int64_t *left);

/**
 * \brief When the signed version z needs re-signing: the moment its earliest
 * RRSIG has refresh validity left (now + left - refresh), but never sooner
 * than now + SIGTIME_MIN_DELAY.
 * \param eff  the effective timing (sigtime_effective)
 * \return false when z has no RRSIG (nothing to re-sign).
 */
bool sigtime_resign_at(const zone_t *z, const sigtime_t *eff, time_t now, time_t *at);
