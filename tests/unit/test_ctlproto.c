/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Tests for src/ctl/ctlproto.c: request format/parse round trips and
 * refusals (bad header, version 2 parsing with version=2, too many
 * arguments, whitespace in an argument, length limit); answers built with
 * ctl_out and parsed back (escaping of tab, newline, backslash and CR,
 * times, NULL values, ERR answers dropping records, 10,000 records);
 * malformed answers refused with their reason (no end line, bad header,
 * field without '=', bad escape, bad type); JSON output compared with
 * expected strings (numbers, booleans, null, escaping, grouping by type,
 * invalid UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctlproto.h"
#include "util/err.h"

/* Answer text of o (finished with errmsg) parsed into r; asserts success. */
static void
roundtrip(ctl_out_t *o, const char *errmsg, ctl_resp_t *r)
{
	const char *data;
	size_t len;
	char err[128] = "";
	assert_int_equal(ctl_out_finish(o, errmsg, &data, &len), 0);
	assert_int_equal(strlen(data), len);
	int ret = ctl_resp_parse(data, len, r, err, sizeof(err));
	if (ret != 0)
		fail_msg("parse failed: %s", err);
}

/* JSON of r as a malloc'd string. */
static char *
json_of(const ctl_resp_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(ctl_resp_json(r, f), 0);
	fclose(f);
	return buf;
}

/* Parse text that must be refused; returns the reason (static buffer). */
static const char *
refused(const char *text)
{
	static char err[256];
	ctl_resp_t r;
	err[0] = '\0';
	assert_int_equal(ctl_resp_parse(text, strlen(text), &r, err, sizeof(err)), FL_ESYNTAX);
	assert_int_equal(r.nrec, 0);
	assert_null(r.rec);
	assert_null(r.error);
	return err;
}

static void
test_req_roundtrip(void **state)
{
	const char *argv[] = { "zone-status", "example.com.", "x" };
	char buf[CTL_REQ_MAX];
	int n = ctl_req_format(3, argv, buf, sizeof(buf));
	assert_int_equal(n, strlen("FLAMECTL 1 zone-status example.com. x\n"));
	assert_string_equal(buf, "FLAMECTL 1 zone-status example.com. x\n");

	ctl_req_t q;
	char err[128];
	assert_int_equal(ctl_req_parse(buf, (size_t)n, &q, err, sizeof(err)), 0);
	assert_int_equal(q.version, 1);
	assert_int_equal(q.argc, 3);
	assert_string_equal(q.argv[0], "zone-status");
	assert_string_equal(q.argv[1], "example.com.");
	assert_string_equal(q.argv[2], "x");

	/* without the newline, and the largest number of words */
	assert_int_equal(ctl_req_parse("FLAMECTL 1 status", 17, &q, err, sizeof(err)), 0);
	assert_int_equal(q.argc, 1);
	assert_string_equal(q.argv[0], "status");
	const char *many[CTL_MAX_ARGS];
	for (int i = 0; i < CTL_MAX_ARGS; i++)
		many[i] = "a";
	n = ctl_req_format(CTL_MAX_ARGS, many, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ctl_req_parse(buf, (size_t)n, &q, err, sizeof(err)), 0);
	assert_int_equal(q.argc, CTL_MAX_ARGS);
}

static void
test_req_version2(void **state)
{
	ctl_req_t q;
	char err[128];
	const char *l = "FLAMECTL 2 status extra\n";
	assert_int_equal(ctl_req_parse(l, strlen(l), &q, err, sizeof(err)), 0);
	assert_int_equal(q.version, 2);
	assert_int_equal(q.argc, 2);
	assert_string_equal(q.argv[0], "status");
}

/* Refused request lines and the reason each gives. */
static void
test_req_refused(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "", "empty request" },
		{ "HELLO 1 status\n", "not a FLAMECTL request" },
		{ "flamectl 1 status\n", "not a FLAMECTL request" },
		{ "FLAMECTL\n", "bad protocol version" },
		{ "FLAMECTL x status\n", "bad protocol version" },
		{ "FLAMECTL 01 status\n", "bad protocol version" },
		{ "FLAMECTL 1\n", "missing command" },
		{ "FLAMECTL 1  status\n", "empty argument" },
		{ "FLAMECTL 1 status \n", "empty argument" },
		{ "FLAMECTL 1 zone-status a\tb\n", "control character" },
		{ "FLAMECTL 1 status\r\n", "control character" },
		{ "FLAMECTL 1 status\nFLAMECTL 1 reload\n", "control character" },
		{ "FLAMECTL 1 a b c d e f g h i j k l m n o p q\n", "too many arguments" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctl_req_t q;
		char err[128] = "";
		assert_int_equal(ctl_req_parse(bad[i].line, strlen(bad[i].line), &q, err, sizeof(err)), FL_ESYNTAX);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': expected '%s', got '%s'", bad[i].line, bad[i].why, err);
	}
	/* longer than CTL_REQ_MAX */
	char *big = malloc(CTL_REQ_MAX + 10);
	memcpy(big, "FLAMECTL 1 x ", 13);
	memset(big + 13, 'a', CTL_REQ_MAX - 13);
	ctl_req_t q;
	char err[128] = "";
	assert_int_equal(ctl_req_parse(big, CTL_REQ_MAX, &q, err, sizeof(err)), FL_ESYNTAX);
	assert_non_null(strstr(err, "longer than"));
	free(big);
}

