/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/dnssec/dkey.c: keys of the three algorithms generated,
 * saved (names, modes, BIND v1.3 format), loaded back, signing and
 * verification; our files read by ldns (same DNSKEY, same key tag) and by
 * BIND's dnssec-dsfromkey; keys made by dnssec-keygen and ldns-keygen read
 * by us; bad and mismatched files refused without showing a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnssec/dkey.h"
#include "tu.h"
#include "util/err.h"

static char dir[64];
static const dkey_alg_t algs[] = { DKEY_ALG_ECDSAP256SHA256, DKEY_ALG_ED25519, DKEY_ALG_RSASHA256 };

static int
setup(void **state)
{
	assert_int_equal(tu_tmpdir(dir, sizeof(dir), "test_dkey"), 0);
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(tu_rmtree(dir), 0);
	return 0;
}

/* A fresh subdirectory of dir. */
static void
subdir(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
	assert_int_equal(mkdir(out, 0700), 0);
}

static void
test_tag(void **state)
{
	/* The RFC 4034 Appendix B checksum, against ldns on random rdata of odd and even lengths. */
	uint8_t rd[300];
	srand(7);
	for (int n = 0; n < 200; n++) {
		size_t len = 4 + (size_t)(rand() % 290);
		for (size_t i = 0; i < len; i++)
			rd[i] = (uint8_t)rand();
		rd[3] = DKEY_ALG_ECDSAP256SHA256; /* not algorithm 1, whose tag is computed otherwise */
		assert_int_equal(dkey_tag_of(rd, len), ldns_calc_keytag_raw(rd, len));
	}
	assert_int_equal(dkey_alg_from_str("ecdsap256sha256"), DKEY_ALG_ECDSAP256SHA256);
	assert_int_equal(dkey_alg_from_str("15"), DKEY_ALG_ED25519);
	assert_int_equal(dkey_alg_from_str("RSASHA256"), DKEY_ALG_RSASHA256);
	assert_int_equal(dkey_alg_from_str("RSASHA1"), 0);
	assert_string_equal(dkey_alg_name(DKEY_ALG_ED25519), "ED25519");
}

