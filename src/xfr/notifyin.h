/* SPDX-License-Identifier: MIT */
/**
 * \file
 * NOTIFY in (RFC 1996 §3-4), the secondary side: decide whether a NOTIFY
 * message may trigger a refresh and build the response. Pure: no sockets,
 * no logging; the worker that received the message sends the answer and
 * hands the event to the control thread, which only treats it as a hint
 * (it asks the primary for its SOA before transferring anything).
 *
 * Accepted: opcode NOTIFY, QR=0, one question of class IN and type SOA for
 * a zone we are secondary for, a valid TSIG when the request carries one,
 * and a sender the zone's ACL allows (a rule with a key needs a request
 * signed with that key). Answers: NOERROR+AA (signed when the request
 * was); NOTAUTH for a zone we are not secondary for and for TSIG failures
 * (with the TSIG error, RFC 8945 §5.3.2); REFUSED when the ACL says no;
 * FORMERR for a malformed message. Messages with QR=1 get no answer.
 * Thread-safe: reads only the policy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dname.h"
#include "tsig/tsig.h"
#include "xfr/acl.h"

/** One secondary zone and who may NOTIFY it. */
typedef struct notifyin_zone {
	uint8_t origin[DNAME_MAXLEN]; /*!< lowercased wire */
	acl_t allow;                  /*!< empty: nobody */
} notifyin_zone_t;

/** Every secondary zone of the server; read-only once the workers run. */
typedef struct notifyin_policy {
	const tsig_keyring_t *keyring; /*!< NULL: every signed NOTIFY gets BADKEY */
	const notifyin_zone_t *zones;  /*!< nzones entries (searched linearly: NOTIFY is rare) */
	size_t nzones;
	/** Zones not in zones[] (zones that come and go, e.g. catalog members): their
	 *  ACL, or NULL when we are not secondary for origin. May be NULL. */
	const acl_t *(*lookup)(const void *ctx, const uint8_t *origin);
	const void *ctx;
} notifyin_policy_t;

/** An accepted NOTIFY, for the control thread. */
typedef struct notifyin_event {
	uint8_t origin[DNAME_MAXLEN];
	bool has_serial;               /*!< the NOTIFY carried an SOA (a hint only) */
	uint32_t serial;
	struct sockaddr_storage from;
	socklen_t fromlen;
	bool key_retiring;             /*!< signed with a key marked for retirement (warn) */
} notifyin_event_t;

typedef enum {
	NOTIFYIN_DROP = 0,     /*!< send nothing */
	NOTIFYIN_REFUSED = 1,  /*!< send the answer; no refresh */
	NOTIFYIN_ACCEPTED = 2, /*!< send the answer; ev filled: refresh the zone */
} notifyin_verdict_t;

/** \brief Is this message a NOTIFY (opcode 4)? Cheap: for the hot path. */
static inline bool
notifyin_is_notify(const uint8_t *msg, size_t len)
{
	return len >= 12 && ((msg[2] >> 3) & 0xF) == 4;
}

/**
 * \brief Handle one NOTIFY message.
 * \param peer   sender (for the ACL and ev->from)
 * \param now    seconds since the epoch (TSIG time check)
 * \param out    response buffer (>= 512 octets), *outlen its length
 * \param ev     filled when NOTIFYIN_ACCEPTED
 * \param log    one line for the log ("NOTIFY for example.com. from 127.0.0.1@5300 (key k): accepted, serial 5")
 */
notifyin_verdict_t notifyin_handle(const notifyin_policy_t *pol, const uint8_t *msg, size_t len,
				   const struct sockaddr *peer, socklen_t peerlen, uint64_t now, uint8_t *out,
				   size_t cap, size_t *outlen, notifyin_event_t *ev, char *log, size_t loglen);
