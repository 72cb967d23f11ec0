/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/keyset.c: a CSK is one key with the SEP flag, a
 * KSK/ZSK pair is a SEP key then a key without it, each saved as its two
 * files; both load back with dkey_load_dir; the DS text (digest type 2)
 * is what BIND's dnssec-dsfromkey -2 computes from the .key file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dnssec/keyset.h"
#include "tu.h"

static size_t
files_in(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void
test_models(void **state)
{
	char dir[256], sub[300], err[512], paths[2][KEYSET_PATH_MAX];
	uint8_t zone[DNAME_MAXLEN];
	dkey_t *k[2], **loaded = NULL;
	size_t n = 0, nl = 0;
	tu_name("example.com.", zone);
	assert_int_equal(tu_tmpdir(dir, sizeof(dir), "keyset"), 0);
	/* csk */
	snprintf(sub, sizeof(sub), "%s/csk", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(keyset_make(zone, DKEY_ALG_ECDSAP256SHA256, false, sub, k, paths, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dkey_flags(k[0]), DKEY_FLAGS_KSK);
	assert_null(k[1]);
	assert_int_equal(files_in(sub), 2);
	assert_non_null(strstr(paths[0], ".private"));
	dkey_free(k[0]);
	/* ksk-zsk */
	snprintf(sub, sizeof(sub), "%s/split", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(keyset_make(zone, DKEY_ALG_ED25519, true, sub, k, paths, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dkey_flags(k[0]), DKEY_FLAGS_KSK);
	assert_int_equal(dkey_flags(k[1]), DKEY_FLAGS_ZSK);
	assert_int_equal(files_in(sub), 4);
	assert_int_equal(dkey_load_dir(sub, zone, &loaded, &nl, err, sizeof(err)), 0);
	assert_int_equal(nl, 2);
	for (size_t i = 0; i < nl; i++)
		dkey_free(loaded[i]);
	free(loaded);
	/* the DS, against dnssec-dsfromkey */
	char ds[256], cmd[KEYSET_PATH_MAX + 128], line[512] = "";
	assert_int_equal(keyset_ds_text(k[0], 3600, ds, sizeof(ds)), 0);
	assert_int_equal(strncmp(ds, "example.com. 3600 IN DS ", 24), 0);
	assert_int_equal(strlen(strrchr(ds, ' ') + 1), 64); /* the SHA-256 digest in hex */
	size_t pl = strlen(paths[0]);
	snprintf(cmd, sizeof(cmd), "dnssec-dsfromkey -2 %.*s.key 2>/dev/null", (int)(pl - 8), paths[0]);
	/* dnssec-dsfromkey (bind9-utils) is a project dependency (scripts/deps.sh) */
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	/* "example.com. IN DS TAG ALG 2 HEX": ours has the TTL after the owner */
	assert_non_null(strstr(line, " DS "));
	assert_string_equal(strstr(line, " DS "), strstr(ds, " DS "));
	uint8_t raw[DKEY_DS_MAX];
	assert_int_equal(dkey_ds(k[1], DKEY_DS_SHA256, raw, sizeof(raw)), 4 + 32);
	assert_int_equal((raw[0] << 8) | raw[1], dkey_tag(k[1]));
	assert_int_equal(raw[2], DKEY_ALG_ED25519);
	assert_int_equal(raw[3], 2);
	dkey_free(k[0]);
	dkey_free(k[1]);
	assert_int_equal(tu_rmtree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