/* Generate, save, load: the same key; modes; signatures verify, and only for the signed data. */
static void
test_roundtrip(void **state)
{
	uint8_t zone[DNAME_MAXLEN];
	tu_name("Example.COM.", zone);
	for (size_t a = 0; a < 3; a++)
		for (int ksk = 0; ksk < 2; ksk++) {
			char d[128], path[4096], err[512], name[64];
			snprintf(name, sizeof(name), "rt%zu%d", a, ksk);
			subdir(name, d, sizeof(d));
			dkey_t *k = NULL, *l = NULL;
			assert_int_equal(dkey_generate(zone, algs[a], ksk ? DKEY_FLAGS_KSK : DKEY_FLAGS_ZSK, &k), 0);
			assert_int_equal(dkey_alg(k), algs[a]);
			assert_int_equal(dkey_flags(k), ksk ? 257 : 256);
			size_t rl;
			const uint8_t *rd = dkey_rdata(k, &rl);
			assert_int_equal(rl, algs[a] == DKEY_ALG_ED25519 ? 4 + 32 : algs[a] == DKEY_ALG_ECDSAP256SHA256 ? 4 + 64 : 4 + 1 + 3 + 256);
			assert_int_equal(dkey_tag(k), dkey_tag_of(rd, rl));
			assert_int_equal(dkey_save(k, d, path, sizeof(path), err, sizeof(err)), 0);
			/* the file names of dnssec-keygen: Kexample.com.+013+12345 */
			char want[4096];
			snprintf(want, sizeof(want), "%s/Kexample.com.+%03d+%05u.private", d, (int)algs[a], (unsigned)dkey_tag(k));
			assert_string_equal(path, want);
			struct stat st;
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
			snprintf(want + strlen(want) - 8, 9, ".key");
			assert_int_equal(stat(want, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0644);
			/* never over an existing file */
			assert_int_equal(dkey_save(k, d, NULL, 0, err, sizeof(err)), FL_EEXIST);

			assert_int_equal(dkey_load(path, &l, err, sizeof(err)), 0);
			size_t ll;
			const uint8_t *lrd = dkey_rdata(l, &ll);
			assert_int_equal(ll, rl);
			assert_memory_equal(lrd, rd, rl);
			assert_int_equal(dkey_tag(l), dkey_tag(k));
			assert_true(dname_eq(dkey_zone(l), dkey_zone(k)));

			uint8_t data[777], sig[DKEY_SIG_MAX];
			for (size_t i = 0; i < sizeof(data); i++)
				data[i] = (uint8_t)(i * 7);
			size_t sl = 0;
			assert_int_equal(dkey_sign(l, data, sizeof(data), sig, &sl), 0);
			assert_int_equal(sl, dkey_siglen(l));
			assert_int_equal(sl, algs[a] == DKEY_ALG_RSASHA256 ? 256 : 64);
			assert_true(dkey_verify(k, data, sizeof(data), sig, sl)); /* the generated key verifies the loaded one's */
			data[100] ^= 1;
			assert_false(dkey_verify(k, data, sizeof(data), sig, sl));
			dkey_free(k);
			dkey_free(l);
		}
}

/* ldns reads our .private and derives the same DNSKEY and key tag; BIND's dnssec-dsfromkey reads our .key. */
static void
test_ldns_bind_read_ours(void **state)
{
	uint8_t zone[DNAME_MAXLEN];
	tu_name("example.net.", zone);
	for (size_t a = 0; a < 3; a++) {
		char d[128], path[4096], err[512], name[64], cmd[8192];
		snprintf(name, sizeof(name), "ours%zu", a);
		subdir(name, d, sizeof(d));
		dkey_t *k = NULL;
		assert_int_equal(dkey_generate(zone, algs[a], DKEY_FLAGS_KSK, &k), 0);
		assert_int_equal(dkey_save(k, d, path, sizeof(path), err, sizeof(err)), 0);

		FILE *f = fopen(path, "r");
		assert_non_null(f);
		ldns_key *lk = NULL;
		int line = 0;
		assert_int_equal(ldns_key_new_frm_fp_l(&lk, f, &line), LDNS_STATUS_OK);
		fclose(f);
		ldns_key_set_flags(lk, dkey_flags(k));
		ldns_rdf *owner = ldns_dname_new_frm_str("example.net.");
		ldns_key_set_pubkey_owner(lk, owner);
		ldns_rr *rr = ldns_key2rr(lk);
		assert_non_null(rr);
		uint8_t *wire = NULL;
		size_t wl = 0;
		ldns_buffer *b = ldns_buffer_new(1024);
		assert_int_equal(ldns_rr_rdata2buffer_wire(b, rr), LDNS_STATUS_OK);
		wire = ldns_buffer_begin(b);
		wl = ldns_buffer_position(b);
		size_t rl;
		const uint8_t *rd = dkey_rdata(k, &rl);
		assert_int_equal(wl, rl);
		assert_memory_equal(wire, rd, rl);
		assert_int_equal(ldns_calc_keytag(rr), dkey_tag(k));
		ldns_buffer_free(b);
		ldns_rr_free(rr);
		ldns_key_deep_free(lk);

		/* BIND: a DS from our .key file, whose key tag is ours. */
		snprintf(cmd, sizeof(cmd), "dnssec-dsfromkey -2 %.*s.key 2>&1", (int)(strlen(path) - 8), path);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		char out[512] = "";
		assert_non_null(fgets(out, sizeof(out), p));
		pclose(p);
		char want[64];
		snprintf(want, sizeof(want), " DS %u %d 2 ", (unsigned)dkey_tag(k), (int)algs[a]);
		assert_non_null(strstr(out, want));
		dkey_free(k);
	}
}

/* Keys written by dnssec-keygen and ldns-keygen load, with the tag of their file name, and sign. */
static void
test_read_theirs(void **state)
{
	static const char *const bind_args[] = { "-a ECDSAP256SHA256", "-a ED25519", "-a RSASHA256 -b 2048" };
	static const char *const ldns_args[] = { "-a ECDSAP256SHA256", "-a ED25519", "-a RSASHA256 -b 2048" };
	for (size_t a = 0; a < 3; a++)
		for (int tool = 0; tool < 2; tool++) {
			char d[128], cmd[1024], name[64], err[512];
			snprintf(name, sizeof(name), "theirs%zu%d", a, tool);
			subdir(name, d, sizeof(d));
			if (tool == 0)
				snprintf(cmd, sizeof(cmd), "cd %s && dnssec-keygen -q %s -n ZONE example.org >/dev/null 2>&1", d,
					 bind_args[a]);
			else
				snprintf(cmd, sizeof(cmd), "cd %s && ldns-keygen %s -k example.org >/dev/null 2>&1", d, ldns_args[a]);
			assert_int_equal(system(cmd), 0);
			uint8_t zone[DNAME_MAXLEN];
			tu_name("example.org.", zone);
			dkey_t **keys = NULL;
			size_t n = 0;
			assert_int_equal(dkey_load_dir(d, zone, &keys, &n, err, sizeof(err)), 0);
			assert_int_equal(n, 1);
			assert_int_equal(dkey_alg(keys[0]), algs[a]);
			assert_int_equal(dkey_flags(keys[0]) & DKEY_FLAG_ZONE, DKEY_FLAG_ZONE);
			/* the tag in the file name is the one we compute */
			DIR *dd = opendir(d);
			char fname[256] = "";
			for (struct dirent *e; (e = readdir(dd)) != NULL;)
				if (strstr(e->d_name, ".private") != NULL)
					snprintf(fname, sizeof(fname), "%s", e->d_name);
			closedir(dd);
			char want[64];
			snprintf(want, sizeof(want), "+%03d+%05u.private", (int)algs[a], (unsigned)dkey_tag(keys[0]));
			assert_non_null(strstr(fname, want));
			uint8_t sig[DKEY_SIG_MAX];
			size_t sl;
			assert_int_equal(dkey_sign(keys[0], (const uint8_t *)"abc", 3, sig, &sl), 0);
			assert_true(dkey_verify(keys[0], (const uint8_t *)"abc", 3, sig, sl));
			dkey_free(keys[0]);
			free(keys);
		}
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Broken files: file:line: reason, no key, no secret in the message. */
static void
test_bad_files(void **state)
{
	uint8_t zone[DNAME_MAXLEN];
	tu_name("bad.test.", zone);
	char d[128], path[4096], err[512], base[4096], keyp[4200], priv[8192];
	subdir("bad", d, sizeof(d));
	dkey_t *k = NULL, *other = NULL, *l = (dkey_t *)1;
	assert_int_equal(dkey_generate(zone, DKEY_ALG_ECDSAP256SHA256, DKEY_FLAGS_ZSK, &k), 0);
	assert_int_equal(dkey_save(k, d, path, sizeof(path), err, sizeof(err)), 0);
	snprintf(base, sizeof(base), "%.*s", (int)(strlen(path) - 8), path);
	snprintf(keyp, sizeof(keyp), "%s.key", base);
	snprintf(priv, sizeof(priv), "%s", slurp(path));
	char *secret = strstr(priv, "PrivateKey: ") + 12;
	char sec[64];
	snprintf(sec, sizeof(sec), "%.20s", secret);

	/* no .key beside it */
	char saved_key[8192];
	snprintf(saved_key, sizeof(saved_key), "%s", slurp(keyp));
	unlink(keyp);
	assert_int_equal(dkey_load(path, &l, err, sizeof(err)), -ENOENT);
	assert_null(l);
	assert_non_null(strstr(err, ".key: "));
	put(keyp, "; a comment only\n");
	assert_int_equal(dkey_load(path, &l, err, sizeof(err)), FL_ESYNTAX);
	assert_non_null(strstr(err, "no DNSKEY record"));
	put(keyp, "bad.test. IN A 192.0.2.1\n");
	assert_int_equal(dkey_load(path, &l, err, sizeof(err)), FL_ESYNTAX);
	assert_non_null(strstr(err, ".key:1: not a DNSKEY record"));
	put(keyp, saved_key);

	/* the private file: bad base64, algorithm mismatch, missing field, another key's secret */
	static const struct {
		const char *from, *to, *why;
		int ret;
	} cases[] = {
		{ "PrivateKey: ", "PrivateKey: @@@@", ":3: PrivateKey: bad base64", FL_ESYNTAX },
		{ "Algorithm: 13", "Algorithm: 15", ":2: algorithm 15 does not match", FL_ESEMANTIC },
		{ "PrivateKey: ", "Secret: ", "PrivateKey: missing", FL_ESYNTAX },
		{ "Private-key-format: v1.3", "Format: v9", "not a private key file", FL_ESYNTAX },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[8192];
		const char *at = strstr(priv, cases[i].from);
		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - priv), priv, cases[i].to, at + strlen(cases[i].from));
		put(path, text);
		l = (dkey_t *)1;
		assert_int_equal(dkey_load(path, &l, err, sizeof(err)), cases[i].ret);
		assert_null(l);
		assert_non_null(strstr(err, cases[i].why));
		assert_null(strstr(err, sec));
	}
	/* another key's private part with this public part */
	assert_int_equal(dkey_generate(zone, DKEY_ALG_ECDSAP256SHA256, DKEY_FLAGS_ZSK, &other), 0);
	char d2[128], p2[4096];
	subdir("bad2", d2, sizeof(d2));
	assert_int_equal(dkey_save(other, d2, p2, sizeof(p2), err, sizeof(err)), 0);
	put(path, slurp(p2));
	assert_int_equal(dkey_load(path, &l, err, sizeof(err)), FL_ESEMANTIC);
	assert_non_null(strstr(err, "does not match"));
	/* the right one again: fine */
	put(path, priv);
	assert_int_equal(dkey_load(keyp, &l, err, sizeof(err)), 0);
	dkey_free(l);
	dkey_free(k);
	dkey_free(other);
	assert_int_equal(dkey_generate(zone, (dkey_alg_t)5, DKEY_FLAGS_ZSK, &k), FL_EINVAL);
}

