/* SPDX-License-Identifier: MIT */
/** \file The secondary role (see secondary.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "server/secondary.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/refresh.h"
#include "xfr/xfrclient.h"
#include "zone/apply.h"
#include "zone/history.h"
#include "zone/journal.h"
#include "zone/pipeline.h"
#include "zone/snapshot.h"
#include "zone/zonemd.h"
#include "zone/serial.h"

/* NOTIFYs waiting for the control loop; beyond this they are dropped (the
 * refresh timer still catches up), so a flood cannot eat memory. */
#define SEC_INBOX_MAX 4096

typedef struct sec_primary {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const tsig_key_t *key;
	char text[1200];              /* "ADDR@PORT key NAME" for logs */
} sec_primary_t;

typedef enum { SZ_IDLE, SZ_QUEUED, SZ_RUNNING } sz_state_t;

typedef struct sec_zone sec_zone_t;
struct sec_zone {
	secondary_t *s;
	uint8_t origin[DNAME_MAXLEN];
	char name[1024];
	sec_primary_t *prim;
	size_t nprim;
	struct sockaddr_storage source;
	socklen_t sourcelen;
	struct event *ev_refresh, *ev_expire;
	sz_state_t state;
	bool again;                   /* a NOTIFY came during the refresh: one more */
	sec_zone_t *unext, *nnext;    /* NOTIFY / timer queue links */
	bool in_uq, in_nq;            /* linked there; an entry left behind when the zone
					 was taken through the other lane is skipped */
	const char *cause;            /* "NOTIFY", "refresh", "initial" (no copy yet), for the log */
	size_t pi;                    /* primary being tried */
	bool axfr;                    /* IXFR refused: AXFR from this primary */
	xfrc_t *xfr;
	zone_t *base;                 /* version the transfer started from (referenced) */
	journal_t *j;
	bool have_snap, dirty;
	uint32_t snap_serial;
	time_t last_ok;               /* last successful refresh, 0 = never */
	bool have_peer_expire;        /* the primary answered EDNS EXPIRE (RFC 7314) */
	uint32_t peer_expire;
	bool expired;
	char last_err[2000];
};

struct secondary {
	sec_zone_t *z;
	size_t nz;
	notifyin_zone_t *nin;
	acl_rule_t **nin_rules;       /* owned copies, one array per zone */
	notifyin_policy_t pol;
	refresh_limits_t lim;
	xfrin_limits_t xlim;
	unsigned timeout_ms, max_transfers, running;
	uint32_t snapshot_interval;
	char *storage;
	journal_limits_t jl;
	zone_history_limits_t hl;
	sec_zone_t *uq_head, *uq_tail, *nq_head, *nq_tail;
	pthread_mutex_t mu;
	notifyin_event_t *inbox;
	size_t ninbox;
	int efd;
	struct event *ev_inbox, *ev_snap;
	struct event_base *base;
	secondary_hooks_t hooks;
};

static void sz_trigger(sec_zone_t *z, bool urgent, const char *cause);
static void pump(secondary_t *s);

static uint32_t
rnd32(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)rand();
	return r;
}

/* "<storage>/<zone>ext" ("root." for the root zone), like the primary's files. */
static void
zpath(const secondary_t *s, const sec_zone_t *z, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", s->storage, z->origin[0] == 0 ? "root." : z->name, ext);
}

/* The served version of a zone; a placeholder is no version. */
static const zone_t *
cur_of(const secondary_t *s, const uint8_t *origin)
{
	const zone_t *z = s->hooks.current(s->hooks.arg, origin);
	return z != NULL && z->placeholder ? NULL : z;
}

/* A stand-in for a zone we have no copy of: SOA and NS at the apex only,
 * expired, so it answers SERVFAIL (what resolvers expect from a server that
 * should have the zone but cannot serve it yet) instead of REFUSED. */
static zone_t *
placeholder_new(const uint8_t *origin)
{
	static const uint8_t soa[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	zone_builder_t *b = zone_builder_new(origin);
	zone_t *z = NULL;
	size_t olen = dname_len(origin);
	if (b == NULL)
		return NULL;
	/* SOA ". . 0 0 0 0 0", NS at the apex pointing at the root. */
	if (zone_builder_add(b, origin, olen, RR_SOA, 1, 0, soa, sizeof(soa), 0) != 0 ||
	    zone_builder_add(b, origin, olen, RR_NS, 1, 0, soa, 1, 0) != 0) {
		zone_builder_abort(b);
		return NULL;
	}
	if (zone_builder_finish(b, &z, NULL) != 0)
		return NULL;
	z->placeholder = 1;
	z->expired = 1;
	return z;
}

/* ---- configuration ---- */

static int
parse_source(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		*len = sizeof(*a6);
		return 0;
	}
	return FL_ESYNTAX;
}

