/* SPDX-License-Identifier: MIT */
/** \file The primary's commit step (see pipeline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "util/err.h"
#include "dnssec/dvalidate.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "zone/apply.h"
#include "zone/diff.h"
#include "zone/pipeline.h"
#include "zone/zonemd.h"

/* The SOA rdata of two versions equal except for the serial? */
static bool
soa_same_but_serial(const zone_t *a, const zone_t *b)
{
	const uint8_t *ra = a->soa->rdata, *rb = b->soa->rdata;
	uint16_t la = msg_rd_len(ra), lb = msg_rd_len(rb);
	if (la != lb || a->soa->ttl != b->soa->ttl)
		return false;
	const uint8_t *da = msg_rd_data(ra), *db = msg_rd_data(rb);
	size_t off = dname_len(da);
	off += dname_len(da + off); /* serial at off..off+4 */
	return memcmp(da, db, off) == 0 && memcmp(da + off + 4, db + off + 4, la - off - 4) == 0;
}

static int
with_serial(zone_t *cand, uint32_t serial, zone_t **out)
{
	if (serial == cand->serial) {
		*out = cand;
		return 0;
	}
	return zone_set_serial(cand, serial, out);
}

/* An unsigned zone's ZONEMD: z with its apex ZONEMD RRset replaced by one
 * SIMPLE ZONEMD over z (the digest leaves the apex ZONEMD out, so z's own
 * does not matter), through one rebuild; z itself when it already has
 * exactly that one. */
static int
with_zonemd(const zone_t *z, uint8_t alg, zone_t **out)
{
	uint8_t rd[6 + ZONEMD_DIGEST_MAX];
	size_t dl = 0;
	*out = NULL;
	int ret = zonemd_digest(z, ZONEMD_SCHEME_SIMPLE, alg, rd + 6, &dl);
	if (ret != 0)
		return ret;
	wire_set_u32(rd, z->serial);
	rd[4] = ZONEMD_SCHEME_SIMPLE;
	rd[5] = alg;
	const zone_rrset_t *old = zone_node_rrset(z->apex, RR_ZONEMD);
	if (old != NULL && old->count == 1 && old->ttl == z->soa->ttl && msg_rd_len(old->rdata) == 6 + dl &&
	    memcmp(msg_rd_data(old->rdata), rd, 6 + dl) == 0) {
		*out = (zone_t *)z;
		return 0;
	}
	changeset_t cs;
	changeset_init(&cs);
	const uint8_t *soa = z->soa->rdata;
	ret = changeset_set_soa(&cs, false, z->origin, z->soa->ttl, msg_rd_data(soa), msg_rd_len(soa));
	if (ret == 0)
		ret = changeset_set_soa(&cs, true, z->origin, z->soa->ttl, msg_rd_data(soa), msg_rd_len(soa));
	const uint8_t *o = old != NULL ? old->rdata : NULL;
	for (uint16_t i = 0; ret == 0 && old != NULL && i < old->count; i++, o = msg_rd_next(o))
		ret = changeset_del(&cs, z->origin, RR_ZONEMD, old->ttl, msg_rd_data(o), msg_rd_len(o));
	if (ret == 0)
		ret = changeset_add(&cs, z->origin, RR_ZONEMD, z->soa->ttl, rd, (uint16_t)(6 + dl));
	if (ret == 0)
		ret = zone_apply(z, &cs, out, NULL);
	changeset_clear(&cs);
	return ret;
}

/* Does cs change nothing but the apex ZONEMD RRset (which with_zonemd derives)? */
static bool
only_apex_zonemd(const changeset_t *cs, const uint8_t *origin)
{
	const changeset_list_t *l[2] = { &cs->del, &cs->add };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < l[k]->count; i++)
			if (l[k]->rr[i].type != RR_ZONEMD || !dname_eq(l[k]->rr[i].owner, origin))
				return false;
	return true;
}

/* The signing stage: z (unsigned) signed into *out, reusing prev's
 * signatures of unchanged RRsets. Without a timing: inception an hour back
 * (clock skew), refresh when less than half the validity is left. */
