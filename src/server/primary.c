/* SPDX-License-Identifier: MIT */
/** \file Primary role state: journals, serial policy, commit (see primary.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "server/primary.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/log.h"
#include "dnssec/dkey.h"
#include "dnssec/keyset.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "zone/apply.h"
#include "zone/pipeline.h"
#include "zone/zonemd.h"

typedef struct {
	uint8_t origin[DNAME_MAXLEN];
	journal_t *j;
} primary_journal_t;

typedef struct {
	uint8_t origin[DNAME_MAXLEN];
	bool has_policy;
	serial_policy_t policy;
	bool sign;                  /* dnssec-signing */
	dkey_alg_t alg;
	bool nsec3;
	bool optout;                /* dnssec-nsec3-optout */
	bool zonemd;                /* zonemd: an apex ZONEMD, signed or not */
	bool cds;                   /* dnssec-cds */
	bool validate;              /* dnssec-validate */
	dkey_t **keys;              /* loaded (or made) at the first commit */
	size_t nkeys;
	bool keys_tried;
	int64_t key_model;          /* conf_key_model_t: the keys made when there are none */
	sigtime_t timing;           /* dnssec-validity, -refresh, -jitter, -inception-offset */
	sigtime_t eff;              /* timing as raised for the version last signed (timing_for) */
	uint32_t warned_need;       /* SOA expire + largest TTL last warned about; 0: none */
	bool refresh_default;       /* dnssec-refresh not configured: a raise is no mistake to warn of */
	/* Under serial policy keep, the served serial of a signed zone moves
	 * away from its file's (re-signing, a restart): the file serial last
	 * committed, so the same file maps back to the served serial. */
	bool have_file_serial;
	uint32_t file_serial;
} primary_policy_t;

struct primary {
	char *storage;              /* NULL: no journal, history in memory only */
	char *dnssec_dir;           /* keys.dnssec-directory: <dir>/<zone>/K... */
	pipeline_opts_t opts;
	primary_policy_t *policies; /* per-zone serial policies (zone: entries) */
	size_t npolicies;
	journal_limits_t jl;
	primary_journal_t *js;
	size_t njs, capjs;
	uint32_t *jtab;             /* index + 1 into js by origin hash (open addressing) */
	size_t jmask;
	/* Zones whose serial at start-up is not the one served before the
	 * restart (changed while we were down): NOTIFYed once the loop runs. */
	uint8_t (*changed)[DNAME_MAXLEN];
	size_t nchanged;
	/* State files written beside their names, made durable and renamed
	 * together by state_flush(): one syncfs for 10,000 zones, not one fsync each. */
	uint8_t **staged;
	size_t nstaged, capstaged;
};

primary_t *
primary_new(const conf_t *conf)
{
	primary_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (conf->zones.storage != NULL && (p->storage = strdup(conf->zones.storage)) == NULL) {
		free(p);
		return NULL;
	}
	p->opts.policy = (serial_policy_t)conf->zones.serial_policy;
	p->jl.max_records = (size_t)conf->zones.journal_max_changesets;
	p->jl.max_bytes = (size_t)conf->zones.journal_max_bytes;
	p->opts.history.max_changesets = p->jl.max_records;
	p->opts.history.max_bytes = p->jl.max_bytes;
	p->policies = calloc(conf->nzone + 1, sizeof(*p->policies));
	if (p->policies == NULL) {
		primary_free(p);
		return NULL;
	}
	if (conf->keys.dnssec_directory != NULL && (p->dnssec_dir = strdup(conf->keys.dnssec_directory)) == NULL) {
		primary_free(p);
		return NULL;
	}
	for (size_t i = 0; i < conf->nzone; i++) {
		const conf_zone_t *cz = &conf->zone[i];
		primary_policy_t *pol = &p->policies[p->npolicies];
		uint8_t root = 0;
		if ((cz->serial_policy == 0 && !cz->dnssec_signing && !cz->zonemd) ||
		    dname_from_str(cz->domain, strlen(cz->domain), &root, pol->origin) < 0)
			continue;
		dname_lower(pol->origin);
		pol->has_policy = cz->serial_policy != 0;
		pol->policy = cz->serial_policy != 0 ? (serial_policy_t)(cz->serial_policy - 1) : 0;
		pol->sign = cz->dnssec_signing;
		pol->alg = cz->dnssec_algorithm != NULL ? dkey_alg_from_str(cz->dnssec_algorithm) : DKEY_ALG_ECDSAP256SHA256;
		pol->nsec3 = cz->dnssec_nsec3;
		pol->optout = cz->dnssec_nsec3_optout;
		pol->zonemd = cz->zonemd;
		pol->cds = cz->dnssec_cds;
		pol->validate = cz->dnssec_validate;
		pol->key_model = cz->dnssec_key_model;
		pol->timing = (sigtime_t){ (uint32_t)cz->dnssec_validity, (uint32_t)cz->dnssec_refresh,
					   (uint32_t)cz->dnssec_jitter, (uint32_t)cz->dnssec_inception_offset };
		pol->refresh_default = cz->dnssec_refresh_default;
		if (pol->timing.validity == 0) { /* an entry not read by conf_load: the schema's defaults */
			pol->timing = (sigtime_t){ 14 * 86400, 7 * 86400, 14 * 8640, 3600 };
			pol->refresh_default = true;
		}
		if (pol->sign && pol->alg == 0) {
			log_error("zone %s: dnssec-algorithm '%s' is not one of ECDSAP256SHA256, ED25519, RSASHA256", cz->domain,
				  cz->dnssec_algorithm);
			primary_free(p);
			return NULL;
		}
		p->npolicies++;
	}
	return p;
}

