/* SPDX-License-Identifier: MIT */
/**
 * \file
 * NOTIFY out (RFC 1996): after a zone gets a new serial, tell every
 * configured target, over UDP, until it answers or the tries run out.
 *
 * Two layers. The core (notify_new, notify_zone_changed, notify_receive,
 * notify_tick) is a state machine with the time passed in and the datagram
 * sender passed as a callback, so unit tests drive it without sockets or a
 * clock. notify_start() plugs that core into a libevent base: one
 * non-blocking UDP socket per address family and one timer for the
 * earliest deadline. Control thread only; nothing here is thread-safe.
 *
 * Per (zone, target) at most one NOTIFY is in flight (§3.6): a change
 * while one is outstanding only records the newest SOA, and when the
 * exchange ends (answered, refused, or out of tries) a new one is started
 * with that newest serial. Tries: the first at once, the next after
 * timeout_ms, each later gap doubled; after the last try we still wait its
 * gap for an answer before giving up.
 *
 * A response is accepted only from the target's address and port, with
 * the request's ID and question (zone, SOA, IN), QR=1 and opcode NOTIFY;
 * anything else is ignored and the retries go on. An accepted response to
 * a signed request must carry a TSIG that verifies with the target's key,
 * otherwise the exchange ends as a failure. Every end is logged.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tsig/tsig.h"
#include "zone/zone.h"

struct event_base;

/** Largest NOTIFY we build: header, question, SOA (two full names), TSIG. */
#define NOTIFY_MSG_MAX 1536

/** Most keys a target may list (a rotation needs two). */
#define NOTIFY_MAX_KEYS 4

/**
 * One target: where to send, and with which keys. The first key signs;
 * when the target answers BADKEY, the exchange starts over once with each
 * next key (a peer that does not know our new key yet, rotation step 2).
 */
typedef struct notify_target {
	struct sockaddr_storage addr; /*!< AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	char text[64];                /*!< "ADDR@PORT" for log lines */
	const tsig_key_t *key[NOTIFY_MAX_KEYS]; /*!< in order; owned by a keyring that outlives
						    the call that passes them (an exchange
						    holds its key's keyring: tsig_key_hold) */
	unsigned nkeys;               /*!< 0: unsigned */
	bool scoped;                  /*!< only for the zone below (a zone's own notify list) */
	uint8_t zone[DNAME_MAXLEN];   /*!< lowercased wire origin when scoped */
} notify_target_t;

/** How an exchange ended. */
typedef enum {
	NOTIFY_ANSWERED = 0, /*!< NOERROR response, TSIG verified when signed */
	NOTIFY_REFUSED,      /*!< a response with an error RCODE or a TSIG that does not verify */
	NOTIFY_TIMEOUT,      /*!< no acceptable response after the last try */
	NOTIFY_SENDFAIL,     /*!< the message could not be built or signed */
} notify_outcome_t;

/** What a finished exchange reports (to the optional outcome callback). */
typedef struct notify_result {
	const uint8_t *zone;         /*!< origin, wire */
	uint32_t serial;
	const notify_target_t *target;
	notify_outcome_t outcome;
	unsigned tries;
	uint64_t elapsed_us;         /*!< from the first try to the end */
	int rcode;                   /*!< response RCODE (-1 without a response) */
	int tsig;                    /*!< tsig_result_t of the response (TSIG_NONE when unsigned request) */
} notify_result_t;

/** Sends one datagram; returns 0 or a negative code (the try still counts). */
typedef int (*notify_send_fn)(void *ctx, const notify_target_t *t, const uint8_t *msg, size_t len);
/** Told about every finished exchange (after it is logged). */
typedef void (*notify_outcome_fn)(void *ctx, const notify_result_t *r);

/** Options; the targets are copied. */
typedef struct notify_opts {
	const notify_target_t *targets;
	size_t ntargets;
	unsigned tries;              /*!< tries per exchange, >= 1 */
	unsigned timeout_ms;         /*!< gap before the second try, doubled after each try */
	notify_send_fn send;         /*!< NULL: the sockets of notify_start() */
	void *send_ctx;
	notify_outcome_fn outcome;   /*!< optional */
	void *outcome_ctx;
} notify_opts_t;

typedef struct notify notify_t;

/**
 * \brief New NOTIFY state. Calls malloc; free with notify_free().
 * \return the state, or NULL (out of memory, or tries == 0).
 */