static int
sign_step(const zone_t *prev, const zone_t *z, const pipeline_opts_t *o, zone_t **out, char *why, size_t whylen)
{
	uint32_t validity = o->sig_validity != 0 ? o->sig_validity : 14 * 86400;
	sigtime_t t = { .validity = validity, .refresh = validity / 2, .jitter = 0, .inception_offset = 3600 };
	if (o->sig_timing != NULL)
		t = *o->sig_timing;
	uint32_t now = (uint32_t)o->now;
	sign_opts_t so = { .inception = now - t.inception_offset, .expiration = now + t.validity, .jitter = t.jitter,
			   .nsec3 = o->nsec3, .optout = o->optout, .threads = 2, .prev = prev, .now = now,
			   .refresh = sigtime_reuse_threshold(&t), .zonemd_hash = o->zonemd_hash, .cds = o->cds };
	return sign_zone(z, o->keys, o->nkeys, &so, out, o->sign_stats, why, whylen);
}

/* Validate before publish: the signed version s against prev (the served
 * version, validated when it was published). FL_ESEMANTIC: why says what. */
static int
validate_step(const zone_t *prev, const zone_t *s, const pipeline_opts_t *o, char *why, size_t whylen)
{
	if (!o->validate)
		return 0;
	char r[768] = "";
	dval_opts_t vo = { .now = (uint32_t)o->now, .prev = prev, .threads = 2 };
	int ret = dval_check(s, o->keys, o->nkeys, &vo, NULL, r, sizeof(r));
	if (ret != 0)
		snprintf(why, whylen, "validation failed: %s", r[0] != '\0' ? r : fl_strerror(ret));
	return ret;
}

/* How a published version was made, for the log line. */
static const char *
signed_note(const pipeline_opts_t *o)
{
	return o->keys == NULL ? "" : o->validate ? ", signed and validated" : ", signed";
}

/* with_serial, then the signing stage when the zone is signed, or the
 * ZONEMD of an unsigned zone; *out is a new version unless it is cand itself. */
static int
finish_version(const zone_t *old, zone_t *cand, uint32_t serial, const pipeline_opts_t *o, zone_t **out, char *why,
	       size_t whylen)
{
	zone_t *v = NULL;
	int ret = with_serial(cand, serial, &v);
	if (ret != 0 || (o->keys == NULL && o->zonemd_hash == 0)) {
		*out = v;
		return ret;
	}
	if (o->keys == NULL) {
		ret = with_zonemd(v, o->zonemd_hash, out);
		if (ret != 0)
			snprintf(why, whylen, "ZONEMD: %s", fl_strerror(ret));
		if (v != cand && v != *out)
			zone_free(v);
		return ret;
	}
	ret = sign_step(old, v, o, out, why, whylen);
	if (v != cand)
		zone_free(v);
	if (ret == 0 && (ret = validate_step(old, *out, o, why, whylen)) != 0) {
		zone_free(*out);
		*out = NULL;
	}
	return ret;
}