/* Default notify-allow: the primaries' addresses (host routes), with their keys. */
static int
allow_from_primaries(const conf_notify_list_t *p, acl_rule_t **out, size_t *n)
{
	*out = calloc(p->count + 1, sizeof(**out));
	if (*out == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < p->count; i++) {
		acl_rule_t *r = &(*out)[i];
		const struct sockaddr *sa = (const struct sockaddr *)&p->v[i].addr.addr;
		r->family = sa->sa_family;
		if (sa->sa_family == AF_INET) {
			memcpy(r->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
			r->prefix = 32;
		} else {
			memcpy(r->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
			r->prefix = 128;
		}
		r->has_key = p->v[i].has_key;
		memcpy(r->key, p->v[i].key, sizeof(r->key));
	}
	*n = p->count;
	return 0;
}

static int
zone_from_conf(secondary_t *s, const conf_t *conf, const conf_zone_t *cz, const tsig_keyring_t *kr, size_t idx,
	       char *err, size_t errlen)
{
	sec_zone_t *z = &s->z[idx];
	uint8_t root = 0;
	z->s = s;
	if (dname_from_str(cz->domain, strlen(cz->domain), &root, z->origin) < 0) {
		snprintf(err, errlen, "zone %s: not a domain name", cz->domain);
		return FL_EINVAL;
	}
	dname_lower(z->origin);
	dname_to_str(z->origin, z->name, sizeof(z->name));
	const conf_notify_list_t *pl = cz->primaries.count > 0 ? &cz->primaries : &conf->secondary.primaries;
	if (pl->count == 0) {
		snprintf(err, errlen, "zone %s is secondary but has no primaries (zone.primaries or secondary.primaries)",
			 z->name);
		return FL_EINVAL;
	}
	z->prim = calloc(pl->count, sizeof(*z->prim));
	if (z->prim == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < pl->count; i++) {
		sec_primary_t *p = &z->prim[i];
		memcpy(&p->addr, &pl->v[i].addr.addr, sizeof(p->addr));
		p->addrlen = pl->v[i].addr.addrlen;
		snprintf(p->text, sizeof(p->text), "%s", pl->v[i].addr.text);
		if (pl->v[i].has_key) {
			char kn[1024] = "?";
			dname_to_str(pl->v[i].key, kn, sizeof(kn));
			p->key = kr != NULL ? tsig_keyring_find(kr, pl->v[i].key) : NULL;
			if (p->key == NULL) {
				snprintf(err, errlen, "zone %s: primary %s uses key '%s', which no file of keys.files defines",
					 z->name, p->text, kn);
				return FL_EINVAL;
			}
			size_t l = strlen(p->text);
			snprintf(p->text + l, sizeof(p->text) - l, " key %s", kn);
		}
		z->nprim++;
	}
	const char *src = cz->source != NULL ? cz->source : conf->secondary.source;
	if (src != NULL && parse_source(src, &z->source, &z->sourcelen) != 0) {
		snprintf(err, errlen, "zone %s: source '%s' is not an IP address", z->name, src);
		return FL_EINVAL;
	}
	/* NOTIFY ACL: the zone's own, the global one, else its primaries. */
	const conf_acl_t *al = cz->notify_allow.count > 0 ? &cz->notify_allow : &conf->secondary.notify_allow;
	acl_rule_t *rules = NULL;
	size_t nrules = 0;
	if (al->count > 0) {
		rules = calloc(al->count, sizeof(*rules));
		if (rules == NULL)
			return FL_ENOMEM;
		memcpy(rules, al->rules, al->count * sizeof(*rules));
		nrules = al->count;
	} else if (allow_from_primaries(pl, &rules, &nrules) != 0) {
		return FL_ENOMEM;
	}
	for (size_t i = 0; i < nrules; i++)
		if (rules[i].has_key && (kr == NULL || tsig_keyring_find(kr, rules[i].key) == NULL)) {
			char kn[1024] = "?";
			dname_to_str(rules[i].key, kn, sizeof(kn));
			free(rules);
			snprintf(err, errlen, "zone %s: notify-allow names key '%s', which no file of keys.files defines",
				 z->name, kn);
			return FL_EINVAL;
		}
	s->nin_rules[idx] = rules;
	memcpy(s->nin[idx].origin, z->origin, dname_len(z->origin));
	s->nin[idx].allow.rules = rules;
	s->nin[idx].allow.count = nrules;
	return 0;
}

int
secondary_new(const conf_t *conf, const tsig_keyring_t *kr, secondary_t **out, char *err, size_t errlen)
{
	size_t n = 0;
	int ret = FL_ENOMEM;
	*out = NULL;
	err[0] = '\0';
	for (size_t i = 0; i < conf->nzone; i++)
		if (conf_zone_role(conf, i) == CONF_ROLE_SECONDARY)
			n++;
	if (n == 0)
		return 0;
	secondary_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->efd = -1;
	pthread_mutex_init(&s->mu, NULL);
	s->z = calloc(n, sizeof(*s->z));
	s->nin = calloc(n, sizeof(*s->nin));
	s->nin_rules = calloc(n, sizeof(*s->nin_rules));
	s->inbox = calloc(SEC_INBOX_MAX, sizeof(*s->inbox));
	if (s->z == NULL || s->nin == NULL || s->nin_rules == NULL || s->inbox == NULL)
		goto fail;
	const conf_secondary_t *cs = &conf->secondary;
	s->lim = (refresh_limits_t){ (uint32_t)cs->refresh_min, (uint32_t)cs->refresh_max, (uint32_t)cs->retry_min,
				     (uint32_t)cs->retry_max, (uint32_t)cs->expire_min, (uint32_t)cs->expire_max };
	s->xlim.max_records = (uint64_t)cs->max_records;
	s->xlim.max_bytes = (uint64_t)cs->max_bytes;
	s->timeout_ms = (unsigned)cs->transfer_timeout;
	s->max_transfers = (unsigned)cs->max_transfers;
	s->snapshot_interval = (uint32_t)cs->snapshot_interval;
	s->jl.max_records = (size_t)conf->zones.journal_max_changesets;
	s->jl.max_bytes = (size_t)conf->zones.journal_max_bytes;
	s->hl.max_changesets = s->jl.max_records;
	s->hl.max_bytes = s->jl.max_bytes;
	if (conf->zones.storage != NULL && (s->storage = strdup(conf->zones.storage)) == NULL)
		goto fail;
	for (size_t i = 0; i < conf->nzone; i++) {
		if (conf_zone_role(conf, i) != CONF_ROLE_SECONDARY)
			continue;
		ret = zone_from_conf(s, conf, &conf->zone[i], kr, s->nz, err, errlen);
		s->nz++;
		if (ret != 0)
			goto fail;
		for (size_t k = 0; k + 1 < s->nz; k++)
			if (dname_eq(s->z[k].origin, s->z[s->nz - 1].origin)) {
				snprintf(err, errlen, "zone %s is listed twice", s->z[k].name);
				ret = FL_EINVAL;
				goto fail;
			}
	}
	s->pol.keyring = kr;
	s->pol.zones = s->nin;
	s->pol.nzones = s->nz;
	*out = s;
	return 0;
fail:
	if (ret == FL_ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	secondary_free(s);
	return ret;
}

const notifyin_policy_t *
secondary_notify_policy(const secondary_t *s)
{
	return &s->pol;
}

static sec_zone_t *
find(const secondary_t *s, const uint8_t *origin)
{
	for (size_t i = 0; i < s->nz; i++)
		if (dname_eq(s->z[i].origin, origin))
			return &s->z[i];
	return NULL;
}

/* ---- persistence ---- */

static void
timers_save(const secondary_t *s, const sec_zone_t *z)
{
	if (s->storage == NULL)
		return;
	char path[4096], tmp[4200], line[64];
	zpath(s, z, "timers", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int n = snprintf(line, sizeof(line), "%lld\n", (long long)z->last_ok);
	/* No fsync: losing the last refresh time costs at most an early expiry check. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) != 0 || rename(tmp, path) != 0) {
		if (fd >= 0)
			close(fd);
		log_warning("%s: %s", path, strerror(errno));
	}
}

static time_t
timers_load(const secondary_t *s, const sec_zone_t *z)
{
	char path[4096];
	long long t = 0;
	zpath(s, z, "timers", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%lld", &t) != 1)
		t = 0;
	fclose(f);
	return (time_t)t;
}

static void
snap_write(sec_zone_t *z, const zone_t *cur)
{
	secondary_t *s = z->s;
	char path[4096], err[512];
	if (s->storage == NULL || cur == NULL)
		return;
	zpath(s, z, "snapshot", path, sizeof(path));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snapshot_write(cur, path, err, sizeof(err)) != 0) {
		log_error("zone %s: snapshot not written: %s", z->name, err);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	z->have_snap = true;
	z->snap_serial = cur->serial;
	z->dirty = false;
	log_info("zone %s: snapshot of serial %u written (%llu records, %.1f ms)", z->name, cur->serial,
		 (unsigned long long)cur->nrecords,
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* Does the journal still lead from the snapshot to the served version? */
static bool
snap_covered(const sec_zone_t *z, const zone_t *cur)
{
	uint32_t first;
	if (!z->have_snap)
		return false;
	if (z->snap_serial == cur->serial)
		return true;
	if (z->j == NULL || journal_first_serial(z->j, &first) != 0)
		return false;
	return !serial_gt(first, z->snap_serial);
}

static void
journal_reset(sec_zone_t *z)
{
	secondary_t *s = z->s;
	char path[4096], warn[512] = "";
	if (s->storage == NULL)
		return;
	zpath(s, z, "journal", path, sizeof(path));
	journal_close(z->j);
	z->j = NULL;
	if (unlink(path) != 0 && errno != ENOENT)
		log_warning("zone %s: cannot remove %s: %s", z->name, path, strerror(errno));
	if (journal_open(path, &s->jl, &z->j, warn, sizeof(warn)) != 0) {
		log_error("zone %s: cannot open the journal %s: downstream IXFR falls back to AXFR", z->name, path);
		z->j = NULL;
	}
}

typedef struct {
	zone_t *z;      /* latest version (owned when != base) */
	zone_t *base;
	const char *name;
	int err;
	size_t applied;
} replay_t;

static int
replay_one(void *arg, const changeset_t *cs)
{
	replay_t *r = arg;
	zone_t *next = NULL;
	zone_error_t *e = malloc(sizeof(*e));
	if (e == NULL)
		return r->err = FL_ENOMEM;
	e->msg[0] = '\0';
	int ret = zone_apply(r->z, cs, &next, e);
	if (ret != 0) {
		log_error("zone %s: journal changeset %u -> %u does not apply (%s): stopping the replay at serial %u",
			  r->name, changeset_serial_from(cs), changeset_serial_to(cs), e->msg[0] ? e->msg : fl_strerror(ret),
			  r->z->serial);
		free(e);
		return r->err = ret;
	}
	free(e);
	if (r->z != r->base)
		zone_free(r->z);
	r->z = next;
	r->applied++;
	return 0;
}

/* Journal read callback: fold each changeset into one (changeset_condense),
 * so the replay at start-up costs one zone rebuild, not one per changeset. */
typedef struct {
	changeset_t acc;
	size_t n;
	int err;
} fold_t;

static int
fold_one(void *arg, const changeset_t *cs)
{
	fold_t *f = arg;
	changeset_t next;
	char why[256];
	const changeset_t *pair[2] = { &f->acc, cs };
	changeset_init(&next);
	int ret = f->n == 0 ? changeset_condense(&cs, 1, &next, why, sizeof(why))
			    : changeset_condense(pair, 2, &next, why, sizeof(why));
	if (ret != 0) {
		changeset_clear(&next);
		return f->err = ret;
	}
	changeset_clear(&f->acc);
	f->acc = next; /* changesets move by value (see zone_history_extend) */
	f->n++;
	return 0;
}

/* The snapshot z0 plus the journal after it: condensed and applied once;
 * should that fail, one by one, stopping at the last version that applies.
 * Returns the version to serve (z0 itself when nothing applied). */
static zone_t *
replay(sec_zone_t *z, zone_t *z0, size_t *applied)
{
	uint32_t last;
	*applied = 0;
	if (z->j == NULL || journal_last_serial(z->j, &last) != 0 || !serial_gt(last, z0->serial))
		return z0;
	fold_t f = { .n = 0, .err = 0 };
	changeset_init(&f.acc);
	int ret = journal_read_from(z->j, z0->serial, fold_one, &f);
	zone_t *out = NULL;
	if (ret == 0 && f.err == 0 && f.n > 0 && zone_apply(z0, &f.acc, &out, NULL) == 0) {
		changeset_clear(&f.acc);
		*applied = f.n;
		zone_free(z0);
		return out;
	}
	changeset_clear(&f.acc);
	replay_t r = { z0, z0, z->name, 0, 0 };
	journal_read_from(z->j, z0->serial, replay_one, &r);
	if (r.z != z0)
		zone_free(z0);
	*applied = r.applied;
	return r.z;
}

/* Every secondary zone without a version gets a placeholder. */
static zonedb_t *
add_placeholders(const secondary_t *s, zonedb_t *db)
{
	for (size_t i = 0; i < s->nz; i++) {
		if (zonedb_get(db, s->z[i].origin) != NULL)
			continue;
		zone_t *ph = placeholder_new(s->z[i].origin);
		zonedb_t *n2 = ph != NULL ? zonedb_with(db, ph) : NULL;
		if (n2 == NULL) {
			zone_free(ph);
			log_warning("zone %s: out of memory for its placeholder (queries get REFUSED until the first transfer)",
				    s->z[i].name);
			continue;
		}
		zonedb_release(db);
		db = n2;
	}
	return db;
}

zonedb_t *
secondary_restore(secondary_t *s, zonedb_t *db)
{
	if (s == NULL)
		return db;
	if (s->storage == NULL)
		return add_placeholders(s, db);
	time_t now = time(NULL);
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = &s->z[i];
		char path[4096], jpath[4096], err[600], warn[600] = "";
		zpath(s, z, "snapshot", path, sizeof(path));
		zpath(s, z, "journal", jpath, sizeof(jpath));
		if (journal_open(jpath, &s->jl, &z->j, warn, sizeof(warn)) != 0) {
			log_error("zone %s: cannot open the journal %s", z->name, jpath);
			z->j = NULL;
		}
		if (warn[0])
			log_warning("zone %s: %s", z->name, warn);
		zone_t *z0 = NULL;
		int ret = snapshot_read(path, z->origin, &z0, err, sizeof(err));
		if (ret == FL_ENOENT) {
			log_notice("zone %s: no copy on disk yet, waiting for the first transfer", z->name);
			if (z->j != NULL && journal_count(z->j) > 0)
				journal_reset(z);
			continue;
		}
		if (ret != 0) {
			log_error("zone %s: snapshot %s unusable (%s): waiting for a transfer", z->name, path, err);
			journal_reset(z);
			continue;
		}
		z->have_snap = true;
		z->snap_serial = z0->serial;
		size_t applied = 0;
		zone_t *zr = replay(z, z0, &applied);
		zone_t *fin = NULL;
		bool reset = false;
		pipeline_opts_t po = { .policy = SERIAL_KEEP, .history = s->hl, .now = now };
		char msg[1600];
		ret = pipeline_startup(zr, &z->j, jpath, &s->jl, &po, &fin, &reset, msg, sizeof(msg));
		if (ret != 0) {
			log_error("%s", msg);
			zone_free(zr);
			continue;
		}
		zonedb_t *n2 = zonedb_with(db, fin);
		if (n2 == NULL) {
			zone_free(fin);
			log_error("out of memory restoring zone %s", z->name);
			continue;
		}
		zonedb_release(db);
		db = n2;
		z->last_ok = timers_load(s, z);
		refresh_timers_t t;
		refresh_from_soa(msg_rd_data(fin->soa->rdata), msg_rd_len(fin->soa->rdata), &s->lim, &t);
		log_notice("zone %s: serving serial %u from disk (snapshot serial %u + %zu journal changesets%s)", z->name,
			   fin->serial, z->snap_serial, applied, reset ? "; journal reset" : "");
		if (reset || !snap_covered(z, fin))
			snap_write(z, fin);
		else if (applied > 0)
			z->dirty = true; /* the next snapshot saves the replay at the next start */
		if (z->last_ok != 0 && now - z->last_ok >= (time_t)t.expire) {
			zone_set_expire_at(fin, (uint64_t)z->last_ok + t.expire);
			z->expired = true;
			zone_set_expired(fin, true);
			log_error("zone %s: expired while we were down (last refresh %lld s ago, expire %u s): answering "
				  "SERVFAIL until a transfer succeeds",
				  z->name, (long long)(now - z->last_ok), t.expire);
		}
	}
	return add_placeholders(s, db);
}

zonedb_t *
secondary_merge(const secondary_t *s, const zonedb_t *served, zonedb_t *next)
{
	if (s == NULL || next == NULL)
		return next;
	for (size_t i = 0; i < s->nz; i++) {
		const zone_t *have = served != NULL ? zonedb_get(served, s->z[i].origin) : NULL;
		const zone_t *file = zonedb_get(next, s->z[i].origin);
		if (file == have)
			continue;
		if (file != NULL)
			log_warning("zone %s is secondary here: the file %s is ignored", s->z[i].name,
				    file->source != NULL ? file->source : "?");
		zonedb_t *n2 = have != NULL ? zonedb_with(next, (zone_t *)have) : zonedb_without(next, s->z[i].origin);
		if (n2 == NULL) {
			zonedb_release(next);
			return NULL;
		}
		zonedb_release(next);
		next = n2;
	}
	return next;
}

/* ---- refresh scheduling ---- */

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	event_add(ev, &tv);
}

static refresh_timers_t
timers_of(const secondary_t *s, const zone_t *cur)
{
	refresh_timers_t t = { s->lim.refresh_min, s->lim.retry_min, s->lim.expire_min };
	if (cur != NULL)
		refresh_from_soa(msg_rd_data(cur->soa->rdata), msg_rd_len(cur->soa->rdata), &s->lim, &t);
	return t;
}

/* Seconds until expiry after a good refresh: the SOA's expire, or less when
 * the server we refreshed from is itself a secondary closer to expiry. */
static uint32_t
expire_after_refresh(const sec_zone_t *z, const refresh_timers_t *t)
{
	return z->have_peer_expire && z->peer_expire < t->expire ? z->peer_expire : t->expire;
}

static void
on_refresh_timer(evutil_socket_t fd, short what, void *arg)
{
	sec_zone_t *z = arg;
	sz_trigger(z, false, z->last_ok == 0 && cur_of(z->s, z->origin) == NULL ? "initial" : "refresh");
}

static void
on_expire_timer(evutil_socket_t fd, short what, void *arg)
{
	sec_zone_t *z = arg;
	const zone_t *cur = cur_of(z->s, z->origin);
	if (cur == NULL || z->expired)
		return;
	z->expired = true;
	zone_set_expired(cur, true);
	log_error("zone %s expired: no successful refresh for %u s (last error: %s); answering SERVFAIL until a "
		  "transfer succeeds",
		  z->name, timers_of(z->s, cur).expire, z->last_err[0] ? z->last_err : "none");
}

static void
enqueue(secondary_t *s, sec_zone_t *z, bool urgent)
{
	if (urgent && !z->in_uq) {
		z->in_uq = true;
		z->unext = NULL;
		if (s->uq_tail != NULL)
			s->uq_tail->unext = z;
		else
			s->uq_head = z;
		s->uq_tail = z;
	} else if (!urgent && !z->in_nq) {
		z->in_nq = true;
		z->nnext = NULL;
		if (s->nq_tail != NULL)
			s->nq_tail->nnext = z;
		else
			s->nq_head = z;
		s->nq_tail = z;
	}
}

/* The next queued zone: NOTIFYed ones first, so timer refreshes of many
 * zones never delay a change the primary told us about. */
static sec_zone_t *
dequeue(secondary_t *s)
{
	for (;;) {
		sec_zone_t *z = NULL;
		if (s->uq_head != NULL) {
			z = s->uq_head;
			s->uq_head = z->unext;
			if (s->uq_head == NULL)
				s->uq_tail = NULL;
			z->in_uq = false;
		} else if (s->nq_head != NULL) {
			z = s->nq_head;
			s->nq_head = z->nnext;
			if (s->nq_head == NULL)
				s->nq_tail = NULL;
			z->in_nq = false;
		} else {
			return NULL;
		}
		if (z->state == SZ_QUEUED)
			return z; /* else: already taken through the other queue */
	}
}

static void
sz_trigger(sec_zone_t *z, bool urgent, const char *cause)
{
	secondary_t *s = z->s;
	if (s->base == NULL)
		return;
	if (z->state == SZ_RUNNING) {
		if (urgent)
			z->again = true; /* the primary may have changed after our SOA query */
		return;
	}
	if (z->state == SZ_QUEUED) {
		if (urgent) {
			z->cause = cause;
			enqueue(s, z, true); /* no-op when already in the NOTIFY lane */
		}
		return;
	}
	z->state = SZ_QUEUED;
	z->cause = cause;
	event_del(z->ev_refresh);
	enqueue(s, z, urgent);
	pump(s);
}

static void on_xfr_done(void *arg, xfrc_t *c);

static void
start_xfr(sec_zone_t *z)
{
	secondary_t *s = z->s;
	const sec_primary_t *p = &z->prim[z->pi];
	xfrc_req_t req;
	memset(&req, 0, sizeof(req));
	memcpy(&req.addr, &p->addr, sizeof(req.addr));
	req.addrlen = p->addrlen;
	if (z->sourcelen > 0 && z->source.ss_family == p->addr.ss_family) {
		memcpy(&req.source, &z->source, sizeof(req.source));
		req.sourcelen = z->sourcelen;
	}
	req.key = p->key;
	memcpy(req.origin, z->origin, dname_len(z->origin));
	req.current = z->base;
	req.soa_first = !z->axfr;
	req.axfr = z->axfr;
	req.lim = s->xlim;
	req.timeout_ms = s->timeout_ms;
	z->xfr = xfrc_start(s->base, &req, on_xfr_done, z);
	if (z->xfr == NULL) {
		/* Out of memory: behave like a failed primary; the retry timer comes back. */
		snprintf(z->last_err, sizeof(z->last_err), "out of memory");
		log_error("zone %s: out of memory starting a transfer", z->name);
	}
}

static void refresh_end(sec_zone_t *z, bool ok);

static void
start_refresh(sec_zone_t *z)
{
	secondary_t *s = z->s;
	z->state = SZ_RUNNING;
	s->running++;
	z->pi = 0;
	z->axfr = false;
	z->have_peer_expire = false;
	const zone_t *cur = cur_of(s, z->origin);
	z->base = (zone_t *)cur;
	if (z->base != NULL)
		zone_ref(z->base); /* alive until the transfer ends, whatever gets published */
	if (cur != NULL)
		log_info("zone %s: refresh (%s) from %s, our serial %u", z->name, z->cause, z->prim[0].text, cur->serial);
	else
		log_info("zone %s: refresh (%s) from %s, no copy yet", z->name, z->cause, z->prim[0].text);
	start_xfr(z);
	if (z->xfr == NULL)
		refresh_end(z, false); /* the retry timer comes back */
}

static void
pump(secondary_t *s)
{
	while (s->running < s->max_transfers) {
		sec_zone_t *z = dequeue(s);
		if (z == NULL)
			return;
		start_refresh(z);
	}
}

/* End of a refresh, good or bad: timers, queue, the next zone. */
static void
refresh_end(sec_zone_t *z, bool ok)
{
	secondary_t *s = z->s;
	const zone_t *cur = cur_of(s, z->origin);
	refresh_timers_t t = timers_of(s, cur);
	if (z->base != NULL) {
		zone_unref(z->base);
		z->base = NULL;
	}
	if (ok) {
		z->last_ok = time(NULL);
		z->last_err[0] = '\0';
		timers_save(s, z);
		if (z->expired && cur != NULL) {
			zone_set_expired(cur, false);
			log_notice("zone %s: refreshed, no longer expired (serial %u)", z->name, cur->serial);
		}
		z->expired = false;
		if (cur != NULL) {
			uint32_t exp = expire_after_refresh(z, &t);
			zone_set_expire_at(cur, (uint64_t)z->last_ok + exp);
			arm(z->ev_expire, (uint64_t)exp * 1000u);
		}
		arm(z->ev_refresh, refresh_jitter_ms(cur != NULL ? t.refresh : t.retry, rnd32()));
	} else {
		uint64_t ms = refresh_jitter_ms(t.retry, rnd32());
		if (cur != NULL && !z->expired)
			log_warning("zone %s: refresh failed on every primary (%s); retry in %.1f s, serving serial %u", z->name,
				    z->last_err, (double)ms / 1e3, cur->serial);
		else
			log_warning("zone %s: refresh failed on every primary (%s); retry in %.1f s", z->name, z->last_err,
				    (double)ms / 1e3);
		arm(z->ev_refresh, ms);
	}
	z->state = SZ_IDLE;
	s->running--;
	if (z->again) {
		z->again = false;
		sz_trigger(z, true, "NOTIFY");
	}
	pump(s);
}

static const char *
kind_str(xfrin_kind_t k)
{
	switch (k) {
	case XFRIN_AXFR: return "AXFR";
	case XFRIN_IXFR: return "IXFR";
	case XFRIN_IXFR_AXFR_STYLE: return "IXFR (AXFR-style)";
	case XFRIN_UPTODATE: return "IXFR (up to date)";
	default: return "transfer";
	}
}

/* An incremental transfer: journal and history take the received changesets one by one. */
static int
commit_ixfr(sec_zone_t *z, xfrc_t *c, zone_t *fin, char *why, size_t whylen)
{
	secondary_t *s = z->s;
	size_t n = 0;
	changeset_t *const *cs = xfrc_changesets(c, &n);
	uint32_t last;
	if (z->j != NULL && journal_last_serial(z->j, &last) == 0 && last != z->base->serial)
		journal_reset(z); /* the journal does not end where we are: start over */
	zone_history_t *h = z->base->history;
	if (h != NULL)
		zone_history_ref(h);
	/* All changesets durable with one flush before anything is published. */
	size_t done = 0;
	int r = z->j != NULL ? journal_append_many(z->j, cs, n, &done) : 0;
	if (r != 0) {
		snprintf(why, whylen, "journal write failed after %zu of %zu changesets: %s", done, n, fl_strerror(r));
		zone_history_unref(h);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		zone_history_t *h2 = zone_history_extend(h, cs[i], &s->hl);
		zone_history_unref(h);
		h = h2; /* NULL on OOM: history restarts with the next changeset */
	}
	zone_history_unref(fin->history);
	fin->history = h;
	return 0;
}

/* Verify, journal, publish. false: the version was refused (why says it). */
static bool
commit(sec_zone_t *z, xfrc_t *c, char *why, size_t whylen)
{
	secondary_t *s = z->s;
	xfrc_result_t *res = xfrc_result(c);
	zone_t *nz = res->zone;
	res->zone = NULL;
	zonemd_status_t zst = ZONEMD_ABSENT;
	char zwhy[512] = "";
	if (zonemd_verify(nz, &zst, zwhy, sizeof(zwhy)) != 0) {
		snprintf(why, whylen, "%s", zwhy);
		zone_free(nz);
		return false;
	}
	if (zst == ZONEMD_VALID)
		log_info("zone %s: ZONEMD of serial %u verified", z->name, nz->serial);
	else if (zst == ZONEMD_UNSUPPORTED)
		log_notice("zone %s: ZONEMD present but not verifiable: %s", z->name, zwhy);
	zone_t *fin = nz;
	if (res->kind == XFRIN_IXFR && z->base != NULL) {
		if (commit_ixfr(z, c, fin, why, whylen) != 0) {
			zone_free(nz);
			return false;
		}
	} else if (z->base != NULL) {
		/* The whole zone: the diff against ours is the changeset downstream IXFR serves. */
		char msg[1600];
		pipeline_opts_t po = { .policy = SERIAL_KEEP, .history = s->hl, .now = time(NULL) };
		uint32_t last;
		if (z->j != NULL && journal_last_serial(z->j, &last) == 0 && last != z->base->serial)
			journal_reset(z);
		int r = pipeline_commit(z->base, nz, z->j, &po, &fin, msg, sizeof(msg));
		if (r == PIPELINE_UNCHANGED) {
			zone_free(nz);
			return true;
		}
		if (r != PIPELINE_PUBLISH) {
			snprintf(why, whylen, "%s", msg);
			zone_free(nz);
			return false;
		}
	} else {
		/* First copy: nothing to diff against; the snapshot below is the base. */
		journal_reset(z);
		z->have_snap = false;
	}
	refresh_timers_t t = timers_of(s, fin);
	zone_set_expire_at(fin, (uint64_t)time(NULL) + expire_after_refresh(z, &t));
	s->hooks.publish(s->hooks.arg, fin);
	char from[16] = "none";
	if (z->base != NULL)
		snprintf(from, sizeof(from), "%u", z->base->serial);
	log_notice("zone %s: %s from %s: serial %s -> %u, %llu records in %llu messages, %llu bytes, %.1f ms%s",
		   z->name, kind_str(res->kind), z->prim[z->pi].text, from, fin->serial, (unsigned long long)res->records,
		   (unsigned long long)res->messages, (unsigned long long)res->bytes, res->ms,
		   z->j != NULL ? ", journaled" : "");
	z->dirty = true;
	if (!snap_covered(z, fin))
		snap_write(z, fin);
	return true;
}

static void
on_xfr_done(void *arg, xfrc_t *c)
{
	sec_zone_t *z = arg;
	xfrc_result_t *res = xfrc_result(c);
	char why[1700] = "";
	bool ok = false, next = false;
	z->xfr = NULL;
	if (res->have_expire) {
		z->have_peer_expire = true;
		z->peer_expire = res->expire;
	}
	switch (res->status) {
	case XFRC_UPTODATE:
		if (z->base != NULL && res->have_primary_serial && res->primary_serial != z->base->serial)
			log_warning("zone %s: %s has serial %u, older than ours (%u): keeping ours (RFC 1982)", z->name,
				    z->prim[z->pi].text, res->primary_serial, z->base->serial);
		else
			log_info("zone %s: up to date at serial %u (%s)", z->name, z->base != NULL ? z->base->serial : 0,
				 z->prim[z->pi].text);
		ok = true;
		break;
	case XFRC_DONE:
		ok = commit(z, c, why, sizeof(why));
		if (!ok) {
			log_error("zone %s: %s from %s rejected: %s; still serving serial %u", z->name, kind_str(res->kind),
				  z->prim[z->pi].text, why, z->base != NULL ? z->base->serial : 0);
			snprintf(z->last_err, sizeof(z->last_err), "%s", why);
			next = true;
		}
		break;
	case XFRC_IXFR_REFUSED:
		log_notice("zone %s: IXFR from %s failed (%s): falling back to AXFR", z->name, z->prim[z->pi].text,
			   res->err);
		xfrc_free(c);
		z->axfr = true;
		start_xfr(z);
		if (z->xfr == NULL)
			refresh_end(z, false);
		return;
	default:
		log_warning("zone %s: refresh from %s failed: %s", z->name, z->prim[z->pi].text, res->err);
		snprintf(z->last_err, sizeof(z->last_err), "%s: %s", z->prim[z->pi].text, res->err);
		next = true;
		break;
	}
	xfrc_free(c);
	if (next && z->pi + 1 < z->nprim) {
		z->pi++;
		z->axfr = false;
		start_xfr(z);
		if (z->xfr != NULL)
			return;
	}
	refresh_end(z, ok);
}

/* ---- NOTIFY inbox (workers -> control loop) ---- */

void
secondary_post_notify(void *arg, const notifyin_event_t *ev)
{
	secondary_t *s = arg;
	bool wake = false;
	pthread_mutex_lock(&s->mu);
	if (s->ninbox < SEC_INBOX_MAX) {
		s->inbox[s->ninbox++] = *ev;
		wake = s->ninbox == 1;
	}
	pthread_mutex_unlock(&s->mu);
	if (wake && s->efd >= 0) {
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* Counter full: the loop is already woken. */
		}
	}
}

static void
on_inbox(evutil_socket_t fd, short what, void *arg)
{
	secondary_t *s = arg;
	uint64_t v;
	if (read(s->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: spurious wake-up */
	}
	notifyin_event_t evs[64];
	for (;;) {
		size_t n = 0;
		pthread_mutex_lock(&s->mu);
		n = s->ninbox < 64 ? s->ninbox : 64;
		memcpy(evs, s->inbox, n * sizeof(*evs));
		memmove(s->inbox, s->inbox + n, (s->ninbox - n) * sizeof(*evs));
		s->ninbox -= n;
		pthread_mutex_unlock(&s->mu);
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++) {
			sec_zone_t *z = find(s, evs[i].origin);
			if (z == NULL)
				continue;
			const zone_t *cur = cur_of(s, z->origin);
			/* The serial in a NOTIFY is a hint: one that is not newer still
			 * gets an SOA check, but only when nothing is pending. */
			if (evs[i].has_serial && cur != NULL && !z->expired && !serial_gt(evs[i].serial, cur->serial) &&
			    z->state != SZ_IDLE)
				continue;
			sz_trigger(z, true, "NOTIFY");
		}
	}
}

static void
on_snapshot_timer(evutil_socket_t fd, short what, void *arg)
{
	secondary_t *s = arg;
	for (size_t i = 0; i < s->nz; i++)
		if (s->z[i].dirty)
			snap_write(&s->z[i], cur_of(s, s->z[i].origin));
}

int
secondary_start(secondary_t *s, struct event_base *base, const secondary_hooks_t *hooks)
{
	s->base = base;
	s->hooks = *hooks;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0)
		return -errno;
	s->ev_inbox = event_new(base, s->efd, EV_READ | EV_PERSIST, on_inbox, s);
	s->ev_snap = event_new(base, -1, EV_PERSIST, on_snapshot_timer, s);
	if (s->ev_inbox == NULL || s->ev_snap == NULL || event_add(s->ev_inbox, NULL) != 0)
		return FL_ENOMEM;
	struct timeval tv = { (time_t)s->snapshot_interval, 0 };
	event_add(s->ev_snap, &tv);
	time_t now = time(NULL);
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = &s->z[i];
		z->ev_refresh = evtimer_new(base, on_refresh_timer, z);
		z->ev_expire = evtimer_new(base, on_expire_timer, z);
		if (z->ev_refresh == NULL || z->ev_expire == NULL)
			return FL_ENOMEM;
		const zone_t *cur = cur_of(s, z->origin);
		if (cur != NULL && !z->expired) {
			/* Expiry counts from the last good refresh, even across restarts. */
			refresh_timers_t t = timers_of(s, cur);
			time_t since = z->last_ok != 0 && now >= z->last_ok ? now - z->last_ok : 0;
			uint32_t left = since < (time_t)t.expire ? t.expire - (uint32_t)since : 0;
			zone_set_expire_at(cur, (uint64_t)now + left);
			arm(z->ev_expire, (uint64_t)left * 1000u);
		}
		/* Start-up: spread the first refreshes, about a millisecond per
		 * zone up to half a second, so a thousand zones do not all hit
		 * the primary at once and a single zone does not wait. */
		arm(z->ev_refresh, rnd32() % (uint32_t)(s->nz < 500 ? s->nz : 500));
	}
	return 0;
}