void
primary_free(primary_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->njs; i++)
		journal_close(p->js[i].j);
	free(p->js);
	free(p->jtab);
	for (size_t i = 0; i < p->nstaged; i++)
		free(p->staged[i]);
	free(p->staged);
	free(p->changed);
	for (size_t i = 0; p->policies != NULL && i < p->npolicies; i++) {
		for (size_t k = 0; k < p->policies[i].nkeys; k++)
			dkey_free(p->policies[i].keys[k]);
		free(p->policies[i].keys);
	}
	free(p->policies);
	free(p->storage);
	free(p->dnssec_dir);
	free(p);
}

/* A signed zone's keys: <dnssec-directory>/<zone>/, one CSK made there when
 * there is none (0700 directory, 0600 private key). Tried once; a zone
 * whose keys cannot be had is refused, never served unsigned. */
static void
keys_for(primary_t *p, primary_policy_t *pol)
{
	char zname[1024], dir[4096], err[1024];
	if (pol->keys_tried)
		return;
	pol->keys_tried = true;
	dname_to_str(pol->origin, zname, sizeof(zname));
	size_t zl = strlen(zname);
	if (zl > 1 && zname[zl - 1] == '.')
		zname[zl - 1] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", p->dnssec_dir != NULL ? p->dnssec_dir : "keys/dnssec", zname);
	/* Both levels, so a fresh checkout works; 0700: private keys live here. */
	(void)mkdir(p->dnssec_dir != NULL ? p->dnssec_dir : "keys/dnssec", 0700);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("zone %s: DNSSEC key directory %s: %s: the zone is not served", zname, dir, strerror(errno));
		return;
	}
	if (dkey_load_dir(dir, pol->origin, &pol->keys, &pol->nkeys, err, sizeof(err)) != 0) {
		log_error("zone %s: DNSSEC keys: %s: the zone is not served", zname, err);
		return;
	}
	if (pol->nkeys > 0) {
		log_info("zone %s: %zu DNSSEC key%s from %s", zname, pol->nkeys, pol->nkeys == 1 ? "" : "s", dir);
		return;
	}
	dkey_t *made[2];
	char paths[2][KEYSET_PATH_MAX], ds[256];
	size_t n = 0;
	bool split = pol->key_model == CONF_KEYS_KSK_ZSK;
	free(pol->keys);
	pol->keys = calloc(2, sizeof(*pol->keys));
	if (pol->keys == NULL ||
	    keyset_make(pol->origin, pol->alg, split, dir, made, paths, &n, err, sizeof(err)) != 0) {
		log_error("zone %s: cannot make DNSSEC keys in %s: %s", zname, dir, pol->keys != NULL ? err : "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		pol->keys[i] = made[i];
		log_notice("zone %s: new DNSSEC key (%s, %s, tag %u): %s", zname, !split ? "CSK" : i == 0 ? "KSK" : "ZSK",
			   dkey_alg_name(pol->alg), (unsigned)dkey_tag(made[i]), paths[i]);
	}
	pol->nkeys = n;
	if (keyset_ds_text(made[0], 3600, ds, sizeof(ds)) == 0)
		log_notice("zone %s: DS for the parent zone: %s", zname, ds);
}

