/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/keys/keys.c (the keyring of a configuration) and the
 * keyring's lifetime and metadata in src/tsig/tsig.c: key files and a key
 * directory (name order, other files ignored), where each key came from,
 * keys.retiring, every kind of key reference checked, a bad file refused
 * with file:line and no keyring, and reference counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "keys/keys.h"
#include "tu.h"
#include "util/err.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define KEY(n, s) "key \"" n "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" s "\";\n};\n"

static int
setup(void **state)
{
	assert_int_equal(tu_tmpdir(dir, sizeof(dir), "test_keys"), 0);
	char d[128];
	snprintf(d, sizeof(d), "%s/tsig", dir);
	assert_int_equal(mkdir(d, 0700), 0);
	put("tsig/b-new.key", KEY("k-new", "bmV3IGtleSBzZWNyZXQ="));
	put("tsig/a-old.key", KEY("k-old", "b2xkIGtleSBzZWNyZXQ="));
	put("tsig/README", "not a key file\n");
	put("tsig/.hidden.key", "garbage\n");
	put("extra.key", KEY("k-extra", "ZXh0cmEga2V5IHNlY3JldA=="));
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(tu_rmtree(dir), 0);
	return 0;
}

/* A config whose keys section is given, plus extra YAML. */
static int
load(const char *extra, conf_t *c, tsig_keyring_t **kr, char *err, size_t errlen)
{
	char y[2048];
	snprintf(y, sizeof(y), "keys:\n  files: [ %s/extra.key ]\n  directory: %s/tsig\n%s", dir, dir, extra);
	char cerr[256];
	assert_int_equal(conf_load_mem(y, strlen(y), "k.yaml", c, cerr, sizeof(cerr)), 0);
	int ret = keys_load(c, kr, err, errlen);
	conf_free(c);
	return ret;
}

static void
test_files_and_directory(void **state)
{
	conf_t c;
	tsig_keyring_t *kr = NULL;
	char err[512];
	assert_int_equal(load("", &c, &kr, err, sizeof(err)), 0);
	assert_non_null(kr);
	/* keys.files first, then the directory's *.key files in name order; README and dot files skipped */
	assert_int_equal(tsig_keyring_count(kr), 3);
	static const char *const order[] = { "k-extra.", "k-old.", "k-new." };
	for (size_t i = 0; i < 3; i++) {
		uint8_t n[DNAME_MAXLEN];
		tu_name(order[i], n);
		assert_true(dname_eq(tsig_key_name(tsig_keyring_at(kr, i)), n));
		assert_false(tsig_key_retiring(tsig_keyring_at(kr, i)));
	}
	assert_null(tsig_keyring_at(kr, 3));
	unsigned line = 0;
	char want[128];
	snprintf(want, sizeof(want), "%s/tsig/a-old.key", dir);
	assert_string_equal(tsig_key_file(tsig_keyring_at(kr, 1), &line), want);
	assert_int_equal(line, 1);

	/* Reference counting: a holder keeps the keys after the owner lets go. */
	const tsig_key_t *k = tsig_keyring_at(kr, 2);
	tsig_key_hold(k);
	tsig_keyring_t *again = tsig_keyring_ref(kr);
	assert_ptr_equal(again, kr);
	tsig_keyring_free(kr);
	tsig_keyring_free(again);
	assert_int_equal(tsig_key_alg(k), TSIG_ALG_HMAC_SHA256); /* still alive: ASan would tell */
	tsig_key_release(k);
	assert_null(tsig_keyring_ref(NULL));
}

/* Use counters: signing counts outbound, verifying inbound (flamectl key list). */
static void
test_stats(void **state)
{
	conf_t c;
	tsig_keyring_t *kr = NULL;
	char err[512];
	assert_int_equal(load("", &c, &kr, err, sizeof(err)), 0);
	const tsig_key_t *k = tsig_keyring_at(kr, 1);
	uint64_t vin = 9, sout = 9;
	int64_t last = 9;
	tsig_key_stats(k, &vin, &sout, &last);
	assert_true(vin == 0 && sout == 0 && last == 0);
	/* a query for . SOA */
	uint8_t m[512] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1 };
	size_t len = 17;
	tsig_ctx_t cli, srv;
	tsig_ctx_init(&cli);
	assert_int_equal(tsig_sign_request(k, m, &len, sizeof(m), 1800000000, 0, &cli), 0);
	tsig_key_stats(k, &vin, &sout, &last);
	assert_true(vin == 0 && sout == 1 && last == 1800000000);
	assert_int_equal(tsig_verify_request(kr, m, len, 1800000005, &srv), TSIG_OK);
	tsig_key_stats(k, &vin, &sout, &last);
	assert_true(vin == 1 && sout == 1 && last == 1800000005);
	/* A failed verification (too late) counts nothing. */
	tsig_ctx_clear(&srv);
	assert_int_equal(tsig_verify_request(kr, m, len, 1800009999, &srv), TSIG_BADTIME);
	tsig_key_stats(k, &vin, &sout, &last);
	assert_true(vin == 1 && last == 1800000005);
	tsig_ctx_clear(&srv);
	tsig_ctx_clear(&cli);
	tsig_keyring_free(kr);
}

