/* SPDX-License-Identifier: MIT */
/**
 * \file
 * SOA serial numbers: RFC 1982 serial number arithmetic and the serial
 * policies of a primary (which serial a new version of a zone gets).
 * Pure: no allocation, no I/O, no logging; refusals come back as a code
 * plus a sentence for the operator. It does not decide *whether* a zone
 * changed: the caller diffs first and asks for a serial only for a change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/**
 * \brief RFC 1982 comparison of two serials.
 * \return 0 when a == b, > 0 when a is greater (newer) than b, < 0 when a is
 *   less. When the comparison is undefined (the two are exactly 2^31 apart)
 *   it returns < 0 in *both* directions, so `serial_cmp(a, b) > 0` is always
 *   a safe "is a newer" test; serial_defined() tells that case apart.
 */
int serial_cmp(uint32_t a, uint32_t b);

/** \brief a > b in RFC 1982 terms; false for the undefined pair (distance exactly 2^31). */
bool serial_gt(uint32_t a, uint32_t b);

/** \brief False only when a and b are exactly 2^31 apart (RFC 1982 §3.2: undefined). */
bool serial_defined(uint32_t a, uint32_t b);

/**
 * \brief RFC 1982 addition: s + n modulo 2^32, n at most 2^31 - 1.
 * The result is always greater than s (RFC 1982 §3.1).
 */
uint32_t serial_add(uint32_t s, uint32_t n);

/** How a primary picks the serial of a new version of a zone. */
typedef enum {
	SERIAL_KEEP = 0,   /*!< the serial in the zone file; a change without an increase is refused */
	SERIAL_INCREMENT,  /*!< served + 1 */
	SERIAL_UNIXTIME,   /*!< seconds since the epoch */
	SERIAL_DATESERIAL, /*!< YYYYMMDDnn (UTC) */
} serial_policy_t;

/**
 * \brief Parse a policy name: "keep", "increment", "unixtime", "dateserial"
 * (ASCII case-insensitive).
 * \param s  NUL-terminated name; NULL is refused
 * \return the policy (>= 0) or FL_EINVAL.
 */
int serial_policy_parse(const char *s);

/** \brief Name of a policy as serial_policy_parse() accepts it ("?" for a bad value). Static storage. */
const char *serial_policy_str(serial_policy_t p);

/**
 * \brief Serial for a new version of a zone whose content differs from the
 * served version.
 *
 * - SERIAL_KEEP: file_serial, refused unless it is greater (RFC 1982) than
 *   served_serial.
 * - SERIAL_INCREMENT: served_serial + 1, or file_serial without a served version.
 * - SERIAL_UNIXTIME: now (truncated to 32 bits).
 * - SERIAL_DATESERIAL: YYYYMMDD00 of now in UTC.
 *
 * The generated policies (all but KEEP) fall back to served_serial + 1
 * whenever their value is not greater than served_serial, so the served
 * serial never goes down (for instance after a hand edit lowered it, or on a
 * day with several changes under dateserial), and never produce a value
 * whose comparison with the served one is undefined. served_serial + 1 wraps
 * from 4294967295 to 0, which RFC 1982 counts as greater.
 *
 * \param p              the policy
 * \param file_serial    serial of the candidate (the zone file's SOA)
 * \param have_served    whether a version is being served (false on first load)
 * \param served_serial  serial of the served version (ignored without one)
 * \param now            current time (UNIXTIME, DATESERIAL)
 * \param out            receives the serial on success; untouched on failure
 * \param why            receives, NUL-terminated and truncated to whylen, the
 *                       reason on failure, or on success a note when a
 *                       fallback was used (else ""); may be NULL when whylen is 0
 * \param whylen         size of why
 * \return 0; FL_ESEMANTIC when KEEP's serial is not greater than the served
 *   one; FL_ERANGE when now cannot be expressed as a dateserial (before
 *   1970 or after 4294); FL_EINVAL for an unknown policy.
 */
int serial_next(serial_policy_t p, uint32_t file_serial, bool have_served, uint32_t served_serial,
		time_t now, uint32_t *out, char *why, size_t whylen);
