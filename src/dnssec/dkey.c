/* SPDX-License-Identifier: MIT */
/** \file DNSSEC signing keys (see dkey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "dnssec/dkey.h"
#include "dns/dname.h"
#include "dns/wire.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/fileio.h"

/* A key file is a few lines; an RSA-4096 .private is under 4 KB. */
#define DKEY_FILE_MAX 16384
#define RSA_BITS 2048
/* The eight RSA private fields of the v1.3 format, in its order. */
#define RSA_FIELDS 8

struct dkey {
	uint8_t zone[DNAME_MAXLEN];
	dkey_alg_t alg;
	uint16_t flags;
	uint16_t tag;
	uint8_t rdata[DKEY_RDATA_MAX];
	size_t rdlen;
	size_t siglen;
	EVP_PKEY *pkey;
};

static const struct {
	dkey_alg_t alg;
	const char *name;
} dkey_algs[] = {
	{ DKEY_ALG_RSASHA256, "RSASHA256" },
	{ DKEY_ALG_ECDSAP256SHA256, "ECDSAP256SHA256" },
	{ DKEY_ALG_ED25519, "ED25519" },
};

dkey_alg_t
dkey_alg_from_str(const char *s)
{
	for (size_t i = 0; i < sizeof(dkey_algs) / sizeof(dkey_algs[0]); i++) {
		char num[8];
		snprintf(num, sizeof(num), "%d", (int)dkey_algs[i].alg);
		if (strcasecmp(s, dkey_algs[i].name) == 0 || strcmp(s, num) == 0)
			return dkey_algs[i].alg;
	}
	return 0;
}

const char *
dkey_alg_name(dkey_alg_t alg)
{
	for (size_t i = 0; i < sizeof(dkey_algs) / sizeof(dkey_algs[0]); i++)
		if (dkey_algs[i].alg == alg)
			return dkey_algs[i].name;
	return "unknown";
}

uint16_t
dkey_tag_of(const uint8_t *rdata, size_t len)
{
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xFFFF;
	return (uint16_t)(ac & 0xFFFF);
}


/* ---- public key in DNSKEY form ---- */

/* Big-endian bytes of a BIGNUM parameter of pkey, left-padded to pad octets (0: natural length). */
static int
bn_param(const EVP_PKEY *pkey, const char *name, uint8_t *out, size_t cap, size_t pad, size_t *len)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return FL_ENOTSUP;
	int n = BN_num_bytes(bn);
	size_t want = pad > 0 ? pad : (size_t)n;
	int ret = (size_t)n > want || want > cap || BN_bn2binpad(bn, out, (int)want) < 0 ? FL_ENOTSUP : 0;
	BN_clear_free(bn);
	*len = want;
	return ret;
}

/* The DNSKEY rdata, tag and signature length of k->pkey. */
static int
dkey_fill_public(dkey_t *k)
{
	uint8_t *p = k->rdata;
	size_t len = 0, cap = sizeof(k->rdata) - 4;
	wire_set_u16(p, k->flags);
	p[2] = 3; /* protocol (RFC 4034 §2.1.2) */
	p[3] = (uint8_t)k->alg;
	p += 4;
	switch (k->alg) {
	case DKEY_ALG_ECDSAP256SHA256: {
		/* RFC 6605 §4: Q as x | y, without the uncompressed-point prefix. */
		uint8_t pt[65];
		if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len) != 1 ||
		    len != 65 || pt[0] != 0x04)
			return FL_ENOTSUP;
		memcpy(p, pt + 1, 64);
		len = 64;
		k->siglen = 64;
		break;
	}
	case DKEY_ALG_ED25519:
		len = cap;
		if (EVP_PKEY_get_raw_public_key(k->pkey, p, &len) != 1 || len != 32)
			return FL_ENOTSUP;
		k->siglen = 64;
		break;
	case DKEY_ALG_RSASHA256: {
		/* RFC 3110 §2: exponent length (1 octet, or 0 and 2 octets), exponent, modulus. */
		uint8_t e[512];
		size_t elen = 0, nlen = 0;
		int ret = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e), 0, &elen);
		if (ret != 0 || elen == 0)
			return FL_ENOTSUP;
		size_t hdr = elen < 256 ? 1 : 3;
		if (hdr == 1) {
			p[0] = (uint8_t)elen;
		} else {
			p[0] = 0;
			wire_set_u16(p + 1, (uint16_t)elen);
		}
		memcpy(p + hdr, e, elen);
		ret = bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, p + hdr + elen, cap - hdr - elen, 0, &nlen);
		if (ret != 0)
			return ret;
		len = hdr + elen + nlen;
		k->siglen = nlen;
		break;
	}
	default:
		return FL_EINVAL;
	}
	k->rdlen = 4 + len;
	k->tag = dkey_tag_of(k->rdata, k->rdlen);
	return 0;
}

