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
#include "util/fileio.h"
#include "util/grow.h"
#include "util/log.h"
#include "xfr/refresh.h"
#include "xfr/xfrclient.h"
#include "catalog/catalog.h"
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
	const tsig_key_t *key[CONF_MAX_KEYS]; /* first signs; next ones after BADKEY (s->kr owns them) */
	unsigned nkeys;
	char text[64];                /* "ADDR@PORT" for logs */
} sec_primary_t;

/* Where a zone comes from and who may NOTIFY it: one per configured zone,
 * and per consumed catalog one for its members plus one per template, which
 * the members share (10,000 members, a handful of profiles). */
typedef struct sec_profile {
	sec_primary_t *prim;
	size_t nprim;
	acl_slot_t allow;             /* what zone_t.notify_allow points at (workers read it) */
	acl_t *acl;                   /* the list in allow (acl_build: one block) */
	struct sockaddr_storage source;
	socklen_t sourcelen;
	const struct sec_zone *cat;   /* member profile of this consumed catalog; NULL: a zone's own */
	char *group;                  /* member profile for this group (template id); NULL: the default */
} sec_profile_t;

typedef enum { SZ_IDLE, SZ_QUEUED, SZ_RUNNING } sz_state_t;

typedef struct sec_zone sec_zone_t;
struct sec_zone {
	secondary_t *s;
	uint8_t origin[DNAME_MAXLEN];
	char *name;
	const sec_profile_t *prof;
	size_t idx;                   /* position in s->z */
	sec_zone_t *hnext;            /* hash chain */
	sec_zone_t *owner;            /* member: the consumed catalog listing it; NULL: configured */
	uint8_t label[64];            /* member: its unique-N label (wire) */
	bool consumer;                /* this zone is a catalog we consume (RFC 9432) */
	const sec_profile_t *mprof;   /* consumer: profile of members without a matching template */
	catalog_t *cat;               /* consumer: members of the served version; NULL before the first */
	zone_t *pend;                 /* committed, published at the next flush (referenced) */
	bool reset;                   /* next refresh transfers the whole zone from scratch (§5.4) */
	bool resetting;               /* the running refresh is such a reset */
	struct event *ev_refresh, *ev_expire;
	sz_state_t state;
	bool again;                   /* a NOTIFY came during the refresh: one more */
	sec_zone_t *unext, *nnext;    /* NOTIFY / timer queue links */
	bool in_uq, in_nq;            /* linked there; an entry left behind when the zone
					 was taken through the other lane is skipped */
	const char *cause;            /* "NOTIFY", "refresh", "initial" (no copy yet), for the log */
	size_t pi;                    /* primary being tried */
	unsigned ki;                  /* its key being tried (the next one after BADKEY) */
	time_t last_xfr;              /* end of the last transfer that brought a version, 0 = never */
	int last_kind;                /* its xfrin_kind_t */
	bool axfr;                    /* IXFR refused: AXFR from this primary */
	xfrc_t *xfr;
	zone_t *base;                 /* version the transfer started from (referenced) */
	journal_t *j;
	bool have_snap, dirty;
	uint32_t snap_serial;
	bool snap_staged;             /* <zone>snapshot.tmp written, waiting for snap_flush() */
	uint32_t staged_serial;
	uint64_t staged_records;
	time_t last_ok;               /* last successful refresh, 0 = never */
	bool have_peer_expire;        /* the primary answered EDNS EXPIRE (RFC 7314) */
	uint32_t peer_expire;
	bool expired;
	char last_err[512];
};

struct secondary {
	sec_zone_t **z;               /* every zone, configured ones first */
	size_t nz, capz;
	sec_zone_t **tab;             /* hash of z by origin (chained) */
	size_t tabmask;
	sec_profile_t **prof;
	size_t nprof, capprof;
	tsig_keyring_t *kr;           /* keys of the profiles (own reference; replaced by a reload) */
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
	sec_zone_t **pendq;           /* zones with a version waiting for the flush */
	size_t npend, cappend;
	sec_zone_t **snapq;           /* zones with a staged snapshot */
	size_t nsnap, capsnap;
	int efd;
	struct event *ev_inbox, *ev_snap, *ev_flush;
	struct event_base *base;
	secondary_hooks_t hooks;
};

static void sz_trigger(sec_zone_t *z, bool urgent, const char *cause);
static void pump(secondary_t *s);
static void on_refresh_timer(evutil_socket_t fd, short what, void *arg);
static void on_expire_timer(evutil_socket_t fd, short what, void *arg);

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

static sec_zone_t *find(const secondary_t *s, const uint8_t *origin);
static void snap_flush(secondary_t *s);
static void snap_unstage(secondary_t *s, sec_zone_t *z);
static void journal_reset(sec_zone_t *z);

/* The current version of a zone (committed, maybe not yet published); a
 * placeholder is no version. */
static const zone_t *
cur_of(const secondary_t *s, const uint8_t *origin)
{
	const sec_zone_t *sz = find(s, origin);
	if (sz != NULL && sz->pend != NULL)
		return sz->pend;
	const zone_t *z = s->hooks.current(s->hooks.arg, origin);
	return z != NULL && z->placeholder ? NULL : z;
}

/* Every version we publish says who may NOTIFY it (the workers read it
 * there) and whether it is a catalog (not queried). */
static zone_t *
mark(const sec_zone_t *z, zone_t *v)
{
	v->notify_allow = &z->prof->allow;
	v->catalog = z->consumer;
	return v;
}

/* One snapshot for a batch of versions; the versions stay referenced by
 * the caller (the snapshot takes its own references, or none on failure). */
static void
update(secondary_t *s, zone_t *const *add, size_t nadd, const uint8_t *const *del, size_t ndel)
{
	for (size_t i = 0; i < nadd; i++)
		zone_ref(add[i]);
	s->hooks.update(s->hooks.arg, add, nadd, del, ndel);
	for (size_t i = 0; i < nadd; i++)
		zone_unref(add[i]); /* freed here when the update failed */
}

/* Everything committed since the last flush becomes visible in one
 * snapshot: with 10,000 zones a snapshot costs a copy of the zone table,
 * so transfers finishing together share one. */
static void
flush(secondary_t *s)
{
	zone_t **v = s->npend > 0 ? malloc(s->npend * sizeof(*v)) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < s->npend; i++) {
		sec_zone_t *z = s->pendq[i];
		if (v != NULL)
			v[n++] = z->pend;
		else
			update(s, &z->pend, 1, NULL, 0); /* out of memory: one by one */
	}
	if (v != NULL)
		update(s, v, n, NULL, 0);
	for (size_t i = 0; i < s->npend; i++) {
		zone_unref(s->pendq[i]->pend);
		s->pendq[i]->pend = NULL;
	}
	s->npend = 0;
	free(v);
	snap_flush(s);
}

static void
arm_flush(secondary_t *s)
{
	struct timeval now = { 0, 0 };
	if (!evtimer_pending(s->ev_flush, NULL))
		event_add(s->ev_flush, &now);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	flush(arg);
}

/* A committed version: served from the next loop iteration on (cur_of()
 * already returns it). */
static void
publish(sec_zone_t *z, zone_t *v)
{
	secondary_t *s = z->s;
	mark(z, v);
	zone_ref(v);
	if (z->pend != NULL) {
		zone_unref(z->pend); /* never published: superseded */
		z->pend = v;
		return;
	}
	if (s->ev_flush == NULL || fl_grow(&s->pendq, &s->cappend, s->npend, sizeof(*s->pendq), 16) != 0) {
		update(s, &v, 1, NULL, 0); /* not started, or out of memory: at once */
		zone_unref(v);
		return;
	}
	z->pend = v;
	s->pendq[s->npend++] = z;
	arm_flush(s);
}

