/* SPDX-License-Identifier: MIT */
/**
 * \file
 * The control protocol (version 1) between flamectl and flame-dnsd, spoken
 * over the daemon's Unix stream socket; docs/control-protocol.md is the
 * reference. One request per connection:
 *
 *     FLAMECTL 1 <command> [<arg> ...]\n
 *
 * Arguments are separated by one space and may not contain whitespace or
 * control characters (zone and key names never do). The answer:
 *
 *     FLAMECTL 1 OK\n                 or   FLAMECTL 1 ERR <one line>\n
 *     <type>\t<key>=<value>\t...\n    zero or more records
 *     .\n                             end of the answer
 *
 * Keys are [a-z0-9-]; values escape backslash, tab, newline and carriage
 * return as \\ \t \n \r. Times are UTC ISO 8601 ("2026-11-26T05:00:00Z"),
 * "-" when there is none. Records of an ERR answer are not sent.
 *
 * This module only encodes and decodes text: no sockets, no globals. Both
 * sides (src/server/ctlsock.c and src/bin/flamectl.c) use it, so they cannot
 * drift apart.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CTL_PROTO_VERSION 1
/** Longest request line, newline included. */
#define CTL_REQ_MAX 4096
/** Most words in a request (command included). */
#define CTL_MAX_ARGS 16
/** Longest answer a client accepts (a zone list of 100,000 zones fits). */
#define CTL_RESP_MAX (256u * 1024 * 1024)

/** A parsed request; argv points into buf. */
typedef struct ctl_req {
	unsigned version;          /*!< the version the client spoke */
	int argc;                  /*!< >= 1: argv[0] is the command */
	char *argv[CTL_MAX_ARGS];
	char buf[CTL_REQ_MAX];
} ctl_req_t;

/**
 * \brief Parse a request line (with or without its trailing newline).
 * A version other than CTL_PROTO_VERSION parses (version is set) so the
 * server can answer with a precise error.
 * \param err  receives why on failure ("not a FLAMECTL request", "too many arguments", ...)
 * \return 0 or FL_ESYNTAX.
 */
int ctl_req_parse(const char *line, size_t len, ctl_req_t *out, char *err, size_t errlen);

/**
 * \brief Write "FLAMECTL 1 argv[0] argv[1] ...\n" into buf, NUL-terminated.
 * \return the length (without the NUL), FL_EINVAL (argc < 1, too many, an
 * empty argument or one with whitespace/control characters), or FL_ESPACE
 * (longer than CTL_REQ_MAX, or line and NUL longer than cap).
 */
int ctl_req_format(int argc, const char *const *argv, char *buf, size_t cap);

/** An answer being built (server side). Calls malloc; ctl_out_free(). */
typedef struct ctl_out {
	char *buf;                 /*!< records so far */
	size_t len, cap;
	bool oom;                  /*!< an append failed: ctl_out_finish reports FL_ENOMEM */
	char *final;               /*!< the whole answer after ctl_out_finish */
	size_t final_len;
} ctl_out_t;

/** \brief Start empty (a zeroed struct is an initialised one). */
void ctl_out_init(ctl_out_t *o);
/** \brief Free what o holds and zero it. */
void ctl_out_free(ctl_out_t *o);
/** \brief Start a record of this type (ends the previous one). type: [a-z0-9-]. */
void ctl_out_rec(ctl_out_t *o, const char *type);
/** \brief Add key=value to the current record (value escaped; NULL is written as "-"). */
void ctl_out_str(ctl_out_t *o, const char *key, const char *val);
/** \brief printf-style value. */
void ctl_out_fmt(ctl_out_t *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ctl_out_u64(ctl_out_t *o, const char *key, uint64_t v);
void ctl_out_bool(ctl_out_t *o, const char *key, bool v);
/** \brief A time as UTC ISO 8601; t == 0 is written as "-". */
void ctl_out_time(ctl_out_t *o, const char *key, time_t t);

/**
 * \brief The whole answer: header, records (none when errmsg != NULL), ".\n".
 * \param errmsg  NULL for OK, else the one-line error (newlines are replaced by spaces)
 * \param data    receives the answer (owned by o, valid until ctl_out_free)
 * \return 0 or FL_ENOMEM (an append or this call ran out of memory).
 */
int ctl_out_finish(ctl_out_t *o, const char *errmsg, const char **data, size_t *len);

/** One key=value of a parsed record (unescaped). */
typedef struct ctl_field {
	char *key;
	char *val;
} ctl_field_t;

typedef struct ctl_rec {
	char *type;
	ctl_field_t *f;
	size_t nf;
} ctl_rec_t;

/** A parsed answer (client side). Calls malloc; ctl_resp_free(). */
typedef struct ctl_resp {
	unsigned version;
	bool ok;
	char *error;               /*!< the ERR line's text, NULL when ok */
	ctl_rec_t *rec;
	size_t nrec;
} ctl_resp_t;

/**
 * \brief Parse a whole answer (it must end with the ".\n" line).
 * \return 0, FL_ESYNTAX (err says why: truncated, bad header, bad field), FL_ENOMEM.
 * On failure out is left freed.
 */
int ctl_resp_parse(const char *data, size_t len, ctl_resp_t *out, char *err, size_t errlen);

/** \brief Value of key in r, or NULL. */
const char *ctl_rec_get(const ctl_rec_t *r, const char *key);

/** \brief Free what r holds and zero it. */
void ctl_resp_free(ctl_resp_t *r);

/**
 * \brief The answer as one JSON object: {"ok":true,"<type>":[{...},...],...}
 * (records grouped by type, in order of first appearance) or
 * {"ok":false,"error":"..."}. Values that are decimal integers of at most
 * 18 digits without a leading zero (-?(0|[1-9][0-9]{0,17}), so the JSON is
 * valid and fits an int64) become numbers, "true"/"false" booleans, "-"
 * null, everything else strings (JSON-escaped; bytes that are not UTF-8
 * become U+FFFD). Ends with a newline. Record types "ok" and "error" are
 * reserved (they would collide with the object's own keys).
 * \return 0, FL_ENOMEM, or -errno of the write.
 */
int ctl_resp_json(const ctl_resp_t *r, FILE *f);
