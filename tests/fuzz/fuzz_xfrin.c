/* SPDX-License-Identifier: MIT */
/**
 * \file
 * libFuzzer entry point for the secondary's side of transfers: the input is
 * a sequence of messages (each a 2-octet length and the bytes, as on TCP)
 * fed to xfrin as the answer to an AXFR (first input octet even) or to an
 * IXFR from a small served version (odd), then to the NOTIFY-in handler.
 * Whatever the bytes, the parser must refuse or finish cleanly, and a
 * finished version must be a valid zone. Build and run: `make fuzz`.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "xfr/notifyin.h"
#include "xfr/xfrin.h"
#include "zone/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zone_t *cur;
static uint8_t origin[DNAME_MAXLEN];

static void
add(zone_builder_t *b, const char *owner, uint16_t type, const void *rd, size_t rdlen)
{
	uint8_t n[DNAME_MAXLEN];
	int l = dname_from_str(owner, strlen(owner), NULL, n);
	if (l < 0 || zone_builder_add(b, n, (size_t)l, type, 1, 300, rd, (uint16_t)rdlen, 1) != 0)
		abort();
}

static void
setup(void)
{
	dname_from_str("f.test.", 7, NULL, origin);
	zone_builder_t *b = zone_builder_new(origin);
	static const uint8_t soa[] = "\2ns\1f\4test\0\1h\1f\4test\0\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1";
	add(b, "f.test.", 6, soa, sizeof(soa) - 1);
	add(b, "f.test.", 2, "\2ns\1f\4test", 11);
	add(b, "ns.f.test.", 1, "\1\2\3\4", 4);
	add(b, "a.f.test.", 1, "\1\2\3\5", 4);
	if (zone_builder_finish(b, &cur, NULL) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (cur == NULL)
		setup();
	if (size < 1)
		return 0;
	bool ixfr = data[0] & 1;
	xfrin_t x;
	xfrin_limits_t lim = { 10000, 1 << 20 };
	if (xfrin_init(&x, origin, ixfr ? cur : NULL, 0x1234, NULL, &lim) != 0) {
		xfrin_clear(&x);
		return 0;
	}
	size_t pos = 1;
	int r = 0;
	while (r == 0 && size - pos >= 2) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		r = xfrin_feed(&x, data + pos, len, 1700000000);
		pos += len;
	}
	if (r == 1) {
		zone_t *z = NULL;
		if (xfrin_finish(&x, &z, NULL) == 0 && z != NULL) {
			if (z->soa == NULL || z->nnodes == 0)
				abort(); /* a finished version is a zone */
			zone_free(z);
		}
	}
	xfrin_clear(&x);

	/* The same bytes as a NOTIFY to a secondary of f.test. */
	static const acl_rule_t any = { AF_INET, { 0 }, 0, false, { 0 } };
	notifyin_zone_t nz = { .allow = { &any, 1 } };
	memcpy(nz.origin, origin, dname_len(origin));
	notifyin_policy_t pol = { NULL, &nz, 1, NULL, NULL };
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(53) };
	uint8_t out[4096];
	size_t outlen = 0;
	notifyin_event_t ev;
	char log[512];
	notifyin_handle(&pol, data + 1, size - 1, (const struct sockaddr *)&peer, sizeof(peer), 1700000000, out,
			sizeof(out), &outlen, &ev, log, sizeof(log));
	if (outlen > sizeof(out))
		abort();
	return 0;
}
