/* SPDX-License-Identifier: MIT */
/**
 * \file
 * RR type and class numbers, mnemonics, and rdata layout descriptors.
 * The descriptor tells where names sit inside rdata: needed for name
 * compression when answering (only RFC 1035 types are compressed, RFC 3597
 * §4), for canonical form (RFC 4034 §6.2) and for parsing rdata off the wire.
 * Pure: static tables only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	RR_A = 1, RR_NS = 2, RR_MD = 3, RR_MF = 4, RR_CNAME = 5, RR_SOA = 6, RR_MB = 7,
	RR_MG = 8, RR_MR = 9, RR_NULL = 10, RR_WKS = 11, RR_PTR = 12, RR_HINFO = 13,
	RR_MINFO = 14, RR_MX = 15, RR_TXT = 16, RR_RP = 17, RR_AFSDB = 18, RR_X25 = 19,
	RR_ISDN = 20, RR_RT = 21, RR_NSAP = 22, RR_SIG = 24, RR_KEY = 25, RR_PX = 26,
	RR_GPOS = 27, RR_AAAA = 28, RR_LOC = 29, RR_NXT = 30, RR_SRV = 33, RR_NAPTR = 35,
	RR_KX = 36, RR_CERT = 37, RR_A6 = 38, RR_DNAME = 39, RR_OPT = 41, RR_APL = 42,
	RR_DS = 43, RR_SSHFP = 44, RR_IPSECKEY = 45, RR_RRSIG = 46, RR_NSEC = 47,
	RR_DNSKEY = 48, RR_DHCID = 49, RR_NSEC3 = 50, RR_NSEC3PARAM = 51, RR_TLSA = 52,
	RR_SMIMEA = 53, RR_HIP = 55, RR_CDS = 59, RR_CDNSKEY = 60, RR_OPENPGPKEY = 61,
	RR_CSYNC = 62, RR_ZONEMD = 63, RR_SVCB = 64, RR_HTTPS = 65, RR_SPF = 99,
	RR_NID = 104, RR_L32 = 105, RR_L64 = 106, RR_LP = 107, RR_EUI48 = 108, RR_EUI64 = 109,
	RR_TKEY = 249, RR_TSIG = 250, RR_IXFR = 251, RR_AXFR = 252, RR_MAILB = 253,
	RR_MAILA = 254, RR_ANY = 255, RR_URI = 256, RR_CAA = 257,
};

enum { RR_CLASS_IN = 1, RR_CLASS_CH = 3, RR_CLASS_HS = 4, RR_CLASS_NONE = 254, RR_CLASS_ANY = 255 };

/** One rdata field. */
typedef enum {
	RDF_END = 0,
	RDF_CNAME,   /*!< name, compressed when answering, lowercased in canonical form */
	RDF_LNAME,   /*!< name, never compressed, lowercased in canonical form */
	RDF_NAME,    /*!< name, never compressed, case kept in canonical form */
	RDF_FIXED,   /*!< fixed number of octets (len in the descriptor) */
	RDF_STRING,  /*!< <character-string>: length octet + data */
	RDF_REST,    /*!< everything up to the end of rdata */
} rdf_kind_t;

typedef struct {
	uint8_t kind; /*!< rdf_kind_t */
	uint8_t len;  /*!< for RDF_FIXED */
} rdf_t;

#define RRTYPE_MAXFIELDS 8

typedef struct {
	uint16_t type;
	const char *name;
	rdf_t fields[RRTYPE_MAXFIELDS]; /*!< terminated by RDF_END */
} rrtype_desc_t;

/**
 * \brief Descriptor for a type. Unknown types get a generic descriptor
 * (one RDF_REST field, name NULL). Never returns NULL.
 */
const rrtype_desc_t *rrtype_desc(uint16_t type);

/** \brief True when rdata of this type contains names to compress (RFC 1035 types). */
bool rrtype_compressible(uint16_t type);

/** \brief Mnemonic ("A", "TYPE65534" for unknown). Writes into buf (>= 16 bytes). */
const char *rrtype_to_str(uint16_t type, char *buf, size_t buflen);

/**
 * \brief Parse a type mnemonic, case-insensitive, also "TYPEnnn" (RFC 3597).
 * \return 0 and *type set, or FL_ESYNTAX.
 */
int rrtype_from_str(const char *s, size_t len, uint16_t *type);

/** \brief Parse a class mnemonic ("IN", "CH", "HS", "CLASSnnn"). 0 or FL_ESYNTAX. */
int rrclass_from_str(const char *s, size_t len, uint16_t *rclass);

/** \brief True for meta/query-only types that never appear in zone data (OPT, TSIG, AXFR, ANY ...). */
bool rrtype_is_meta(uint16_t type);

/**
 * \brief Check that rdata is well formed for its type (names valid and
 * uncompressed, fixed fields complete, nothing left over).
 * \return 0 or FL_EMALF.
 */
/**
 * \brief Lowercase, in place, the names the type's descriptor locates in
 * rdata: the CNAME-like and LNAME fields, or every name field when all is
 * set (RFC 4034 §6.2 canonical form). Stops quietly at anything malformed:
 * rrtype_rdata_check() is what reports that.
 */
void rrtype_lower_names(uint16_t type, uint8_t *rd, size_t len, bool all);

int rrtype_rdata_check(uint16_t type, const uint8_t *rdata, size_t len);
