/* SPDX-License-Identifier: MIT */
/**
 * \file
 * TSIG (RFC 8945): keyring, request verification and response signing for
 * the server side, request signing and response verification for the
 * client side, including multi-message exchanges (AXFR/IXFR, §5.3.1).
 * HMAC comes from OpenSSL 3 (EVP_MAC). Supported algorithms: hmac-sha256
 * (default), hmac-sha384, hmac-sha512, hmac-sha224 and hmac-sha1 (legacy);
 * hmac-md5 is refused (RFC 8945 §6: MUST NOT use).
 *
 * Policy: we only accept full-length MACs. A truncated MAC that is valid
 * per §5.2.2.1 (>= 10 octets and >= half the hash) is verified and then
 * answered with BADTRUNC; any other MAC length is FORMERR.
 *
 * Not here: logging (callers log the result codes), key files (keyfile.h),
 * replay caching of Time Signed per key (the keyring is shared read-only
 * between workers; callers that want it can use ctx->time_signed).
 * No globals: everything lives in the keyring and the per-exchange ctx.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dname.h"

/** Default fudge in seconds (RFC 8945 §10). */
#define TSIG_FUDGE_DEFAULT 300
/** Longest MAC we produce or accept (SHA-512). */
#define TSIG_MAXMAC 64
/** A client accepts at most this many unsigned messages in a row (§5.3.1). */
#define TSIG_MAX_UNSIGNED 99

/** Algorithms. 0 is never a valid algorithm. */
typedef enum {
	TSIG_ALG_NONE = 0,
	TSIG_ALG_HMAC_SHA1,
	TSIG_ALG_HMAC_SHA224,
	TSIG_ALG_HMAC_SHA256,
	TSIG_ALG_HMAC_SHA384,
	TSIG_ALG_HMAC_SHA512,
} tsig_alg_t;

/**
 * Verdicts of the verify functions. The values of the error verdicts are
 * the TSIG error codes (FORMERR is the RCODE), so a server answers with
 * RCODE FORMERR for TSIG_FORMERR and NOTAUTH for the others
 * (tsig_result_rcode()). Internal failures are negative FL_* codes.
 */
typedef enum {
	TSIG_OK = 0,         /*!< signed and verified */
	TSIG_FORMERR = 1,    /*!< TSIG misplaced, duplicated or malformed, bad MAC size */
	TSIG_BADSIG = 16,    /*!< MAC does not verify */
	TSIG_BADKEY = 17,    /*!< unknown key, or algorithm not the key's / not supported */
	TSIG_BADTIME = 18,   /*!< outside the time window */
	TSIG_BADTRUNC = 22,  /*!< truncated MAC, valid but shorter than our policy */
	TSIG_NONE = 256,     /*!< no TSIG in the message (see each function) */
	TSIG_UNSIGNED = 257, /*!< client: a required TSIG is missing (first/last
				  message, or more than TSIG_MAX_UNSIGNED in a row) */
} tsig_result_t;

/** A keyring: opaque, owns its keys. Read-only (thread-safe) once loaded. */
typedef struct tsig_keyring tsig_keyring_t;
/** A key: opaque, owned by its keyring, valid while the keyring lives. */
typedef struct tsig_key tsig_key_t;

struct evp_mac_ctx_st; /* OpenSSL's EVP_MAC_CTX, kept out of this header */

/**
 * State of one TSIG exchange: a request and its response(s).
 *
 * Visible so that callers embed it (the query path keeps it on the stack,
 * an XFR session embeds it in its session struct) and the query path does
 * no allocation of its own. Treat every field as read-only; only the
 * functions below change them. Always tsig_ctx_clear() it when done: the
 * client side may hold an OpenSSL HMAC state across unsigned messages.
 * It points to a key of a keyring, which must outlive it.
 */