static void
test_req_format_refused(void **state)
{
	char buf[CTL_REQ_MAX];
	const char *space[] = { "zone-status", "a b" };
	const char *tab[] = { "zone-status", "a\tb" };
	const char *nl[] = { "status\n" };
	const char *empty[] = { "zone-status", "" };
	const char *ok[] = { "status" };
	assert_int_equal(ctl_req_format(2, space, buf, sizeof(buf)), FL_EINVAL);
	assert_int_equal(ctl_req_format(2, tab, buf, sizeof(buf)), FL_EINVAL);
	assert_int_equal(ctl_req_format(1, nl, buf, sizeof(buf)), FL_EINVAL);
	assert_int_equal(ctl_req_format(2, empty, buf, sizeof(buf)), FL_EINVAL);
	assert_int_equal(ctl_req_format(0, ok, buf, sizeof(buf)), FL_EINVAL);
	const char *many[CTL_MAX_ARGS + 1];
	for (int i = 0; i <= CTL_MAX_ARGS; i++)
		many[i] = "a";
	assert_int_equal(ctl_req_format(CTL_MAX_ARGS + 1, many, buf, sizeof(buf)), FL_EINVAL);
	/* too small a buffer: "FLAMECTL 1 status\n" is 18 bytes plus the NUL */
	assert_int_equal(ctl_req_format(1, ok, buf, 18), FL_ESPACE);
	assert_int_equal(ctl_req_format(1, ok, buf, 19), 18);
	/* longer than CTL_REQ_MAX */
	char *huge = malloc(CTL_REQ_MAX);
	memset(huge, 'a', CTL_REQ_MAX - 1);
	huge[CTL_REQ_MAX - 1] = '\0';
	const char *h[] = { "x", huge };
	char *big = malloc(2 * CTL_REQ_MAX);
	assert_int_equal(ctl_req_format(2, h, big, 2 * CTL_REQ_MAX), FL_ESPACE);
	free(big);
	free(huge);
}

