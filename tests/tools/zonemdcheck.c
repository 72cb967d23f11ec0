/* SPDX-License-Identifier: MIT */
/**
 * \file
 * zonemdcheck [-p] FILE ORIGIN: load a zone file with our reader and check
 * its ZONEMD (RFC 8976) with zonemd_verify(). Prints "STATUS: reason" and
 * exits 0 only when a ZONEMD verified; 1 when verification failed, 3 when
 * the zone has no ZONEMD or only unsupported ones, 2 for usage or load
 * errors. With -p it prints instead our SHA-384 and SHA-512 ZONEMD RRs
 * (apex, SOA TTL, SOA serial) for another implementation to check.
 * Used by conformance/zonemd.sh against ldns-signzone and ldns-verify-zone.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dns/dname.h"
#include "util/err.h"
#include "zone/zonefile.h"
#include "zone/zonemd.h"

static int
print_zonemd(const zone_t *z)
{
	char owner[1024];
	dname_to_str(z->origin, owner, sizeof(owner));
	for (uint8_t alg = ZONEMD_HASH_SHA384; alg <= ZONEMD_HASH_SHA512; alg++) {
		uint8_t d[ZONEMD_DIGEST_MAX];
		size_t len;
		int r = zonemd_digest(z, ZONEMD_SCHEME_SIMPLE, alg, d, &len);
		if (r != 0) {
			fprintf(stderr, "zonemd_digest: %s\n", fl_strerror(r));
			return 2;
		}
		printf("%s %u IN ZONEMD %u %u %u ", owner, z->soa->ttl, z->serial, ZONEMD_SCHEME_SIMPLE, alg);
		for (size_t i = 0; i < len; i++)
			printf("%02x", d[i]);
		printf("\n");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	bool print = argc == 4 && strcmp(argv[1], "-p") == 0;
	if (argc != 3 && !print) {
		fprintf(stderr, "usage: %s [-p] FILE ORIGIN\n", argv[0]);
		return 2;
	}
	const char *file = argv[argc - 2], *name = argv[argc - 1];
	uint8_t origin[DNAME_MAXLEN];
	if (dname_from_str(name, strlen(name), (const uint8_t *)"", origin) < 0) {
		fprintf(stderr, "bad origin '%s'\n", name);
		return 2;
	}
	zonefile_error_t err;
	zone_t *z = NULL;
	int r = zonefile_load(file, origin, NULL, &z, &err);
	if (r != 0) {
		fprintf(stderr, "%s:%u: %s (%s)\n", err.file, err.line, err.msg, fl_strerror(r));
		return 2;
	}
	if (print) {
		r = print_zonemd(z);
		zone_free(z);
		return r;
	}
	zonemd_status_t st;
	char why[512];
	r = zonemd_verify(z, &st, why, sizeof(why));
	zone_free(z);
	if (r != 0) {
		printf("invalid: %s\n", why);
		return 1;
	}
	printf("%s: %s\n", zonemd_status_str(st), why);
	return st == ZONEMD_VALID ? 0 : 3;
}
