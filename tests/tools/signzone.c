/* SPDX-License-Identifier: MIT */
/**
 * \file
 * signzone: sign a zone file with flame's signer and print the signed zone
 * in presentation form (ldns), for the verifiers in
 * tests/integration/dnssec-sign.sh (ldns-verify-zone, dnssec-verify,
 * kzonecheck) and for the signing benchmark. Test and bench tool only: the
 * daemon signs inside its zone pipeline.
 *
 *   signzone -o ORIGIN -k KEYDIR [-a ALG] [--ksk] [--nsec3 [--optout]]
 *            [-j THREADS] [-v DAYS] [--prev SIGNED] [--zonemd [384|512]] [--cds] [--validate] ZONEFILE > signed.zone
 *
 * --prev: the previous signed version (this tool's output): signatures of
 * unchanged RRsets are reused (incremental signing). --zonemd: an apex
 * ZONEMD (SIMPLE, SHA-384 by default) over the signed zone. --cds: CDS and
 * CDNSKEY of the SEP keys (RFC 7344). --validate: check the result with
 * dval_check (with --prev as its previous version) and print its time.
 *
 * Keys: every K<origin>+*.private in KEYDIR; when there is none, one CSK of
 * ALG (default ECDSAP256SHA256) is generated and saved there (--ksk: a KSK
 * and a ZSK). Timing and counts go to stderr.
 */
#include <getopt.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "dns/msg.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/dkey.h"
#include "dnssec/dvalidate.h"
#include "dnssec/sign.h"
#include "util/err.h"
#include "zone/zonefile.h"
#include "zone/zonemd.h"

static void
usage(void)
{
	fprintf(stderr, "usage: signzone -o ORIGIN -k KEYDIR [-a ALG] [--ksk] [--nsec3 [--optout]] [-j THREADS] [-v DAYS] [--prev SIGNED] [--zonemd [384|512]] [--cds] [--validate] ZONEFILE\n");
}

