/* SPDX-License-Identifier: MIT */
/**
 * \file
 * libFuzzer entry point for the query path: any bytes as a query, over UDP
 * and TCP, against a small zone with the interesting shapes (CNAME, DNAME,
 * wildcard, delegation). Build and run: `make fuzz` (clang, libFuzzer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "query/query.h"
#include "zone/zone.h"
#include "zone/zonedb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zonedb_t *db;

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
	uint8_t o[DNAME_MAXLEN];
	dname_from_str("f.test.", 7, NULL, o);
	zone_builder_t *b = zone_builder_new(o);
	static const uint8_t soa[] = "\2ns\1f\4test\0\1h\1f\4test\0\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1";
	add(b, "f.test.", 6, soa, sizeof(soa) - 1);
	add(b, "f.test.", 2, "\2ns\1f\4test", 11);
	add(b, "ns.f.test.", 1, "\1\2\3\4", 4);
	add(b, "f.test.", 15, "\0\12\2ns\1f\4test", 13);
	add(b, "c.f.test.", 5, "\2ns\1f\4test", 11);
	add(b, "l.f.test.", 5, "\1l\1f\4test", 10);
	add(b, "d.f.test.", 39, "\1x\4test", 8);
	add(b, "*.w.f.test.", 1, "\1\2\3\5", 4);
	add(b, "s.f.test.", 2, "\2ns\1s\1f\4test", 13);
	add(b, "ns.s.f.test.", 1, "\1\2\3\6", 4);
	zone_t *z = NULL;
	if (zone_builder_finish(b, &z, NULL) != 0)
		abort();
	db = zonedb_with(NULL, z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	if (db == NULL)
		setup();
	query_answer(db, NULL, data, size, QUERY_UDP, out, 4096);
	query_answer(db, NULL, data, size, QUERY_TCP, out, sizeof(out));
	return 0;
}