static void
test_out_roundtrip(void **state)
{
	ctl_out_t o;
	ctl_resp_t r;
	ctl_out_init(&o);
	ctl_out_rec(&o, "zone");
	ctl_out_str(&o, "name", "example.com.");
	ctl_out_u64(&o, "serial", 2026112601);
	ctl_out_bool(&o, "expired", false);
	ctl_out_time(&o, "loaded", (time_t)1795669200); /* 2026-11-26T05:00:00Z */
	ctl_out_time(&o, "refreshed", 0);
	ctl_out_str(&o, "error", NULL);
	ctl_out_fmt(&o, "note", "%s=%d", "a", 5);
	ctl_out_rec(&o, "zone");
	ctl_out_str(&o, "name", "b.test.");
	ctl_out_rec(&o, "empty");

	const char *data;
	size_t len;
	assert_int_equal(ctl_out_finish(&o, NULL, &data, &len), 0);
	assert_string_equal(data, "FLAMECTL 1 OK\n"
				  "zone\tname=example.com.\tserial=2026112601\texpired=false\t"
				  "loaded=2026-11-26T05:00:00Z\trefreshed=-\terror=-\tnote=a=5\n"
				  "zone\tname=b.test.\n"
				  "empty\n"
				  ".\n");
	roundtrip(&o, NULL, &r);
	assert_true(r.ok);
	assert_int_equal(r.version, 1);
	assert_null(r.error);
	assert_int_equal(r.nrec, 3);
	assert_string_equal(r.rec[0].type, "zone");
	assert_int_equal(r.rec[0].nf, 7);
	assert_string_equal(ctl_rec_get(&r.rec[0], "serial"), "2026112601");
	assert_string_equal(ctl_rec_get(&r.rec[0], "loaded"), "2026-11-26T05:00:00Z");
	assert_string_equal(ctl_rec_get(&r.rec[0], "refreshed"), "-");
	assert_string_equal(ctl_rec_get(&r.rec[0], "note"), "a=5");
	assert_null(ctl_rec_get(&r.rec[0], "nope"));
	assert_string_equal(ctl_rec_get(&r.rec[1], "name"), "b.test.");
	assert_string_equal(r.rec[2].type, "empty");
	assert_int_equal(r.rec[2].nf, 0);
	ctl_resp_free(&r);
	assert_int_equal(r.nrec, 0);
	ctl_out_free(&o);

	/* no records at all */
	ctl_out_init(&o);
	assert_int_equal(ctl_out_finish(&o, NULL, &data, &len), 0);
	assert_string_equal(data, "FLAMECTL 1 OK\n.\n");
	roundtrip(&o, NULL, &r);
	assert_true(r.ok);
	assert_int_equal(r.nrec, 0);
	ctl_resp_free(&r);
	ctl_out_free(&o);
}

static void
test_escaping(void **state)
{
	static const char *vals[] = { "a\tb", "line1\nline2", "back\\slash", "cr\rhere", "\\t literally",
				      "\t\n\\\r", "", "=x=", "-", "caf\xc3\xa9" };
	ctl_out_t o;
	ctl_resp_t r;
	ctl_out_init(&o);
	ctl_out_rec(&o, "v");
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char k[8];
		snprintf(k, sizeof(k), "k%zu", i);
		ctl_out_str(&o, k, vals[i]);
	}
	const char *data;
	size_t len;
	assert_int_equal(ctl_out_finish(&o, NULL, &data, &len), 0);
	/* the wire form: one line, the four characters escaped */
	assert_non_null(strstr(data, "\tk0=a\\tb\tk1=line1\\nline2\tk2=back\\\\slash\tk3=cr\\rhere\t"
				     "k4=\\\\t literally\tk5=\\t\\n\\\\\\r\tk6=\tk7==x=\t"));
	assert_int_equal(strchr(data + strlen("FLAMECTL 1 OK\n"), '\n') - data, len - 3);
	roundtrip(&o, NULL, &r);
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].nf, sizeof(vals) / sizeof(vals[0]));
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_string_equal(r.rec[0].f[i].val, vals[i]);
	ctl_resp_free(&r);
	ctl_out_free(&o);
}