typedef struct tsig_ctx {
	const tsig_key_t *key;      /*!< the key in use; NULL when unknown (BADKEY) */
	int result;                 /*!< last verdict (tsig_result_t), sticky on the client */
	uint16_t error;             /*!< server: TSIG error to answer with */
	uint16_t orig_id;           /*!< Original ID of the request */
	uint16_t fudge;             /*!< fudge of the request */
	uint64_t time_signed;       /*!< Time Signed of the request (server) or of our request (client) */
	uint16_t peer_error;        /*!< client: Error field of the last response TSIG */
	uint64_t peer_time;         /*!< client: server time from a BADTIME response (0 if none) */
	uint8_t mac[TSIG_MAXMAC];   /*!< request MAC, then the MAC of the last signed message */
	uint16_t mac_len;
	uint8_t key_name[DNAME_MAXLEN]; /*!< key name as received (lowercased), echoed in errors */
	uint8_t key_name_len;
	uint8_t alg_name[DNAME_MAXLEN]; /*!< algorithm name as received (lowercased) */
	uint8_t alg_name_len;
	uint32_t nsigned;           /*!< signed messages produced (server) or verified (client) */
	uint32_t nunsigned;         /*!< client: unsigned messages since the last signed one */
	bool last_signed;           /*!< client: the last message seen carried a valid TSIG */
	bool client;                /*!< set up by tsig_sign_request */
	struct evp_mac_ctx_st *run; /*!< client: running HMAC over unsigned messages, or NULL */
} tsig_ctx_t;

/* ---- algorithms ---- */

/**
 * \brief Algorithm from its configuration name ("hmac-sha256", case-insensitive,
 * an optional trailing dot).
 * \return the algorithm, or TSIG_ALG_NONE for unknown names. "hmac-md5" is
 * also TSIG_ALG_NONE (refused); see tsig_alg_is_md5().
 */
tsig_alg_t tsig_alg_from_str(const char *s, size_t len);

/** \brief True for the names of HMAC-MD5 (to give a precise refusal message). */
bool tsig_alg_is_md5(const char *s, size_t len);

/** \brief Configuration name ("hmac-sha256"); "unknown" for bad values. Static. */
const char *tsig_alg_name(tsig_alg_t alg);

/** \brief Hash (= full MAC) length in octets, 0 for bad values. */
size_t tsig_alg_maclen(tsig_alg_t alg);

/** \brief Message for a verdict or FL_* code (static, never NULL). */
const char *tsig_result_str(int result);

/**
 * \brief RCODE a server answers with for a verdict: 0 for TSIG_OK/TSIG_NONE,
 * 1 (FORMERR) for TSIG_FORMERR, 9 (NOTAUTH) for BADSIG/BADKEY/BADTIME/BADTRUNC,
 * 2 (SERVFAIL) for internal failures (negative codes).
 */
int tsig_result_rcode(int result);

/* ---- keyring ---- */

/**
 * \brief New empty keyring. Calls malloc; free with tsig_keyring_free().
 * \return the keyring or NULL (out of memory).
 */
tsig_keyring_t *tsig_keyring_new(void);

/**
 * \brief Drop a reference; the last one frees the keyring and its keys
 * (secrets zeroed). NULL is a no-op. A new keyring has one reference.
 * No ctx may still point into a freed keyring.
 */
void tsig_keyring_free(tsig_keyring_t *kr);

/**
 * \brief Take a reference (atomic: any thread). A reload builds a new
 * keyring and drops its own reference to the old one; whoever still holds
 * one (a transfer in flight) keeps the old keys until it is done.
 * \return kr (NULL for NULL).
 */
tsig_keyring_t *tsig_keyring_ref(const tsig_keyring_t *kr);

/** \brief tsig_keyring_ref() of the key's keyring (NULL: no-op). */
void tsig_key_hold(const tsig_key_t *key);
/** \brief Undo tsig_key_hold() (NULL: no-op). */
void tsig_key_release(const tsig_key_t *key);

