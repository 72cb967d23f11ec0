/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The primary's commit step: a freshly loaded candidate version of a zone
 * becomes the next served version, or not. In order: serial policy, diff
 * against the served version, journal append (fsynced) and history, as in
 * the pipeline of docs/architecture.md. A candidate whose content did not
 * change yields no new version; a refused candidate leaves the served
 * version in place. A signed candidate is signed after its serial is set
 * and, with validate, checked before it is published. Runs on the control
 * thread; the journal is its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "zone/history.h"
#include "zone/journal.h"
#include "zone/serial.h"
#include "zone/zone.h"

struct dkey;
struct sigtime;
struct sign_stats;

typedef struct {
	serial_policy_t policy;
	zone_history_limits_t history; /*!< in-memory IXFR history bounds */
	time_t now;                    /*!< for unixtime / dateserial, and signature times */
	/** The signing stage (issue 8): with keys, the candidate is signed after
	 *  its serial is set, reusing the served version's signatures of
	 *  unchanged RRsets (sign.h), so the diff, the journal and IXFR carry
	 *  only what changed. NULL: the zone is not signed. */
	struct dkey *const *keys;
	size_t nkeys;
	bool nsec3;
	bool optout;                   /*!< NSEC3 opt-out: no NSEC3 for delegations without DS */
	uint32_t sig_validity;         /*!< seconds; 0: 14 days */
	/** RFC 8976: 0, or ZONEMD_HASH_SHA384 / _SHA512: every published
	 *  version carries an apex ZONEMD (scheme SIMPLE). Signed zones get it
	 *  from the signer (listed in the chain, signed); unsigned ones after
	 *  the serial is set, at the cost of one more rebuild of the version. A
	 *  candidate that differs from the served version only in its apex
	 *  ZONEMD is unchanged. */
	uint8_t zonemd_hash;
	bool cds;                      /*!< signed zones: CDS/CDNSKEY of the SEP keys (sign.h) */
	/** Signed zones: each signed version is checked (dvalidate.h) before
	 *  it is published, against the served version (its unchanged
	 *  signatures are not verified again); one that fails is refused
	 *  (PIPELINE_REFUSED, msg names the owner and type) and the served
	 *  version stays. */
	bool validate;
	/** Signature timing (dnssec/sigtime.h), the zone's effective values:
	 *  inception, expiration and jitter of new RRSIGs, and the reuse
	 *  threshold (refresh + batch). NULL: sig_validity, refresh half of it,
	 *  no jitter, inception an hour back. */
	const struct sigtime *sig_timing;
	struct sign_stats *sign_stats; /*!< receives the last signing's counts (may be NULL) */
} pipeline_opts_t;

typedef enum {
	PIPELINE_PUBLISH = 0,   /*!< *out is the new version (history attached) */
	PIPELINE_UNCHANGED = 1, /*!< same content: keep serving old (no new serial) */
	PIPELINE_REFUSED = 2,   /*!< keep serving old (msg says why) */
} pipeline_result_t;

/**
 * \brief Commit a candidate.
 * \param old   the served version of this zone, or NULL (start-up, new zone)
 * \param cand  the loaded candidate, not published yet; the pipeline may
 *              attach its history to it and return it as *out
 * \param j     the zone's journal, or NULL (no storage configured: history in memory only)
 * \param out   PIPELINE_PUBLISH: the version to publish: cand itself, or a new
 *              version with the policy's serial (owned by the caller: zone_free
 *              if never published)
 * \param msg   receives a one-line description (published serial, or why not)
 * \return a pipeline_result_t, or a negative code (out of memory, journal
 *   failure: nothing was published, msg says what failed).
 */
int pipeline_commit(const zone_t *old, zone_t *cand, journal_t *j, const pipeline_opts_t *o, zone_t **out,
		    char *msg, size_t msglen);

/**
 * \brief At start-up, bring the journal and the first loaded version together:
 * when the journal ends at cand's serial, its changesets become cand's
 * history (IXFR survives restarts); otherwise the journal is emptied (its
 * history no longer leads to this version) and *reset is set.
 * Under a generated serial policy the first version gets a serial above the
 * journal's last one, so the served serial never goes backwards across
 * restarts; then *out is a new version (else cand itself).
 */
int pipeline_startup(zone_t *cand, journal_t **j, const char *journal_path, const journal_limits_t *jl,
		     const pipeline_opts_t *o, zone_t **out, bool *reset, char *msg, size_t msglen);