static void
test_err_answer(void **state)
{
	ctl_out_t o;
	ctl_resp_t r;
	const char *data;
	size_t len;
	ctl_out_init(&o);
	ctl_out_rec(&o, "zone");
	ctl_out_str(&o, "name", "example.com.");
	assert_int_equal(ctl_out_finish(&o, "zone x.test.: not\nfound", &data, &len), 0);
	assert_string_equal(data, "FLAMECTL 1 ERR zone x.test.: not found\n.\n");
	roundtrip(&o, "zone x.test.: not\nfound", &r);
	assert_false(r.ok);
	assert_string_equal(r.error, "zone x.test.: not found");
	assert_int_equal(r.nrec, 0);
	char *j = json_of(&r);
	assert_string_equal(j, "{\"ok\":false,\"error\":\"zone x.test.: not found\"}\n");
	free(j);
	ctl_resp_free(&r);
	/* finishing again (OK this time) gives the records back */
	assert_int_equal(ctl_out_finish(&o, NULL, &data, &len), 0);
	assert_string_equal(data, "FLAMECTL 1 OK\nzone\tname=example.com.\n.\n");
	ctl_out_free(&o);

	/* records a broken server sent after ERR are ignored, the error kept */
	const char *t = "FLAMECTL 1 ERR unsupported protocol version 2\nzone\tname=a\n.\n";
	char err[128];
	assert_int_equal(ctl_resp_parse(t, strlen(t), &r, err, sizeof(err)), 0);
	assert_false(r.ok);
	assert_int_equal(r.version, 1);
	assert_string_equal(r.error, "unsupported protocol version 2");
	assert_int_equal(r.nrec, 0);
	ctl_resp_free(&r);
}

static void
test_resp_refused(void **state)
{
	assert_non_null(strstr(refused(""), "no end line"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname=a\n"), "no end line"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname=a\n."), "no end line"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\n.\nextra\n"), "no end line"));
	assert_non_null(strstr(refused("HTTP/1.1 200 OK\n.\n"), "bad header"));
	assert_non_null(strstr(refused("FLAMECTL one OK\n.\n"), "bad header"));
	assert_non_null(strstr(refused("FLAMECTL 1 FINE\n.\n"), "bad header"));
	assert_non_null(strstr(refused("FLAMECTL 1 ERRx\n.\n"), "bad header"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname\n.\n"), "line 2: field 1 without '='"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\ta=1\tb\n.\n"), "line 2: field 2 without '='"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname=a\\x\n.\n"), "bad escape"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname=a\\\n.\n"), "bad escape"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nZone\tname=a\n.\n"), "line 2: bad record type"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tname=a\n\n.\n"), "line 3: bad record type"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\tNa me=a\n.\n"), "bad key"));
	assert_non_null(strstr(refused("FLAMECTL 1 OK\nzone\t=a\n.\n"), "bad key"));
	const char nul[] = "FLAMECTL 1 OK\nzone\tname=a\0b\n.\n";
	ctl_resp_t r;
	char err[64];
	assert_int_equal(ctl_resp_parse(nul, sizeof(nul) - 1, &r, err, sizeof(err)), FL_ESYNTAX);
	assert_non_null(strstr(err, "NUL"));
	/* a version-2 header parses (the caller decides), unknown fields are kept */
	const char *v2 = "FLAMECTL 2 OK\nnew-type\tnew-field=1\n.\n";
	assert_int_equal(ctl_resp_parse(v2, strlen(v2), &r, err, sizeof(err)), 0);
	assert_int_equal(r.version, 2);
	assert_string_equal(ctl_rec_get(&r.rec[0], "new-field"), "1");
	ctl_resp_free(&r);
}