static dkey_t *
dkey_new(const uint8_t *zone, dkey_alg_t alg, uint16_t flags)
{
	int nl = dname_check(zone, DNAME_MAXLEN);
	if (nl < 0)
		return NULL;
	dkey_t *k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	memcpy(k->zone, zone, (size_t)nl);
	dname_lower(k->zone);
	k->alg = alg;
	k->flags = flags;
	return k;
}

int
dkey_generate(const uint8_t *zone, dkey_alg_t alg, uint16_t flags, dkey_t **out)
{
	*out = NULL;
	if (dkey_alg_name(alg)[0] == 'u')
		return FL_EINVAL;
	dkey_t *k = dkey_new(zone, alg, flags);
	if (k == NULL)
		return FL_EINVAL;
	switch (alg) {
	case DKEY_ALG_ECDSAP256SHA256: k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case DKEY_ALG_ED25519: k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case DKEY_ALG_RSASHA256: k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_BITS); break;
	}
	int ret = k->pkey == NULL ? FL_ENOTSUP : dkey_fill_public(k);
	if (ret != 0) {
		dkey_free(k);
		return ret;
	}
	*out = k;
	return 0;
}

void
dkey_free(dkey_t *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

dkey_alg_t
dkey_alg(const dkey_t *k)
{
	return k->alg;
}

uint16_t
dkey_flags(const dkey_t *k)
{
	return k->flags;
}

uint16_t
dkey_tag(const dkey_t *k)
{
	return k->tag;
}

const uint8_t *
dkey_zone(const dkey_t *k)
{
	return k->zone;
}

int
dkey_ds(const dkey_t *k, uint8_t type, uint8_t *out, size_t cap)
{
	const EVP_MD *md = type == DKEY_DS_SHA256 ? EVP_sha256() : type == DKEY_DS_SHA384 ? EVP_sha384() : NULL;
	if (md == NULL || cap < DKEY_DS_MAX)
		return FL_EINVAL;
	unsigned int dl = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ret = FL_ENOMEM;
	if (c != NULL && EVP_DigestInit_ex(c, md, NULL) == 1 &&
	    EVP_DigestUpdate(c, k->zone, dname_len(k->zone)) == 1 && EVP_DigestUpdate(c, k->rdata, k->rdlen) == 1 &&
	    EVP_DigestFinal_ex(c, out + 4, &dl) == 1) {
		wire_set_u16(out, k->tag);
		out[2] = (uint8_t)k->alg;
		out[3] = type;
		ret = 4 + (int)dl;
	}
	EVP_MD_CTX_free(c);
	return ret;
}

const uint8_t *
dkey_rdata(const dkey_t *k, size_t *len)
{
	*len = k->rdlen;
	return k->rdata;
}

size_t
dkey_siglen(const dkey_t *k)
{
	return k->siglen;
}

/* ---- signing ---- */

int
dkey_sign(const dkey_t *k, const uint8_t *data, size_t len, uint8_t *sig, size_t *siglen)
{
	uint8_t der[DKEY_SIG_MAX];
	size_t dl = sizeof(der);
	int ret = FL_ENOTSUP;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL)
		return FL_ENOMEM;
	/* Ed25519 is a one-shot signature over the data itself (no digest). */
	const EVP_MD *type = k->alg == DKEY_ALG_ED25519 ? NULL : EVP_sha256();
	if (EVP_DigestSignInit(md, NULL, type, NULL, k->pkey) != 1 || EVP_DigestSign(md, der, &dl, data, len) != 1)
		goto done;
	if (k->alg != DKEY_ALG_ECDSAP256SHA256) {
		memcpy(sig, der, dl);
		*siglen = dl;
		ret = 0;
		goto done;
	}
	/* OpenSSL gives ECDSA signatures in DER; DNSSEC wants r | s, 32 octets each. */
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	if (es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32) {
		*siglen = 64;
		ret = 0;
	}
	ECDSA_SIG_free(es);
done:
	EVP_MD_CTX_free(md);
	return ret;
}

