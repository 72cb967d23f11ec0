/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Catalog zones (RFC 9432, schema version 2): the list of member zones a
 * catalog zone version describes (consumer side), and a catalog zone
 * version built from such a list (producer side).
 *
 * A catalog `<cat>` holds `version.<cat> TXT "2"` and one node per member,
 * `<unique-N>.zones.<cat> PTR <member zone>`, with optional properties
 * below it: `coo.<unique-N>.zones.<cat> PTR <other catalog>` (§4.3.1) and
 * `group.<unique-N>.zones.<cat> TXT "<group>"` (§4.3.2). Everything else
 * (ext. properties, unknown properties, other names) is ignored.
 *
 * A catalog that breaks the rules is refused as a whole (RFC 9432 calls it
 * "broken": it MUST NOT be processed), never partly applied, so a consumer
 * keeps its previous member list. Reads zone_t versions and never changes
 * them; no I/O, no logging, no globals: separate calls may run on separate
 * threads.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "zone/zone.h"

/** A member as read from a catalog (consumer side). Pointers live in the catalog_t. */
typedef struct catalog_member {
	const uint8_t *name;  /*!< member zone origin, lowercased wire name */
	const uint8_t *label; /*!< its unique-N label as one wire label (length octet + octets), as in the catalog */
	const char *group;    /*!< group property (TXT, §4.3.2): first character-string of the first TXT RR in
				   canonical order, NUL-terminated; NULL when absent or empty */
	const uint8_t *coo;   /*!< coo property (PTR, §4.3.1): target catalog origin, lowercased wire; NULL when absent */
} catalog_member_t;

/** The members of one catalog version (opaque; owns one arena). */
typedef struct catalog catalog_t;

/**
 * \brief Interpret a catalog zone version (RFC 9432 §4). The catalog is
 * refused as a whole (FL_EINVAL) when:
 *  - `version.<cat>` has no TXT RRset ("missing"), or one other than
 *    exactly one RR holding exactly one character-string "2" ("unsupported
 *    version"; §4.2.1);
 *  - `zones.<cat>` itself has a PTR RRset;
 *  - a member node (a child of `zones.<cat>`) has no PTR RRset or more than
 *    one PTR RR (§4.1), whatever else it holds;
 *  - a member PTR target is not a valid name, or is the catalog origin or below it;
 *  - two member nodes name the same zone (both owners are named);
 *  - a coo node has other than exactly one PTR RR, or a coo target is not
 *    a valid name;
 *  - the first TXT string of a group node is malformed or holds a NUL octet;
 *  - a node lies below a coo or group node.
 * An empty group string counts as no group. ext. and unknown properties,
 * names below them, and names outside `zones.` and `version.` are ignored.
 * Names are compared case-insensitively. O(n log n) in the zone's nodes.
 * \param z       the catalog zone version (not modified; may be freed after the call)
 * \param out     receives the catalog (free with catalog_free); NULL on failure
 * \param err     receives one line naming the offending owner, e.g. "catalog
 *   catalog.example.: version.catalog.example. TXT missing: not a catalog (RFC 9432 §4.2.1)";
 *   "" on success (may be NULL)
 * \param errlen  size of err
 * \return 0, FL_EINVAL (see above) or FL_ENOMEM.
 */
int catalog_parse(const zone_t *z, catalog_t **out, char *err, size_t errlen);

/** \brief Number of members. */
size_t catalog_count(const catalog_t *c);

/** \brief Member i (i < catalog_count()), in canonical DNS order of member names. */
const catalog_member_t *catalog_at(const catalog_t *c, size_t i);

/**
 * \brief The member whose zone is name (wire, any case), by binary search.
 * \return the member or NULL when name is not a member (or not a valid name).
 */
const catalog_member_t *catalog_find(const catalog_t *c, const uint8_t *name);

/** \brief Free a catalog. NULL is fine. */
void catalog_free(catalog_t *c);

/** One member to write into a catalog (producer side). */
typedef struct catalog_entry {
	const uint8_t *name;  /*!< member zone origin (wire; any case; written lowercased) */
	const uint8_t *label; /*!< wire label (length octet + 1..63 octets), unique among entries (case-insensitive) */
	const char *group;    /*!< NULL or "" = no group property */
} catalog_entry_t;

/**
 * \brief Build a catalog zone version of n entries (in any order), all TTL 0:
 * apex SOA "invalid. invalid. <serial> 3600 600 2147483646 0", apex NS
 * "invalid.", `version.<origin> TXT "2"`, one PTR per entry at
 * `<label>.zones.<origin>` and, when the entry has a non-empty group,
 * `group.<label>.zones.<origin> TXT "<group>"`.
 * catalog_parse() of the result returns the entries (groups "" as NULL).
 * \param origin  catalog origin (wire, any case)
 * \param out     receives the version (free with zone_free); NULL on failure
 * \param err     receives one line naming the offending entry on failure (may be NULL); "" on success
 * \return 0; FL_EINVAL for an invalid origin or label, a duplicate label or
 *   member name, a member equal to or below origin, an owner longer than
 *   255 octets, a group longer than 255 octets; FL_ENOMEM.
 */
int catalog_build(const uint8_t *origin, uint32_t serial, const catalog_entry_t *e, size_t n, zone_t **out,
		  char *err, size_t errlen);

/**
 * \brief A fresh unique-N label for a member: the first 8 octets of
 * SHA-256(lowercased name wire || salt as 8 big-endian octets) as 16
 * lowercase hex characters, written as a wire label (out[0] = 16).
 * Deterministic: the same name and salt give the same label after a
 * restart, so a rebuilt catalog keeps its labels (a consumer treats a
 * changed unique-N label as a reset of the member's state, RFC 9432 §5.6);
 * a new salt gives new labels. name must be a valid wire name.
 */
void catalog_new_label(const uint8_t *name, uint64_t salt, uint8_t out[17]);
