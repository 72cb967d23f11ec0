/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone differ: the RFC 1995 changeset that turns one version of a zone
 * into another. Both versions keep their nodes in canonical order and the
 * RRs of each RRset sorted, so the diff is a merge of two sorted streams,
 * linear in the size of the zones and proportional in output to what
 * changed. It does not decide serials (serial.h) and does not apply
 * changesets (apply.h).
 */
#pragma once

#include "zone/changeset.h"
#include "zone/zone.h"

/**
 * \brief Compute the changeset from old to cand.
 *
 * soa_from is old's SOA and soa_to cand's SOA (set even when nothing else
 * changed; the SOA never goes into the lists). Every other RR that is in old
 * and not in cand is deleted, every RR in cand and not in old is added; an
 * RR is its owner, type and rdata. When the TTL of an RRset changes, all of
 * its RRs are deleted with the old TTL and added with the new one (RFC 1995
 * carries TTLs per RR). Empty non-terminals produce nothing. Owners are the
 * lowercased wire names of the zones; lists come out in canonical order of
 * owner, then type, then rdata. The serials are not checked: an unchanged
 * zone gives an empty changeset (changeset_empty()) whatever the serials.
 *
 * \param old   served version (not NULL)
 * \param cand  candidate version of the same zone (not NULL)
 * \param out   initialized, empty changeset (changeset_init); filled on
 *              success, emptied (re-initialized) on FL_ENOMEM, untouched on
 *              FL_EINVAL; the caller frees it with changeset_clear in every case
 * \return 0, FL_EINVAL (the origins differ, out not empty) or FL_ENOMEM.
 */
int zone_diff(const zone_t *old, const zone_t *cand, changeset_t *out);