/* The policy entry of a zone, or NULL. */
static primary_policy_t *
policy_of(primary_t *p, const uint8_t *origin)
{
	for (size_t i = 0; i < p->npolicies; i++)
		if (dname_eq(p->policies[i].origin, origin))
			return &p->policies[i];
	return NULL;
}

/* The signature timing to sign version z of a signed zone with: the
 * configured one, refresh raised to z's SOA expire + largest TTL when that
 * is more (sigtime.h). Said once per zone, and again only when that sum
 * changes. NULL for a zone we do not sign. */
static const sigtime_t *
timing_for(primary_t *p, const zone_t *z)
{
	primary_policy_t *pol = policy_of(p, z->origin);
	uint32_t need = 0;
	if (pol == NULL || !pol->sign || z->soa == NULL)
		return NULL;
	if (sigtime_effective(&pol->timing, z, &pol->eff, &need) && need != pol->warned_need) {
		char zname[1024];
		dname_to_str(z->origin, zname, sizeof(zname));
		/* The default refresh (half the validity) is below a common SOA expire
		 * of a week plus a TTL: raising it then is the rule working, not a
		 * configuration to fix. */
		if (pol->refresh_default)
			log_info("zone %s: SOA expire + the largest TTL is %u s: signature refresh %u s, validity %u s", zname,
				 need, pol->eff.refresh, pol->eff.validity);
		else
			log_warning("zone %s: dnssec-refresh %u s is less than SOA expire + the largest TTL (%u s), so a "
				    "secondary could serve an expired signature: refresh raised to %u s, dnssec-validity to %u s",
				    zname, pol->timing.refresh, need, pol->eff.refresh, pol->eff.validity);
		pol->warned_need = need;
	}
	return &pol->eff;
}

/* Serial policy keep on a signed zone whose served serial is no longer its
 * file's (re-signed, or signed anew at start-up above the journal): the
 * file serial last committed stands for the served serial, and a raised
 * one for the next after it, so editing the file as usual (serial + 1)
 * keeps working. A file whose serial was not raised still maps to the
 * served serial, and a change in it is refused as keep refuses it.
 * Returns z itself, or a new version (the caller frees it). */
static zone_t *
keep_serial_of_signed(primary_t *p, const zone_t *old, zone_t *z, const pipeline_opts_t *zo)
{
	primary_policy_t *pol = policy_of(p, z->origin);
	uint32_t s = z->serial;
	zone_t *out = NULL;
	if (old == NULL || zo->keys == NULL || zo->policy != SERIAL_KEEP || pol == NULL || !pol->have_file_serial ||
	    old->serial == pol->file_serial)
		return z;
	if (z->serial == pol->file_serial)
		s = old->serial;
	else if (serial_gt(z->serial, pol->file_serial) && !serial_gt(z->serial, old->serial))
		s = old->serial + 1;
	if (s == z->serial || zone_set_serial(z, s, &out) != 0)
		return z; /* out of memory: the file's serial, refused or not as keep says */
	return out;
}

/* The file serial last committed for a signed zone (keep_serial_of_signed). */
static void
remember_file_serial(primary_t *p, const uint8_t *origin, uint32_t serial)
{
	primary_policy_t *pol = policy_of(p, origin);
	if (pol == NULL || !pol->sign)
		return;
	pol->have_file_serial = true;
	pol->file_serial = serial;
}

/* Pipeline options for one zone: its own serial policy and signing when configured. */
static pipeline_opts_t
opts_for(primary_t *p, const uint8_t *origin)
{
	static dkey_t *const none[1] = { NULL };
	pipeline_opts_t o = p->opts;
	for (size_t i = 0; i < p->npolicies; i++) {
		primary_policy_t *pol = &p->policies[i];
		if (!dname_eq(pol->origin, origin))
			continue;
		if (pol->has_policy)
			o.policy = pol->policy;
		if (pol->zonemd)
			o.zonemd_hash = ZONEMD_HASH_SHA384;
		if (pol->sign) {
			keys_for(p, pol);
			/* No key: keys set, nkeys 0, so the signing stage refuses the zone. */
			o.keys = pol->nkeys > 0 ? pol->keys : none;
			o.nkeys = pol->nkeys;
			o.nsec3 = pol->nsec3;
			o.optout = pol->optout;
			o.cds = pol->cds;
			o.validate = pol->validate;
		}
	}
	return o;
}