notify_t *notify_new(const notify_opts_t *opts);

/** \brief Stop (if started) and free, dropping exchanges in flight. NULL is a no-op. */
void notify_free(notify_t *n);

/** \brief Number of targets (0: notify_zone_changed does nothing). */
size_t notify_targets(const notify_t *n);

/**
 * \brief Reload: the targets (copied) replace the current ones. Exchanges in
 * flight finish with the key they started with. When only the keys changed
 * (same addresses, same zones) nothing else moves; when the list changed,
 * the zones with an exchange in flight are notified again to the new list
 * with their newest serial, so no change goes unannounced.
 * \return 0 or FL_ENOMEM (the old targets stay).
 */
int notify_reconfigure(notify_t *n, const notify_target_t *targets, size_t ntargets, uint64_t now_us);

/** \brief Target i (0..notify_targets()-1). */
const notify_target_t *notify_target_at(const notify_t *n, size_t i);

/**
 * \brief A new version of zone z is served: NOTIFY every target (or, where
 * an exchange for the zone is in flight, remember the newest SOA for
 * afterwards). The SOA is copied; z need not outlive the call.
 * \param now_us  monotonic time in microseconds
 * \return 0 or FL_ENOMEM (logged; the zone's targets are not notified).
 */
int notify_zone_changed(notify_t *n, const zone_t *z, uint64_t now_us);

/**
 * \brief Retransmit what is due and give up on exchanges out of tries.
 * \return the monotonic time (µs) of the next deadline, or 0 when nothing is in flight.
 */
uint64_t notify_tick(notify_t *n, uint64_t now_us);

/** Verdict on one received datagram. */
typedef enum {
	NOTIFY_RX_IGNORED = 0, /*!< matches no exchange in flight (ID, source, question, QR/opcode) */
	NOTIFY_RX_ANSWERED,    /*!< ended an exchange: NOERROR, TSIG fine */
	NOTIFY_RX_FAILED,      /*!< ended an exchange: error RCODE or TSIG failure */
} notify_rx_t;

/**
 * \brief A datagram arrived on a NOTIFY socket from `from`.
 * \param now_us  monotonic time in microseconds
 */
notify_rx_t notify_receive(notify_t *n, const uint8_t *msg, size_t len, const struct sockaddr *from,
			   socklen_t fromlen, uint64_t now_us);

/** \brief Exchanges in flight (tests, and the log line at shutdown). */
size_t notify_in_flight(const notify_t *n);

/**
 * \brief Build a NOTIFY request: opcode NOTIFY, AA, question (origin, SOA,
 * IN), the SOA in the answer section (RFC 1996 §3.7), and TSIG-signed with
 * key when key != NULL (ctx then verifies the response).
 * \param soa_rdata  the SOA's wire rdata, soa_len octets
 * \param now_s      wall-clock seconds for TSIG Time Signed
 * \param ctx        initialised context (used only with a key)
 * \return 0, FL_ESPACE, or a tsig_sign_request() error.
 */
int notify_build(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const uint8_t *origin, uint32_t soa_ttl,
		 const uint8_t *soa_rdata, uint16_t soa_len, const tsig_key_t *key, uint64_t now_s,
		 tsig_ctx_t *ctx);

/**
 * \brief Is msg the response to the request with this ID and zone? Checks
 * QR=1, opcode NOTIFY, ID, QDCOUNT 1 and the question (origin, SOA, IN),
 * not the source (the caller compares addresses).
 * \param rcode  receives the RCODE when it matches
 */
bool notify_response_matches(const uint8_t *msg, size_t len, uint16_t id, const uint8_t *origin, int *rcode);

/** \brief Same address family, address and port? (IPv4-mapped is not folded.) */
bool notify_addr_eq(const struct sockaddr *a, const struct sockaddr *b);

/** \brief Delay after try number `try` (1-based) before the next: timeout_ms × 2^(try-1), in µs. */
uint64_t notify_backoff_us(unsigned timeout_ms, unsigned try);

/**
 * \brief Create the sockets (one per address family the targets use) and
 * the timer in base. A socket that cannot be created is logged and its
 * targets are never answered (their exchanges time out).
 * \return 0 or FL_ENOMEM.
 */
int notify_start(notify_t *n, struct event_base *base);

/** \brief Free the events and close the sockets (before the base goes). Idempotent. */
void notify_stop(notify_t *n);
