/* SPDX-License-Identifier: MIT */
/**
 * \file
 * YAML config reader driven by a schema table.
 *
 * The file is loaded into a libyaml document (a node tree that keeps the
 * line and column of every node), then walked against conf_sections[]:
 * each top-level key must name a section, each key inside a section must
 * name a row of that section's item table, and the row's type parser turns
 * the node into the struct field at the row's offset. Defaults are text in
 * the same rows, run through the same parsers by conf_defaults().
 *
 * Adding an option: a field in the section struct (conf.h), a row in the
 * section's item table below, a line in etc/flame-dnsd.yaml, a test in
 * tests/unit/test_conf.c. Adding a section (remotes, keys, acl, zone
 * roles): a struct in conf_t, an item table and a conf_sections[] row.
 * Sections that are lists of named objects (remotes, per-zone settings)
 * will get a section kind whose offset points at an array plus an element
 * size; the item rows and type parsers are reused unchanged.
 */
#include <assert.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "conf/conf.h"
#include "dns/dname.h"
#include "util/err.h"

/** Value types a row can have. */
typedef enum {
	CONF_T_INT,    /*!< int64_t in [min, max] */
	CONF_T_BOOL,   /*!< bool: true/false, yes/no, on/off */
	CONF_T_STR,    /*!< char * (malloc), length in [min, max] */
	CONF_T_ENUM,   /*!< int64_t index into names[] */
	CONF_T_LISTEN, /*!< conf_listen_list_t: one address or a list */
	CONF_T_STRLIST, /*!< conf_strlist_t: one string or a list */
	CONF_T_ACL,    /*!< conf_acl_t: one rule or a list ("ADDR[/LEN] [key NAME[,NAME]]") */
	CONF_T_NOTIFY, /*!< conf_notify_list_t: one target or a list ("ADDR@PORT [key NAME[,NAME]]") */
	CONF_T_DURATION, /*!< int64_t seconds in [min, max], written "3600", "12h", "14d", "1d12h" */
} conf_type_t;

/** One option. */
typedef struct conf_item {
	const char *key;
	conf_type_t type;
	int64_t min, max;           /*!< value range (INT) or length range (STR) */
	const char *dflt;           /*!< default as config text; NULL = unset/zero */
	int64_t (*dflt_fn)(void);   /*!< computed default (INT), clamped to min..max */
	size_t offset;              /*!< field offset inside the section struct */
	const char *const *names;   /*!< ENUM values, NULL-terminated */
} conf_item_t;

/** One top-level section: a mapping of items. */
typedef struct conf_section {
	const char *name;
	size_t offset;              /*!< offset of the section struct in conf_t (list: of the array pointer) */
	const conf_item_t *items;   /*!< terminated by a row with key NULL */
	size_t elem_size;           /*!< 0: one mapping; else a list of mappings of this size */
	size_t count_offset;        /*!< list: offset of its size_t count in conf_t */
} conf_section_t;

static int64_t conf_ncpu(void);
static void conf_item_clear(const struct conf_item *it, void *field);

/* Same order and spelling as log_level_t (util/log.h). */
static const char *const conf_log_levels[] = { "error", "warning", "notice", "info", "debug",
					       NULL };

/* Same order as serial_policy_t (zone/serial.h). */
static const char *const conf_serial_policies[] = { "keep", "increment", "unixtime", "dateserial", NULL };

/* Same order as conf_udp_engine_t (conf.h). */
static const char *const conf_udp_engines[] = { "io-uring", "recvmmsg", NULL };

#define SRV(f) offsetof(conf_server_t, f)
static const conf_item_t conf_server_items[] = {
	{ "listen", CONF_T_LISTEN, 0, 0, NULL, NULL, SRV(listen), NULL },
	{ "workers", CONF_T_INT, 1, 64, NULL, conf_ncpu, SRV(workers), NULL },
	{ "user", CONF_T_STR, 1, 255, NULL, NULL, SRV(user), NULL },
	{ "pidfile", CONF_T_STR, 1, PATH_MAX - 1, NULL, NULL, SRV(pidfile), NULL },
	/* TXT character-strings carry at most 255 octets. */
	{ "identity", CONF_T_STR, 1, 255, NULL, NULL, SRV(identity), NULL },
	{ "version", CONF_T_STR, 1, 255, NULL, NULL, SRV(version), NULL },
	/* 1232: the DNS flag day 2020 value, no IP fragmentation on common paths. */
	{ "udp-max-payload", CONF_T_INT, 512, 4096, "1232", NULL, SRV(udp_max_payload), NULL },
	{ "tcp-idle-timeout", CONF_T_INT, 100, 3600000, "10000", NULL, SRV(tcp_idle_timeout), NULL },
	{ "tcp-max-clients", CONF_T_INT, 1, 1000000, "1000", NULL, SRV(tcp_max_clients), NULL },
	/* recvmmsg measured cheaper per query than io_uring on our VMs (bench/);
	 * io-uring falls back to recvmmsg by itself where the kernel refuses it. */
	{ "udp-engine", CONF_T_ENUM, 0, 0, "recvmmsg", NULL, SRV(udp_engine), conf_udp_engines },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};
#undef SRV