static void
test_json(void **state)
{
	const char *t = "FLAMECTL 1 OK\n"
			"zone\tname=a.test.\tserial=2026112601\tneg=-12\tzero=0\tlead=007\tbig=1234567890123456789\t"
			"max=999999999999999999\texpired=false\tok=true\tnone=-\tminus=--\tfloat=1.5\n"
			"server\tversion=0.1.0\tmsg=say \"hi\"\\\\ \\t\\n\x01 caf\xc3\xa9 \xff\n"
			"zone\tname=b.test.\n"
			"key\n"
			".\n";
	ctl_resp_t r;
	char err[128];
	assert_int_equal(ctl_resp_parse(t, strlen(t), &r, err, sizeof(err)), 0);
	char *j = json_of(&r);
	assert_string_equal(j, "{\"ok\":true,"
			       "\"zone\":[{\"name\":\"a.test.\",\"serial\":2026112601,\"neg\":-12,\"zero\":0,"
			       "\"lead\":\"007\",\"big\":\"1234567890123456789\",\"max\":999999999999999999,"
			       "\"expired\":false,\"ok\":true,\"none\":null,\"minus\":\"--\",\"float\":\"1.5\"},"
			       "{\"name\":\"b.test.\"}],"
			       "\"server\":[{\"version\":\"0.1.0\",\"msg\":\"say \\\"hi\\\"\\\\ \\t\\n\\u0001 caf\xc3\xa9 "
			       "\\ufffd\"}],"
			       "\"key\":[{}]}\n");
	free(j);
	ctl_resp_free(&r);

	ctl_resp_t empty = { .version = 1, .ok = true };
	j = json_of(&empty);
	assert_string_equal(j, "{\"ok\":true}\n");
	free(j);
}

/* Group order is first appearance even when types interleave and sort differently. */
static void
test_json_grouping(void **state)
{
	const char *t = "FLAMECTL 1 OK\nz\ti=1\na\ti=2\nz\ti=3\nm\ti=4\na\ti=5\n.\n";
	ctl_resp_t r;
	char err[128];
	assert_int_equal(ctl_resp_parse(t, strlen(t), &r, err, sizeof(err)), 0);
	char *j = json_of(&r);
	assert_string_equal(j, "{\"ok\":true,\"z\":[{\"i\":1},{\"i\":3}],\"a\":[{\"i\":2},{\"i\":5}],\"m\":[{\"i\":4}]}\n");
	free(j);
	ctl_resp_free(&r);
}

static void
test_many_records(void **state)
{
	enum { N = 10000 };
	ctl_out_t o;
	ctl_resp_t r;
	ctl_out_init(&o);
	for (int i = 0; i < N; i++) {
		ctl_out_rec(&o, i == 0 ? "server" : "zone");
		ctl_out_fmt(&o, "name", "zone%05d.test.", i);
		ctl_out_u64(&o, "serial", (uint64_t)i * 7);
		ctl_out_str(&o, "note", i % 100 == 0 ? "tab\there" : "x");
	}
	roundtrip(&o, NULL, &r);
	assert_int_equal(r.nrec, N);
	for (int i = 0; i < N; i++) {
		char want[32];
		snprintf(want, sizeof(want), "zone%05d.test.", i);
		assert_string_equal(ctl_rec_get(&r.rec[i], "name"), want);
		snprintf(want, sizeof(want), "%d", i * 7);
		assert_string_equal(ctl_rec_get(&r.rec[i], "serial"), want);
		assert_string_equal(ctl_rec_get(&r.rec[i], "note"), i % 100 == 0 ? "tab\there" : "x");
	}
	char *j = json_of(&r);
	assert_int_equal(strncmp(j, "{\"ok\":true,\"server\":[{\"name\":\"zone00000.test.\",\"serial\":0,", 58), 0);
	assert_non_null(strstr(j, "],\"zone\":[{\"name\":\"zone00001.test.\",\"serial\":7,\"note\":\"x\"},"));
	assert_non_null(strstr(j, "{\"name\":\"zone09999.test.\",\"serial\":69993,\"note\":\"x\"}]}\n"));
	free(j);
	ctl_resp_free(&r);
	ctl_out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip),  cmocka_unit_test(test_req_version2),
		cmocka_unit_test(test_req_refused),    cmocka_unit_test(test_req_format_refused),
		cmocka_unit_test(test_out_roundtrip),  cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_err_answer),     cmocka_unit_test(test_resp_refused),
		cmocka_unit_test(test_json),           cmocka_unit_test(test_json_grouping),
		cmocka_unit_test(test_many_records),
	};
	return cmocka_run_group_tests_name("ctlproto", tests, NULL, NULL);
}
