/* SPDX-License-Identifier: MIT */
/**
 * \file
 * DNSSEC signing keys (RFC 4034 §2, RFC 3110, RFC 6605, RFC 8080): generate,
 * save and load them in the BIND/ldns file format, and sign with them.
 *
 * A key is a pair of files in a zone's key directory:
 *   K<zone>+<alg>+<tag>.key      the DNSKEY record, one line (mode 0644)
 *   K<zone>+<alg>+<tag>.private  "Private-key-format: v1.3" (mode 0600)
 * as dnssec-keygen and ldns-keygen write them, so keys move between flame,
 * BIND, Knot (keymgr import-bind) and ldns-signzone. Algorithms:
 * ECDSAP256SHA256 (13, the default), ED25519 (15), RSASHA256 (8, 2048 bits).
 *
 * Secrets never appear in error messages or logs. Crypto is OpenSSL 3
 * (EVP); the DNSKEY text line is read with ldns. A loaded key is read-only
 * and may be used from several threads at once (each signature gets its
 * own EVP context).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** DNSSEC algorithm numbers we sign with (IANA registry). */
typedef enum {
	DKEY_ALG_RSASHA256 = 8,
	DKEY_ALG_ECDSAP256SHA256 = 13,
	DKEY_ALG_ED25519 = 15,
} dkey_alg_t;

/** DNSKEY flags (RFC 4034 §2.1.1): every key has ZONE; a KSK or CSK also SEP. */
#define DKEY_FLAG_ZONE 0x0100
#define DKEY_FLAG_SEP 0x0001
#define DKEY_FLAGS_ZSK DKEY_FLAG_ZONE
#define DKEY_FLAGS_KSK (DKEY_FLAG_ZONE | DKEY_FLAG_SEP)

/** Longest signature we produce (RSA-2048: 256; ECDSA and Ed25519: 64), and DNSKEY rdata. */
#define DKEY_SIG_MAX 512
#define DKEY_RDATA_MAX 1024

typedef struct dkey dkey_t;

/** \brief Algorithm from "ECDSAP256SHA256", "ED25519", "RSASHA256" (any case) or its number; 0 if none. */
dkey_alg_t dkey_alg_from_str(const char *s);

/** \brief Mnemonic of an algorithm ("ECDSAP256SHA256"), "unknown" otherwise. Static. */
const char *dkey_alg_name(dkey_alg_t alg);

/**
 * \brief Key tag of a DNSKEY rdata (RFC 4034 Appendix B; every algorithm we
 * sign with uses the checksum, not the algorithm-1 rule).
 */
uint16_t dkey_tag_of(const uint8_t *rdata, size_t len);

/**
 * \brief New key pair.
 * \param zone   owner name, uncompressed wire (any case: stored lowercased)
 * \param flags  DKEY_FLAGS_ZSK or DKEY_FLAGS_KSK (a CSK is a KSK that also signs everything)
 * \return 0, FL_EINVAL (unsupported algorithm or bad name), FL_ENOMEM, FL_ENOTSUP (OpenSSL refused).
 */
int dkey_generate(const uint8_t *zone, dkey_alg_t alg, uint16_t flags, dkey_t **out);

/**
 * \brief Write the key's two files into dir, created exclusively (an
 * existing file is never overwritten): .private with mode 0600, .key 0644.
 * \param path  receives the path of the .private file (may be NULL)
 * \param err   "dir/Kname+alg+tag.private: reason" on failure
 * \return 0, FL_EEXIST, -errno, FL_ENOMEM.
 */
int dkey_save(const dkey_t *k, const char *dir, char *path, size_t pathlen, char *err, size_t errlen);

/**
 * \brief Read a key from its .private file and the .key file beside it
 * (path may name either). The two must agree (algorithm, public key).
 * \param err  "file:line: reason" or "file: reason"
 * \return 0, FL_ESYNTAX (malformed file), FL_ENOTSUP (unsupported algorithm
 * or key size), FL_ESEMANTIC (the files do not match), FL_ENOMEM, -errno.
 */
int dkey_load(const char *path, dkey_t **out, char *err, size_t errlen);

/**
 * \brief Every key of zone in dir: the K<zone>+*.private files, in name order.
 * \param keys  receives a malloc'ed array of n keys (free each with dkey_free, then the array)
 * \return 0 (possibly n == 0), or the first error of dkey_load (err filled), -errno for dir.
 */
int dkey_load_dir(const char *dir, const uint8_t *zone, dkey_t ***keys, size_t *n, char *err, size_t errlen);

/** \brief Free a key (the private key is cleansed by OpenSSL). NULL is a no-op. */
void dkey_free(dkey_t *k);

/** \brief Accessors. */
dkey_alg_t dkey_alg(const dkey_t *k);
uint16_t dkey_flags(const dkey_t *k);
uint16_t dkey_tag(const dkey_t *k);
/** \brief Owner name (lowercased wire). */
const uint8_t *dkey_zone(const dkey_t *k);
/** \brief DNSKEY rdata (flags, protocol 3, algorithm, public key). */
const uint8_t *dkey_rdata(const dkey_t *k, size_t *len);
/** DS digest types (RFC 4509, RFC 6605). */
#define DKEY_DS_SHA256 2
#define DKEY_DS_SHA384 4
/** Longest DS rdata: key tag, algorithm, digest type, SHA-384. */
#define DKEY_DS_MAX (4 + 48)

/**
 * \brief The DS rdata of this key (RFC 4034 §5.1.4): key tag, algorithm,
 * digest type, digest over the owner (lowercase wire) and the DNSKEY rdata.
 * Also the rdata of its CDS (RFC 7344 §3.1).
 * \param type  DKEY_DS_SHA256 or DKEY_DS_SHA384
 * \param out   at least DKEY_DS_MAX octets
 * \return the rdata length, FL_EINVAL (another digest type), FL_ENOMEM.
 */
int dkey_ds(const dkey_t *k, uint8_t type, uint8_t *out, size_t cap);

/** \brief Length of this key's signatures in DNSSEC wire form. */
size_t dkey_siglen(const dkey_t *k);

/**
 * \brief Sign data (the RRSIG rdata up to the signature, then the RRset in
 * canonical form: RFC 4034 §3.1.8.1) and write the signature in DNSSEC wire
 * form: RSA PKCS#1 v1.5 (RFC 5702), ECDSA r||s (RFC 6605), Ed25519 (RFC 8080).
 * \param sig     at least dkey_siglen() octets
 * \return 0, FL_ENOMEM, FL_ENOTSUP (OpenSSL failed).
 */
int dkey_sign(const dkey_t *k, const uint8_t *data, size_t len, uint8_t *sig, size_t *siglen);

/**
 * \brief Verify a signature made by dkey_sign (tests, validate-before-publish).
 * \return true when it verifies.
 */
bool dkey_verify(const dkey_t *k, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen);