static const conf_item_t conf_log_items[] = {
	{ "level", CONF_T_ENUM, 0, 0, "notice", NULL, offsetof(conf_log_t, level), conf_log_levels },
	{ "syslog", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_log_t, syslog), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

/* Same order as conf_role_t; zone entries add "inherit" first. */
static const char *const conf_roles[] = { "primary", "secondary", NULL };
static const char *const conf_zone_roles[] = { "inherit", "primary", "secondary", NULL };

/* Same order as conf_catalog_t. */
static const char *const conf_catalogs[] = { "none", "producer", "consumer", NULL };

/* Same order as conf_key_model_t. */
static const char *const conf_key_models[] = { "csk", "ksk-zsk", NULL };

/* Longest signature timing: 2^30 s (34 years), so validity plus the
 * inception offset stays inside RFC 1982's 2^31 window. */
#define CONF_SIGTIME_MAX ((int64_t)1 << 30)

static const conf_item_t conf_zones_items[] = {
	{ "directory", CONF_T_STR, 1, PATH_MAX - 1, NULL, NULL, offsetof(conf_zones_t, directory),
	  NULL },
	{ "watch", CONF_T_BOOL, 0, 0, "true", NULL, offsetof(conf_zones_t, watch), NULL },
	/* Journals and served-serial state; unset: IXFR history kept in memory only. */
	{ "storage", CONF_T_STR, 1, PATH_MAX - 1, NULL, NULL, offsetof(conf_zones_t, storage), NULL },
	/* keep: the served serial is the file's, as with BIND and NSD; increment
	 * and the others make every edit propagate even without a serial bump. */
	{ "serial-policy", CONF_T_ENUM, 0, 0, "keep", NULL, offsetof(conf_zones_t, serial_policy),
	  conf_serial_policies },
	{ "journal-max-changesets", CONF_T_INT, 1, 1000000, "100", NULL,
	  offsetof(conf_zones_t, journal_max_changesets), NULL },
	{ "journal-max-bytes", CONF_T_INT, 65536, (int64_t)1 << 40, "67108864", NULL,
	  offsetof(conf_zones_t, journal_max_bytes), NULL },
	/* Role of the zones listed under zone: (files in the directory are primary). */
	{ "role", CONF_T_ENUM, 0, 0, "primary", NULL, offsetof(conf_zones_t, role), conf_roles },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

static const conf_item_t conf_keys_items[] = {
	/* BIND-syntax key files, as tsig-keygen writes them. */
	{ "files", CONF_T_STRLIST, 1, PATH_MAX - 1, NULL, NULL, offsetof(conf_keys_t, files), NULL },
	/* keys/tsig/ in the shipped config: a new key is a new file there. */
	{ "directory", CONF_T_STR, 1, PATH_MAX - 1, NULL, NULL, offsetof(conf_keys_t, directory), NULL },
	/* Still accepted (rotation step 3 removes them), but every use is logged as a warning. */
	{ "retiring", CONF_T_STRLIST, 1, 1023, NULL, NULL, offsetof(conf_keys_t, retiring), NULL },
	{ "dnssec-directory", CONF_T_STR, 1, PATH_MAX - 1, "keys/dnssec", NULL, offsetof(conf_keys_t, dnssec_directory), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

static const conf_item_t conf_control_items[] = {
	/* Unset: no control socket (each test daemon would fight over one default path). */
	{ "socket", CONF_T_STR, 1, 107, NULL, NULL, offsetof(conf_control_t, socket), NULL },
	{ "group", CONF_T_STR, 1, 255, NULL, NULL, offsetof(conf_control_t, group), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

static const conf_item_t conf_cluster_items[] = {
	{ "nodes", CONF_T_STRLIST, 3, 1100, NULL, NULL, offsetof(conf_cluster_t, nodes), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

static const conf_item_t conf_transfer_items[] = {
	/* Who may AXFR/IXFR: nobody unless listed. */
	{ "allow", CONF_T_ACL, 0, 0, NULL, NULL, offsetof(conf_transfer_t, allow), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

#define NTF(f) offsetof(conf_notify_t, f)
static const conf_item_t conf_notify_items[] = {
	/* Secondaries to NOTIFY after each change; none by default. */
	{ "targets", CONF_T_NOTIFY, 0, 0, NULL, NULL, NTF(targets), NULL },
	/* 5 tries, 1 s doubling: about 31 s before giving up, within the TSIG fudge. */
	{ "retries", CONF_T_INT, 1, 20, "5", NULL, NTF(retries), NULL },
	{ "timeout-ms", CONF_T_INT, 10, 60000, "1000", NULL, NTF(timeout_ms), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};
#undef NTF

#define SEC(f) offsetof(conf_secondary_t, f)
static const conf_item_t conf_secondary_items[] = {
	{ "primaries", CONF_T_NOTIFY, 0, 0, NULL, NULL, SEC(primaries), NULL },
	{ "notify-allow", CONF_T_ACL, 0, 0, NULL, NULL, SEC(notify_allow), NULL },
	{ "source", CONF_T_STR, 1, 63, NULL, NULL, SEC(source), NULL },
	/* The zone's SOA timers, clamped: a typo of 1 s refresh must not hammer
	 * the primary, a year-long expire must not serve stale data forever. */
	{ "refresh-min", CONF_T_INT, 1, 86400, "2", NULL, SEC(refresh_min), NULL },
	{ "refresh-max", CONF_T_INT, 1, 2419200, "86400", NULL, SEC(refresh_max), NULL },
	{ "retry-min", CONF_T_INT, 1, 86400, "1", NULL, SEC(retry_min), NULL },
	{ "retry-max", CONF_T_INT, 1, 2419200, "3600", NULL, SEC(retry_max), NULL },
	{ "expire-min", CONF_T_INT, 1, 2419200, "3", NULL, SEC(expire_min), NULL },
	{ "expire-max", CONF_T_INT, 1, 31536000, "2419200", NULL, SEC(expire_max), NULL },
	{ "transfer-timeout", CONF_T_INT, 100, 3600000, "30000", NULL, SEC(transfer_timeout), NULL },
	{ "max-transfers", CONF_T_INT, 1, 1000, "8", NULL, SEC(max_transfers), NULL },
	{ "max-records", CONF_T_INT, 1, (int64_t)1 << 40, "50000000", NULL, SEC(max_records), NULL },
	{ "max-bytes", CONF_T_INT, 65536, (int64_t)1 << 40, "4294967296", NULL, SEC(max_bytes), NULL },
	{ "snapshot-interval", CONF_T_INT, 1, 86400 * 7, "300", NULL, SEC(snapshot_interval), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};
#undef SEC

/* Same order as conf_zone_t.serial_policy: "inherit" then serial_policy_t + 1. */
static const char *const conf_zone_policies[] = { "inherit", "keep", "increment", "unixtime", "dateserial",
						  NULL };

/* zone: a list of per-zone settings; a setting given here replaces the global one for that zone. */
static const conf_item_t conf_zone_items[] = {
	{ "domain", CONF_T_STR, 1, 1023, NULL, NULL, offsetof(conf_zone_t, domain), NULL },
	{ "transfer-allow", CONF_T_ACL, 0, 0, NULL, NULL, offsetof(conf_zone_t, transfer_allow), NULL },
	{ "notify", CONF_T_NOTIFY, 0, 0, NULL, NULL, offsetof(conf_zone_t, notify), NULL },
	{ "serial-policy", CONF_T_ENUM, 0, 0, "inherit", NULL, offsetof(conf_zone_t, serial_policy),
	  conf_zone_policies },
	{ "role", CONF_T_ENUM, 0, 0, "inherit", NULL, offsetof(conf_zone_t, role), conf_zone_roles },
	{ "primaries", CONF_T_NOTIFY, 0, 0, NULL, NULL, offsetof(conf_zone_t, primaries), NULL },
	{ "notify-allow", CONF_T_ACL, 0, 0, NULL, NULL, offsetof(conf_zone_t, notify_allow), NULL },
	{ "source", CONF_T_STR, 1, 63, NULL, NULL, offsetof(conf_zone_t, source), NULL },
	{ "catalog", CONF_T_ENUM, 0, 0, "none", NULL, offsetof(conf_zone_t, catalog), conf_catalogs },
	/* A TXT character-string: at most 255 octets. */
	{ "catalog-group", CONF_T_STR, 1, 255, NULL, NULL, offsetof(conf_zone_t, catalog_group), NULL },
	{ "catalog-template", CONF_T_STR, 1, 255, NULL, NULL, offsetof(conf_zone_t, catalog_template), NULL },
	/* DNSSEC (issue 8): keys in keys.dnssec-directory/<zone>/, a CSK generated when there is none. */
	{ "dnssec-signing", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_zone_t, dnssec_signing), NULL },
	{ "dnssec-algorithm", CONF_T_STR, 1, 32, NULL, NULL, offsetof(conf_zone_t, dnssec_algorithm), NULL },
	{ "dnssec-nsec3", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_zone_t, dnssec_nsec3), NULL },
	/* RFC 5155 §6: worth it only for zones with many unsigned delegations. */
	{ "dnssec-nsec3-optout", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_zone_t, dnssec_nsec3_optout), NULL },
	/* RFC 8976: an apex ZONEMD over each published version (primary zones). */
	{ "zonemd", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_zone_t, zonemd), NULL },
	/* RFC 7344: CDS (SHA-256) and CDNSKEY of the SEP keys at the apex, for the parent. */
	{ "dnssec-cds", CONF_T_BOOL, 0, 0, "false", NULL, offsetof(conf_zone_t, dnssec_cds), NULL },
	/* Validate before publish: a signed version that fails is refused, the previous one stays. */
	{ "dnssec-validate", CONF_T_BOOL, 0, 0, "true", NULL, offsetof(conf_zone_t, dnssec_validate), NULL },
	/* Signature timing. refresh and jitter have no row default: unset, they
	 * follow the validity (conf_zone_sigtime), so a short validity alone is
	 * a valid config. Seconds are accepted down to 1 for tests. */
	{ "dnssec-validity", CONF_T_DURATION, 1, CONF_SIGTIME_MAX, "14d", NULL, offsetof(conf_zone_t, dnssec_validity), NULL },
	{ "dnssec-refresh", CONF_T_DURATION, 1, CONF_SIGTIME_MAX, NULL, NULL, offsetof(conf_zone_t, dnssec_refresh), NULL },
	{ "dnssec-jitter", CONF_T_DURATION, 0, CONF_SIGTIME_MAX, NULL, NULL, offsetof(conf_zone_t, dnssec_jitter), NULL },
	/* An hour back: validators with a slow clock still accept a new signature. */
	{ "dnssec-inception-offset", CONF_T_DURATION, 0, CONF_SIGTIME_MAX, "1h", NULL,
	  offsetof(conf_zone_t, dnssec_inception_offset), NULL },
	/* csk: one key, one DS at the parent, nothing to roll but that key. */
	{ "dnssec-key-model", CONF_T_ENUM, 0, 0, "csk", NULL, offsetof(conf_zone_t, dnssec_key_model), conf_key_models },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

/* template: settings for catalog member zones; a member whose group equals an id takes that entry. */
static const conf_item_t conf_template_items[] = {
	{ "id", CONF_T_STR, 1, 255, NULL, NULL, offsetof(conf_template_t, id), NULL },
	{ "primaries", CONF_T_NOTIFY, 0, 0, NULL, NULL, offsetof(conf_template_t, primaries), NULL },
	{ "notify-allow", CONF_T_ACL, 0, 0, NULL, NULL, offsetof(conf_template_t, notify_allow), NULL },
	{ "source", CONF_T_STR, 1, 63, NULL, NULL, offsetof(conf_template_t, source), NULL },
	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL },
};

static const conf_section_t conf_sections[] = {
	{ "server", offsetof(conf_t, server), conf_server_items, 0, 0 },
	{ "log", offsetof(conf_t, log), conf_log_items, 0, 0 },
	{ "zones", offsetof(conf_t, zones), conf_zones_items, 0, 0 },
	{ "keys", offsetof(conf_t, keys), conf_keys_items, 0, 0 },
	{ "control", offsetof(conf_t, control), conf_control_items, 0, 0 },
	{ "cluster", offsetof(conf_t, cluster), conf_cluster_items, 0, 0 },
	{ "transfer", offsetof(conf_t, transfer), conf_transfer_items, 0, 0 },
	{ "zone", offsetof(conf_t, zone), conf_zone_items, sizeof(conf_zone_t), offsetof(conf_t, nzone) },
	{ "notify", offsetof(conf_t, notify), conf_notify_items, 0, 0 },
	{ "secondary", offsetof(conf_t, secondary), conf_secondary_items, 0, 0 },
	{ "template", offsetof(conf_t, template_), conf_template_items, sizeof(conf_template_t),
	  offsetof(conf_t, ntemplate) },
	{ NULL, 0, NULL, 0, 0 },
};

#define CONF_NSECTIONS (sizeof(conf_sections) / sizeof(conf_sections[0]) - 1)

/** Parse state for error reporting. */
typedef struct {
	const char *name;   /*!< file name for messages */
	char *err;
	size_t errlen;
} conf_ctx_t;

static int64_t
conf_ncpu(void)
{
	/* The affinity mask, not the machine: a container or taskset limits us. */
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

static void *
conf_field(conf_t *c, const conf_section_t *sec, const conf_item_t *it)
{
	return (char *)c + sec->offset + it->offset;
}

static void
conf_err_at(conf_ctx_t *ctx, yaml_mark_t mark, const char *fmt, ...)
{
	int n = snprintf(ctx->err, ctx->errlen, "%s:%zu:%zu: ", ctx->name, mark.line + 1,
			 mark.column + 1);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- listen addresses ---- */

int
conf_parse_listen(const char *text, conf_listen_t *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL)
			return FL_ESYNTAX;
		hlen = (size_t)(close - text - 1);
		if (close[1] == '@')
			port_s = close + 2;
		else if (close[1] != '\0')
			return FL_ESYNTAX;
		text++;
	} else {
		const char *at = strrchr(text, '@');
		hlen = at != NULL ? (size_t)(at - text) : strlen(text);
		if (at != NULL)
			port_s = at + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return FL_ESYNTAX;
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	unsigned long port = CONF_DEFAULT_PORT;
	if (port_s != NULL) {
		/* Digits only: strtoul alone would take "+5", " 5" and "-1". */
		if (port_s[0] == '\0' || strspn(port_s, "0123456789") != strlen(port_s) ||
		    strlen(port_s) > 5)
			return FL_ESYNTAX;
		port = strtoul(port_s, NULL, 10);
		if (port < 1 || port > 65535)
			return FL_ESYNTAX;
	}

	struct sockaddr_in *sin = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->addr;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		out->addrlen = sizeof(*sin);
		snprintf(out->text, sizeof(out->text), "%s@%lu", host, port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		out->addrlen = sizeof(*sin6);
		char canon[INET6_ADDRSTRLEN];
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon)) == NULL)
			return FL_ESYNTAX;
		snprintf(out->text, sizeof(out->text), "%s@%lu", canon, port);
	} else {
		return FL_ESYNTAX;
	}
	return 0;
}

int
conf_parse_notify_target(const char *text, conf_notify_target_t *out)
{
	char addr[128];
	size_t alen = strcspn(text, " \t");
	const char *rest = text + alen;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return FL_ESYNTAX;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (conf_parse_listen(addr, &out->addr) != 0)
		return FL_ESYNTAX;
	rest += strspn(rest, " \t");
	if (*rest == '\0')
		return 0;
	if (strncmp(rest, "key", 3) != 0 || (rest[3] != ' ' && rest[3] != '\t'))
		return FL_ESYNTAX;
	rest += 3;
	rest += strspn(rest, " \t");
	size_t kl = strcspn(rest, " \t");
	/* Nothing may follow the key names: a typo must not pass silently. */
	if (kl == 0 || rest[kl + strspn(rest + kl, " \t")] != '\0')
		return FL_ESYNTAX;
	for (const char *k = rest, *end = rest + kl;;) {
		const char *c = memchr(k, ',', (size_t)(end - k));
		size_t nl = (size_t)((c != NULL ? c : end) - k);
		/* Key names are absolute whether or not written with the dot. */
		uint8_t root = 0;
		if (nl == 0 || out->nkeys == CONF_MAX_KEYS || dname_from_str(k, nl, &root, out->key[out->nkeys]) < 0)
			return FL_ESYNTAX;
		dname_lower(out->key[out->nkeys]);
		for (uint8_t i = 0; i < out->nkeys; i++)
			if (dname_eq(out->key[i], out->key[out->nkeys]))
				return FL_ESYNTAX; /* the same key twice */
		out->nkeys++;
		if (c == NULL)
			return 0;
		k = c + 1;
	}
}

int
conf_parse_acl(const char *text, acl_rule_t *out)
{
	/* "ADDR key A,B" is "ADDR key A" plus "ADDR key B". */
	const char *kw = strstr(text, " key ");
	if (kw == NULL)
		kw = strstr(text, "\tkey ");
	if (kw == NULL || strchr(kw, ',') == NULL)
		return acl_rule_parse(text, out) == 0 ? 1 : FL_ESYNTAX;
	const char *names = kw + 5;
	names += strspn(names, " \t");
	size_t nlen = strcspn(names, " \t");
	if (names[nlen + strspn(names + nlen, " \t")] != '\0')
		return FL_ESYNTAX;
	int n = 0;
	for (const char *k = names, *end = names + nlen;; n++) {
		const char *c = memchr(k, ',', (size_t)(end - k));
		size_t kl = (size_t)((c != NULL ? c : end) - k);
		char one[1400];
		if (kl == 0 || n == CONF_MAX_KEYS ||
		    snprintf(one, sizeof(one), "%.*s key %.*s", (int)(kw - text), text, (int)kl, k) >= (int)sizeof(one) ||
		    acl_rule_parse(one, &out[n]) != 0)
			return FL_ESYNTAX;
		for (int i = 0; i < n; i++)
			if (dname_eq(out[i].key, out[n].key))
				return FL_ESYNTAX;
		if (c == NULL)
			return n + 1;
		k = c + 1;
	}
}

/* ---- value parsers (text -> field), shared by file, defaults and conf_set ---- */

static bool
conf_parse_int(const char *s, int64_t *out)
{
	/* strtoll alone would also take leading blanks. */
	if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return false;
	*out = v;
	return true;
}

int
conf_parse_duration(const char *s, int64_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	int64_t total = 0;
	if (s[0] == '\0')
		return FL_ESYNTAX;
	/* Digits then an optional unit, repeated; the unit is required between
	 * two numbers ("1d12h", not "1 12"). 2^62 bounds every step. */
	for (const char *p = s; *p != '\0';) {
		if (*p < '0' || *p > '9')
			return FL_ESYNTAX;
		int64_t n = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > (((int64_t)1 << 62) - (*p - '0')) / 10)
				return FL_ESYNTAX; /* checked before it could overflow */
			n = n * 10 + (*p - '0');
		}
		int64_t mult = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*p == units[i].unit)
				mult = units[i].secs;
		if (mult == 0 && *p != '\0')
			return FL_ESYNTAX;
		if (mult == 0)
			mult = 1;
		else
			p++;
		if (n > (((int64_t)1 << 62) - total) / mult)
			return FL_ESYNTAX;
		total += n * mult;
	}
	*out = total;
	return 0;
}

/**
 * Set a scalar-typed field from text. why receives the reason on failure
 * (without position; the caller adds it).
 */
/* Append one parsed element to a list field (array + count), replacing the
 * list first unless append. The element was fully parsed before: on OOM the
 * list is unchanged. */
static int
conf_list_push(void **arr, size_t *count, const void *elem, size_t size, bool append, char *why,
	       size_t whylen)
{
	if (!append)
		*count = 0;
	uint8_t *grown = realloc(*arr, (*count + 1) * size);
	if (grown == NULL) {
		snprintf(why, whylen, "out of memory");
		return FL_ENOMEM;
	}
	memcpy(grown + *count * size, elem, size);
	*arr = grown;
	(*count)++;
	return 0;
}

static int
conf_item_set(const conf_item_t *it, void *field, const char *text, bool append, char *why,
	      size_t whylen)
{
	switch (it->type) {
	case CONF_T_INT: {
		int64_t v;
		if (!conf_parse_int(text, &v)) {
			snprintf(why, whylen, "expected an integer, got '%s'", text);
			return FL_ESYNTAX;
		}
		if (v < it->min || v > it->max) {
			snprintf(why, whylen, "%lld is out of range %lld..%lld", (long long)v,
				 (long long)it->min, (long long)it->max);
			return FL_ESYNTAX;
		}
		*(int64_t *)field = v;
		return 0;
	}
	case CONF_T_DURATION: {
		int64_t v;
		if (conf_parse_duration(text, &v) != 0) {
			snprintf(why, whylen, "expected a duration (3600, 90s, 30m, 12h, 14d, 2w, 1d12h), got '%s'", text);
			return FL_ESYNTAX;
		}
		if (v < it->min || v > it->max) {
			snprintf(why, whylen, "%lld seconds is out of range %lld..%lld", (long long)v, (long long)it->min,
				 (long long)it->max);
			return FL_ESYNTAX;
		}
		*(int64_t *)field = v;
		return 0;
	}
	case CONF_T_BOOL: {
		static const char *const yes[] = { "true", "yes", "on" };
		static const char *const no[] = { "false", "no", "off" };
		for (size_t i = 0; i < 3; i++) {
			if (strcasecmp(text, yes[i]) == 0) {
				*(bool *)field = true;
				return 0;
			}
			if (strcasecmp(text, no[i]) == 0) {
				*(bool *)field = false;
				return 0;
			}
		}
		snprintf(why, whylen, "expected true or false, got '%s'", text);
		return FL_ESYNTAX;
	}
	case CONF_T_STR: {
		size_t len = strlen(text);
		if ((int64_t)len < it->min || (int64_t)len > it->max) {
			snprintf(why, whylen, "length %zu is out of range %lld..%lld", len,
				 (long long)it->min, (long long)it->max);
			return FL_ESYNTAX;
		}
		char *dup = strdup(text);
		if (dup == NULL) {
			snprintf(why, whylen, "out of memory");
			return FL_ENOMEM;
		}
		free(*(char **)field);
		*(char **)field = dup;
		return 0;
	}
	case CONF_T_ENUM:
		for (int64_t i = 0; it->names[i] != NULL; i++) {
			if (strcmp(text, it->names[i]) == 0) {
				*(int64_t *)field = i;
				return 0;
			}
		}
		{
			int n = snprintf(why, whylen, "unknown value '%s', expected one of:", text);
			for (size_t i = 0; it->names[i] != NULL && n > 0 && (size_t)n < whylen; i++)
				n += snprintf(why + n, whylen - (size_t)n, "%s%s", i ? "|" : " ",
					      it->names[i]);
		}
		return FL_ESYNTAX;
	case CONF_T_LISTEN: {
		conf_listen_list_t *l = field;
		conf_listen_t la;
		if (conf_parse_listen(text, &la) != 0) {
			snprintf(why, whylen,
				 "bad listen address '%s' (expected ADDR@PORT, port 1..65535)",
				 text);
			return FL_ESYNTAX;
		}
		return conf_list_push((void **)&l->addr, &l->count, &la, sizeof(la), append, why, whylen);
	}
	case CONF_T_STRLIST: {
		conf_strlist_t *l = field;
		size_t len = strlen(text);
		if ((int64_t)len < it->min || (int64_t)len > it->max) {
			snprintf(why, whylen, "length %zu is out of range %lld..%lld", len,
				 (long long)it->min, (long long)it->max);
			return FL_ESYNTAX;
		}
		if (!append)
			conf_item_clear(it, field);
		char **grown = realloc(l->v, (l->count + 1) * sizeof(*grown));
		char *dup = strdup(text);
		if (grown == NULL || dup == NULL) {
			if (grown != NULL)
				l->v = grown;
			free(dup);
			snprintf(why, whylen, "out of memory");
			return FL_ENOMEM;
		}
		grown[l->count++] = dup;
		l->v = grown;
		return 0;
	}
	case CONF_T_ACL: {
		conf_acl_t *l = field;
		acl_rule_t r[CONF_MAX_KEYS];
		int n = conf_parse_acl(text, r);
		if (n < 0) {
			snprintf(why, whylen, "bad rule '%s' (expected ADDR[/LEN] [key NAME[,NAME...]])", text);
			return FL_ESYNTAX;
		}
		for (int i = 0; i < n; i++) {
			int ret = conf_list_push((void **)&l->rules, &l->count, &r[i], sizeof(r[i]), append || i > 0, why,
						 whylen);
			if (ret != 0)
				return ret;
		}
		return 0;
	}
	case CONF_T_NOTIFY: {
		conf_notify_list_t *l = field;
		conf_notify_target_t t;
		if (conf_parse_notify_target(text, &t) != 0) {
			snprintf(why, whylen, "bad target '%s' (expected ADDR@PORT [key NAME[,NAME...]], at most %d keys)", text,
				 CONF_MAX_KEYS);
			return FL_ESYNTAX;
		}
		return conf_list_push((void **)&l->v, &l->count, &t, sizeof(t), append, why, whylen);
	}
	}
	assert(!"unknown conf type");
	return FL_EINVAL;
}

static void
conf_item_clear(const conf_item_t *it, void *field)
{
	switch (it->type) {
	case CONF_T_STR:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case CONF_T_LISTEN: {
		conf_listen_list_t *l = field;
		free(l->addr);
		l->addr = NULL;
		l->count = 0;
		break;
	}
	case CONF_T_STRLIST: {
		conf_strlist_t *l = field;
		for (size_t i = 0; i < l->count; i++)
			free(l->v[i]);
		free(l->v);
		l->v = NULL;
		l->count = 0;
		break;
	}
	case CONF_T_ACL: {
		conf_acl_t *l = field;
		free(l->rules);
		l->rules = NULL;
		l->count = 0;
		break;
	}
	case CONF_T_NOTIFY: {
		conf_notify_list_t *l = field;
		free(l->v);
		l->v = NULL;
		l->count = 0;
		break;
	}
	default:
		break;
	}
}

const conf_template_t *
conf_template_find(const conf_t *c, const char *id)
{
	for (size_t i = 0; id != NULL && i < c->ntemplate; i++)
		if (strcmp(c->template_[i].id, id) == 0)
			return &c->template_[i];
	return NULL;
}

conf_role_t
conf_zone_role(const conf_t *c, size_t i)
{
	return c->zone[i].role != 0 ? (conf_role_t)(c->zone[i].role - 1) : (conf_role_t)c->zones.role;
}

void
conf_free(conf_t *c)
{
	for (const conf_section_t *sec = conf_sections; sec->name != NULL; sec++) {
		if (sec->elem_size != 0) {
			char **arr = (char **)((char *)c + sec->offset);
			size_t *count = (size_t *)((char *)c + sec->count_offset);
			for (size_t i = 0; *arr != NULL && i < *count; i++)
				for (const conf_item_t *it = sec->items; it->key != NULL; it++)
					conf_item_clear(it, *arr + i * sec->elem_size + it->offset);
			free(*arr);
			continue;
		}
		for (const conf_item_t *it = sec->items; it->key != NULL; it++)
			conf_item_clear(it, conf_field(c, sec, it));
	}
	memset(c, 0, sizeof(*c));
}

/* Schema defaults of one mapping (a section struct or a list element). */
static int
conf_item_defaults(const conf_item_t *items, char *base)
{
	for (const conf_item_t *it = items; it->key != NULL; it++) {
		void *field = base + it->offset;
		if (it->dflt_fn != NULL) {
			int64_t v = it->dflt_fn();
			*(int64_t *)field = v < it->min ? it->min : v > it->max ? it->max : v;
		} else if (it->dflt != NULL) {
			char why[256];
			int ret = conf_item_set(it, field, it->dflt, false, why, sizeof(why));
			/* Only OOM can fail here: a bad default is a bug in the table. */
			assert(ret == 0 || ret == FL_ENOMEM);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

int
conf_defaults(conf_t *c)
{
	memset(c, 0, sizeof(*c));
	for (const conf_section_t *sec = conf_sections; sec->name != NULL; sec++) {
		if (sec->elem_size != 0)
			continue; /* lists start empty */
		int ret = conf_item_defaults(sec->items, (char *)c + sec->offset);
		if (ret != 0) {
			conf_free(c);
			return ret;
		}
	}
	return 0;
}

/* ---- YAML walk ---- */

/** A scalar that stands for "no value" in YAML. */
static bool
conf_is_null(const yaml_node_t *n)
{
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

static int
conf_walk_item(conf_ctx_t *ctx, yaml_document_t *doc, const conf_section_t *sec,
	       const conf_item_t *it, void *field, yaml_node_t *val)
{
	char why[256];
	int ret;

	if (val->type == YAML_SEQUENCE_NODE) {
		if (it->type != CONF_T_LISTEN && it->type != CONF_T_STRLIST && it->type != CONF_T_ACL &&
		    it->type != CONF_T_NOTIFY) {
			conf_err_at(ctx, val->start_mark, "%s.%s: expected a single value, got a list",
				    sec->name, it->key);
			return FL_ESYNTAX;
		}
		/* A list replaces the default list as a whole. */
		conf_item_clear(it, field);
		for (yaml_node_item_t *i = val->data.sequence.items.start;
		     i < val->data.sequence.items.top; i++) {
			yaml_node_t *el = yaml_document_get_node(doc, *i);
			if (el->type != YAML_SCALAR_NODE || conf_is_null(el)) {
				conf_err_at(ctx, el->start_mark, "%s.%s: expected %s", sec->name, it->key,
					    it->type == CONF_T_LISTEN ? "an address" : "a single value in the list");
				return FL_ESYNTAX;
			}
			ret = conf_item_set(it, field, (const char *)el->data.scalar.value, true, why,
					    sizeof(why));
			if (ret != 0) {
				conf_err_at(ctx, el->start_mark, "%s.%s: %s", sec->name, it->key, why);
				return ret;
			}
		}
		return 0;
	}
	if (val->type != YAML_SCALAR_NODE) {
		conf_err_at(ctx, val->start_mark, "%s.%s: expected a value, got a mapping", sec->name,
			    it->key);
		return FL_ESYNTAX;
	}
	if (conf_is_null(val)) {
		conf_err_at(ctx, val->start_mark, "%s.%s: missing value", sec->name, it->key);
		return FL_ESYNTAX;
	}
	ret = conf_item_set(it, field, (const char *)val->data.scalar.value, false, why, sizeof(why));
	if (ret != 0)
		conf_err_at(ctx, val->start_mark, "%s.%s: %s", sec->name, it->key, why);
	return ret;
}

static int
conf_walk_section(conf_ctx_t *ctx, yaml_document_t *doc, char *base, const conf_section_t *sec,
		  yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE) {
		conf_err_at(ctx, map->start_mark, "section '%s' must be a mapping of key: value",
			    sec->name);
		return FL_ESYNTAX;
	}
	/* Item tables are short; one bit per row finds duplicate keys. */
	uint64_t seen = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(doc, p->key);
		yaml_node_t *val = yaml_document_get_node(doc, p->value);
		if (key->type != YAML_SCALAR_NODE) {
			conf_err_at(ctx, key->start_mark, "section '%s': keys must be plain names",
				    sec->name);
			return FL_ESYNTAX;
		}
		const char *k = (const char *)key->data.scalar.value;
		const conf_item_t *it = sec->items;
		size_t idx = 0;
		while (it->key != NULL && strcmp(it->key, k) != 0) {
			it++;
			idx++;
		}
		if (it->key == NULL) {
			conf_err_at(ctx, key->start_mark, "unknown key '%s' in section '%s'", k,
				    sec->name);
			return FL_ESYNTAX;
		}
		assert(idx < 64);
		if (seen & (UINT64_C(1) << idx)) {
			conf_err_at(ctx, key->start_mark, "duplicate key '%s' in section '%s'", k,
				    sec->name);
			return FL_ESYNTAX;
		}
		seen |= UINT64_C(1) << idx;
		int ret = conf_walk_item(ctx, doc, sec, it, base + it->offset, val);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* The value node of key k in mapping map, or NULL. */
static yaml_node_t *
conf_map_get(yaml_document_t *doc, yaml_node_t *map, const char *k)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(doc, p->key);
		if (key->type == YAML_SCALAR_NODE && strcmp((const char *)key->data.scalar.value, k) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* A zone entry's signature timing: the defaults that follow the validity,
 * then the rules between the options, reported at the option's line. The
 * signer could not honour them (a signature due for refresh as soon as it
 * is made), so they are errors, not warnings. */
static int
conf_zone_sigtime(conf_ctx_t *ctx, yaml_document_t *doc, yaml_node_t *map, conf_zone_t *z)
{
	yaml_node_t *r = conf_map_get(doc, map, "dnssec-refresh");
	yaml_node_t *j = conf_map_get(doc, map, "dnssec-jitter");
	z->dnssec_refresh_default = r == NULL;
	if (r == NULL)
		z->dnssec_refresh = z->dnssec_validity / 2;
	if (z->dnssec_refresh >= z->dnssec_validity) {
		conf_err_at(ctx, r->start_mark, "zone.dnssec-refresh: %lld s is not less than dnssec-validity (%lld s)",
			    (long long)z->dnssec_refresh, (long long)z->dnssec_validity);
		return FL_ESYNTAX;
	}
	int64_t room = z->dnssec_validity - z->dnssec_refresh;
	if (j == NULL)
		z->dnssec_jitter = z->dnssec_validity / 10 < room / 2 ? z->dnssec_validity / 10 : room / 2;
	if (z->dnssec_jitter >= room) {
		conf_err_at(ctx, j->start_mark,
			    "zone.dnssec-jitter: %lld s is not less than dnssec-validity - dnssec-refresh (%lld s): "
			    "a new signature would be due for refresh at once",
			    (long long)z->dnssec_jitter, (long long)room);
		return FL_ESYNTAX;
	}
	return 0;
}

/* A list section: a sequence of mappings, each an element walked like a section. */
static int
conf_walk_list(conf_ctx_t *ctx, yaml_document_t *doc, conf_t *c, const conf_section_t *sec,
	       yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE) {
		conf_err_at(ctx, seq->start_mark, "section '%s' must be a list of mappings", sec->name);
		return FL_ESYNTAX;
	}
	char **arr = (char **)((char *)c + sec->offset);
	size_t *count = (size_t *)((char *)c + sec->count_offset);
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *el = yaml_document_get_node(doc, *i);
		char *grown = realloc(*arr, (*count + 1) * sec->elem_size);
		if (grown == NULL) {
			conf_err_at(ctx, el->start_mark, "out of memory");
			return FL_ENOMEM;
		}
		*arr = grown;
		char *e = grown + *count * sec->elem_size;
		memset(e, 0, sec->elem_size);
		(*count)++;
		int ret = conf_item_defaults(sec->items, e);
		if (ret == 0)
			ret = conf_walk_section(ctx, doc, e, sec, el);
		if (ret != 0)
			return ret;
		/* The first row names the element and is required. */
		const char *name = *(char **)(e + sec->items[0].offset);
		if (name == NULL) {
			conf_err_at(ctx, el->start_mark, "%s: every entry needs '%s'", sec->name, sec->items[0].key);
			return FL_ESYNTAX;
		}
		uint8_t wire[DNAME_MAXLEN], root = 0;
		if (sec->items == conf_zone_items && dname_from_str(name, strlen(name), &root, wire) < 0) {
			conf_err_at(ctx, el->start_mark, "%s: '%s' is not a domain name", sec->name, name);
			return FL_ESYNTAX;
		}
		if (sec->items == conf_zone_items && (ret = conf_zone_sigtime(ctx, doc, el, (conf_zone_t *)e)) != 0)
			return ret;
	}
	return 0;
}

static int
conf_walk(conf_ctx_t *ctx, yaml_document_t *doc, conf_t *c)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (root == NULL)
		return 0; /* an empty file: all defaults */
	if (root->type != YAML_MAPPING_NODE) {
		conf_err_at(ctx, root->start_mark, "the top level must be a mapping of sections");
		return FL_ESYNTAX;
	}
	bool seen[CONF_NSECTIONS] = { false };
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(doc, p->key);
		yaml_node_t *val = yaml_document_get_node(doc, p->value);
		if (key->type != YAML_SCALAR_NODE) {
			conf_err_at(ctx, key->start_mark, "section names must be plain names");
			return FL_ESYNTAX;
		}
		const char *k = (const char *)key->data.scalar.value;
		size_t i = 0;
		while (conf_sections[i].name != NULL && strcmp(conf_sections[i].name, k) != 0)
			i++;
		if (conf_sections[i].name == NULL) {
			conf_err_at(ctx, key->start_mark, "unknown section '%s'", k);
			return FL_ESYNTAX;
		}
		if (seen[i]) {
			conf_err_at(ctx, key->start_mark, "duplicate section '%s'", k);
			return FL_ESYNTAX;
		}
		seen[i] = true;
		/* "log:" with every key commented out is an empty section: defaults. */
		if (val->type == YAML_SCALAR_NODE && conf_is_null(val))
			continue;
		int ret = conf_sections[i].elem_size != 0 ? conf_walk_list(ctx, doc, c, &conf_sections[i], val)
							  : conf_walk_section(ctx, doc, (char *)c + conf_sections[i].offset,
									      &conf_sections[i], val);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Rules across entries that no single row can check (RFC 9432 roles, options of primary zones only). */
static int
conf_check_catalogs(conf_ctx_t *ctx, const conf_t *c)
{
	const char *producer = NULL;
	for (size_t i = 0; i < c->nzone; i++) {
		const conf_zone_t *z = &c->zone[i];
		if (z->catalog == CONF_CATALOG_PRODUCER) {
			if (producer != NULL) {
				snprintf(ctx->err, ctx->errlen, "%s: zones %s and %s are both 'catalog: producer' (one is allowed)",
					 ctx->name, producer, z->domain);
				return FL_ESYNTAX;
			}
			producer = z->domain;
			if (conf_zone_role(c, i) != CONF_ROLE_PRIMARY) {
				snprintf(ctx->err, ctx->errlen, "%s: zone %s: a produced catalog must have role primary",
					 ctx->name, z->domain);
				return FL_ESYNTAX;
			}
		}
		if (z->catalog == CONF_CATALOG_CONSUMER && conf_zone_role(c, i) != CONF_ROLE_SECONDARY) {
			snprintf(ctx->err, ctx->errlen, "%s: zone %s: a consumed catalog must have role secondary", ctx->name,
				 z->domain);
			return FL_ESYNTAX;
		}
		/* A secondary serves the primary's data as it came: it verifies ZONEMD, never makes one. */
		if (z->zonemd && conf_zone_role(c, i) != CONF_ROLE_PRIMARY) {
			snprintf(ctx->err, ctx->errlen, "%s: zone %s: zonemd applies to primary zones (a secondary verifies the primary's ZONEMD)",
				 ctx->name, z->domain);
			return FL_ESYNTAX;
		}
		if (z->dnssec_cds && !z->dnssec_signing) {
			snprintf(ctx->err, ctx->errlen, "%s: zone %s: dnssec-cds needs dnssec-signing: true", ctx->name, z->domain);
			return FL_ESYNTAX;
		}
		if (z->dnssec_nsec3_optout && !z->dnssec_nsec3) {
			snprintf(ctx->err, ctx->errlen, "%s: zone %s: dnssec-nsec3-optout needs dnssec-nsec3: true", ctx->name, z->domain);
			return FL_ESYNTAX;
		}
		if (z->catalog_template != NULL && conf_template_find(c, z->catalog_template) == NULL) {
			snprintf(ctx->err, ctx->errlen, "%s: zone %s: catalog-template '%s' is not the id of a template entry",
				 ctx->name, z->domain, z->catalog_template);
			return FL_ESYNTAX;
		}
	}
	for (size_t i = 0; i < c->ntemplate; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(c->template_[i].id, c->template_[k].id) == 0) {
				snprintf(ctx->err, ctx->errlen, "%s: template id '%s' is used twice", ctx->name,
					 c->template_[i].id);
				return FL_ESYNTAX;
			}
	return 0;
}

static int
conf_parse_yaml(conf_ctx_t *ctx, yaml_parser_t *parser, conf_t *c)
{
	yaml_document_t doc;
	int ret;

	if (!yaml_parser_load(parser, &doc)) {
		const char *what = parser->problem ? parser->problem : "YAML error";
		if (parser->error == YAML_MEMORY_ERROR) {
			snprintf(ctx->err, ctx->errlen, "%s: out of memory", ctx->name);
			return FL_ENOMEM;
		}
		if (parser->error == YAML_READER_ERROR) {
			/* Encoding problems have an offset, not a line. */
			snprintf(ctx->err, ctx->errlen, "%s: byte %zu: %s", ctx->name,
				 parser->problem_offset, what);
		} else if (parser->context != NULL) {
			conf_err_at(ctx, parser->problem_mark, "%s %s", what, parser->context);
		} else {
			conf_err_at(ctx, parser->problem_mark, "%s", what);
		}
		return FL_ESYNTAX;
	}
	ret = conf_walk(ctx, &doc, c);
	if (ret == 0)
		ret = conf_check_catalogs(ctx, c);
	if (ret == 0 && yaml_document_get_root_node(&doc) != NULL) {
		/* One document per file: a second one would be silently ignored. */
		yaml_document_t extra;
		if (!yaml_parser_load(parser, &extra)) {
			conf_err_at(ctx, parser->problem_mark, "%s",
				    parser->problem ? parser->problem : "YAML error");
			ret = FL_ESYNTAX;
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&extra);
			if (r != NULL) {
				conf_err_at(ctx, r->start_mark, "only one YAML document is allowed");
				ret = FL_ESYNTAX;
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	return ret;
}

int
conf_load_mem(const char *text, size_t len, const char *name, conf_t *c, char *err, size_t errlen)
{
	conf_ctx_t ctx = { name, err, errlen };
	yaml_parser_t parser;
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	ret = conf_defaults(c);
	if (ret != 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = FL_ENOMEM;
		goto fail;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ret = conf_parse_yaml(&ctx, &parser, c);
	yaml_parser_delete(&parser);
	if (ret != 0)
		goto fail;
	return 0;
fail:
	conf_free(c);
	return ret;
}

int
conf_load(const char *path, conf_t *c, char *err, size_t errlen)
{
	conf_ctx_t ctx = { path, err, errlen };
	yaml_parser_t parser;
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	ret = conf_defaults(c);
	if (ret != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return ret;
	}
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		ret = FL_ENOMEM;
		goto fail;
	}
	yaml_parser_set_input_file(&parser, f);
	ret = conf_parse_yaml(&ctx, &parser, c);
	yaml_parser_delete(&parser);
	if (ret == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ret = -EIO;
	}
	fclose(f);
	if (ret != 0)
		goto fail;
	return 0;
fail:
	conf_free(c);
	return ret;
}

int
conf_set(conf_t *c, const char *key, const char *value, bool append, char *err, size_t errlen)
{
	const char *dot = strchr(key, '.');
	if (dot != NULL) {
		size_t slen = (size_t)(dot - key);
		for (const conf_section_t *sec = conf_sections; sec->name != NULL; sec++) {
			if (sec->elem_size != 0 || strlen(sec->name) != slen || strncmp(sec->name, key, slen) != 0)
				continue;
			for (const conf_item_t *it = sec->items; it->key != NULL; it++) {
				if (strcmp(it->key, dot + 1) != 0)
					continue;
				char why[256];
				int ret = conf_item_set(it, conf_field(c, sec, it), value, append, why,
							sizeof(why));
				if (ret != 0)
					snprintf(err, errlen, "%s: %s", key, why);
				return ret;
			}
		}
	}
	snprintf(err, errlen, "%s: no such option", key);
	return FL_ENOENT;
}
