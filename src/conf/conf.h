/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Daemon configuration: a YAML file (libyaml) read by walking a schema table.
 * Every option is one row of that table (key, type, limits, default, field
 * offset); defaults exist only there, so the daemon, the tests and a future
 * checkconf see the same values. conf.c explains how to add an option or a
 * section.
 *
 * This module only reads and validates text: it opens no sockets and
 * resolves no users. It is not thread-safe; the daemon reads the config once
 * at start-up and then treats conf_t as read-only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "xfr/acl.h"

/** Default DNS port when a listen address has no "@PORT". */
#define CONF_DEFAULT_PORT 53

/** One listen address: "ADDR@PORT", "[ADDR]@PORT" or just "ADDR". */
typedef struct conf_listen {
	struct sockaddr_storage addr; /*!< AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	char text[64];                /*!< canonical "ADDR@PORT" for log lines */
} conf_listen_t;

/** A list of listen addresses (one table type, so the field is one struct). */
typedef struct conf_listen_list {
	conf_listen_t *addr;       /*!< array (malloc), count entries */
	size_t count;
} conf_listen_list_t;

/** server: section. Integer options are int64_t so one table type fits all. */
typedef struct conf_server {
	conf_listen_list_t listen;
	int64_t workers;           /*!< query worker threads */
	char *user;                /*!< drop privileges to this user, NULL = stay */
	char *pidfile;             /*!< NULL = none */
	char *identity;            /*!< CHAOS id.server answer, NULL = REFUSED */
	char *version;             /*!< CHAOS version.bind answer, NULL = REFUSED */
	int64_t udp_max_payload;   /*!< EDNS UDP payload we accept and send */
	int64_t tcp_idle_timeout;  /*!< ms */
	int64_t tcp_max_clients;   /*!< per worker */
	int64_t udp_engine;        /*!< conf_udp_engine_t */
} conf_server_t;

/** How UDP sockets are served (server.udp-engine). */
typedef enum {
	CONF_UDP_URING = 0,    /*!< io_uring, falling back to recvmmsg when unavailable */
	CONF_UDP_RECVMMSG = 1, /*!< blocking recvmmsg + sendmmsg (default) */
} conf_udp_engine_t;

/** log: section. */
typedef struct conf_log {
	int64_t level;             /*!< log_level_t value */
	bool syslog;
} conf_log_t;

/** Where a zone's data comes from (zones.role, zone.role). */
typedef enum {
	CONF_ROLE_PRIMARY = 0,   /*!< a zone file in zones.directory */
	CONF_ROLE_SECONDARY = 1, /*!< transfers from primaries (secondary: section) */
} conf_role_t;

/** zones: section. */
typedef struct conf_zones {
	char *directory;           /*!< flat directory of <name>.zone files, NULL = unset */
	bool watch;                /*!< reload changed zone files at once (inotify) */
	char *storage;             /*!< journals and state, NULL = none */
	int64_t serial_policy;     /*!< serial_policy_t */
	int64_t journal_max_changesets;
	int64_t journal_max_bytes;
	int64_t role;              /*!< conf_role_t of zone: entries that do not set one */
} conf_zones_t;

/** A list of strings. */
typedef struct conf_strlist {
	char **v;                  /*!< count strings (malloc) */
	size_t count;
} conf_strlist_t;

/** An access list (rules in order). */
typedef struct conf_acl {
	acl_rule_t *rules;         /*!< malloc */
	size_t count;
} conf_acl_t;

/** keys: section. */
typedef struct conf_keys {
	conf_strlist_t files;      /*!< BIND-syntax TSIG key files */
	char *directory;           /*!< every *.key file in it (name order), NULL = none */
	conf_strlist_t retiring;   /*!< key names marked for retirement: accepted, with a warning */
	char *dnssec_directory;    /*!< DNSSEC keys: <dir>/<zone>/K*.key|.private */
} conf_keys_t;

/** control: section (the flamectl socket). */
typedef struct conf_control {
	char *socket;              /*!< Unix socket path, NULL = no control socket */
	char *group;               /*!< NULL: mode 0600 (our uid and root); else 0660 and this group */
} conf_control_t;

/** cluster: section (flamectl cluster-status). */
typedef struct conf_cluster {
	conf_strlist_t nodes;      /*!< "NAME ADDR@PORT" per node; empty: derived from notify
				        targets / primaries and our first listen address */
} conf_cluster_t;

/** transfer: section. */
typedef struct conf_transfer {
	conf_acl_t allow;          /*!< who may AXFR/IXFR; empty = nobody */
} conf_transfer_t;

/** Most keys one remote may list ("key NEW,OLD" during a rotation). */
#define CONF_MAX_KEYS 4

/**
 * One remote (NOTIFY target, primary): "ADDR@PORT [key NAME[,NAME...]]".
 * Outbound the first key is used and, when the peer answers BADKEY, the
 * next one once; inbound (the default notify-allow of a primary) any listed key.
 */