/* "<storage>/<zone>journal" ("root." for the root zone); ext is "journal" or "state". */
static void
zone_path(const primary_t *p, const uint8_t *origin, const char *ext, char *buf, size_t len)
{
	char name[1024];
	if (origin[0] == 0)
		snprintf(name, sizeof(name), "root.");
	else
		dname_to_str(origin, name, sizeof(name));
	snprintf(buf, len, "%s/%s%s", p->storage, name, ext);
}

static int
jtab_grow(primary_t *p)
{
	size_t n = p->jtab != NULL ? (p->jmask + 1) * 2 : 64;
	uint32_t *t = calloc(n, sizeof(*t));
	if (t == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < p->njs; i++) {
		size_t h = dname_hash(p->js[i].origin, dname_len(p->js[i].origin)) & (n - 1);
		while (t[h] != 0)
			h = (h + 1) & (n - 1);
		t[h] = (uint32_t)i + 1;
	}
	free(p->jtab);
	p->jtab = t;
	p->jmask = n - 1;
	return 0;
}

/* The zone's journal slot (a hash lookup: 10,000 zones at start-up). With
 * create, the journal is opened, or created, when the slot has none; else
 * only a journal file that exists is opened (no new file per zone at start).
 * NULL without storage or on out of memory; *slot NULL on failure (logged). */
static journal_t **
journal_of(primary_t *p, const uint8_t *origin, bool create)
{
	if (p->storage == NULL)
		return NULL;
	size_t olen = dname_len(origin), h = 0;
	primary_journal_t *e = NULL;
	if (p->jtab != NULL)
		for (h = dname_hash(origin, olen) & p->jmask; p->jtab[h] != 0; h = (h + 1) & p->jmask)
			if (dname_eq(p->js[p->jtab[h] - 1].origin, origin)) {
				e = &p->js[p->jtab[h] - 1];
				break;
			}
	if (e == NULL) {
		if ((p->jtab == NULL || (p->njs + 1) * 2 > p->jmask + 1) && jtab_grow(p) != 0)
			return NULL;
		if (fl_grow(&p->js, &p->capjs, p->njs, sizeof(*p->js), 64) != 0)
			return NULL;
		e = &p->js[p->njs];
		memcpy(e->origin, origin, olen);
		e->j = NULL;
		for (h = dname_hash(origin, olen) & p->jmask; p->jtab[h] != 0; h = (h + 1) & p->jmask)
			;
		p->jtab[h] = (uint32_t)++p->njs;
	}
	if (e->j != NULL)
		return &e->j;
	char path[4096], warn[1024] = "";
	zone_path(p, origin, "journal", path, sizeof(path));
	if (!create && access(path, F_OK) != 0)
		return &e->j;
	int ret = journal_open(path, &p->jl, &e->j, warn, sizeof(warn));
	if (warn[0])
		log_warning("%s", warn);
	if (ret != 0) {
		log_error("journal %s: %s (transfers of this zone fall back to AXFR-style)", path, fl_strerror(ret));
		e->j = NULL;
	}
	return &e->j;
}

/* SHA-256 over every RR of the version, the SOA serial and the apex ZONEMD
 * excepted: "same content". */