void
secondary_stop(secondary_t *s)
{
	if (s == NULL || s->base == NULL)
		return;
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = &s->z[i];
		if (z->xfr != NULL) {
			xfrc_free(z->xfr);
			z->xfr = NULL;
		}
		if (z->base != NULL) {
			zone_unref(z->base);
			z->base = NULL;
		}
		if (z->dirty)
			snap_write(z, cur_of(s, z->origin));
		if (z->ev_refresh != NULL)
			event_free(z->ev_refresh);
		if (z->ev_expire != NULL)
			event_free(z->ev_expire);
		z->ev_refresh = z->ev_expire = NULL;
	}
	if (s->ev_inbox != NULL)
		event_free(s->ev_inbox);
	if (s->ev_snap != NULL)
		event_free(s->ev_snap);
	s->ev_inbox = s->ev_snap = NULL;
	s->base = NULL;
}

void
secondary_free(secondary_t *s)
{
	if (s == NULL)
		return;
	secondary_stop(s);
	for (size_t i = 0; i < s->nz; i++) {
		free(s->z[i].prim);
		journal_close(s->z[i].j);
	}
	for (size_t i = 0; s->nin_rules != NULL && i < s->nz; i++)
		free(s->nin_rules[i]);
	if (s->efd >= 0)
		close(s->efd);
	pthread_mutex_destroy(&s->mu);
	free(s->nin_rules);
	free(s->nin);
	free(s->inbox);
	free(s->z);
	free(s->storage);
	free(s);
}