int
pipeline_commit(const zone_t *old, zone_t *cand, journal_t *j, const pipeline_opts_t *o, zone_t **out,
		char *msg, size_t msglen)
{
	changeset_t cs;
	zone_t *fin = NULL;
	char why[1024] = "";
	int ret;
	char zname[1024];
	*out = NULL;
	changeset_init(&cs);
	dname_to_str(cand->origin, zname, sizeof(zname));

	if (old == NULL) {
		/* A zone seen for the first time while running: its file decides. */
		uint32_t s;
		ret = serial_next(o->policy, cand->serial, false, 0, o->now, &s, why, sizeof(why));
		if (ret != 0) {
			snprintf(msg, msglen, "zone %s refused: %s", zname, why);
			return PIPELINE_REFUSED;
		}
		ret = finish_version(NULL, cand, s, o, &fin, why, sizeof(why));
		if (ret != 0) {
			snprintf(msg, msglen, "zone %s refused: %s", zname, why[0] ? why : fl_strerror(ret));
			return PIPELINE_REFUSED;
		}
		snprintf(msg, msglen, "zone %s: serial %u%s", zname, fin->serial, signed_note(o));
		*out = fin;
		return PIPELINE_PUBLISH;
	}

	/* Content first: the serial alone is not content under a generated policy.
	 * A signed zone is compared signed: with old's signatures reused, an
	 * unchanged file signs into old's content exactly. */
	zone_t *probe = cand, *at_old = NULL;
	/* Under a generated serial policy the file's serial is not the served
	 * one: the probe is signed at the served serial, so the SOA's RRSIG is
	 * reused and an unchanged file compares equal. */
	if (o->keys != NULL && o->policy != SERIAL_KEEP && cand->serial != old->serial &&
	    zone_set_serial(cand, old->serial, &at_old) != 0)
		at_old = NULL;
	ret = o->keys != NULL ? sign_step(old, at_old != NULL ? at_old : cand, o, &probe, why, sizeof(why)) : 0;
	zone_free(at_old);
	if (ret != 0) {
		snprintf(msg, msglen, "zone %s: signing failed (%s), still serving serial %u", zname, why, old->serial);
		return PIPELINE_REFUSED;
	}
	ret = zone_diff(old, probe, &cs);
	/* An unsigned candidate has no ZONEMD of ours yet: it is not content. */
	bool same = ret == 0 &&
		    (changeset_empty(&cs) || (o->keys == NULL && o->zonemd_hash != 0 && only_apex_zonemd(&cs, old->origin))) &&
		    soa_same_but_serial(old, probe);
	/* cs is kept: when the probe (or the unsigned candidate itself) is the
	 * version published, it is that version's changeset, not computed twice. */
	bool cs_is_fin = false;
	uint32_t s = cand->serial;
	if (ret == 0 && same && (o->policy != SERIAL_KEEP || cand->serial == old->serial)) {
		snprintf(msg, msglen, "zone %s unchanged (serial %u)", zname, old->serial);
		ret = PIPELINE_UNCHANGED;
	} else if (ret == 0 && serial_next(o->policy, cand->serial, true, old->serial, o->now, &s, why, sizeof(why)) != 0) {
		snprintf(msg, msglen, "zone %s changed but refused, still serving serial %u: %s", zname,
			 old->serial, why);
		ret = PIPELINE_REFUSED;
	}
	/* The signed probe is the new version when it has the serial chosen
	 * (serial policy keep): no second signing. */
	if (ret == 0 && probe != cand && s == probe->serial) {
		fin = probe;
		cs_is_fin = true;
		ret = validate_step(old, fin, o, why, sizeof(why));
	} else {
		if (probe != cand)
			zone_free(probe);
		if (ret < 0)
			goto fail;
		if (ret != 0) {
			changeset_clear(&cs);
			return ret;
		}
		ret = finish_version(old, cand, s, o, &fin, why, sizeof(why));
		cs_is_fin = ret == 0 && probe == cand && fin == cand;
	}
	if (ret != 0) {
		/* Not signed or not valid: refused, the served version stays. */
		snprintf(msg, msglen, "zone %s: %s, still serving serial %u", zname, why[0] ? why : fl_strerror(ret),
			 old->serial);
		if (fin != NULL && fin != cand)
			zone_free(fin);
		changeset_clear(&cs);
		return ret == FL_ENOMEM ? ret : PIPELINE_REFUSED;
	}
	if (!cs_is_fin) {
		changeset_clear(&cs);
		changeset_init(&cs);
		if ((ret = zone_diff(old, fin, &cs)) != 0)
			goto fail;
	}
	size_t ndel = cs.del.count, nadd = cs.add.count;
	/* The journal is on disk before anyone can see the version (fsync inside). */
	if (j != NULL && (ret = journal_append(j, &cs)) != 0) {
		snprintf(msg, msglen, "zone %s: journal write failed (%s), still serving serial %u", zname,
			 fl_strerror(ret), old->serial);
		goto fail_quiet;
	}
	zone_history_t *h = zone_history_extend(old->history, &cs, &o->history);
	if (h == NULL)
		snprintf(why, sizeof(why), "; no IXFR history (out of memory)");
	zone_history_unref(fin->history);
	fin->history = h;
	snprintf(msg, msglen, "zone %s: serial %u -> %u (%zu deleted, %zu added%s)%s", zname, old->serial,
		 fin->serial, ndel, nadd, j != NULL ? ", journaled" : "", why[0] && h == NULL ? why : "");
	changeset_clear(&cs);
	*out = fin;
	return PIPELINE_PUBLISH;
fail:
	snprintf(msg, msglen, "zone %s: %s, still serving serial %u", zname, fl_strerror(ret), old ? old->serial : 0);
fail_quiet:
	changeset_clear(&cs);
	if (fin != NULL && fin != cand)
		zone_free(fin);
	return ret < 0 ? ret : FL_EINVAL;
}