static int
content_digest(const zone_t *z, char hex[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto fail;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_node_t *n = &z->nodes[i];
		for (uint16_t k = 0; k < n->nrrsets; k++) {
			const zone_rrset_t *rs = &n->rrsets[k];
			if (i == 0 && rs->type == RR_ZONEMD)
				continue; /* derived from the rest: a file without it is the same content */
			uint8_t hdr[8] = { (uint8_t)(rs->type >> 8), (uint8_t)rs->type, (uint8_t)(rs->count >> 8),
					   (uint8_t)rs->count, (uint8_t)(rs->ttl >> 24), (uint8_t)(rs->ttl >> 16),
					   (uint8_t)(rs->ttl >> 8), (uint8_t)rs->ttl };
			if (EVP_DigestUpdate(c, n->name, n->name_len) != 1 || EVP_DigestUpdate(c, hdr, 8) != 1)
				goto fail;
			const uint8_t *rd = rs->rdata;
			for (uint16_t r = 0; r < rs->count; r++, rd = msg_rd_next(rd)) {
				uint16_t l = msg_rd_len(rd);
				const uint8_t *d = msg_rd_data(rd);
				if (rs->type == RR_SOA && i == 0) {
					size_t off = dname_len(d);
					off += dname_len(d + off);
					if (EVP_DigestUpdate(c, d, off) != 1 || EVP_DigestUpdate(c, d + off + 4, l - off - 4) != 1)
						goto fail;
				} else if (EVP_DigestUpdate(c, rd, 2u + l) != 1) {
					goto fail;
				}
			}
		}
	}
	if (EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		goto fail;
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
fail:
	EVP_MD_CTX_free(c);
	return FL_ENOMEM;
}

/* Record serial + digest of the version about to be published: written to
 * a temp file now; state_flush() makes the batch durable and renames it. */
static void
state_save(primary_t *p, const zone_t *z)
{
	if (p->storage == NULL)
		return;
	char path[4096], tmp[4200], hex[65], line[128];
	if (content_digest(z, hex) != 0)
		return;
	zone_path(p, z->origin, "state", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int n = snprintf(line, sizeof(line), "%u %s\n", z->serial, hex);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) != 0) {
		if (fd >= 0)
			close(fd);
		log_warning("%s: cannot record the served serial: %s", path, strerror(errno));
		return;
	}
	if (fl_grow(&p->staged, &p->capstaged, p->nstaged, sizeof(*p->staged), 64) != 0)
		goto alone;
	if ((p->staged[p->nstaged] = malloc(dname_len(z->origin))) == NULL)
		goto alone;
	memcpy(p->staged[p->nstaged++], z->origin, dname_len(z->origin));
	return;
alone:
	/* Out of memory for the batch: this one on its own. */
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
		log_warning("%s: cannot record the served serial: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The staged state files: one syncfs() for all of them (each file on its
 * own when syncfs is refused), then the renames and one fsync of the directory. */
static void
state_flush(primary_t *p)
{
	if (p->nstaged == 0)
		return;
	bool synced = fio_syncfs(p->storage);
	for (size_t i = 0; i < p->nstaged; i++) {
		char path[4096], tmp[4200];
		zone_path(p, p->staged[i], "state", path, sizeof(path));
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if (!synced) {
			int fd = open(tmp, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || fsync(fd) != 0)
				log_warning("%s: cannot record the served serial: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
		}
		if (rename(tmp, path) != 0)
			log_warning("%s: cannot record the served serial: %s", path, strerror(errno));
		free(p->staged[i]);
	}
	p->nstaged = 0;
	int ret = fio_fsync_dir(p->storage);
	if (ret != 0)
		log_warning("%s: fsync: %s", p->storage, fl_strerror(ret));
}

static bool
state_load(const primary_t *p, const uint8_t *origin, uint32_t *serial, char hex[65])
{
	char path[4096];
	zone_path(p, origin, "state", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	unsigned s;
	bool ok = fscanf(f, "%u %64s", &s, hex) == 2 && strlen(hex) == 64;
	fclose(f);
	*serial = s;
	return ok;
}

static void
remember_changed(primary_t *p, const uint8_t *origin)
{
	uint8_t(*g)[DNAME_MAXLEN] = realloc(p->changed, (p->nchanged + 1) * sizeof(*g));
	if (g == NULL)
		return; /* the secondaries' refresh timers catch up instead */
	p->changed = g;
	memcpy(p->changed[p->nchanged++], origin, dname_len(origin));
}

size_t
primary_startup_changed(const primary_t *p)
{
	return p->nchanged;
}

const uint8_t *
primary_startup_changed_at(const primary_t *p, size_t i)
{
	return p->changed[i];
}

zonedb_t *
primary_startup(primary_t *p, zonedb_t *loaded)
{
	size_t n = zonedb_count(loaded);
	zone_t **out = calloc(n + 1, sizeof(*out));
	bool *fresh = calloc(n + 1, sizeof(*fresh));
	zonedb_t *db = NULL;
	if (out == NULL || fresh == NULL)
		goto done;
	p->opts.now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		zone_t *z = (zone_t *)zonedb_at(loaded, i);
		out[i] = z;
		journal_t **j = journal_of(p, z->origin, false), *nojournal = NULL;
		pipeline_opts_t zo = opts_for(p, z->origin);
		zo.sig_timing = timing_for(p, z);
		if (j == NULL && zo.keys == NULL && zo.zonemd_hash == 0)
			continue; /* no storage: the file's serial, history starts now */
		if (j == NULL)
			j = &nojournal; /* no storage, but the signing stage or the ZONEMD still runs */
		/* Same content as the last published version: serve it at that serial. */
		uint32_t saved;
		char hex[65], now_hex[65];
		zone_t *cand = z;
		char path[4096], msg[1600];
		bool had_state = state_load(p, z->origin, &saved, hex);
		bool same = had_state && content_digest(z, now_hex) == 0 && strcmp(hex, now_hex) == 0;
		if (same && saved != z->serial) {
			zone_t *c2 = NULL;
			if (zone_set_serial(z, saved, &c2) == 0) {
				cand = c2;
				fresh[i] = true;
			}
		}
		if (had_state && (zo.keys != NULL || !same) && !serial_gt(cand->serial, saved)) {
			/* Not the version last served at that serial: signed anew, or
			 * other content (signing turned off, a file edited while we were
			 * down without raising its serial). Secondaries may hold that
			 * serial, so this one goes above it, even with an empty journal. */
			zone_t *c3 = NULL;
			if (zo.keys == NULL) {
				dname_to_str(z->origin, msg, sizeof(msg));
				log_warning("zone %s: the file's serial %u is not above %u, the last one served with other content: serving %u",
					    msg, cand->serial, saved, saved + 1);
			}
			if (zone_set_serial(cand, saved + 1, &c3) == 0) {
				if (fresh[i])
					zone_free(cand);
				cand = c3;
				fresh[i] = true;
			}
		}
		zone_path(p, z->origin, "journal", path, sizeof(path));
		zone_t *fin = NULL;
		bool reset = false;
		if (pipeline_startup(cand, j, path, &p->jl, &zo, &fin, &reset, msg, sizeof(msg)) != 0) {
			log_error("%s", msg);
			if (zo.keys != NULL) {
				/* A zone to be signed is never served unsigned. */
				char zn[1024] = "?";
				dname_to_str(z->origin, zn, sizeof(zn));
				log_error("zone %s is to be signed and cannot be: not served", zn);
				if (fresh[i])
					zone_free(cand);
				fresh[i] = false;
				out[i] = NULL;
			}
			continue;
		}
		log_notice("%s", msg);
		remember_file_serial(p, z->origin, z->serial);
		if (fin != cand) {
			if (fresh[i])
				zone_free(cand);
			fresh[i] = true;
		}
		out[i] = fin;
		if (had_state && fin->serial != saved)
			remember_changed(p, fin->origin);
		if (!same || fin->serial != saved)
			state_save(p, fin); /* only when something changed */
	}
	state_flush(p);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i] != NULL) {
			fresh[kept] = fresh[i];
			out[kept++] = out[i];
		}
	n = kept;
	db = zonedb_from(out, n);
done:
	if (db == NULL)
		log_error("out of memory committing the loaded zones");
	for (size_t i = 0; db == NULL && out != NULL && i < n; i++)
		if (fresh[i])
			zone_free(out[i]);
	free(out);
	free(fresh);
	zonedb_release(loaded);
	return db;
}