bool
dkey_verify(const dkey_t *k, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t der[DKEY_SIG_MAX];
	const uint8_t *s = sig;
	size_t sl = siglen;
	bool ok = false;
	ECDSA_SIG *es = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL)
		return false;
	if (k->alg == DKEY_ALG_ECDSAP256SHA256) {
		BIGNUM *r = siglen == 64 ? BN_bin2bn(sig, 32, NULL) : NULL;
		BIGNUM *ss = siglen == 64 ? BN_bin2bn(sig + 32, 32, NULL) : NULL;
		es = ECDSA_SIG_new();
		if (r == NULL || ss == NULL || es == NULL || ECDSA_SIG_set0(es, r, ss) != 1) {
			BN_free(r);
			BN_free(ss);
			goto done;
		}
		unsigned char *p = der;
		int n = i2d_ECDSA_SIG(es, NULL);
		if (n <= 0 || (size_t)n > sizeof(der) || i2d_ECDSA_SIG(es, &p) != n)
			goto done;
		s = der;
		sl = (size_t)n;
	}
	const EVP_MD *type = k->alg == DKEY_ALG_ED25519 ? NULL : EVP_sha256();
	ok = EVP_DigestVerifyInit(md, NULL, type, NULL, k->pkey) == 1 && EVP_DigestVerify(md, s, sl, data, len) == 1;
done:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return ok;
}

/* ---- files ---- */

/* The RSA private fields of the v1.3 format, in its order, and OpenSSL's names for them. */
static const char *const rsa_names[RSA_FIELDS] = { "Modulus", "PublicExponent", "PrivateExponent", "Prime1",
						   "Prime2", "Exponent1", "Exponent2", "Coefficient" };
