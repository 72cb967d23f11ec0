/* SPDX-License-Identifier: MIT */
/**
 * \file
 * libFuzzer entry point for the zone file reader: any bytes as the text of
 * zone "f.test." ($INCLUDE resolves against tests/unit/data/zones, so run
 * from the repository root). Seeds: zonefiles/ and tests/unit/data/zones/.
 */
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "zone/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = "\1f\4test";
	zonefile_opts_t opts = { .base_dir = "tests/unit/data/zones" };
	zonefile_error_t err;
	zone_t *z = NULL;
	if (zonefile_load_mem((const char *)data, size, "fuzz.zone", origin, &opts, &z, &err) == 0) {
		/* Every loadable zone is also read as an RFC 9432 catalog. */
		catalog_t *c = NULL;
		char why[512];
		if (catalog_parse(z, &c, why, sizeof(why)) == 0) {
			for (size_t i = 0; i < catalog_count(c); i++)
				if (catalog_find(c, catalog_at(c, i)->name) != catalog_at(c, i))
					__builtin_trap();
			catalog_free(c);
		}
		zone_free(z);
	}
	return 0;
}