typedef struct conf_notify_target {
	conf_listen_t addr;        /*!< where to send (port 53 when omitted) */
	uint8_t nkeys;             /*!< 0 = unsigned */
	uint8_t key[CONF_MAX_KEYS][DNAME_MAXLEN]; /*!< TSIG key names (lowercased wire), in order */
} conf_notify_target_t;

/** A list of NOTIFY targets. */
typedef struct conf_notify_list {
	conf_notify_target_t *v;   /*!< count entries (malloc) */
	size_t count;
} conf_notify_list_t;

/** notify: section (RFC 1996, NOTIFY out). */
typedef struct conf_notify {
	conf_notify_list_t targets; /*!< empty: no NOTIFY is sent */
	int64_t retries;           /*!< tries per NOTIFY in all */
	int64_t timeout_ms;        /*!< gap before the second try, doubled after each */
} conf_notify_t;

/** secondary: section, defaults of every secondary zone (RFC 1996, 1995, 5936). */
typedef struct conf_secondary {
	conf_notify_list_t primaries; /*!< "ADDR@PORT [key NAME]", tried in order */
	conf_acl_t notify_allow;    /*!< who may NOTIFY; empty = the primaries (with their keys) */
	char *source;               /*!< source address of transfers and SOA queries, NULL = any */
	int64_t refresh_min, refresh_max; /*!< clamp of the SOA refresh (seconds) */
	int64_t retry_min, retry_max;     /*!< clamp of the SOA retry (seconds) */
	int64_t expire_min, expire_max;   /*!< clamp of the SOA expire (seconds) */
	int64_t transfer_timeout;   /*!< ms without progress before a transfer is given up */
	int64_t max_transfers;      /*!< transfers running at once, all zones together */
	int64_t max_records;        /*!< per transfer */
	int64_t max_bytes;          /*!< per transfer */
	int64_t snapshot_interval;  /*!< seconds between snapshots of a changed zone */
} conf_secondary_t;

/** zone: entry, settings for one zone that replace the global ones. */
typedef struct conf_zone {
	char *domain;               /*!< zone name (required) */
	conf_acl_t transfer_allow;  /*!< non-empty: replaces transfer.allow for this zone */
	conf_notify_list_t notify;  /*!< non-empty: replaces notify.targets for this zone */
	int64_t serial_policy;      /*!< 0 = inherit zones.serial-policy, else serial_policy_t + 1 */
	int64_t role;               /*!< 0 = inherit zones.role, else conf_role_t + 1 */
	conf_notify_list_t primaries; /*!< non-empty: replaces secondary.primaries */
	conf_acl_t notify_allow;    /*!< non-empty: replaces secondary.notify-allow */
	char *source;               /*!< replaces secondary.source */
	int64_t catalog;            /*!< conf_catalog_t: this zone is an RFC 9432 catalog */
	char *catalog_group;        /*!< group property of this zone as a member of our produced catalog */
	char *catalog_template;     /*!< consumer: template (by id) for members without a matching group */
	bool dnssec_signing;        /*!< sign this (primary) zone before it is served (issue 8) */
	char *dnssec_algorithm;     /*!< NULL: ECDSAP256SHA256 */
	bool dnssec_nsec3;          /*!< NSEC3 (RFC 9276 parameters) instead of NSEC */
	bool dnssec_nsec3_optout;   /*!< NSEC3 opt-out (RFC 5155 §6): insecure delegations get no NSEC3 */
	bool zonemd;                /*!< publish an apex ZONEMD (RFC 8976, SIMPLE/SHA-384), signed or not */
	bool dnssec_cds;            /*!< publish CDS/CDNSKEY for the SEP keys (RFC 7344); needs dnssec_signing */
	bool dnssec_validate;       /*!< signed zones: validate each signed version before publishing it */
	/* Signature timing (seconds; durations like 14d in the file). After
	 * conf_load: refresh < validity and refresh + jitter < validity; an
	 * unset refresh is half the validity, an unset jitter a tenth of it
	 * (at most half of validity - refresh). The signer raises refresh to the
	 * zone's SOA expire + largest TTL when that is more (pipeline, primary.c). */
	int64_t dnssec_validity;    /*!< RRSIG lifetime (expiration - now) */
	int64_t dnssec_refresh;     /*!< re-sign when less validity than this is left */
	bool dnssec_refresh_default; /*!< refresh not given: half the validity (raising it is not worth a warning) */
	int64_t dnssec_jitter;      /*!< expirations spread over [expiration - jitter, expiration] */
	int64_t dnssec_inception_offset; /*!< inception = now - this (clock skew) */
	int64_t dnssec_key_model;   /*!< conf_key_model_t: which keys are made when there are none */
} conf_zone_t;

/** Keys made for a signed zone whose key directory is empty (zone.dnssec-key-model). */
typedef enum {
	CONF_KEYS_CSK = 0,     /*!< one key with the SEP flag that signs everything */
	CONF_KEYS_KSK_ZSK = 1, /*!< a KSK (SEP) for the DNSKEY RRset, a ZSK for the rest */
} conf_key_model_t;