/** \brief Remember where a key was read ("file", line), for `flamectl key list`. \return 0, FL_ENOENT, FL_ENOMEM. */
int tsig_keyring_set_source(tsig_keyring_t *kr, const uint8_t *name_wire, const char *file, unsigned line);

/** \brief Mark a key for retirement: still accepted, its users are warned about. \return 0 or FL_ENOENT. */
int tsig_keyring_mark_retiring(tsig_keyring_t *kr, const uint8_t *name_wire);

/** \brief Key i in the order added (0..count-1), NULL past the end. */
const tsig_key_t *tsig_keyring_at(const tsig_keyring_t *kr, size_t i);

/** \brief File the key was read from (NULL: none) and its line. */
const char *tsig_key_file(const tsig_key_t *key, unsigned *line);

/** \brief Marked for retirement (keys.retiring). */
bool tsig_key_retiring(const tsig_key_t *key);

/**
 * \brief Use counters since the keyring was loaded: requests verified with
 * the key (tsig_verify_request), requests signed with it
 * (tsig_sign_request), and the time of the last of either (0: never).
 * Any thread; the values are only approximately simultaneous.
 */
void tsig_key_stats(const tsig_key_t *key, uint64_t *verified, uint64_t *signed_out, int64_t *last_used);

/**
 * \brief Add a key.
 * \param kr      the keyring
 * \param name    key name, uncompressed wire format (any case; stored lowercased)
 * \param alg     algorithm
 * \param secret  secret octets (copied into OpenSSL's HMAC context, cleansed on free)
 * \param len     secret length (>= 1)
 * \return 0, FL_EEXIST (a key of that name exists), FL_EINVAL (bad name,
 * algorithm or empty secret), FL_ENOMEM, FL_ENOTSUP (OpenSSL refused the digest).
 */
int tsig_keyring_add(tsig_keyring_t *kr, const uint8_t *name, tsig_alg_t alg, const uint8_t *secret,
		     size_t len);

/**
 * \brief Find a key by name.
 * \param name  uncompressed wire name, lowercased
 * \return the key (owned by kr) or NULL.
 */
const tsig_key_t *tsig_keyring_find(const tsig_keyring_t *kr, const uint8_t *name_wire);

/** \brief Number of keys. */
size_t tsig_keyring_count(const tsig_keyring_t *kr);

/**
 * \brief Remove and free the keys added after the first `count` (used to
 * roll back a key file that failed half way). No-op if count >= the number of keys.
 */
void tsig_keyring_truncate(tsig_keyring_t *kr, size_t count);

/** \brief Key name (lowercased wire format, owned by the key). */
const uint8_t *tsig_key_name(const tsig_key_t *key);

/** \brief Key algorithm. */
tsig_alg_t tsig_key_alg(const tsig_key_t *key);

/* ---- context ---- */

/** \brief Zero a context (a zeroed struct is an initialised one). */
void tsig_ctx_init(tsig_ctx_t *ctx);

/** \brief Release what the context holds (OpenSSL state) and zero it, MAC included. */
void tsig_ctx_clear(tsig_ctx_t *ctx);

/* ---- server side ---- */

/**
 * \brief Verify the TSIG of a request (RFC 8945 §5.2), in the RFC order:
 * placement and form (FORMERR), key and algorithm (BADKEY), MAC size
 * (FORMERR), MAC (BADSIG), time (BADTIME), truncation policy (BADTRUNC).
 * \param kr   keyring (read only)
 * \param msg  the whole request as received
 * \param now  current time, seconds since the epoch
 * \param ctx  context to fill for tsig_sign_response() (reset here; need
 *             not be initialised, must not hold client state)
 * \return TSIG_NONE (no TSIG RR at all), TSIG_OK, TSIG_FORMERR (also for a
 * message too broken to find its records), TSIG_BADKEY, TSIG_BADSIG,
 * TSIG_BADTIME, TSIG_BADTRUNC; or FL_ENOMEM / FL_ENOTSUP (OpenSSL failed).
 */