/* One RR in presentation form through ldns (the wire is ours, the text is ldns'). */
static int
print_rr(FILE *f, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t len)
{
	static uint8_t w[70000];
	size_t ol = dname_len(owner), pos = 0;
	memcpy(w, owner, ol);
	wire_set_u16(w + ol, type);
	wire_set_u16(w + ol + 2, RR_CLASS_IN);
	wire_set_u32(w + ol + 4, ttl);
	wire_set_u16(w + ol + 8, len);
	memcpy(w + ol + 10, rd, len);
	ldns_rr *rr = NULL;
	if (ldns_wire2rr(&rr, w, ol + 10 + len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return -1;
	ldns_rr_print(f, rr);
	ldns_rr_free(rr);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "nsec3", no_argument, NULL, '3' }, { "optout", no_argument, NULL, 'O' },
					    { "ksk", no_argument, NULL, 'K' }, { "prev", required_argument, NULL, 'P' },
					    { "zonemd", optional_argument, NULL, 'Z' },
					    { "cds", no_argument, NULL, 'C' },
					    { "validate", no_argument, NULL, 'V' },
					    { NULL, 0, NULL, 0 } };
	const char *origin_s = NULL, *keydir = NULL, *prev_path = NULL;
	dkey_alg_t alg = DKEY_ALG_ECDSAP256SHA256;
	bool ksk = false, validate = false;
	sign_opts_t o = { 0 };
	unsigned days = 14;
	int ch;
	while ((ch = getopt_long(argc, argv, "o:k:a:j:v:", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': origin_s = optarg; break;
		case 'k': keydir = optarg; break;
		case 'a': alg = dkey_alg_from_str(optarg); break;
		case 'j': o.threads = (unsigned)atoi(optarg); break;
		case 'v': days = (unsigned)atoi(optarg); break;
		case '3': o.nsec3 = true; break;
		case 'O': o.optout = true; break;
		case 'K': ksk = true; break;
		case 'P': prev_path = optarg; break;
		case 'C': o.cds = true; break;
		case 'V': validate = true; break;
		case 'Z': o.zonemd_hash = optarg != NULL && strcmp(optarg, "512") == 0 ? ZONEMD_HASH_SHA512 : ZONEMD_HASH_SHA384; break;
		default: usage(); return 2;
		}
	}
	if (origin_s == NULL || keydir == NULL || optind + 1 != argc || alg == 0) {
		usage();
		return 2;
	}
	uint8_t origin[DNAME_MAXLEN], root = 0;
	char err[1024];
	if (dname_from_str(origin_s, strlen(origin_s), &root, origin) < 0) {
		fprintf(stderr, "signzone: bad origin\n");
		return 2;
	}
	dname_lower(origin);
	zone_t *z = NULL, *s = NULL;
	zonefile_error_t zerr;
	if (zonefile_load(argv[optind], origin, NULL, &z, &zerr) != 0) {
		fprintf(stderr, "%s:%u: %s\n", zerr.file, zerr.line, zerr.msg);
		return 1;
	}
	dkey_t **keys = NULL;
	size_t nkeys = 0;
	if (dkey_load_dir(keydir, origin, &keys, &nkeys, err, sizeof(err)) != 0) {
		fprintf(stderr, "signzone: %s\n", err);
		return 1;
	}
	if (nkeys == 0) {
		free(keys);
		keys = calloc(2, sizeof(*keys));
		for (int i = 0; i < (ksk ? 2 : 1); i++) {
			if (keys == NULL || dkey_generate(origin, alg, i == 0 ? DKEY_FLAGS_KSK : DKEY_FLAGS_ZSK, &keys[i]) != 0 ||
			    dkey_save(keys[i], keydir, NULL, 0, err, sizeof(err)) != 0) {
				fprintf(stderr, "signzone: cannot make a key: %s\n", err);
				return 1;
			}
			nkeys++;
		}
	}
	uint32_t now = (uint32_t)time(NULL);
	o.inception = now - 3600;
	o.expiration = now + days * 86400u;
	zone_t *prev = NULL;
	if (prev_path != NULL && zonefile_load(prev_path, origin, NULL, &prev, &zerr) != 0) {
		fprintf(stderr, "%s:%u: %s\n", zerr.file, zerr.line, zerr.msg);
		return 1;
	}
	o.prev = prev;
	o.now = now;
	o.refresh = days * 86400u / 2;
	sign_stats_t st;
	if (sign_zone(z, keys, nkeys, &o, &s, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "signzone: %s\n", err);
		return 1;
	}
	fprintf(stderr, "signzone: %u names, %zu signatures made, %zu reused, %zu %s records, %.1f ms on %u thread%s\n",
		s->nnodes, st.rrsigs, st.reused, st.chain, o.nsec3 ? "NSEC3" : "NSEC", st.ms, o.threads > 1 ? o.threads : 1,
		o.threads > 1 ? "s" : "");
	if (validate) {
		dval_opts_t vo = { .now = now, .prev = prev, .threads = o.threads };
		dval_stats_t vs;
		int vr = dval_check(s, keys, nkeys, &vo, &vs, err, sizeof(err));
		fprintf(stderr, "signzone: validation %s%s: %zu RRsets, %zu signatures verified, %zu identical to --prev, %zu chain records, %.1f ms\n",
			vr == 0 ? "passed" : "FAILED: ", vr == 0 ? "" : err, vs.rrsets, vs.verified, vs.skipped, vs.chain, vs.ms);
		if (vr != 0)
			return 1;
	}
	for (uint32_t i = 0; i < s->nnodes; i++) {
		const zone_node_t *n = &s->nodes[i];
		for (uint16_t r = 0; r < n->nrrsets; r++) {
			const zone_rrset_t *rs = &n->rrsets[r];
			const uint8_t *rd = rs->rdata;
			for (uint16_t k = 0; k < rs->count; k++, rd = msg_rd_next(rd)) {
				/* An RRSIG's TTL is its RRset's: the Original TTL field (RFC 4035 §2.2). */
				uint32_t ttl = rs->type == RR_RRSIG && msg_rd_len(rd) >= 8 ? wire_u32(msg_rd_data(rd) + 4) : rs->ttl;
				if (print_rr(stdout, n->name, rs->type, ttl, msg_rd_data(rd), msg_rd_len(rd)) != 0) {
					fprintf(stderr, "signzone: ldns cannot read one of our records (type %u)\n", rs->type);
					return 1;
				}
			}
		}
	}
	for (size_t k = 0; k < nkeys; k++)
		dkey_free(keys[k]);
	free(keys);
	zone_free(z);
	zone_free(s);
	zone_free(prev);
	return 0;
}