static const char *const rsa_params[RSA_FIELDS] = {
	OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
	OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* "Kexample.com.+013+12345": the file stem dnssec-keygen uses (root: "K."). */
static void
stem(const dkey_t *k, char *out, size_t len)
{
	char name[1024];
	dname_to_str(k->zone, name, sizeof(name));
	snprintf(out, len, "K%s+%03d+%05u", name, (int)k->alg, (unsigned)k->tag);
}

static size_t
b64(const uint8_t *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Write text to a new file (never over an existing one), fsync'ed. */
static int
write_new(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	int ret = fio_write_all(fd, (const uint8_t *)text, len);
	if (ret == 0 && fsync(fd) != 0)
		ret = -errno;
	if (close(fd) != 0 && ret == 0)
		ret = -errno;
	if (ret != 0)
		unlink(path);
	return ret;
}

/* The v1.3 private-key text of k (secret: the caller cleanses it). */
static int
private_text(const dkey_t *k, char *out, size_t cap, size_t *len)
{
	uint8_t raw[1024];
	char enc[1400];
	size_t rl = 0;
	int ret = 0;
	time_t now = time(NULL);
	struct tm tm;
	char created[16];
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y%m%d%H%M%S", &tm);
	int n = snprintf(out, cap, "Private-key-format: v1.3\nAlgorithm: %d (%s)\n", (int)k->alg, dkey_alg_name(k->alg));
	switch (k->alg) {
	case DKEY_ALG_ECDSAP256SHA256:
		ret = bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, raw, sizeof(raw), 32, &rl);
		if (ret == 0)
			n += snprintf(out + n, cap - (size_t)n, "PrivateKey: %.*s\n", (int)b64(raw, rl, enc), enc);
		break;
	case DKEY_ALG_ED25519:
		rl = sizeof(raw);
		ret = EVP_PKEY_get_raw_private_key(k->pkey, raw, &rl) == 1 ? 0 : FL_ENOTSUP;
		if (ret == 0)
			n += snprintf(out + n, cap - (size_t)n, "PrivateKey: %.*s\n", (int)b64(raw, rl, enc), enc);
		break;
	case DKEY_ALG_RSASHA256:
		for (size_t i = 0; i < RSA_FIELDS && ret == 0; i++) {
			ret = bn_param(k->pkey, rsa_params[i], raw, sizeof(raw), 0, &rl);
			if (ret == 0)
				n += snprintf(out + n, cap - (size_t)n, "%s: %.*s\n", rsa_names[i], (int)b64(raw, rl, enc),
					      enc);
		}
		break;
	}
	n += snprintf(out + n, cap - (size_t)n, "Created: %s\nPublish: %s\nActivate: %s\n", created, created, created);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(enc, sizeof(enc));
	if (ret == 0 && (n < 0 || (size_t)n >= cap))
		ret = FL_ESPACE;
	*len = n > 0 ? (size_t)n : 0;
	return ret;
}

int
dkey_save(const dkey_t *k, const char *dir, char *path, size_t pathlen, char *err, size_t errlen)
{
	char st[1100], priv[4096], pub[4096], name[1024];
	char text[DKEY_FILE_MAX], enc[1400];
	size_t len = 0;
	stem(k, st, sizeof(st));
	snprintf(priv, sizeof(priv), "%s/%s.private", dir, st);
	snprintf(pub, sizeof(pub), "%s/%s.key", dir, st);
	if (path != NULL)
		snprintf(path, pathlen, "%s", priv);
	int ret = private_text(k, text, sizeof(text), &len);
	if (ret == 0)
		ret = write_new(priv, text, len, 0600);
	OPENSSL_cleanse(text, sizeof(text));
	if (ret != 0) {
		fl_errf(err, errlen, "%s: %s", priv, ret == FL_EEXIST || ret == -EEXIST ? "exists" : fl_strerror(ret));
		return ret;
	}
	dname_to_str(k->zone, name, sizeof(name));
	b64(k->rdata + 4, k->rdlen - 4, enc);
	int n = snprintf(text, sizeof(text),
			 "; This is a %s key, keyid %u, for %s\n%s IN DNSKEY %u 3 %d %s\n",
			 k->flags & DKEY_FLAG_SEP ? "key-signing" : "zone-signing", (unsigned)k->tag, name, name,
			 (unsigned)k->flags, (int)k->alg, enc);
	ret = write_new(pub, text, (size_t)n, 0644);
	if (ret != 0) {
		unlink(priv);
		fl_errf(err, errlen, "%s: %s", pub, fl_strerror(ret));
	}
	return ret;
}

/* Read a small file whole, NUL-terminated. */
static int
slurp(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap - 1);
	int ret = n < 0 ? -errno : (size_t)n >= cap - 1 ? FL_ELIMIT : 0;
	close(fd);
	if (ret == 0) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return ret;
}

/* The DNSKEY line of a .key file: owner, flags, algorithm and public key into k. */
static int
read_public(dkey_t *k, const char *path, char *err, size_t errlen)
{
	char text[DKEY_FILE_MAX];
	size_t len;
	int ret = slurp(path, text, sizeof(text), &len);
	if (ret != 0) {
		fl_errf(err, errlen, "%s: %s", path, ret == FL_ELIMIT ? "file too large" : fl_strerror(ret));
		return ret;
	}
	unsigned line = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		line++;
		l += strspn(l, " \t");
		if (*l == ';' || *l == '\0' || *l == '\r')
			continue;
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, l, 0, NULL, NULL) != LDNS_STATUS_OK || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY ||
		    ldns_rr_rd_count(rr) != 4) {
			ldns_rr_free(rr);
			fl_errf(err, errlen, "%s:%u: not a DNSKEY record", path, line);
			return FL_ESYNTAX;
		}
		const ldns_rdf *owner = ldns_rr_owner(rr), *key = ldns_rr_rdf(rr, 3);
		uint8_t zone[DNAME_MAXLEN];
		size_t ol = ldns_rdf_size(owner), kl = ldns_rdf_size(key);
		memcpy(zone, ldns_rdf_data(owner), ol < sizeof(zone) ? ol : sizeof(zone));
		dname_lower(zone);
		k->flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		k->alg = (dkey_alg_t)ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		bool proto_ok = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) == 3;
		if (ol > sizeof(zone) || kl + 4 > sizeof(k->rdata) || !proto_ok) {
			ldns_rr_free(rr);
			fl_errf(err, errlen, "%s:%u: bad DNSKEY (protocol must be 3)", path, line);
			return FL_ESYNTAX;
		}
		memcpy(k->zone, zone, ol);
		wire_set_u16(k->rdata, k->flags);
		k->rdata[2] = 3;
		k->rdata[3] = (uint8_t)k->alg;
		memcpy(k->rdata + 4, ldns_rdf_data(key), kl);
		k->rdlen = 4 + kl;
		k->tag = dkey_tag_of(k->rdata, k->rdlen);
		ldns_rr_free(rr);
		return 0;
	}
	fl_errf(err, errlen, "%s: no DNSKEY record", path);
	return FL_ESYNTAX;
}

