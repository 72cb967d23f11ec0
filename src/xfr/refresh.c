/* SPDX-License-Identifier: MIT */
/** \file SOA timer arithmetic (see refresh.h). */
#include "dns/dname.h"
#include "dns/wire.h"
#include "xfr/refresh.h"

static uint32_t
clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	if (hi < lo)
		hi = lo;
	return v < lo ? lo : v > hi ? hi : v;
}

bool
refresh_from_soa(const uint8_t *rdata, uint16_t rdlen, const refresh_limits_t *lim, refresh_timers_t *out)
{
	size_t off = 0;
	bool ok = true;
	uint32_t refresh = 0, retry = 0, expire = 0;
	/* Two uncompressed names, then serial, refresh, retry, expire, minimum. */
	for (int i = 0; i < 2 && ok; i++) {
		int n = dname_check(rdata + off, rdlen - off);
		if (n < 0)
			ok = false;
		else
			off += (size_t)n;
	}
	if (ok && rdlen - off != 20)
		ok = false;
	if (ok) {
		refresh = wire_u32(rdata + off + 4);
		retry = wire_u32(rdata + off + 8);
		expire = wire_u32(rdata + off + 12);
	}
	out->refresh = clamp(refresh, lim->refresh_min, lim->refresh_max);
	out->retry = clamp(retry, lim->retry_min, lim->retry_max);
	out->expire = clamp(expire, lim->expire_min, lim->expire_max);
	if (out->expire < out->refresh)
		out->expire = out->refresh;
	return ok;
}

uint64_t
refresh_jitter_ms(uint32_t secs, uint32_t rnd)
{
	uint64_t ms = (uint64_t)secs * 1000u;
	uint64_t spread = ms / 10u;
	return spread == 0 ? ms : ms - (uint64_t)rnd % (spread + 1u);
}
