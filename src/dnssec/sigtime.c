/* SPDX-License-Identifier: MIT */
/** \file Signature timing (see sigtime.h). */
#include "dnssec/sigtime.h"
#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/rrsig.h"

/* RRSIG rdata: type covered (2), algorithm, labels, original TTL (4), expiration (4), ... */
#define RRSIG_EXPIRATION_OFF 8

bool
sigtime_effective(const sigtime_t *conf, const zone_t *z, sigtime_t *eff, uint32_t *need)
{
	const uint8_t *rd = z->soa->rdata;
	uint64_t expire = wire_u32(msg_rd_data(rd) + msg_rd_len(rd) - 8), maxttl = 0;
	for (uint32_t i = 0; i < z->nnodes; i++)
		for (uint16_t r = 0; r < z->nodes[i].nrrsets; r++)
			if (z->nodes[i].rrsets[r].ttl > maxttl)
				maxttl = z->nodes[i].rrsets[r].ttl;
	/* Both are at most 2^32 - 1; clamp the sum to what fits the fields. */
	uint64_t n = expire + maxttl > UINT32_MAX / 2 ? UINT32_MAX / 2 : expire + maxttl;
	*eff = *conf;
	if (need != NULL)
		*need = (uint32_t)n;
	if (n <= conf->refresh)
		return false;
	uint64_t raise = n - conf->refresh, v = (uint64_t)conf->validity + raise;
	eff->refresh = (uint32_t)n;
	eff->validity = v > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)v;
	return true;
}

uint32_t
sigtime_batch(const sigtime_t *t)
{
	if ((uint64_t)t->refresh + t->jitter >= t->validity)
		return 0;
	uint32_t room = (t->validity - t->refresh - t->jitter) / 2;
	return t->jitter / 4 < room ? t->jitter / 4 : room;
}

uint32_t
sigtime_reuse_threshold(const sigtime_t *t)
{
	return t->refresh + sigtime_batch(t);
}

uint32_t
sigtime_jitter(const uint8_t *owner, uint16_t type, uint32_t jitter)
{
	if (jitter == 0)
		return 0;
	uint64_t h = 0xcbf29ce484222325u;
	size_t len = dname_len(owner);
	for (size_t i = 0; i < len; i++)
		h = (h ^ owner[i]) * 0x100000001b3u;
	h = (h ^ (type >> 8)) * 0x100000001b3u;
	h = (h ^ (type & 0xff)) * 0x100000001b3u;
	/* FNV's low bits mix poorly; the splitmix64 finaliser spreads them. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebu;
	h ^= h >> 31;
	return (uint32_t)(h % jitter);
}

bool
sigtime_earliest(const zone_t *z, uint32_t now, int64_t *left)
{
	bool any = false;
	int64_t min = 0;
	for (uint32_t i = 0; i < z->nnodes; i++) {
		const zone_rrset_t *rs = zone_node_rrset(&z->nodes[i], RR_RRSIG);
		if (rs == NULL)
			continue;
		const uint8_t *rd = rs->rdata;
		for (uint16_t k = 0; k < rs->count; k++, rd = msg_rd_next(rd)) {
			if (msg_rd_len(rd) < RRSIG_FIXED_LEN)
				continue;
			int64_t l = (int32_t)(wire_u32(msg_rd_data(rd) + RRSIG_EXPIRATION_OFF) - now);
			if (!any || l < min)
				min = l;
			any = true;
		}
	}
	if (any)
		*left = min;
	return any;
}

bool
sigtime_resign_at(const zone_t *z, const sigtime_t *eff, time_t now, time_t *at)
{
	int64_t left;
	if (!sigtime_earliest(z, (uint32_t)now, &left))
		return false;
	int64_t wait = left - (int64_t)eff->refresh;
	*at = now + (wait > SIGTIME_MIN_DELAY ? wait : SIGTIME_MIN_DELAY);
	return true;
}