static void
test_retiring(void **state)
{
	conf_t c;
	tsig_keyring_t *kr = NULL;
	char err[512];
	assert_int_equal(load("  retiring: [ K-Old ]\n", &c, &kr, err, sizeof(err)), 0);
	assert_true(tsig_key_retiring(tsig_keyring_at(kr, 1)));
	assert_false(tsig_key_retiring(tsig_keyring_at(kr, 2)));
	tsig_keyring_free(kr);
	kr = (tsig_keyring_t *)1;
	assert_int_equal(load("  retiring: [ k-gone ]\n", &c, &kr, err, sizeof(err)), FL_ENOENT);
	assert_null(kr);
	assert_string_equal(err, "keys.retiring: key 'k-gone' is not defined by any key file");
}

/* Every place a config names a key is checked against the key files. */
static void
test_references(void **state)
{
	static const struct {
		const char *yaml, *err;
	} cases[] = {
		{ "notify: { targets: [ \"192.0.2.1@53 key k-new,k-nope\" ] }\n",
		  "notify.targets 192.0.2.1@53: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "transfer: { allow: [ \"192.0.2.0/24 key k-nope\" ] }\n",
		  "transfer.allow: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "secondary: { primaries: [ \"192.0.2.1 key k-nope\" ] }\n",
		  "secondary.primaries 192.0.2.1@53: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "secondary: { notify-allow: [ \"192.0.2.1 key k-nope\" ] }\n",
		  "secondary.notify-allow: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "zone: [ { domain: a.test, notify-allow: [ \"192.0.2.1 key k-nope\" ] } ]\n",
		  "zone a.test: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "zone: [ { domain: a.test, transfer-allow: [ \"192.0.2.1 key k-nope\" ] } ]\n",
		  "zone a.test: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
		{ "template: [ { id: t1, primaries: [ \"192.0.2.1 key k-nope\" ] } ]\n",
		  "template t1 192.0.2.1@53: key 'k-nope' is not defined by any key file (keys.files, keys.directory)" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_t c;
		tsig_keyring_t *kr = (tsig_keyring_t *)1;
		char err[512] = "";
		assert_int_equal(load(cases[i].yaml, &c, &kr, err, sizeof(err)), FL_ENOENT);
		assert_null(kr);
		assert_string_equal(err, cases[i].err);
	}
	/* All known: fine. */
	conf_t c;
	tsig_keyring_t *kr = NULL;
	char err[512];
	assert_int_equal(load("notify: { targets: [ \"192.0.2.1@53 key k-new,k-old\" ] }\n"
			      "transfer: { allow: [ \"192.0.2.0/24 key K-EXTRA\" ] }\n", &c, &kr, err, sizeof(err)), 0);
	tsig_keyring_free(kr);
}

/* A bad file anywhere: file:line: reason, and no keyring at all. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "key \"k-bad\" {\n\talgorithm hmac-sha256;\n\tsecret \"!!notbase64\";\n};\n", "c-bad.key:3: " },
		{ "key \"k-bad\" {\n\talgorithm hmac-sha999;\n\tsecret \"c2VjcmV0\";\n};\n", "c-bad.key:2: unknown algorithm 'hmac-sha999'" },
		{ "key \"k-bad\" {\n\talgorithm hmac-sha256\n\tsecret \"c2VjcmV0\";\n};\n", "c-bad.key:3: " },
		{ KEY("k-old", "c2VjcmV0"), "c-bad.key:1: duplicate key name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_t c;
		tsig_keyring_t *kr = (tsig_keyring_t *)1;
		char err[512] = "";
		put("tsig/c-bad.key", cases[i].text);
		assert_int_not_equal(load("", &c, &kr, err, sizeof(err)), 0);
		assert_null(kr);
		assert_non_null(strstr(err, cases[i].err));
		assert_null(strstr(err, "c2VjcmV0")); /* secrets never in errors */
	}
	char p[256];
	snprintf(p, sizeof(p), "%s/tsig/c-bad.key", dir);
	unlink(p);
	/* A missing directory is an error too. */
	conf_t c;
	tsig_keyring_t *kr = NULL;
	char err[512], y[512];
	snprintf(y, sizeof(y), "keys: { directory: %s/none }\n", dir);
	assert_int_equal(conf_load_mem(y, strlen(y), "k.yaml", &c, err, sizeof(err)), 0);
	assert_int_not_equal(keys_load(&c, &kr, err, sizeof(err)), 0);
	assert_null(kr);
	assert_non_null(strstr(err, "keys.directory"));
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_and_directory),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_retiring),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