/* A stand-in for a zone we have no copy of: SOA and NS at the apex only,
 * expired, so it answers SERVFAIL (what resolvers expect from a server that
 * should have the zone but cannot serve it yet) instead of REFUSED. */
static zone_t *
placeholder_new(const sec_zone_t *sz)
{
	static const uint8_t soa[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t *origin = sz->origin;
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
	return mark(sz, z);
}

/* ---- the zone table ---- */

static uint32_t
ohash(const uint8_t *origin)
{
	return dname_hash(origin, dname_len(origin));
}

static sec_zone_t *
find(const secondary_t *s, const uint8_t *origin)
{
	if (s->tab == NULL)
		return NULL;
	for (sec_zone_t *z = s->tab[ohash(origin) & s->tabmask]; z != NULL; z = z->hnext)
		if (dname_eq(z->origin, origin))
			return z;
	return NULL;
}

static int
tab_grow(secondary_t *s)
{
	size_t n = s->tab != NULL ? (s->tabmask + 1) * 2 : 64;
	sec_zone_t **t = calloc(n, sizeof(*t));
	if (t == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = s->z[i];
		size_t h = ohash(z->origin) & (n - 1);
		z->hnext = t[h];
		t[h] = z;
	}
	free(s->tab);
	s->tab = t;
	s->tabmask = n - 1;
	return 0;
}

/* A new zone in the table (not yet served, no timers before secondary_start). */
static sec_zone_t *
zone_add(secondary_t *s, const uint8_t *origin, const sec_profile_t *prof)
{
	if (fl_grow(&s->z, &s->capz, s->nz, sizeof(*s->z), 16) != 0)
		return NULL;
	if ((s->tab == NULL || s->nz + 1 > s->tabmask + 1) && tab_grow(s) != 0)
		return NULL;
	sec_zone_t *z = calloc(1, sizeof(*z));
	char name[1024];
	if (z == NULL)
		return NULL;
	memcpy(z->origin, origin, dname_len(origin));
	dname_lower(z->origin);
	dname_to_str(z->origin, name, sizeof(name));
	if ((z->name = strdup(name)) == NULL) {
		free(z);
		return NULL;
	}
	z->s = s;
	z->prof = prof;
	if (s->base != NULL) {
		z->ev_refresh = evtimer_new(s->base, on_refresh_timer, z);
		z->ev_expire = evtimer_new(s->base, on_expire_timer, z);
		if (z->ev_refresh == NULL || z->ev_expire == NULL) {
			if (z->ev_refresh != NULL)
				event_free(z->ev_refresh);
			free(z->name);
			free(z);
			return NULL;
		}
	}
	z->idx = s->nz;
	s->z[s->nz++] = z;
	size_t h = ohash(z->origin) & s->tabmask;
	z->hnext = s->tab[h];
	s->tab[h] = z;
	return z;
}

static void
unlink_queues(secondary_t *s, sec_zone_t *z)
{
	for (sec_zone_t **pp = &s->uq_head, *prev = NULL; *pp != NULL; prev = *pp, pp = &(*pp)->unext)
		if (*pp == z) {
			*pp = z->unext;
			if (s->uq_tail == z)
				s->uq_tail = prev;
			break;
		}
	for (sec_zone_t **pp = &s->nq_head, *prev = NULL; *pp != NULL; prev = *pp, pp = &(*pp)->nnext)
		if (*pp == z) {
			*pp = z->nnext;
			if (s->nq_tail == z)
				s->nq_tail = prev;
			break;
		}
	z->in_uq = z->in_nq = false;
}

/* Cancel its transfer and timers (the zone itself stays). */
static void
zone_quiesce(sec_zone_t *z)
{
	if (z->xfr != NULL)
		xfrc_free(z->xfr);
	if (z->base != NULL)
		zone_unref(z->base);
	if (z->ev_refresh != NULL)
		event_free(z->ev_refresh);
	if (z->ev_expire != NULL)
		event_free(z->ev_expire);
	z->xfr = NULL;
	z->base = NULL;
	z->ev_refresh = z->ev_expire = NULL;
}

static void
zone_release(sec_zone_t *z)
{
	zone_quiesce(z);
	journal_close(z->j);
	catalog_free(z->cat);
	free(z->name);
	free(z);
}

/* A member that left its catalog: stop everything, forget it, delete its
 * files. The caller unpublishes it (a version in the served snapshot only
 * points at the profile, which stays). */
static void
zone_drop(secondary_t *s, sec_zone_t *z)
{
	static const char *const exts[] = { "snapshot", "snapshot.tmp", "journal", "timers" };
	if (z->state == SZ_RUNNING)
		s->running--;
	unlink_queues(s, z);
	if (z->pend != NULL) {
		for (size_t i = 0; i < s->npend; i++)
			if (s->pendq[i] == z) {
				s->pendq[i] = s->pendq[--s->npend];
				break;
			}
		zone_unref(z->pend);
		z->pend = NULL;
	}
	snap_unstage(s, z);
	for (sec_zone_t **pp = &s->tab[ohash(z->origin) & s->tabmask]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == z) {
			*pp = z->hnext;
			break;
		}
	s->z[z->idx] = s->z[--s->nz];
	s->z[z->idx]->idx = z->idx;
	journal_close(z->j);
	z->j = NULL;
	for (size_t i = 0; s->storage != NULL && i < sizeof(exts) / sizeof(exts[0]); i++) {
		char path[4096];
		zpath(s, z, exts[i], path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT)
			log_warning("zone %s: cannot remove %s: %s", z->name, path, strerror(errno));
	}
	zone_release(z);
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

/* An access list and its rules in one block (one free). */
static acl_t *
acl_build(size_t n)
{
	acl_t *a = calloc(1, sizeof(*a) + n * sizeof(acl_rule_t));
	if (a != NULL) {
		a->rules = (const acl_rule_t *)(a + 1);
		a->count = n;
	}
	return a;
}

/* Default notify-allow: the primaries' addresses (host routes), with any of their keys. */
static acl_t *
allow_from_primaries(const conf_notify_list_t *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->count; i++)
		n += p->v[i].nkeys > 0 ? p->v[i].nkeys : 1;
	acl_t *a = acl_build(n);
	if (a == NULL)
		return NULL;
	acl_rule_t *r = (acl_rule_t *)a->rules;
	for (size_t i = 0; i < p->count; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&p->v[i].addr.addr;
		for (unsigned k = 0; k == 0 || k < p->v[i].nkeys; k++, r++) {
			r->family = sa->sa_family;
			if (sa->sa_family == AF_INET) {
				memcpy(r->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
				r->prefix = 32;
			} else {
				memcpy(r->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
				r->prefix = 128;
			}
			r->has_key = p->v[i].nkeys > 0;
			if (r->has_key)
				memcpy(r->key, p->v[i].key[k], sizeof(r->key));
		}
	}
	return a;
}

static void
profile_free(sec_profile_t *p)
{
	if (p == NULL)
		return;
	free(p->prim);
	free(p->acl);
	free(p->group);
	free(p);
}

/* What a profile is made of, built beside the one in use so a bad config changes nothing. */
typedef struct {
	sec_primary_t *prim;
	size_t nprim;
	acl_t *acl;
	struct sockaddr_storage source;
	socklen_t sourcelen;
} prof_parts_t;

static void
parts_free(prof_parts_t *pp)
{
	free(pp->prim);
	free(pp->acl);
	memset(pp, 0, sizeof(*pp));
}

/* Primaries (keys looked up in kr), source and NOTIFY ACL from config lists
 * (who = "zone X" or "template Y", for errors). */
static int
parts_build(const conf_notify_list_t *pl, const conf_acl_t *al, const char *src, const tsig_keyring_t *kr,
	    const char *who, prof_parts_t *pp, char *err, size_t errlen)
{
	memset(pp, 0, sizeof(*pp));
	if (pl->count == 0) {
		snprintf(err, errlen, "%s is secondary but has no primaries (zone.primaries or secondary.primaries)", who);
		return FL_EINVAL;
	}
	if ((pp->prim = calloc(pl->count, sizeof(*pp->prim))) == NULL)
		goto nomem;
	for (size_t i = 0; i < pl->count; i++) {
		sec_primary_t *pr = &pp->prim[i];
		memcpy(&pr->addr, &pl->v[i].addr.addr, sizeof(pr->addr));
		pr->addrlen = pl->v[i].addr.addrlen;
		snprintf(pr->text, sizeof(pr->text), "%s", pl->v[i].addr.text);
		for (unsigned k = 0; k < pl->v[i].nkeys; k++) {
			pr->key[k] = kr != NULL ? tsig_keyring_find(kr, pl->v[i].key[k]) : NULL;
			if (pr->key[k] == NULL) {
				char kn[1024] = "?";
				dname_to_str(pl->v[i].key[k], kn, sizeof(kn));
				snprintf(err, errlen, "%s: primary %s uses key '%s', which no key file defines", who,
					 pr->text, kn);
				goto fail;
			}
		}
		pr->nkeys = pl->v[i].nkeys;
		pp->nprim++;
	}
	if (src != NULL && parse_source(src, &pp->source, &pp->sourcelen) != 0) {
		snprintf(err, errlen, "%s: source '%s' is not an IP address", who, src);
		goto fail;
	}
	/* NOTIFY ACL: the one given, else the primaries. */
	if (al->count > 0) {
		if ((pp->acl = acl_build(al->count)) == NULL)
			goto nomem;
		memcpy((acl_rule_t *)pp->acl->rules, al->rules, al->count * sizeof(acl_rule_t));
	} else if ((pp->acl = allow_from_primaries(pl)) == NULL) {
		goto nomem;
	}
	for (size_t i = 0; i < pp->acl->count; i++)
		if (pp->acl->rules[i].has_key && (kr == NULL || tsig_keyring_find(kr, pp->acl->rules[i].key) == NULL)) {
			char kn[1024] = "?";
			dname_to_str(pp->acl->rules[i].key, kn, sizeof(kn));
			snprintf(err, errlen, "%s: notify-allow names key '%s', which no key file defines", who, kn);
			goto fail;
		}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	parts_free(pp);
	return FL_ENOMEM;
fail:
	parts_free(pp);
	return FL_EINVAL;
}

/* Put parts into p (consumed). The ACL the workers may be reading is
 * returned in *old for the caller to free after a grace period. */
static void
profile_install(sec_profile_t *p, prof_parts_t *pp, acl_t **old)
{
	free(p->prim);
	p->prim = pp->prim;
	p->nprim = pp->nprim;
	p->source = pp->source;
	p->sourcelen = pp->sourcelen;
	*old = p->acl;
	p->acl = pp->acl;
	atomic_store_explicit(&p->allow.cur, p->acl, memory_order_release);
	memset(pp, 0, sizeof(*pp));
}

/* One profile from config lists (who = "zone X" or "template Y", for errors). */
static sec_profile_t *
profile_new(secondary_t *s, const conf_notify_list_t *pl, const conf_acl_t *al, const char *src,
	    const tsig_keyring_t *kr, const char *who, int *ret, char *err, size_t errlen)
{
	prof_parts_t pp;
	acl_t *none = NULL;
	sec_profile_t *p = calloc(1, sizeof(*p));
	sec_profile_t **grown = realloc(s->prof, (s->nprof + 1) * sizeof(*grown));
	*ret = FL_ENOMEM;
	if (grown != NULL)
		s->prof = grown;
	if (p == NULL || grown == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((*ret = parts_build(pl, al, src, kr, who, &pp, err, errlen)) != 0)
		goto fail;
	profile_install(p, &pp, &none);
	s->prof[s->nprof++] = p;
	return p;
fail:
	profile_free(p);
	return NULL;
}

/* The settings of a configured zone: its own, else the secondary: section's. */
typedef struct {
	const conf_notify_list_t *pl;
	const conf_acl_t *al;
	const char *src;
} sec_settings_t;

static sec_settings_t
settings_of(const conf_t *conf, const conf_zone_t *cz)
{
	sec_settings_t st = { cz->primaries.count > 0 ? &cz->primaries : &conf->secondary.primaries,
			      cz->notify_allow.count > 0 ? &cz->notify_allow : &conf->secondary.notify_allow,
			      cz->source != NULL ? cz->source : conf->secondary.source };
	return st;
}

/* A template over a catalog's own settings: what it leaves empty, the catalog gives. */
static sec_profile_t *
template_profile(secondary_t *s, const sec_settings_t *cat, const conf_template_t *t, const tsig_keyring_t *kr,
		 const char *catname, int *ret, char *err, size_t errlen)
{
	char who[1400];
	snprintf(who, sizeof(who), "template %s (members of catalog %s)", t->id, catname);
	return profile_new(s, t->primaries.count > 0 ? &t->primaries : cat->pl,
			   t->notify_allow.count > 0 ? &t->notify_allow : cat->al, t->source != NULL ? t->source : cat->src,
			   kr, who, ret, err, errlen);
}

static int
zone_from_conf(secondary_t *s, const conf_t *conf, const conf_zone_t *cz, const tsig_keyring_t *kr, char *err,
	       size_t errlen)
{
	uint8_t origin[DNAME_MAXLEN], root = 0;
	char who[1100];
	int ret;
	if (dname_from_str(cz->domain, strlen(cz->domain), &root, origin) < 0) {
		snprintf(err, errlen, "zone %s: not a domain name", cz->domain);
		return FL_EINVAL;
	}
	dname_lower(origin);
	if (find(s, origin) != NULL) {
		snprintf(err, errlen, "zone %s is listed twice", cz->domain);
		return FL_EINVAL;
	}
	snprintf(who, sizeof(who), "zone %s", cz->domain);
	sec_settings_t st = settings_of(conf, cz);
	const sec_profile_t *prof = profile_new(s, st.pl, st.al, st.src, kr, who, &ret, err, errlen);
	if (prof == NULL)
		return ret;
	sec_zone_t *z = zone_add(s, origin, prof);
	if (z == NULL)
		return FL_ENOMEM;
	if (cz->catalog != CONF_CATALOG_CONSUMER)
		return 0;
	/* A consumed catalog: its members take a template by group, else the
	 * catalog-template, else the catalog's own settings. */
	z->consumer = true;
	z->mprof = prof;
	for (size_t i = 0; i < conf->ntemplate; i++) {
		sec_profile_t *tp = template_profile(s, &st, &conf->template_[i], kr, z->name, &ret, err, errlen);
		if (tp == NULL)
			return ret;
		tp->cat = z;
		if ((tp->group = strdup(conf->template_[i].id)) == NULL)
			return FL_ENOMEM;
		if (cz->catalog_template != NULL && strcmp(cz->catalog_template, conf->template_[i].id) == 0)
			z->mprof = tp;
	}
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
	s->inbox = calloc(SEC_INBOX_MAX, sizeof(*s->inbox));
	if (s->inbox == NULL)
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
		if ((ret = zone_from_conf(s, conf, &conf->zone[i], kr, err, errlen)) != 0)
			goto fail;
	}
	/* NOTIFY ACLs travel with the served versions (zone_t.notify_allow); the
	 * workers verify NOTIFY TSIGs with the server's keyring in force. */
	s->kr = tsig_keyring_ref(kr);
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

/* ---- persistence ---- */

static void
timers_save(const secondary_t *s, const sec_zone_t *z)
{
	if (s->storage == NULL)
		return;
	char path[4096], line[32];
	zpath(s, z, "timers", path, sizeof(path));
	/* Fixed width, rewritten in place: no new file per refresh (ext4 inode
	 * allocation dominated 10,000 member transfers) and no fsync: a torn or
	 * lost time costs at most an early expiry check. */
	int n = snprintf(line, sizeof(line), "%020lld\n", (long long)z->last_ok);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || pwrite(fd, line, (size_t)n, 0) != n || close(fd) != 0) {
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

/* Every staged snapshot becomes durable with one syncfs() (each file on
 * its own when that is refused), is renamed into place, and the directory
 * is fsynced once: 10,000 first copies cost one flush, not 10,000. */
static void
snap_flush(secondary_t *s)
{
	if (s->nsnap == 0)
		return;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool synced = fio_syncfs(s->storage);
	for (size_t i = 0; i < s->nsnap; i++) {
		sec_zone_t *z = s->snapq[i];
		char path[4096], err[600];
		z->snap_staged = false;
		zpath(s, z, "snapshot", path, sizeof(path));
		if (snapshot_install(path, synced, err, sizeof(err)) != 0) {
			log_error("zone %s: snapshot not written: %s", z->name, err);
			continue;
		}
		const zone_t *cur = cur_of(s, z->origin);
		z->have_snap = true;
		z->snap_serial = z->staged_serial;
		z->dirty = cur != NULL && cur->serial != z->staged_serial; /* changed since it was staged */
		log_info("zone %s: snapshot of serial %u written (%llu records)", z->name, z->staged_serial,
			 (unsigned long long)z->staged_records);
	}
	int ret = fio_fsync_dir(s->storage);
	if (ret != 0)
		log_warning("%s: fsync: %s", s->storage, fl_strerror(ret));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (s->nsnap > 1)
		log_info("secondary: %zu snapshots written in %.1f ms", s->nsnap,
			 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	s->nsnap = 0;
}

static void arm_flush(secondary_t *s);

/* Forget a staged snapshot (its temp file is removed). */
static void
snap_unstage(secondary_t *s, sec_zone_t *z)
{
	char path[4096];
	if (!z->snap_staged)
		return;
	for (size_t i = 0; i < s->nsnap; i++)
		if (s->snapq[i] == z) {
			s->snapq[i] = s->snapq[--s->nsnap];
			break;
		}
	z->snap_staged = false;
	zpath(s, z, "snapshot.tmp", path, sizeof(path));
	(void)unlink(path);
}

/* Write the zone's snapshot: staged now, durable at the next flush (at
 * once before the loop runs). */
static void
snap_write(sec_zone_t *z, const zone_t *cur)
{
	secondary_t *s = z->s;
	char path[4096], err[512];
	if (s->storage == NULL || cur == NULL || z->reset)
		return; /* a zone being reset keeps nothing on disk until its new copy */
	zpath(s, z, "snapshot", path, sizeof(path));
	if (snapshot_stage(cur, path, err, sizeof(err)) != 0) {
		log_error("zone %s: snapshot not written: %s", z->name, err);
		return;
	}
	z->staged_serial = cur->serial;
	z->staged_records = cur->nrecords;
	if (!z->snap_staged) {
		if (fl_grow(&s->snapq, &s->capsnap, s->nsnap, sizeof(*s->snapq), 16) != 0) {
			if (snapshot_install(path, false, err, sizeof(err)) != 0)
				log_error("zone %s: snapshot not written: %s", z->name, err);
			return;
		}
		s->snapq[s->nsnap++] = z;
		z->snap_staged = true;
	}
	if (s->ev_flush == NULL)
		snap_flush(s);
	else
		arm_flush(s);
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
	char path[4096];
	if (s->storage == NULL)
		return;
	zpath(s, z, "journal", path, sizeof(path));
	journal_close(z->j);
	z->j = NULL;
	/* Created again by jget() when a changeset needs it: a first copy
	 * (10,000 catalog members) costs no journal file. */
	if (unlink(path) != 0 && errno != ENOENT)
		log_warning("zone %s: cannot remove %s: %s", z->name, path, strerror(errno));
}

/* The zone's journal, opened (created) on first use; NULL without storage or on failure (logged). */
static journal_t *
jget(sec_zone_t *z)
{
	secondary_t *s = z->s;
	char path[4096], warn[512] = "";
	if (z->j != NULL || s->storage == NULL)
		return z->j;
	zpath(s, z, "journal", path, sizeof(path));
	if (journal_open(path, &s->jl, &z->j, warn, sizeof(warn)) != 0) {
		log_error("zone %s: cannot open the journal %s (%s): downstream IXFR falls back to AXFR", z->name, path,
			  warn);
		z->j = NULL;
	}
	return z->j;
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
	zone_t **add = calloc(s->nz + 1, sizeof(*add));
	size_t n = 0;
	if (add == NULL)
		goto oom;
	for (size_t i = 0; i < s->nz; i++)
		if (zonedb_get(db, s->z[i]->origin) == NULL && (add[n] = placeholder_new(s->z[i])) != NULL)
			n++;
	zonedb_t *n2 = zonedb_update(db, add, n, NULL, 0);
	if (n2 == NULL) {
		for (size_t i = 0; i < n; i++)
			zone_free(add[i]);
		goto oom;
	}
	free(add);
	zonedb_release(db);
	return n2;
oom:
	free(add);
	log_warning("out of memory for placeholders: zones without a copy get REFUSED until their first transfer");
	return db;
}

static const sec_profile_t *member_profile(const secondary_t *s, const sec_zone_t *cat, const char *group);

/* Start-up of one zone: its snapshot plus journal, or NULL (no copy). */
static zone_t *
restore_zone(secondary_t *s, sec_zone_t *z, time_t now)
{
	char path[4096], jpath[4096], err[600], warn[600] = "";
	zpath(s, z, "snapshot", path, sizeof(path));
	zpath(s, z, "journal", jpath, sizeof(jpath));
	if (access(jpath, F_OK) == 0 && journal_open(jpath, &s->jl, &z->j, warn, sizeof(warn)) != 0) {
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
		return NULL;
	}
	if (ret != 0) {
		log_error("zone %s: snapshot %s unusable (%s): waiting for a transfer", z->name, path, err);
		journal_reset(z);
		return NULL;
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
		return NULL;
	}
	mark(z, fin);
	z->last_ok = timers_load(s, z);
	refresh_timers_t t;
	refresh_from_soa(msg_rd_data(fin->soa->rdata), msg_rd_len(fin->soa->rdata), &s->lim, &t);
	log_info("zone %s: serving serial %u from disk (snapshot serial %u + %zu journal changesets%s)", z->name,
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
	return fin;
}

/* Start-up of a consumed catalog: its members are whatever the copy on
 * disk lists, so a restart knows them without any transfer. */
static void
restore_members(secondary_t *s, sec_zone_t *cz, const zone_t *v)
{
	char err[1600];
	catalog_t *c = NULL;
	if (catalog_parse(v, &c, err, sizeof(err)) != 0) {
		log_error("catalog %s serial %u on disk: %s: no members restored", cz->name, v->serial, err);
		return;
	}
	size_t added = 0;
	for (size_t i = 0; i < catalog_count(c); i++) {
		const catalog_member_t *m = catalog_at(c, i);
		sec_zone_t *have = find(s, m->name);
		if (have != NULL) {
			if (have->owner != cz)
				log_warning("catalog %s: member %s already comes from %s: ignored", cz->name, have->name,
					    have->owner != NULL ? have->owner->name : "the configuration");
			continue;
		}
		sec_zone_t *mz = zone_add(s, m->name, member_profile(s, cz, m->group));
		if (mz == NULL) {
			log_error("catalog %s: out of memory adding member zones", cz->name);
			break;
		}
		mz->owner = cz;
		memcpy(mz->label, m->label, (size_t)m->label[0] + 1);
		added++;
	}
	catalog_free(cz->cat);
	cz->cat = c;
	log_notice("catalog %s: serial %u from disk lists %zu member zones", cz->name, v->serial, added);
}

zonedb_t *
secondary_restore(secondary_t *s, zonedb_t *db)
{
	if (s == NULL)
		return db;
	if (s->storage == NULL)
		return add_placeholders(s, db);
	time_t now = time(NULL);
	size_t served = 0, cap = 0;
	zone_t **vers = NULL;
	/* Members are appended while we go: they are restored in turn. All
	 * versions join the snapshot at once (10,000 members: one merge). */
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = s->z[i];
		zone_t *v = restore_zone(s, z, now);
		if (v == NULL)
			continue;
		if (fl_grow(&vers, &cap, served, sizeof(*vers), 64) != 0) {
			log_error("out of memory restoring zone %s", z->name);
			zone_free(v);
			continue;
		}
		vers[served++] = v;
		if (z->consumer)
			restore_members(s, z, v);
	}
	zonedb_t *n2 = zonedb_update(db, vers, served, NULL, 0);
	if (n2 == NULL) {
		log_error("out of memory restoring %zu zones: they wait for a transfer", served);
		for (size_t i = 0; i < served; i++)
			zone_free(vers[i]);
	} else {
		zonedb_release(db);
		db = n2;
		log_notice("secondary: %zu of %zu zones served from disk", served, s->nz);
	}
	free(vers);
	return add_placeholders(s, db);
}

zonedb_t *
secondary_merge(const secondary_t *s, const zonedb_t *served, zonedb_t *next)
{
	if (s == NULL || next == NULL)
		return next;
	for (size_t i = 0; i < s->nz; i++) {
		const sec_zone_t *z = s->z[i];
		const zone_t *have = served != NULL ? zonedb_get(served, z->origin) : NULL;
		const zone_t *file = zonedb_get(next, z->origin);
		if (file == have)
			continue;
		if (file != NULL)
			log_warning("zone %s is secondary here: the file %s is ignored", z->name,
				    file->source != NULL ? file->source : "?");
		zonedb_t *n2 = have != NULL ? zonedb_with(next, (zone_t *)have) : zonedb_without(next, z->origin);
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

/* "ADDR@PORT key NAME" of the primary and key being tried, for log lines. */
static const char *
prim_desc(const sec_zone_t *z, char *buf, size_t len)
{
	const sec_primary_t *p = &z->prof->prim[z->pi < z->prof->nprim ? z->pi : 0];
	char kn[1024] = "";
	if (p->nkeys > 0)
		dname_to_str(tsig_key_name(p->key[z->ki < p->nkeys ? z->ki : 0]), kn, sizeof(kn));
	snprintf(buf, len, "%s%s%s", p->text, kn[0] ? " key " : "", kn);
	return buf;
}

static void
start_xfr(sec_zone_t *z)
{
	secondary_t *s = z->s;
	const sec_primary_t *p = &z->prof->prim[z->pi];
	xfrc_req_t req;
	memset(&req, 0, sizeof(req));
	memcpy(&req.addr, &p->addr, sizeof(req.addr));
	req.addrlen = p->addrlen;
	if (z->prof->sourcelen > 0 && z->prof->source.ss_family == p->addr.ss_family) {
		memcpy(&req.source, &z->prof->source, sizeof(req.source));
		req.sourcelen = z->prof->sourcelen;
	}
	if (z->ki >= p->nkeys) /* a reload shortened the list */
		z->ki = 0;
	req.key = p->nkeys > 0 ? p->key[z->ki] : NULL;
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
	z->ki = 0;
	z->axfr = z->reset; /* a reset starts from nothing: AXFR */
	z->resetting = z->reset;
	z->have_peer_expire = false;
	char pd[1200];
	const zone_t *cur = z->reset ? NULL : cur_of(s, z->origin);
	z->base = (zone_t *)cur;
	if (z->base != NULL)
		zone_ref(z->base); /* alive until the transfer ends, whatever gets published */
	if (cur != NULL)
		log_info("zone %s: refresh (%s) from %s, our serial %u", z->name, z->cause, prim_desc(z, pd, sizeof(pd)), cur->serial);
	else
		log_info("zone %s: refresh (%s) from %s, %s", z->name, z->cause, prim_desc(z, pd, sizeof(pd)),
			 z->reset ? "reset: whole zone" : "no copy yet");
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

/* ---- catalog consumer (RFC 9432 §5) ---- */

static bool
label_eq(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && memcmp(a + 1, b + 1, a[0]) == 0;
}

static const sec_profile_t *
member_profile(const secondary_t *s, const sec_zone_t *cat, const char *group)
{
	for (size_t i = 0; group != NULL && i < s->nprof; i++)
		if (s->prof[i]->cat == cat && strcmp(s->prof[i]->group, group) == 0)
			return s->prof[i];
	return cat->mprof;
}

/* Members of one catalog version that change the served snapshot at once. */
typedef struct {
	zone_t **add;
	uint8_t **del;  /* origins, copied: the zones they name are freed before the update */
	size_t nadd, ndel;
	size_t added, removed, reset, moved;
	bool oom;
} cat_batch_t;

static void
batch_del(cat_batch_t *b, const uint8_t *origin)
{
	if ((b->del[b->ndel] = malloc(dname_len(origin))) == NULL) {
		b->oom = true;
		return;
	}
	memcpy(b->del[b->ndel++], origin, dname_len(origin));
}

/* The member's zone data no longer counts (RFC 9432 §5.4 reset, §5.5
 * migration to another catalog with another label): the next transfer is a
 * whole new copy; the old copy serves until it arrives. */
static void
member_reset(sec_zone_t *mz, const uint8_t *label)
{
	secondary_t *s = mz->s;
	memcpy(mz->label, label, (size_t)label[0] + 1);
	mz->reset = true;
	/* Its state on disk goes now (RFC 9432 §5.6), so that a crash before
	 * the new copy arrives cannot bring the old one back at the next start;
	 * the copy in memory serves until then (snap_write skips a zone being
	 * reset). */
	journal_reset(mz);
	snap_unstage(s, mz);
	mz->have_snap = mz->dirty = false;
	if (s->storage != NULL) {
		char path[4096];
		zpath(s, mz, "snapshot", path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT)
			log_warning("zone %s: cannot remove %s: %s", mz->name, path, strerror(errno));
	}
	sz_trigger(mz, true, "catalog reset"); /* running: one more refresh after it */
}

/* Does catalog `from` hand member `name` over to catalog `to` (coo, §5.5)? */
static bool
coo_allows(const sec_zone_t *from, const uint8_t *name, const sec_zone_t *to)
{
	const catalog_member_t *m = from->cat != NULL ? catalog_find(from->cat, name) : NULL;
	return m != NULL && m->coo != NULL && dname_eq(m->coo, to->origin);
}

static void
member_claim(secondary_t *s, sec_zone_t *cz, const catalog_member_t *m, cat_batch_t *b)
{
	sec_zone_t *mz = find(s, m->name);
	if (mz == NULL) {
		mz = zone_add(s, m->name, member_profile(s, cz, m->group));
		zone_t *ph = mz != NULL ? placeholder_new(mz) : NULL;
		if (ph == NULL) {
			if (mz != NULL)
				zone_drop(s, mz);
			b->oom = true;
			return;
		}
		mz->owner = cz;
		memcpy(mz->label, m->label, (size_t)m->label[0] + 1);
		b->add[b->nadd++] = ph;
		b->added++;
		log_info("catalog %s: member %s added", cz->name, mz->name);
		sz_trigger(mz, true, "catalog"); /* ahead of timer refreshes: the primary just announced it */
		return;
	}
	if (mz->owner == cz) {
		mz->prof = member_profile(s, cz, m->group); /* the group may have changed */
		if (!label_eq(mz->label, m->label)) {
			log_notice("catalog %s: member %s has a new unique label: reset, transferring it anew", cz->name,
				   mz->name);
			member_reset(mz, m->label);
			b->reset++;
		}
		return;
	}
	if (mz->owner == NULL) {
		log_warning("catalog %s: member %s is configured here as a zone: the catalog entry is ignored", cz->name,
			    mz->name);
		return;
	}
	if (!coo_allows(mz->owner, mz->origin, cz)) {
		log_warning("catalog %s: member %s belongs to catalog %s (no coo to us): ignored (RFC 9432 §5.2)", cz->name,
			    mz->name, mz->owner->name);
		return;
	}
	log_notice("catalog %s: member %s moves here from catalog %s (coo)", cz->name, mz->name, mz->owner->name);
	mz->owner = cz;
	mz->prof = member_profile(s, cz, m->group);
	if (!label_eq(mz->label, m->label))
		member_reset(mz, m->label);
	b->moved++;
}

/* A new version of a consumed catalog is served: members that appeared are
 * added (and transferred at once), members that left are removed with
 * their files, a changed label resets the member. One snapshot update for
 * the whole batch, so 1,000 new members cost one publication. */
static void
cat_apply(sec_zone_t *cz, uint32_t serial, catalog_t *nc)
{
	secondary_t *s = cz->s;
	struct timespec t0, t1;
	catalog_t *old = cz->cat;
	size_t nold = old != NULL ? catalog_count(old) : 0;
	cat_batch_t b = { .add = calloc(catalog_count(nc) + 1, sizeof(zone_t *)),
			  .del = calloc(nold + 1, sizeof(uint8_t *)) };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (b.add == NULL || b.del == NULL) {
		log_error("catalog %s serial %u: out of memory: member zones unchanged", cz->name, serial);
		free(b.add);
		free(b.del);
		catalog_free(nc);
		return;
	}
	/* Removals first: a member that left (and is still ours) goes. */
	for (size_t i = 0; i < nold; i++) {
		const catalog_member_t *m = catalog_at(old, i);
		if (catalog_find(nc, m->name) != NULL)
			continue;
		sec_zone_t *mz = find(s, m->name);
		if (mz == NULL || mz->owner != cz)
			continue; /* never ours, or moved to another catalog */
		log_info("catalog %s: member %s removed", cz->name, mz->name);
		batch_del(&b, mz->origin);
		zone_drop(s, mz);
		b.removed++;
	}
	cz->cat = nc; /* coo checks of other catalogs read the new version from here on */
	for (size_t i = 0; i < catalog_count(nc) && !b.oom; i++)
		member_claim(s, cz, catalog_at(nc, i), &b);
	/* Our new coo entries hand members over to catalogs that already list them. */
	for (size_t i = 0; i < catalog_count(nc); i++) {
		const catalog_member_t *m = catalog_at(nc, i);
		sec_zone_t *mz = m->coo != NULL ? find(s, m->name) : NULL;
		sec_zone_t *to = m->coo != NULL ? find(s, m->coo) : NULL;
		const catalog_member_t *tm = to != NULL && to->consumer && to->cat != NULL ? catalog_find(to->cat, m->name)
											    : NULL;
		if (mz == NULL || mz->owner != cz || tm == NULL)
			continue;
		log_notice("catalog %s: member %s moves to catalog %s (coo)", cz->name, mz->name, to->name);
		mz->owner = to;
		mz->prof = member_profile(s, to, tm->group);
		if (!label_eq(mz->label, tm->label))
			member_reset(mz, tm->label);
		b.moved++;
	}
	if (b.nadd > 0 || b.ndel > 0)
		update(s, b.add, b.nadd, (const uint8_t *const *)b.del, b.ndel);
	for (size_t i = 0; i < b.ndel; i++)
		free(b.del[i]);
	free(b.add);
	free(b.del);
	catalog_free(old);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (b.oom)
		log_error("catalog %s serial %u: out of memory: some members were not added", cz->name, serial);
	log_notice("catalog %s serial %u: %zu members: %zu added, %zu removed, %zu reset, %zu moved (%.1f ms)", cz->name,
		   serial, catalog_count(nc), b.added, b.removed, b.reset, b.moved,
		   (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	pump(s);
}

/* An incremental transfer: journal and history take the received changesets one by one. */
static int
commit_ixfr(sec_zone_t *z, xfrc_t *c, zone_t *fin, char *why, size_t whylen)
{
	secondary_t *s = z->s;
	size_t n = 0;
	changeset_t *const *cs = xfrc_changesets(c, &n);
	uint32_t last;
	if (jget(z) != NULL && journal_last_serial(z->j, &last) == 0 && last != z->base->serial)
		journal_reset(z); /* the journal does not end where we are: start over */
	zone_history_t *h = z->base->history;
	if (h != NULL)
		zone_history_ref(h);
	/* All changesets durable with one flush before anything is published. */
	size_t done = 0;
	int r = jget(z) != NULL ? journal_append_many(z->j, cs, n, &done) : 0;
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
	catalog_t *cat = NULL;
	if (z->consumer && catalog_parse(nz, &cat, why, whylen) != 0) {
		zone_free(nz); /* a broken catalog changes no member (RFC 9432 §5) */
		return false;
	}
	zone_t *fin = nz;
	if (res->kind == XFRIN_IXFR && z->base != NULL) {
		if (commit_ixfr(z, c, fin, why, whylen) != 0) {
			zone_free(nz);
			catalog_free(cat);
			return false;
		}
	} else if (z->base != NULL) {
		/* The whole zone: the diff against ours is the changeset downstream IXFR serves. */
		char msg[1600];
		pipeline_opts_t po = { .policy = SERIAL_KEEP, .history = s->hl, .now = time(NULL) };
		uint32_t last;
		if (jget(z) != NULL && journal_last_serial(z->j, &last) == 0 && last != z->base->serial)
			journal_reset(z);
		int r = pipeline_commit(z->base, nz, jget(z), &po, &fin, msg, sizeof(msg));
		if (r == PIPELINE_UNCHANGED) {
			zone_free(nz);
			catalog_free(cat);
			return true;
		}
		if (r != PIPELINE_PUBLISH) {
			snprintf(why, whylen, "%s", msg);
			zone_free(nz);
			catalog_free(cat);
			return false;
		}
	} else {
		/* First copy: nothing to diff against; the snapshot below is the base. */
		journal_reset(z);
		z->have_snap = false;
	}
	refresh_timers_t t = timers_of(s, fin);
	zone_set_expire_at(fin, (uint64_t)time(NULL) + expire_after_refresh(z, &t));
	publish(z, fin);
	if (z->resetting)
		z->reset = z->resetting = false; /* a reset asked for meanwhile still comes */
	char from[16] = "none", pd[1200];
	if (z->base != NULL)
		snprintf(from, sizeof(from), "%u", z->base->serial);
	z->last_xfr = time(NULL);
	z->last_kind = (int)res->kind;
	log_notice("zone %s: %s from %s: serial %s -> %u, %llu records in %llu messages, %llu bytes, %.1f ms%s",
		   z->name, kind_str(res->kind), prim_desc(z, pd, sizeof(pd)), from, fin->serial, (unsigned long long)res->records,
		   (unsigned long long)res->messages, (unsigned long long)res->bytes, res->ms,
		   z->j != NULL ? ", journaled" : "");
	z->dirty = true;
	if (!snap_covered(z, fin))
		snap_write(z, fin);
	if (cat != NULL)
		cat_apply(z, fin->serial, cat);
	return true;
}

static void
on_xfr_done(void *arg, xfrc_t *c)
{
	sec_zone_t *z = arg;
	xfrc_result_t *res = xfrc_result(c);
	char why[1700] = "", pd[1200];
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
				    prim_desc(z, pd, sizeof(pd)), res->primary_serial, z->base->serial);
		else
			log_info("zone %s: up to date at serial %u (%s)", z->name, z->base != NULL ? z->base->serial : 0,
				 prim_desc(z, pd, sizeof(pd)));
		ok = true;
		break;
	case XFRC_DONE:
		ok = commit(z, c, why, sizeof(why));
		if (!ok) {
			log_error("zone %s: %s from %s rejected: %s; still serving serial %u", z->name, kind_str(res->kind),
				  prim_desc(z, pd, sizeof(pd)), why, z->base != NULL ? z->base->serial : 0);
			snprintf(z->last_err, sizeof(z->last_err), "%.500s", why);
			next = true;
		}
		break;
	case XFRC_IXFR_REFUSED:
		log_notice("zone %s: IXFR from %s failed (%s): falling back to AXFR", z->name, prim_desc(z, pd, sizeof(pd)),
			   res->err);
		xfrc_free(c);
		z->axfr = true;
		start_xfr(z);
		if (z->xfr == NULL)
			refresh_end(z, false);
		return;
	default:
		if (res->badkey && z->ki + 1 < z->prof->prim[z->pi].nkeys) {
			next = true; /* not a failure yet: the primary's next key follows */
			break;
		}
		log_warning("zone %s: refresh from %s failed: %s", z->name, prim_desc(z, pd, sizeof(pd)), res->err);
		snprintf(z->last_err, sizeof(z->last_err), "%.200s: %.300s", prim_desc(z, pd, sizeof(pd)), res->err);
		next = true;
		break;
	}
	bool badkey = res->badkey; /* res lives in c */
	xfrc_free(c);
	if (next && badkey && z->ki + 1 < z->prof->prim[z->pi].nkeys) {
		/* The primary does not know this key (yet): its next key, once. */
		const sec_primary_t *p = &z->prof->prim[z->pi];
		char k0[1024] = "?", k1[1024] = "?";
		dname_to_str(tsig_key_name(p->key[z->ki]), k0, sizeof(k0));
		dname_to_str(tsig_key_name(p->key[z->ki + 1]), k1, sizeof(k1));
		log_notice("zone %s: %s answered BADKEY for key %s: trying its next key %s", z->name, p->text, k0, k1);
		z->ki++;
		start_xfr(z);
		if (z->xfr != NULL)
			return;
	}
	if (next && z->pi + 1 < z->prof->nprim) {
		z->pi++;
		z->ki = 0;
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
		if (s->z[i]->dirty)
			snap_write(s->z[i], cur_of(s, s->z[i]->origin));
	snap_flush(s);
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
	s->ev_flush = evtimer_new(base, on_flush, s);
	if (s->ev_inbox == NULL || s->ev_snap == NULL || s->ev_flush == NULL || event_add(s->ev_inbox, NULL) != 0)
		return FL_ENOMEM;
	struct timeval tv = { (time_t)s->snapshot_interval, 0 };
	event_add(s->ev_snap, &tv);
	time_t now = time(NULL);
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = s->z[i];
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
	flush(s); /* what was committed is what the snapshots below save */
	for (size_t i = 0; i < s->nz; i++) {
		sec_zone_t *z = s->z[i];
		zone_quiesce(z);
		if (z->dirty)
			snap_write(z, cur_of(s, z->origin));
	}
	snap_flush(s); /* the shutdown snapshots, in one batch */
	if (s->ev_inbox != NULL)
		event_free(s->ev_inbox);
	if (s->ev_snap != NULL)
		event_free(s->ev_snap);
	if (s->ev_flush != NULL)
		event_free(s->ev_flush);
	s->ev_inbox = s->ev_snap = s->ev_flush = NULL;
	s->base = NULL;
}

void
secondary_free(secondary_t *s)
{
	if (s == NULL)
		return;
	secondary_stop(s);
	for (size_t i = 0; i < s->nz; i++)
		zone_release(s->z[i]);
	for (size_t i = 0; i < s->nprof; i++)
		profile_free(s->prof[i]);
	if (s->efd >= 0)
		close(s->efd);
	pthread_mutex_destroy(&s->mu);
	free(s->prof);
	free(s->pendq);
	free(s->snapq);
	free(s->tab);
	free(s->inbox);
	free(s->z);
	free(s->storage);
	tsig_keyring_free(s->kr);
	free(s);
}

/* ---- reload and flamectl ---- */

/* A profile and what a reload puts into it; p == NULL: a zone new in the config. */
typedef struct {
	sec_profile_t *p;
	prof_parts_t parts;
	uint8_t origin[DNAME_MAXLEN]; /* the new zone */
} reprof_t;

/* A zone new in the config: its profile, a placeholder (SERVFAIL until the
 * first copy) in batch b, and a transfer at once. Consumes rp->parts. */
static void
reconf_add(secondary_t *s, reprof_t *rp, cat_batch_t *b)
{
	acl_t *none = NULL;
	sec_profile_t *p = calloc(1, sizeof(*p));
	sec_zone_t *z = NULL;
	zone_t *ph = NULL;
	if (p == NULL || fl_grow(&s->prof, &s->capprof, s->nprof, sizeof(*s->prof), 8) != 0)
		goto fail;
	profile_install(p, &rp->parts, &none);
	s->prof[s->nprof++] = p;
	p = NULL;
	if ((z = zone_add(s, rp->origin, s->prof[s->nprof - 1])) == NULL || (ph = placeholder_new(z)) == NULL)
		goto fail;
	b->add[b->nadd++] = ph;
	log_notice("reload: secondary zone %s added: transferring it", z->name);
	sz_trigger(z, true, "config");
	return;
fail:
	if (z != NULL)
		zone_drop(s, z);
	profile_free(p);
	parts_free(&rp->parts);
	b->oom = true;
}

int
secondary_reconfigure(secondary_t *s, const conf_t *conf, const tsig_keyring_t *kr, char *err, size_t errlen)
{
	reprof_t *rp = calloc(s->nprof + conf->nzone + 1, sizeof(*rp));
	acl_t **old = calloc(s->nprof + 1, sizeof(*old));
	bool *keep = calloc(s->nz + 1, sizeof(*keep));
	cat_batch_t bt = { .add = calloc(conf->nzone + 1, sizeof(zone_t *)), .del = calloc(s->nz + 1, sizeof(uint8_t *)) };
	size_t n = 0, kept = 0, nold = 0;
	int ret = FL_ENOMEM;
	char who[1400];
	if (rp == NULL || old == NULL || keep == NULL || bt.add == NULL || bt.del == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	/* 1. Everything is built beside the profiles in use. */
	for (size_t i = 0; i < conf->nzone; i++) {
		const conf_zone_t *cz = &conf->zone[i];
		uint8_t origin[DNAME_MAXLEN], root = 0;
		if (conf_zone_role(conf, i) != CONF_ROLE_SECONDARY)
			continue;
		if (dname_from_str(cz->domain, strlen(cz->domain), &root, origin) < 0) {
			snprintf(err, errlen, "zone %s: not a domain name", cz->domain);
			ret = FL_EINVAL;
			goto done;
		}
		dname_lower(origin);
		sec_zone_t *z = find(s, origin);
		sec_settings_t st = settings_of(conf, cz);
		snprintf(who, sizeof(who), "zone %s", cz->domain);
		if (z != NULL && z->owner != NULL) {
			log_warning("reload: zone %s is configured now but is a member of catalog %s: it stays a member",
				    cz->domain, z->owner->name);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if ((z != NULL && rp[k].p == z->prof) || (z == NULL && rp[k].p == NULL && dname_eq(rp[k].origin, origin))) {
				snprintf(err, errlen, "zone %s is listed twice", cz->domain);
				ret = FL_EINVAL;
				goto done;
			}
		if (z == NULL) {
			if (cz->catalog == CONF_CATALOG_CONSUMER) {
				log_warning("reload: catalog %s is new in the config: it is consumed after a restart", cz->domain);
				continue;
			}
			if ((ret = parts_build(st.pl, st.al, st.src, kr, who, &rp[n].parts, err, errlen)) != 0)
				goto done;
			memcpy(rp[n].origin, origin, dname_len(origin));
			n++;
			continue;
		}
		keep[z->idx] = true;
		kept++;
		rp[n].p = (sec_profile_t *)z->prof;
		if ((ret = parts_build(st.pl, st.al, st.src, kr, who, &rp[n].parts, err, errlen)) != 0)
			goto done;
		n++;
		for (size_t t = 0; z->consumer && t < s->nprof; t++) {
			sec_profile_t *tp = s->prof[t];
			if (tp->cat != z)
				continue;
			const conf_template_t *ct = conf_template_find(conf, tp->group);
			if (ct == NULL) {
				log_warning("reload: template %s is gone from the config: members of %s keep it until a restart",
					    tp->group, z->name);
				continue;
			}
			snprintf(who, sizeof(who), "template %s (members of catalog %s)", ct->id, z->name);
			rp[n].p = tp;
			if ((ret = parts_build(ct->primaries.count > 0 ? &ct->primaries : st.pl,
					       ct->notify_allow.count > 0 ? &ct->notify_allow : st.al,
					       ct->source != NULL ? ct->source : st.src, kr, who, &rp[n].parts, err,
					       errlen)) != 0)
				goto done;
			n++;
		}
	}
	/* 2. Install. The workers may still read the old NOTIFY ACLs until a grace period passes. */
	for (size_t k = 0; k < n; k++)
		if (rp[k].p != NULL)
			profile_install(rp[k].p, &rp[k].parts, &old[nold++]);
	for (size_t i = 0; i < s->nz; i++)
		if (s->z[i]->pi >= s->z[i]->prof->nprim)
			s->z[i]->pi = 0;
	/* Zones gone from the config: unpublished, their files deleted (a catalog keeps its members until a restart). */
	for (size_t i = s->nz; i-- > 0;) {
		sec_zone_t *z = s->z[i];
		if (z->owner != NULL || keep[i])
			continue;
		if (z->consumer) {
			log_warning("reload: catalog %s is gone from the config: it and its members are served until a restart",
				    z->name);
			continue;
		}
		log_notice("reload: secondary zone %s removed from the config: no longer served", z->name);
		batch_del(&bt, z->origin);
		zone_drop(s, z);
	}
	for (size_t k = 0; k < n; k++)
		if (rp[k].p == NULL)
			reconf_add(s, &rp[k], &bt);
	if (bt.nadd > 0 || bt.ndel > 0)
		update(s, bt.add, bt.nadd, (const uint8_t *const *)bt.del, bt.ndel);
	if (bt.oom)
		log_error("reload: out of memory: some secondary zones were not added or removed");
	tsig_keyring_free(s->kr);
	s->kr = tsig_keyring_ref(kr);
	/* s->pol is read by the workers: not touched. They verify NOTIFYs with
	 * the server's keyring in force (worker_notify), which this reload swaps. */
	if (s->hooks.sync != NULL)
		s->hooks.sync(s->hooks.arg);
	for (size_t k = 0; k < nold; k++)
		free(old[k]);
	log_info("reload: %zu secondary profiles updated (%zu configured zones kept)", nold, kept);
	pump(s);
	ret = 0;
done:
	/* Installed parts were moved out (zeroed); these are the ones of a failed reload. */
	for (size_t k = 0; rp != NULL && k < n; k++)
		parts_free(&rp[k].parts);
	for (size_t i = 0; i < bt.ndel; i++)
		free(bt.del[i]);
	free(bt.add);
	free(bt.del);
	free(keep);
	free(rp);
	free(old);
	return ret;
}

size_t
secondary_count(const secondary_t *s)
{
	return s != NULL ? s->nz : 0;
}

int
secondary_zone_info(const secondary_t *s, size_t i, const uint8_t *origin, secondary_zone_info_t *out, char *buf,
		    size_t buflen)
{
	const sec_zone_t *z = s == NULL ? NULL : origin != NULL ? find(s, origin) : i < s->nz ? s->z[i] : NULL;
	if (z == NULL)
		return FL_ENOENT;
	memset(out, 0, sizeof(*out));
	out->name = z->name;
	out->member = z->owner != NULL;
	out->consumer = z->consumer;
	const zone_t *cur = cur_of(s, z->origin);
	out->has_copy = cur != NULL;
	out->expired = z->expired;
	out->refreshing = z->state != SZ_IDLE;
	out->last_ok = z->last_ok;
	out->last_xfr = z->last_xfr;
	out->last_kind = z->last_xfr != 0 ? kind_str((xfrin_kind_t)z->last_kind) : "-";
	struct timeval tv;
	if (z->ev_refresh != NULL && event_pending(z->ev_refresh, EV_TIMEOUT, &tv))
		out->next_refresh = tv.tv_sec;
	out->expire_at = cur != NULL ? (time_t)cur->expire_at : 0;
	sec_zone_t tmp = *z;
	tmp.pi = tmp.ki = 0;
	out->primary = prim_desc(&tmp, buf, buflen);
	out->last_err = z->last_err;
	return 0;
}

int
secondary_refresh(secondary_t *s, const uint8_t *origin, bool axfr)
{
	sec_zone_t *z = s != NULL ? find(s, origin) : NULL;
	if (z == NULL)
		return FL_ENOENT;
	/* A retransfer is a reset: AXFR from nothing, the served copy stays until it arrives. */
	if (axfr)
		z->reset = true;
	sz_trigger(z, true, axfr ? "retransfer" : "refresh");
	return 0;
}

struct journal *
secondary_journal(secondary_t *s, const uint8_t *origin)
{
	sec_zone_t *z = s != NULL ? find(s, origin) : NULL;
	return z != NULL ? jget(z) : NULL;
}