/* Value of "Name: value" in a v1.3 file (NULL if absent); *line gets its line. */
static const char *
field(const char *text, const char *name, size_t *vlen, unsigned *line)
{
	size_t nl = strlen(name);
	unsigned ln = 1;
	for (const char *p = text; *p != '\0'; ln++) {
		const char *e = strchr(p, '\n');
		size_t ll = e != NULL ? (size_t)(e - p) : strlen(p);
		if (ll > nl && strncmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			v += strspn(v, " \t");
			*vlen = (size_t)(p + ll - v);
			while (*vlen > 0 && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			*line = ln;
			return v;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return NULL;
}

/* The private key of the v1.3 text into k->pkey (the public part comes from the .key file). */
static int
read_private(dkey_t *k, const char *path, const char *text, char *err, size_t errlen)
{
	uint8_t raw[1024];
	size_t vl;
	unsigned line = 0;
	int ret = FL_ESYNTAX;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn[RSA_FIELDS] = { NULL };

	const char *v = field(text, "Private-key-format", &vl, &line);
	if (v == NULL || vl < 4 || strncmp(v, "v1.", 3) != 0) {
		fl_errf(err, errlen, "%s:%u: not a private key file (Private-key-format: v1.x)", path, v != NULL ? line : 1);
		return FL_ESYNTAX;
	}
	v = field(text, "Algorithm", &vl, &line);
	if (v == NULL || atoi(v) != (int)k->alg) {
		fl_errf(err, errlen, "%s:%u: algorithm %d does not match the .key file's %d", path, v != NULL ? line : 1,
		       v != NULL ? atoi(v) : -1, (int)k->alg);
		return v == NULL ? FL_ESYNTAX : FL_ESEMANTIC;
	}
	switch (k->alg) {
	case DKEY_ALG_ED25519:
	case DKEY_ALG_ECDSAP256SHA256: {
		int n;
		v = field(text, "PrivateKey", &vl, &line);
		if (v == NULL || (n = b64_decode(v, vl, raw, sizeof(raw))) != 32) {
			fl_errf(err, errlen, "%s:%u: PrivateKey: %s", path, v != NULL ? line : 1,
			       v == NULL ? "missing" : "bad base64 or not 32 octets");
			goto done;
		}
		if (k->alg == DKEY_ALG_ED25519) {
			k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
			break;
		}
		/* EC: the scalar from here, the point from the .key file. */
		uint8_t pt[65];
		pt[0] = 0x04;
		if (k->rdlen != 4 + 64) {
			ret = FL_ENOTSUP;
			fl_errf(err, errlen, "%s: the public key is not a P-256 point", path);
			goto done;
		}
		memcpy(pt + 1, k->rdata + 4, 64);
		bn[0] = BN_bin2bn(raw, 32, NULL);
		bld = OSSL_PARAM_BLD_new();
		if (bn[0] == NULL || bld == NULL ||
		    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn[0]) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1 ||
		    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
		    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
			k->pkey = NULL;
		break;
	}
	case DKEY_ALG_RSASHA256:
		bld = OSSL_PARAM_BLD_new();
		if (bld == NULL) {
			ret = FL_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < RSA_FIELDS; i++) {
			int n;
			v = field(text, rsa_names[i], &vl, &line);
			if (v == NULL || (n = b64_decode(v, vl, raw, sizeof(raw))) <= 0) {
				fl_errf(err, errlen, "%s:%u: %s: %s", path, v != NULL ? line : 1, rsa_names[i],
				       v == NULL ? "missing" : "bad base64");
				goto done;
			}
			bn[i] = BN_bin2bn(raw, (int)n, NULL);
			if (bn[i] == NULL || OSSL_PARAM_BLD_push_BN(bld, rsa_params[i], bn[i]) != 1) {
				ret = FL_ENOMEM;
				goto done;
			}
		}
		if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
		    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
			k->pkey = NULL;
		break;
	default:
		ret = FL_ENOTSUP;
		fl_errf(err, errlen, "%s: algorithm %d is not supported (ECDSAP256SHA256, ED25519, RSASHA256)", path,
		       (int)k->alg);
		goto done;
	}
	if (k->pkey == NULL) {
		ret = FL_ESYNTAX;
		fl_errf(err, errlen, "%s: the private key is not valid", path);
		goto done;
	}
	/* The EC point came from the .key file: it must be this scalar's
	 * (OpenSSL does not check on import). */
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_pairwise_check(ctx) != 1) {
		ret = FL_ESEMANTIC;
		fl_errf(err, errlen, "%s: the private key does not match the public key of the .key file", path);
		goto done;
	}
	ret = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	for (size_t i = 0; i < RSA_FIELDS; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int
dkey_load(const char *path, dkey_t **out, char *err, size_t errlen)
{
	char base[4096], pubp[4200], privp[4200];
	char *text = NULL;
	size_t len = 0;
	int ret = FL_ENOMEM;
	*out = NULL;
	snprintf(base, sizeof(base), "%s", path);
	size_t bl = strlen(base);
	if (bl > 8 && strcmp(base + bl - 8, ".private") == 0)
		base[bl - 8] = '\0';
	else if (bl > 4 && strcmp(base + bl - 4, ".key") == 0)
		base[bl - 4] = '\0';
	snprintf(pubp, sizeof(pubp), "%s.key", base);
	snprintf(privp, sizeof(privp), "%s.private", base);
	dkey_t *k = calloc(1, sizeof(*k));
	if (k == NULL || (text = malloc(DKEY_FILE_MAX)) == NULL) {
		fl_errf(err, errlen, "out of memory");
		goto fail;
	}
	if ((ret = read_public(k, pubp, err, errlen)) != 0)
		goto fail;
	if ((ret = slurp(privp, text, DKEY_FILE_MAX, &len)) != 0) {
		fl_errf(err, errlen, "%s: %s", privp, ret == FL_ELIMIT ? "file too large" : fl_strerror(ret));
		goto fail;
	}
	if ((ret = read_private(k, privp, text, err, errlen)) != 0)
		goto fail;
	/* The .key file's public key must be the private key's. */
	dkey_t check = *k;
	if ((ret = dkey_fill_public(&check)) != 0 || check.rdlen != k->rdlen || memcmp(check.rdata, k->rdata, k->rdlen) != 0) {
		fl_errf(err, errlen, "%s: the private key does not match %s", privp, pubp);
		ret = FL_ESEMANTIC;
		goto fail;
	}
	k->siglen = check.siglen;
	*out = k;
	k = NULL;
	ret = 0;
fail:
	if (text != NULL)
		OPENSSL_cleanse(text, DKEY_FILE_MAX);
	free(text);
	dkey_free(k);
	return ret;
}

int
dkey_load_dir(const char *dir, const uint8_t *zone, dkey_t ***keys, size_t *n, char *err, size_t errlen)
{
	char zname[1024], prefix[1100];
	char **names = NULL;
	size_t nn = 0;
	*keys = NULL;
	*n = 0;
	dname_to_str(zone, zname, sizeof(zname));
	snprintf(prefix, sizeof(prefix), "K%s+", zname);
	int ret = fio_list_dir(dir, prefix, ".private", &names, &nn);
	if (ret != 0) {
		fl_errf(err, errlen, "%s: %s", dir, fl_strerror(ret));
		return ret;
	}
	if (nn > 0 && (*keys = calloc(nn, sizeof(**keys))) == NULL) {
		fl_errf(err, errlen, "out of memory");
		ret = FL_ENOMEM;
	}
	for (size_t i = 0; i < nn && ret == 0; i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((ret = dkey_load(path, &(*keys)[*n], err, errlen)) == 0)
			(*n)++;
	}
	if (ret != 0) {
		for (size_t i = 0; *keys != NULL && i < *n; i++)
			dkey_free((*keys)[i]);
		free(*keys);
		*keys = NULL;
		*n = 0;
	}
	fio_names_free(names, nn);
	return ret;
}