int tsig_verify_request(const tsig_keyring_t *kr, const uint8_t *msg, size_t len, uint64_t now, tsig_ctx_t *ctx);

/**
 * \brief Octets the next tsig_sign_response() (or, on the client,
 * tsig_sign_request() with ctx->key) will append; 0 when it appends nothing.
 */
size_t tsig_reserve(const tsig_ctx_t *ctx);

/** \brief Octets tsig_sign_request() appends with this key. */
size_t tsig_key_reserve(const tsig_key_t *key);

/**
 * \brief Append the TSIG RR to a response and increment ARCOUNT. Call it
 * for every response message after tsig_verify_request():
 *  - TSIG_NONE, TSIG_FORMERR: appends nothing, returns 0;
 *  - TSIG_BADKEY, TSIG_BADSIG: appends an unsigned TSIG (MAC size 0) with
 *    the error (the caller sets RCODE NOTAUTH);
 *  - TSIG_BADTIME: signed, Time Signed of the request, our time in Other Data;
 *  - TSIG_BADTRUNC, TSIG_OK: signed. The first message covers the request MAC,
 *    the message and all TSIG variables; each further message of a
 *    transfer covers the prior MAC, the message and the timers (§5.3.1).
 * The message ID is replaced by the Original ID in the digest.
 * \param msg  message, *len octets used of cap
 * \return 0, FL_ESPACE (no room: message unchanged), FL_EMALF (no header),
 * FL_ELIMIT (ARCOUNT full), FL_ENOMEM / FL_ENOTSUP (OpenSSL).
 */
int tsig_sign_response(tsig_ctx_t *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now);

/* ---- client side ---- */

/**
 * \brief Sign a request (NOTIFY, SOA query, AXFR/IXFR) and set up ctx to
 * verify the response(s). Original ID is the message ID.
 * \param key    the key (owned by its keyring)
 * \param fudge  0 means TSIG_FUDGE_DEFAULT
 * \param ctx    context, (re)initialised here (tsig_ctx_clear() is called first)
 * \return 0, FL_ESPACE, FL_EMALF, FL_ELIMIT, FL_EINVAL, FL_ENOMEM / FL_ENOTSUP.
 */
int tsig_sign_request(const tsig_key_t *key, uint8_t *msg, size_t *len, size_t cap, uint64_t now, uint16_t fudge,
		      tsig_ctx_t *ctx);

/**
 * \brief Verify one response message of the exchange started by
 * tsig_sign_request(). Call it for each message in order.
 * \return TSIG_OK (signed and verified); TSIG_NONE (unsigned intermediate
 * message, accepted for now: its bytes are covered by the next MAC);
 * TSIG_UNSIGNED (first message unsigned, or too many unsigned in a row);
 * TSIG_FORMERR; TSIG_BADKEY (wrong key/algorithm, or the server said
 * BADKEY); TSIG_BADSIG (MAC mismatch, or the server said BADSIG);
 * TSIG_BADTIME (our clock check, or the server said so: then
 * ctx->peer_time holds its time); TSIG_BADTRUNC. ctx->peer_error tells
 * whether an error came from the server. Errors are sticky: later calls
 * return the same verdict. FL_ENOMEM / FL_ENOTSUP / FL_EINVAL (ctx not
 * from tsig_sign_request) are internal failures.
 */
int tsig_verify_response(tsig_ctx_t *ctx, const uint8_t *msg, size_t len, uint64_t now);

/**
 * \brief End of a (multi-message) response: the last message must have been signed.
 * \return TSIG_OK, TSIG_UNSIGNED (no message, or the last was unsigned),
 * or the sticky error verdict.
 */
int tsig_verify_end(const tsig_ctx_t *ctx);
