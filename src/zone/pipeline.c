/* SPDX-License-Identifier: MIT */
/** \file The primary's commit step (see pipeline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/wire.h"
#include "util/err.h"
#include "dnssec/sign.h"
#include "dnssec/sigtime.h"
#include "zone/apply.h"
#include "zone/diff.h"
#include "zone/pipeline.h"

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
			   .nsec3 = o->nsec3, .threads = 2, .prev = prev, .now = now,
			   .refresh = sigtime_reuse_threshold(&t) };
	return sign_zone(z, o->keys, o->nkeys, &so, out, o->sign_stats, why, whylen);
}

/* with_serial, then the signing stage when the zone is signed; *out is a new
 * version unless it is cand itself. */
static int
finish_version(const zone_t *old, zone_t *cand, uint32_t serial, const pipeline_opts_t *o, zone_t **out, char *why,
	       size_t whylen)
{
	zone_t *v = NULL;
	int ret = with_serial(cand, serial, &v);
	if (ret != 0 || o->keys == NULL) {
		*out = v;
		return ret;
	}
	ret = sign_step(old, v, o, out, why, whylen);
	if (v != cand)
		zone_free(v);
	return ret;
}

int
pipeline_commit(const zone_t *old, zone_t *cand, journal_t *j, const pipeline_opts_t *o, zone_t **out,
		char *msg, size_t msglen)
{
	changeset_t cs;
	zone_t *fin = NULL;
	char why[512] = "";
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
		snprintf(msg, msglen, "zone %s: serial %u%s", zname, fin->serial, o->keys != NULL ? ", signed" : "");
		*out = fin;
		return PIPELINE_PUBLISH;
	}

	/* Content first: the serial alone is not content under a generated policy.
	 * A signed zone is compared signed: with old's signatures reused, an
	 * unchanged file signs into old's content exactly. */
	zone_t *probe = cand;
	if (o->keys != NULL && (ret = sign_step(old, cand, o, &probe, why, sizeof(why))) != 0) {
		snprintf(msg, msglen, "zone %s: signing failed (%s), still serving serial %u", zname, why, old->serial);
		return PIPELINE_REFUSED;
	}
	ret = zone_diff(old, probe, &cs);
	bool same = ret == 0 && changeset_empty(&cs) && soa_same_but_serial(old, probe);
	changeset_clear(&cs);
	changeset_init(&cs);
	uint32_t s = cand->serial;
	if (ret == 0 && same && (o->policy != SERIAL_KEEP || cand->serial == old->serial)) {
		snprintf(msg, msglen, "zone %s unchanged (serial %u)", zname, old->serial);
		ret = PIPELINE_UNCHANGED;
	} else if (ret == 0 && serial_next(o->policy, cand->serial, true, old->serial, o->now, &s, why, sizeof(why)) != 0) {
		snprintf(msg, msglen, "zone %s changed but refused, still serving serial %u: %s", zname,
			 old->serial, why);
		ret = PIPELINE_REFUSED;
	}
	/* The signed probe is the new version when the serial stays the file's
	 * (serial policy keep): no second signing. */
	if (ret == 0 && probe != cand && s == cand->serial) {
		fin = probe;
	} else {
		if (probe != cand)
			zone_free(probe);
		if (ret < 0)
			goto fail;
		if (ret != 0)
			return ret;
		ret = finish_version(old, cand, s, o, &fin, why, sizeof(why));
	}
	if (ret != 0) {
		snprintf(msg, msglen, "zone %s: %s, still serving serial %u", zname, why[0] ? why : fl_strerror(ret),
			 old->serial);
		fin = NULL;
		goto fail_quiet;
	}
	ret = zone_diff(old, fin, &cs);
	if (ret != 0)
		goto fail;
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
		if (ret == 0 && r.err == 0) {
			cand->history = r.h;
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
		snprintf(msg, msglen, "zone %s: serial %u%s", zname, fin->serial, o->keys != NULL ? ", signed" : "");
	}
	*out = fin;
	return 0;
}