/** What a zone entry is to catalog zones (zone.catalog, RFC 9432). */
typedef enum {
	CONF_CATALOG_NONE = 0,
	CONF_CATALOG_PRODUCER = 1, /*!< generated here: every zone of zones.directory is a member */
	CONF_CATALOG_CONSUMER = 2, /*!< a secondary zone whose members become secondary zones here */
} conf_catalog_t;

/** template: entry, settings for catalog member zones (id = a group name, or named by catalog-template). */
typedef struct conf_template {
	char *id;                   /*!< required */
	conf_notify_list_t primaries; /*!< empty: the catalog's own primaries */
	conf_acl_t notify_allow;    /*!< empty: the catalog's own notify-allow */
	char *source;               /*!< NULL: the catalog's own source */
} conf_template_t;

/** The whole configuration. Strings and arrays are owned (conf_free). */
typedef struct conf {
	conf_server_t server;
	conf_log_t log;
	conf_zones_t zones;
	conf_keys_t keys;
	conf_control_t control;
	conf_cluster_t cluster;
	conf_transfer_t transfer;
	conf_notify_t notify;
	conf_secondary_t secondary;
	conf_zone_t *zone;          /*!< per-zone settings (nzone entries) */
	size_t nzone;
	conf_template_t *template_; /*!< catalog member templates (ntemplate entries) */
	size_t ntemplate;
} conf_t;

/**
 * \brief Fill c with the schema defaults (overwrites c without freeing it).
 * \return 0 or FL_ENOMEM (c is then empty and safe to conf_free).
 */
int conf_defaults(conf_t *c);

/**
 * \brief Read a YAML config file over the defaults.
 * \param path    file to read
 * \param c       receives the configuration; on failure it is left freed
 *                (all zero, safe to conf_free again)
 * \param err     receives "file:line:column: what is wrong" (1-based), or
 *                "file: reason" when the file cannot be read
 * \return 0, FL_ESYNTAX (syntax or schema error), FL_ENOMEM, or -errno for I/O.
 */
int conf_load(const char *path, conf_t *c, char *err, size_t errlen);

/**
 * \brief Read a config from memory (tests, fuzzing); name is used in errors.
 * Same contract as conf_load.
 */
int conf_load_mem(const char *text, size_t len, const char *name, conf_t *c, char *err,
		  size_t errlen);

/**
 * \brief Set one option from text, validated by the same schema row as the
 * file (command-line overrides use this).
 * \param key     "section.key", e.g. "server.workers"
 * \param value   text as it would appear in YAML (a single scalar)
 * \param append  for list options: add to the list instead of replacing it
 * \param err     receives "key: what is wrong"
 * \return 0, FL_ENOENT (no such key), FL_ESYNTAX (bad value) or FL_ENOMEM.
 */
int conf_set(conf_t *c, const char *key, const char *value, bool append, char *err,
	     size_t errlen);

/**
 * \brief Parse an access rule "ADDR[/LEN] [key NAME[,NAME...]]": one rule per
 * key (any listed key is accepted), one rule without a key.
 * \param out    receives up to CONF_MAX_KEYS rules
 * \return the number of rules, or FL_ESYNTAX.
 */
int conf_parse_acl(const char *text, acl_rule_t *out);

/** \brief Role of zone entry i (its own, else zones.role). */
conf_role_t conf_zone_role(const conf_t *c, size_t i);

/** \brief Template entry with this id, or NULL. */
const conf_template_t *conf_template_find(const conf_t *c, const char *id);

/** \brief Free what c owns and zero it. */
void conf_free(conf_t *c);

/**
 * \brief Parse a listen address: "192.0.2.1@53", "2001:db8::1@53",
 * "[2001:db8::1]@53", or an address alone (port CONF_DEFAULT_PORT).
 * \param out  receives the address (text set to the canonical form)
 * \return 0 or FL_ESYNTAX (bad address or port; port must be 1..65535).
 */
int conf_parse_listen(const char *text, conf_listen_t *out);

/**
 * \brief Parse a NOTIFY target: "ADDR@PORT", "[ADDR]@PORT" or "ADDR",
 * optionally followed by "key NAME" ("198.51.100.2@53 key transfer-key")
 * or up to CONF_MAX_KEYS names, comma-separated ("key k2026,k2025").
 * Whether the key exists is checked at start-up, against the keyring.
 * \return 0 or FL_ESYNTAX.
 */
int conf_parse_notify_target(const char *text, conf_notify_target_t *out);

/**
 * \brief Parse a duration: a number of seconds ("3600"), or numbers with a
 * unit each, s m h d w, in any order ("14d", "12h", "1d12h", "90s").
 * \return 0 or FL_ESYNTAX (empty, a sign, an unknown unit, or more than 2^62 seconds).
 */
int conf_parse_duration(const char *text, int64_t *out);
