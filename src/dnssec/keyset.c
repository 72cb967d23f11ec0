/* SPDX-License-Identifier: MIT */
/** \file A zone's first keys and their DS (see keyset.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#include "dns/dname.h"
#include "dns/wire.h"
#include "dnssec/keyset.h"
#include "util/err.h"

/* Remove a saved key's two files (path names the .private one). */
static void
unsave(const char *path)
{
	char pub[KEYSET_PATH_MAX];
	size_t l = strlen(path);
	unlink(path);
	if (l > 8 && l < sizeof(pub) && strcmp(path + l - 8, ".private") == 0) {
		snprintf(pub, sizeof(pub), "%.*s.key", (int)(l - 8), path);
		unlink(pub);
	}
}

int
keyset_make(const uint8_t *zone, dkey_alg_t alg, bool ksk_zsk, const char *dir, dkey_t *keys[2],
	    char paths[2][KEYSET_PATH_MAX], size_t *n, char *err, size_t errlen)
{
	const uint16_t flags[2] = { DKEY_FLAGS_KSK, DKEY_FLAGS_ZSK };
	size_t want = ksk_zsk ? 2 : 1;
	int ret = 0;
	*n = 0;
	keys[0] = keys[1] = NULL;
	for (size_t i = 0; i < want; i++) {
		if ((ret = dkey_generate(zone, alg, flags[i], &keys[i])) != 0) {
			fl_errf(err, errlen, "%s: key generation failed (%s)", dir, fl_strerror(ret));
			goto fail;
		}
		if ((ret = dkey_save(keys[i], dir, paths[i], KEYSET_PATH_MAX, err, errlen)) != 0)
			goto fail;
		(*n)++;
	}
	return 0;
fail:
	for (size_t i = 0; i < *n; i++)
		unsave(paths[i]);
	for (size_t i = 0; i < want; i++) {
		dkey_free(keys[i]);
		keys[i] = NULL;
	}
	*n = 0;
	return ret;
}

int
keyset_ds_text(const dkey_t *k, uint32_t ttl, char *out, size_t len)
{
	uint8_t ds[DKEY_DS_MAX];
	char name[1024];
	int ret = dkey_ds(k, DKEY_DS_SHA256, ds, sizeof(ds));
	if (ret < 0)
		return ret;
	if (dname_to_str(dkey_zone(k), name, sizeof(name)) < 0)
		return FL_ESPACE;
	int off = snprintf(out, len, "%s %u IN DS %u %u 2 ", name, ttl, (unsigned)dkey_tag(k), (unsigned)dkey_alg(k));
	if (off < 0 || (size_t)off + 2 * 32 + 1 > len)
		return FL_ESPACE;
	for (int i = 0; i < 32; i++)
		snprintf(out + off + 2 * i, 3, "%02X", ds[4 + i]);
	return 0;
}