zonedb_t *
primary_commit(primary_t *p, const zonedb_t *served, zonedb_t *next)
{
	size_t n = zonedb_count(next);
	zone_t **out = calloc(n + 1, sizeof(*out));
	bool *fresh = calloc(n + 1, sizeof(*fresh));
	zonedb_t *db = NULL;
	bool changed = false;
	size_t k = 0;
	if (out == NULL || fresh == NULL)
		goto done;
	p->opts.now = time(NULL);
	/* Zones that left: their snapshot entries are simply gone. */
	if (zonedb_count(served) != n)
		changed = true;
	for (size_t i = 0; i < n; i++) {
		zone_t *z = (zone_t *)zonedb_at(next, i);
		const zone_t *old = served != NULL ? zonedb_get(served, z->origin) : NULL;
		if (old == z) {
			out[k++] = z;
			continue;
		}
		journal_t **j = journal_of(p, z->origin, old != NULL) /* a new zone has no changeset yet */;
		zone_t *fin = NULL;
		char msg[1600];
		pipeline_opts_t zo = opts_for(p, z->origin);
		zo.sig_timing = timing_for(p, z);
		zone_t *cand = keep_serial_of_signed(p, old, z, &zo);
		int r = pipeline_commit(old, cand, j ? *j : NULL, &zo, &fin, msg, sizeof(msg));
		if (cand != z && !(r == PIPELINE_PUBLISH && fin == cand))
			zone_free(cand);
		if (r == PIPELINE_PUBLISH || r == PIPELINE_UNCHANGED)
			remember_file_serial(p, z->origin, z->serial);
		if (r == PIPELINE_PUBLISH) {
			log_notice("%s", msg);
			fresh[k] = (fin != z);
			out[k++] = fin;
			state_save(p, fin);
			changed = true;
			continue;
		}
		if (r == PIPELINE_UNCHANGED)
			log_info("%s", msg);
		else
			log_error("%s", msg);
		if (old != NULL)
			out[k++] = (zone_t *)old; /* keep serving what we served */
		else
			changed = true; /* a new zone refused: not served */
	}
	if (!changed) {
		zonedb_release(next);
		free(out);
		free(fresh);
		return NULL;
	}
	state_flush(p);
	db = zonedb_from(out, k);
done:
	if (db == NULL && out != NULL)
		log_error("out of memory committing reloaded zones: nothing published");
	for (size_t i = 0; db == NULL && out != NULL && i < k; i++)
		if (fresh[i])
			zone_free(out[i]);
	free(out);
	free(fresh);
	zonedb_release(next);
	return db;
}

