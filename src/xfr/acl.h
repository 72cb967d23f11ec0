/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Address + key access lists (who may transfer a zone, whose NOTIFY we
 * take). A rule matches a client address by prefix and, when it names a
 * key, only a request TSIG-verified with that key. An empty list matches
 * nobody: transfers are refused unless configured.
 * Pure: no I/O; rules are plain values.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dname.h"

typedef struct acl_rule {
	int family;              /*!< AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;          /*!< bits */
	bool has_key;
	uint8_t key[DNAME_MAXLEN]; /*!< required TSIG key name (lowercased wire) when has_key */
} acl_rule_t;

typedef struct acl {
	const acl_rule_t *rules;
	size_t count;
} acl_t;

/**
 * An access list a reload may replace while query workers read it: a
 * reader loads `cur` once inside its QSBR read section (acl_slot_get); the
 * writer stores a new list and frees the old one after a grace period.
 */
typedef struct acl_slot {
	_Atomic(const acl_t *) cur;
} acl_slot_t;

/** \brief The list in force (NULL slot: NULL). */
static inline const acl_t *
acl_slot_get(const acl_slot_t *s)
{
	return s != NULL ? atomic_load_explicit(&((acl_slot_t *)s)->cur, memory_order_acquire) : NULL;
}

/**
 * \brief Parse "ADDR[/PREFIX] [key NAME]", e.g. "198.51.100.0/24",
 * "fd53:f1a3::/64 key ns2-key", "127.0.0.1".
 * \return 0 or FL_ESYNTAX.
 */
int acl_rule_parse(const char *text, acl_rule_t *out);

/**
 * \brief Does the request from peer, verified with key (NULL: unsigned), match a rule?
 * IPv4-mapped IPv6 peers are matched as IPv4.
 */
bool acl_match(const acl_t *acl, const struct sockaddr *peer, const uint8_t *key);

/** \brief "ADDR@PORT" of an IPv4/IPv6 socket address, for log lines ("?@0" otherwise). */
void acl_addr_str(const struct sockaddr *sa, char *buf, size_t len);