/* Journal read callback: chain copies of the journal's changesets into a history. */
typedef struct {
	zone_history_t *h;
	const zone_history_limits_t *lim;
	int err;
} restore_t;

static int
restore_one(void *arg, const changeset_t *cs)
{
	restore_t *r = arg;
	size_t n = changeset_wire_size(cs);
	uint8_t *buf = malloc(n);
	changeset_t copy;
	changeset_init(&copy);
	if (buf == NULL || changeset_to_wire(cs, buf, n) < 0 || changeset_from_wire(&copy, buf, n) != 0) {
		free(buf);
		changeset_clear(&copy);
		r->err = FL_ENOMEM;
		return r->err;
	}
	free(buf);
	zone_history_t *h = zone_history_extend(r->h, &copy, r->lim);
	changeset_clear(&copy);
	if (h == NULL) {
		r->err = FL_ENOMEM;
		return r->err;
	}
	zone_history_unref(r->h);
	r->h = h;
	return 0;
}

int
pipeline_startup(zone_t *cand, journal_t **j, const char *journal_path, const journal_limits_t *jl,
		 const pipeline_opts_t *o, zone_t **out, bool *reset, char *msg, size_t msglen)
{
	char zname[1024], why[512] = "";
	uint32_t last = 0, first = 0;
	dname_to_str(cand->origin, zname, sizeof(zname));
	*out = NULL;
	*reset = false;
	bool have = *j != NULL && journal_last_serial(*j, &last) == 0 && journal_first_serial(*j, &first) == 0;

	/* A signed zone is signed anew at start-up: its signatures are not the
	 * journal's last version's, so that history cannot lead to it. */
	if (have && cand->serial == last && o->keys == NULL) {
		/* The journal ends at this version: its changesets are the history. */
		restore_t r = { NULL, &o->history, 0 };
		int ret = journal_read_from(*j, first, restore_one, &r);
		zone_t *v = cand;
		/* With zonemd, the journal's last version is the file's plus its ZONEMD. */
		if (ret == 0 && r.err == 0 && o->zonemd_hash != 0)
			ret = with_zonemd(cand, o->zonemd_hash, &v);
		if (ret == 0 && r.err == 0) {
			v->history = r.h;
			cand = v;
			snprintf(msg, msglen, "zone %s: serial %u, IXFR history from serial %u restored from the journal (%zu changesets)",
				 zname, cand->serial, zone_history_first_serial(r.h), zone_history_count(r.h));
			*out = cand;
			return 0;
		}
		zone_history_unref(r.h);
	}
	uint32_t s = cand->serial;
	int ret = 0;
	if (o->policy != SERIAL_KEEP)
		ret = serial_next(o->policy, cand->serial, have, last, o->now, &s, why, sizeof(why));
	if (ret != 0)
		s = cand->serial; /* cannot happen for generated policies; keep the file's */
	if (o->keys != NULL && have && !serial_gt(s, last))
		s = last + 1; /* a new signed version: never a serial secondaries already hold */
	zone_t *fin = NULL;
	ret = finish_version(NULL, cand, s, o, &fin, why, sizeof(why));
	if (ret != 0) {
		snprintf(msg, msglen, "zone %s: %s", zname, why[0] ? why : fl_strerror(ret));
		return ret;
	}
	if (have) {
		/* The journal does not lead to this version: start a new one. */
		journal_close(*j);
		*j = NULL;
		char w[512];
		if (unlink(journal_path) != 0 || journal_open(journal_path, jl, j, w, sizeof(w)) != 0) {
			snprintf(msg, msglen, "zone %s: serial %u; cannot reset the journal %s (IXFR from older serials falls back to AXFR-style)",
				 zname, fin->serial, journal_path);
			*out = fin;
			return 0;
		}
		*reset = true;
		snprintf(msg, msglen, "zone %s: serial %u; the journal ended at serial %u, which is not this version: journal reset (%s)",
			 zname, fin->serial, last,
			 o->keys != NULL		  ? "signed anew at start-up"
			 : o->policy == SERIAL_KEEP ? "the file changed while we were down"
						    : "generated serials continue above it");
	} else {
		snprintf(msg, msglen, "zone %s: serial %u%s", zname, fin->serial, signed_note(o));
	}
	*out = fin;
	return 0;
}