bool
primary_resign_at(primary_t *p, const zone_t *z, time_t now, time_t *at)
{
	/* A zone without an RRSIG at the apex is not signed: no policy lookup. */
	if (z->nnodes == 0 || zone_node_rrset(&z->nodes[0], RR_RRSIG) == NULL)
		return false;
	const sigtime_t *t = timing_for(p, z);
	return t != NULL && sigtime_resign_at(z, t, now, at);
}

int
primary_resign(primary_t *p, const zone_t *old, zone_t **out)
{
	char zname[1024], msg[1600], why[256] = "";
	int64_t left = 0;
	*out = NULL;
	dname_to_str(old->origin, zname, sizeof(zname));
	p->opts.now = time(NULL);
	pipeline_opts_t zo = opts_for(p, old->origin);
	zo.sig_timing = timing_for(p, old);
	if (zo.keys == NULL || zo.sig_timing == NULL || !sigtime_earliest(old, (uint32_t)p->opts.now, &left) ||
	    left > (int64_t)zo.sig_timing->refresh)
		return 0; /* not signed by us, or nothing due yet */
	/* The records as served; the pipeline drops the old signatures and
	 * chain, keeps the ones not due (prev = old) and remakes the rest. */
	uint32_t s = old->serial + 1;
	if (zo.policy != SERIAL_KEEP &&
	    serial_next(zo.policy, old->serial, true, old->serial, zo.now, &s, why, sizeof(why)) != 0) {
		log_error("zone %s: re-signing: no next serial (%s), still serving serial %u", zname, why, old->serial);
		return FL_EINVAL;
	}
	zone_t *cand = NULL, *fin = NULL;
	if (zone_set_serial(old, s, &cand) != 0) {
		log_error("zone %s: re-signing: out of memory, still serving serial %u", zname, old->serial);
		return FL_ENOMEM;
	}
	sign_stats_t st = { 0 };
	zo.sign_stats = &st;
	journal_t **j = journal_of(p, old->origin, true);
	int r = pipeline_commit(old, cand, j != NULL ? *j : NULL, &zo, &fin, msg, sizeof(msg));
	if (cand != fin)
		zone_free(cand);
	if (r != PIPELINE_PUBLISH) {
		log_error("zone %s: re-signing failed: %s", zname, msg);
		return r < 0 ? r : FL_EINVAL;
	}
	log_info("%s", msg);
	log_notice("zone %s: re-signed %zu signatures before expiry, serial %u -> %u", zname, st.rrsigs, old->serial,
		   fin->serial);
	state_save(p, fin);
	state_flush(p);
	*out = fin;
	return 1;
}