/* The directory: this zone's keys only, in name order; one bad file fails it all. */
static void
test_load_dir(void **state)
{
	uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN];
	tu_name("a.test.", a);
	tu_name("b.test.", b);
	char d[128], err[512];
	subdir("many", d, sizeof(d));
	uint16_t tags[3];
	for (int i = 0; i < 3; i++) {
		dkey_t *k = NULL;
		assert_int_equal(dkey_generate(i < 2 ? a : b, DKEY_ALG_ED25519, DKEY_FLAGS_ZSK, &k), 0);
		tags[i] = dkey_tag(k);
		assert_int_equal(dkey_save(k, d, NULL, 0, err, sizeof(err)), 0);
		dkey_free(k);
	}
	dkey_t **keys = NULL;
	size_t n = 0;
	assert_int_equal(dkey_load_dir(d, a, &keys, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_true(dkey_tag(keys[0]) < dkey_tag(keys[1]));
	assert_true((dkey_tag(keys[0]) == tags[0] || dkey_tag(keys[0]) == tags[1]));
	for (size_t i = 0; i < n; i++)
		dkey_free(keys[i]);
	free(keys);
	char p[256];
	snprintf(p, sizeof(p), "%s/Ka.test.+015+00000.private", d);
	put(p, "Private-key-format: v1.3\n");
	assert_int_not_equal(dkey_load_dir(d, a, &keys, &n, err, sizeof(err)), 0);
	assert_null(keys);
	assert_int_equal(n, 0);
	assert_int_equal(dkey_load_dir("/nonexistent", a, &keys, &n, err, sizeof(err)), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ldns_bind_read_ours),
		cmocka_unit_test(test_read_theirs),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_load_dir),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
