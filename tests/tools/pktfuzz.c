/* SPDX-License-Identifier: MIT */
/**
 * \file
 * pktfuzz: black-box packet fuzzer for a running DNS server. With a seeded
 * PRNG it sends thousands of malformed or odd messages over UDP and TCP
 * (truncated queries, random bytes, huge section counts, compression
 * pointer loops and forward pointers, labels > 63, names > 255, bogus OPT
 * records, QR=1, every opcode, QDCOUNT 0 and 2, bit flips, TCP length
 * prefixes that lie, oversized TCP messages, half-open connections), checks
 * every answer it gets is a well-formed response, and regularly checks
 * that the server still answers a valid query correctly.
 *
 * Exit status: 0 when the server kept answering and every answer parsed,
 * 1 otherwise, 2 on usage errors. Not a coverage-guided fuzzer: the
 * libFuzzer targets over src/dns/ are that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns/pkt.h"
#include "dns/wire.h"

#define PKT_MAX 70000
#define BATCH 32
#define PROBE_EVERY 500
#define HISTORY 64
#define TCP_GROUP 20

/** Mutation classes; the names are printed in the summary. */
enum {
	M_TRUNCATED, M_RANDOM, M_COUNTS, M_PTR_LOOP, M_PTR_FWD, M_LABEL_LONG, M_NAME_LONG,
	M_OPT_TWO, M_OPT_NONROOT, M_OPT_ANSWER, M_OPT_BAD, M_EDNS_VERSION, M_QR, M_OPCODE,
	M_QDCOUNT, M_BITFLIP, M_ODD_TYPE, M_TRAILING, M_COUNT
};
static const char *const m_names[M_COUNT] = {
	"truncated", "random-bytes", "huge-counts", "ptr-loop", "ptr-forward", "label>63", "name>255",
	"two-opt", "opt-not-root", "opt-in-answer", "opt-malformed", "edns-version", "qr=1", "opcodes",
	"qdcount-0-2", "bit-flips", "odd-types", "trailing-bytes",
};

enum { T_LIE_LONG, T_LIE_SHORT, T_ZERO_LEN, T_OVERSIZE, T_PIPELINE, T_SPLIT, T_HALF_PREFIX, T_RANDOM,
       T_CLOSE_EARLY, T_COUNT };
static const char *const t_names[T_COUNT] = {
	"prefix-too-long", "prefix-too-short", "zero-length", "oversized-65535", "pipelined",
	"split-writes", "half-prefix", "random-stream", "connect-close",
};

typedef struct {
	unsigned sent, answered, malformed, rcodes[16];
} stat_t;

static uint64_t rng_state;
static struct sockaddr_in server;
static uint8_t good_qname[256];
static size_t good_qname_len;
static uint16_t good_qtype = 1;
static stat_t ustat[M_COUNT];
static unsigned tsent[T_COUNT], tanswered[T_COUNT], tmalformed;
static uint8_t id_class[65536]; /*!< mutation class of the last UDP packet sent with this ID */
static unsigned probes, probe_failures;
static unsigned qr_answered;
static uint8_t hist[HISTORY][600];
static size_t hist_len[HISTORY];
static unsigned hist_n;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned
below(unsigned n)
{
	return (unsigned)(rng() % n);
}

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	for (;;) {
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/** Presentation name to wire (no escapes; enough for the probe name). */
static int
name_to_wire(const char *s, uint8_t *out, size_t *len)
{
	size_t o = 0;
	while (*s != '\0' && !(s[0] == '.' && s[1] == '\0')) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || o + 1 + l + 1 > 255)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, s, l);
		o += l;
		s += l;
		if (*s == '.')
			s++;
	}
	out[o++] = 0;
	*len = o;
	return 0;
}

/** A valid query: header, one question, optional OPT. Returns its length. */
static size_t
build_query(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, const uint8_t *qname, size_t qlen,
	    uint16_t qtype, uint16_t qclass, int edns)
{
	wire_t w;
	wire_init(&w, buf, cap);
	wire_put_u16(&w, id);
	wire_put_u16(&w, flags);
	wire_put_u16(&w, 1);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, edns >= 0 ? 1 : 0);
	wire_put_bytes(&w, qname, qlen);
	wire_put_u16(&w, qtype);
	wire_put_u16(&w, qclass);
	if (edns >= 0) {
		wire_put_u8(&w, 0);
		wire_put_u16(&w, 41);
		wire_put_u16(&w, (uint16_t)edns);
		wire_put_u32(&w, 0);
		wire_put_u16(&w, 0);
	}
	return w.err == 0 ? wire_off(&w) : 0;
}

static void
put_opt(wire_t *w, uint16_t udp, uint32_t ttl, uint16_t rdlen_claim, size_t rdlen_real)
{
	wire_put_u16(w, 41);
	wire_put_u16(w, udp);
	wire_put_u32(w, ttl);
	wire_put_u16(w, rdlen_claim);
	for (size_t i = 0; i < rdlen_real; i++)
		wire_put_u8(w, (uint8_t)rng());
}

/** Build one mutated message of class m; returns its length. */
static size_t
mutate(int m, uint8_t *buf, size_t cap, uint16_t id)
{
	uint8_t base[600];
	size_t blen = build_query(base, sizeof(base), id, 0, good_qname, good_qname_len, good_qtype, 1,
				  below(2) ? 1232 : -1);
	wire_t w;
	wire_init(&w, buf, cap);
	switch (m) {
	case M_TRUNCATED: {
		size_t l = below((unsigned)blen);
		memcpy(buf, base, l);
		return l;
	}
	case M_RANDOM: {
		size_t l = below(600);
		for (size_t i = 0; i < l; i++)
			buf[i] = (uint8_t)rng();
		if (l >= 2)
			wire_set_u16(buf, id);
		if (l >= 3 && below(2))
			buf[2] &= 0x7F; /* mostly QR=0 so the server looks at it */
		return l;
	}
	case M_COUNTS: {
		memcpy(buf, base, blen);
		static const uint16_t v[] = { 0xFFFF, 0x8000, 2, 100, 0x7FFF };
		for (int i = 0; i < 4; i++)
			if (below(2))
				wire_set_u16(buf + 4 + 2 * i, v[below(5)]);
		return blen;
	}
	case M_PTR_LOOP:
	case M_PTR_FWD: {
		wire_put_u16(&w, id);
		wire_put_u16(&w, 0);
		wire_put_u16(&w, 1);
		wire_put_u16(&w, 0);
		wire_put_u16(&w, 0);
		wire_put_u16(&w, 0);
		unsigned k = below(4);
		if (m == M_PTR_LOOP && k == 0) {
			wire_put_u16(&w, 0xC000 | 12);      /* points to itself */
		} else if (m == M_PTR_LOOP && k == 1) {
			wire_put_bytes(&w, (const uint8_t *)"\x01" "a", 2);
			wire_put_u16(&w, 0xC000 | 12);      /* label then back to start */
		} else if (m == M_PTR_LOOP) {
			wire_put_bytes(&w, (const uint8_t *)"\x01" "a", 2);
			wire_put_u16(&w, 0xC000 | 16);      /* two pointers at each other */
			wire_put_u16(&w, 0xC000 | 14);
		} else if (k < 2) {
			wire_put_u16(&w, 0xC000 | 18);      /* forward, past the question */
			wire_put_u16(&w, 1);
			wire_put_u16(&w, 1);
			wire_put_bytes(&w, good_qname, good_qname_len);
		} else {
			wire_put_u16(&w, (uint16_t)(0xC000 | below(0x3FFF))); /* anywhere */
		}
		wire_put_u16(&w, good_qtype);
		wire_put_u16(&w, 1);
		return w.err == 0 ? wire_off(&w) : 0;
	}
	case M_LABEL_LONG: {
		memcpy(buf, base, 12);
		size_t o = 12;
		uint8_t l = (uint8_t)(64 + below(128)); /* 64..191: too long or 0x40/0x80 types */
		buf[o++] = l;
		size_t fill = below(2) ? l : below(l);
		for (size_t i = 0; i < fill && o < 580; i++)
			buf[o++] = 'x';
		buf[o++] = 0;
		wire_set_u16(buf + o, good_qtype);
		wire_set_u16(buf + o + 2, 1);
		return o + 4;
	}
	case M_NAME_LONG: {
		memcpy(buf, base, 12);
		wire_set_u16(buf + 10, 0);
		size_t o = 12;
		size_t labels = 5 + below(200);
		for (size_t i = 0; i < labels && o < 560; i++) {
			uint8_t l = below(3) == 0 ? 63 : (uint8_t)(1 + below(8));
			buf[o++] = l;
			for (uint8_t j = 0; j < l && o < 570; j++)
				buf[o++] = (uint8_t)('a' + below(26));
		}
		buf[o++] = 0;
		wire_set_u16(buf + o, good_qtype);
		wire_set_u16(buf + o + 2, 1);
		return o + 4;
	}
	case M_OPT_TWO:
	case M_OPT_NONROOT:
	case M_OPT_ANSWER:
	case M_OPT_BAD:
	case M_EDNS_VERSION: {
		size_t ql = build_query(buf, cap, id, 0, good_qname, good_qname_len, good_qtype, 1, -1);
		wire_seek(&w, ql);
		if (m == M_OPT_TWO) {
			wire_set_u16(buf + 10, 2);
			wire_put_u8(&w, 0);
			put_opt(&w, 1232, 0, 0, 0);
			wire_put_u8(&w, 0);
			put_opt(&w, 512, below(2) ? 0x8000 : 0, 0, 0);
		} else if (m == M_OPT_NONROOT) {
			wire_set_u16(buf + 10, 1);
			wire_put_u16(&w, 0xC000 | 12); /* owner = qname */
			put_opt(&w, 1232, 0, 0, 0);
		} else if (m == M_OPT_ANSWER) {
			unsigned sec = below(2); /* answer or authority */
			wire_set_u16(buf + 6 + 2 * sec, 1);
			wire_put_u8(&w, 0);
			put_opt(&w, 1232, 0, 0, 0);
			if (below(2)) { /* and a real one in additional */
				wire_set_u16(buf + 10, 1);
				wire_put_u8(&w, 0);
				put_opt(&w, 1232, 0, 0, 0);
			}
		} else if (m == M_OPT_BAD) {
			wire_set_u16(buf + 10, 1);
			wire_put_u8(&w, 0);
			unsigned k = below(5);
			if (k == 0) {
				put_opt(&w, 1232, 0, 20, 4); /* rdlen beyond the end */
			} else if (k == 1) {
				/* option whose length runs past rdata */
				put_opt(&w, 1232, 0, 6, 0);
				wire_put_u16(&w, 10);
				wire_put_u16(&w, 40);
				wire_put_u16(&w, 0);
			} else if (k == 2) {
				put_opt(&w, (uint16_t)below(512), 0, 0, 0); /* tiny payload size */
			} else if (k == 3) {
				/* cookie with bad lengths, NSID, unknown options */
				static const uint16_t codes[] = { 10, 10, 3, 8, 12, 15, 65001 };
				uint16_t olen = (uint16_t)below(48);
				put_opt(&w, 4096, 0x8000, (uint16_t)(4 + olen), 0);
				wire_put_u16(&w, codes[below(7)]);
				wire_put_u16(&w, olen);
				for (unsigned i = 0; i < olen; i++)
					wire_put_u8(&w, (uint8_t)rng());
			} else {
				wire_put_u16(&w, 41); /* cut inside the fixed fields */
				wire_put_u16(&w, 1232);
			}
		} else {
			wire_set_u16(buf + 10, 1);
			wire_put_u8(&w, 0);
			put_opt(&w, 1232, (uint32_t)(1 + below(255)) << 16 | (below(2) ? 0x8000 : 0), 0, 0);
		}
		return w.err == 0 ? wire_off(&w) : 0;
	}
	case M_QR: {
		memcpy(buf, base, blen);
		buf[2] |= 0x80;
		if (below(2))
			buf[3] = (uint8_t)below(16); /* and an RCODE, as a reflected answer would have */
		return blen;
	}
	case M_OPCODE: {
		memcpy(buf, base, blen);
		buf[2] = (uint8_t)((buf[2] & 0x87) | below(16) << 3);
		return blen;
	}
	case M_QDCOUNT: {
		if (below(2)) {
			memcpy(buf, base, 12);
			wire_set_u16(buf + 4, 0);
			wire_set_u16(buf + 10, 0);
			return 12 + (below(2) ? 0 : 4);
		}
		size_t ql = build_query(buf, cap, id, 0, good_qname, good_qname_len, good_qtype, 1, -1);
		wire_set_u16(buf + 4, 2);
		wire_seek(&w, ql);
		wire_put_bytes(&w, good_qname, good_qname_len);
		wire_put_u16(&w, 28);
		wire_put_u16(&w, 1);
		return w.err == 0 ? wire_off(&w) : 0;
	}
	case M_BITFLIP: {
		memcpy(buf, base, blen);
		unsigned n = 1 + below(4);
		for (unsigned i = 0; i < n; i++)
			buf[2 + below((unsigned)blen - 2)] ^= (uint8_t)(1u << below(8));
		return blen;
	}
	case M_ODD_TYPE: {
		static const uint16_t types[] = { 0, 41, 250, 251, 252, 253, 254, 255, 249, 46, 47, 50, 65535, 128 };
		static const uint16_t classes[] = { 1, 1, 3, 4, 254, 255, 0, 2 };
		return build_query(buf, cap, id, (uint16_t)(below(2) ? PKT_RD : PKT_CD | PKT_AD), good_qname,
				   good_qname_len, types[below(14)], classes[below(8)], below(2) ? 512 : -1);
	}
	case M_TRAILING: {
		memcpy(buf, base, blen);
		size_t extra = 1 + below(100);
		for (size_t i = 0; i < extra; i++)
			buf[blen + i] = (uint8_t)rng();
		return blen + extra;
	}
	}
	return 0;
}

/** Is an answer a well-formed response? Counts into s. */
static bool
check_answer(const uint8_t *buf, size_t len, stat_t *s)
{
	if (len < PKT_HDRLEN || !(buf[2] & 0x80)) {
		s->malformed++;
		return false;
	}
	s->rcodes[buf[3] & 0xF]++;
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		s->malformed++;
		return false;
	}
	ldns_pkt_free(p);
	return true;
}

static void
drain_udp(int fd, int wait)
{
	uint8_t buf[PKT_MAX];
	long deadline = now_ms() + wait;
	for (;;) {
		long left = deadline - now_ms();
		if (wait_fd(fd, POLLIN, left > 0 ? (int)left : 0) <= 0)
			return;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n < 2)
			continue;
		int m = id_class[wire_u16(buf)];
		stat_t *s = &ustat[m];
		s->answered++;
		if (m == M_QR)
			qr_answered++;
		if (!check_answer(buf, (size_t)n, s) && s->malformed <= 3) {
			fprintf(stderr, "pktfuzz: malformed UDP answer to a %s packet (%zd bytes)\n", m_names[m], n);
		}
	}
}

static int
tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = 2 };
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (const struct sockaddr *)&server, sizeof(server)) != 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
send_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/** Read one length-prefixed message within ms; returns its length, -1 closed/timeout. */
static ssize_t
tcp_read_msg(int fd, uint8_t *buf, size_t cap, int ms)
{
	size_t got = 0, need = 2;
	uint8_t lp[2];
	long deadline = now_ms() + ms;
	while (got < need) {
		long left = deadline - now_ms();
		if (left <= 0 || wait_fd(fd, POLLIN, (int)left) <= 0)
			return -1;
		uint8_t *dst = need == 2 ? lp + got : buf + got;
		ssize_t n = recv(fd, dst, need - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (need == 2 && got == 2) {
			need = wire_u16(lp);
			got = 0;
			if (need > cap)
				return -1;
			if (need == 0)
				return 0;
		}
	}
	return (ssize_t)need;
}

/** The liveness check: a valid query must get NOERROR, AA and an answer. */
static bool
probe(bool tcp)
{
	uint8_t q[600], a[PKT_MAX];
	uint16_t id = (uint16_t)rng();
	size_t ql = build_query(q, sizeof(q), id, 0, good_qname, good_qname_len, good_qtype, 1, 1232);
	ssize_t n = -1;
	probes++;
	for (int attempt = 0; attempt < 3 && n < 0; attempt++) {
		if (tcp) {
			int fd = tcp_connect();
			if (fd < 0)
				continue;
			uint8_t pre[602];
			wire_set_u16(pre, (uint16_t)ql);
			memcpy(pre + 2, q, ql);
			if (send_all(fd, pre, ql + 2) == 0)
				n = tcp_read_msg(fd, a, sizeof(a), 1500);
			close(fd);
		} else {
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (fd < 0)
				continue;
			if (connect(fd, (const struct sockaddr *)&server, sizeof(server)) == 0 &&
			    send(fd, q, ql, 0) == (ssize_t)ql) {
				long deadline = now_ms() + 1000;
				while (n < 0 && now_ms() < deadline) {
					if (wait_fd(fd, POLLIN, (int)(deadline - now_ms())) <= 0)
						break;
					ssize_t r = recv(fd, a, sizeof(a), 0);
					if (r >= 12 && wire_u16(a) == id)
						n = r;
					else if (r < 0)
						break;
				}
			}
			close(fd);
		}
	}
	bool ok = n >= 12 && wire_u16(a) == id && (a[2] & 0x80) && (a[2] & 0x04) && (a[3] & 0xF) == 0 &&
		  wire_u16(a + 6) > 0;
	if (!ok)
		probe_failures++;
	return ok;
}

static void
dump_history(void)
{
	fprintf(stderr, "pktfuzz: last %u UDP packets before the failure (hex):\n",
		hist_n < HISTORY ? hist_n : HISTORY);
	for (unsigned k = 0; k < HISTORY && k < hist_n; k++) {
		unsigned i = (hist_n - 1 - k) % HISTORY;
		fprintf(stderr, "  ");
		for (size_t j = 0; j < hist_len[i]; j++)
			fprintf(stderr, "%02x", hist[i][j]);
		fprintf(stderr, "\n");
	}
}

static int
fuzz_udp(unsigned count)
{
	static uint8_t buf[PKT_MAX];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&server, sizeof(server)) != 0) {
		perror("pktfuzz: udp socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		int m = (int)below(M_COUNT);
		uint16_t id = (uint16_t)rng();
		size_t len = mutate(m, buf, sizeof(buf), id);
		id_class[id] = (uint8_t)m;
		size_t keep = len < sizeof(hist[0]) ? len : sizeof(hist[0]);
		memcpy(hist[hist_n % HISTORY], buf, keep);
		hist_len[hist_n % HISTORY] = keep;
		hist_n++;
		ustat[m].sent++;
		/* a refused send (ICMP unreachable from an earlier packet) shows up here */
		if (send(fd, buf, len, 0) < 0 && errno != ECONNREFUSED && errno != EMSGSIZE)
			fprintf(stderr, "pktfuzz: send: %s\n", strerror(errno));
		if (i % BATCH == BATCH - 1)
			drain_udp(fd, 5);
		if (i % PROBE_EVERY == PROBE_EVERY - 1) {
			drain_udp(fd, 50);
			if (!probe(false) && !probe(false)) {
				fprintf(stderr, "pktfuzz: server stopped answering over UDP after packet %u\n", i + 1);
				dump_history();
				close(fd);
				return -1;
			}
		}
	}
	drain_udp(fd, 200);
	close(fd);
	return 0;
}

/** Start one TCP case; returns the socket to read from (or -1) and how long to wait. */
static int
fuzz_tcp_start(int t, int *waitp)
{
	static uint8_t buf[PKT_MAX];
	uint8_t q[600];
	size_t ql = build_query(q, sizeof(q), (uint16_t)rng(), 0, good_qname, good_qname_len, good_qtype, 1,
				below(2) ? 1232 : -1);
	int fd = tcp_connect();
	if (fd < 0) {
		fprintf(stderr, "pktfuzz: TCP connect failed (%s)\n", strerror(errno));
		return -1;
	}
	tsent[t]++;
	size_t len = 0;
	int wait = 200;
	switch (t) {
	case T_LIE_LONG: /* claims more than it sends, then waits: the server must time out */
		wire_set_u16(buf, (uint16_t)(ql + 1 + below(200)));
		memcpy(buf + 2, q, ql);
		len = ql + 2;
		break;
	case T_LIE_SHORT: /* claims less: the rest is read as the next message's prefix */
		wire_set_u16(buf, (uint16_t)(1 + below((unsigned)ql - 1)));
		memcpy(buf + 2, q, ql);
		len = ql + 2;
		break;
	case T_ZERO_LEN:
		wire_set_u16(buf, 0);
		wire_set_u16(buf + 2, (uint16_t)ql);
		memcpy(buf + 4, q, ql);
		len = ql + 4;
		break;
	case T_OVERSIZE: /* a full 65535-byte message: a query with 65 KB of trailing junk */
		wire_set_u16(buf, 65535);
		memcpy(buf + 2, q, ql);
		for (size_t i = ql; i < 65535; i++)
			buf[2 + i] = (uint8_t)rng();
		len = 65537;
		break;
	case T_PIPELINE: { /* several queries in one write, some broken */
		size_t o = 0;
		unsigned n = 2 + below(8);
		for (unsigned k = 0; k < n; k++) {
			uint8_t m[600];
			size_t ml = below(3) ? build_query(m, sizeof(m), (uint16_t)k, 0, good_qname, good_qname_len,
							   good_qtype, 1, -1)
					     : mutate((int)below(M_COUNT), m, sizeof(m), (uint16_t)k);
			if (ml > sizeof(m))
				ml = sizeof(m);
			wire_set_u16(buf + o, (uint16_t)ml);
			memcpy(buf + o + 2, m, ml);
			o += ml + 2;
		}
		len = o;
		break;
	}
	case T_SPLIT: { /* prefix and message byte by byte */
		wire_set_u16(buf, (uint16_t)ql);
		memcpy(buf + 2, q, ql);
		for (size_t i = 0; i < ql + 2; i++) {
			if (send_all(fd, buf + i, 1) != 0)
				break;
			if (i < 4)
				usleep(2000);
		}
		len = 0;
		break;
	}
	case T_HALF_PREFIX:
		buf[0] = (uint8_t)below(256);
		len = 1;
		wait = 100;
		break;
	case T_RANDOM:
		len = 2 + below(2000);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		break;
	case T_CLOSE_EARLY:
		len = 0;
		wait = 0;
		break;
	}
	if (len > 0 && send_all(fd, buf, len) != 0) {
		close(fd);
		return -1;
	}
	*waitp = wait;
	return fd;
}

/** Collect the answer (if any) of a started TCP case before the deadline, then close. */
static void
fuzz_tcp_finish(int fd, int t, long deadline)
{
	static uint8_t ans[PKT_MAX];
	long left = deadline - now_ms();
	if (left > 0) {
		ssize_t n = tcp_read_msg(fd, ans, sizeof(ans), (int)left);
		if (n >= 0) {
			stat_t s;
			memset(&s, 0, sizeof(s));
			tanswered[t]++;
			if (!check_answer(ans, (size_t)n, &s)) {
				tmalformed++;
				if (tmalformed <= 3)
					fprintf(stderr, "pktfuzz: malformed TCP answer (%s, %zd bytes)\n", t_names[t],
						n);
			}
		}
	}
	close(fd);
}

static int
fuzz_tcp(unsigned count)
{
	/* also hold a few idle connections open during the run */
	int idle[16];
	for (int i = 0; i < 16; i++)
		idle[i] = tcp_connect();
	int ret = 0;
	/* cases run in groups of TCP_GROUP open connections sharing one deadline */
	for (unsigned i = 0; i < count; i += TCP_GROUP) {
		int fds[TCP_GROUP], ts[TCP_GROUP], maxwait = 0;
		unsigned n = count - i < TCP_GROUP ? count - i : TCP_GROUP;
		for (unsigned k = 0; k < n; k++) {
			int w = 0;
			ts[k] = (int)below(T_COUNT);
			fds[k] = fuzz_tcp_start(ts[k], &w);
			if (w > maxwait)
				maxwait = w;
		}
		/* wait until every connection has something to read (or EOF) or the deadline */
		long deadline = now_ms() + maxwait;
		for (;;) {
			struct pollfd pf[TCP_GROUP];
			unsigned ready = 0, live = 0;
			for (unsigned k = 0; k < n; k++) {
				pf[k].fd = fds[k];
				pf[k].events = POLLIN;
				pf[k].revents = 0;
				live += fds[k] >= 0;
			}
			long left = deadline - now_ms();
			if (left <= 0 || poll(pf, n, 0) < 0)
				break;
			for (unsigned k = 0; k < n; k++)
				ready += pf[k].fd >= 0 && pf[k].revents != 0;
			if (ready == live)
				break;
			usleep(2000);
		}
		for (unsigned k = 0; k < n; k++)
			if (fds[k] >= 0)
				fuzz_tcp_finish(fds[k], ts[k], now_ms() + 50);
		if ((i / TCP_GROUP) % 5 == 4 && !probe(true) && !probe(true)) {
			fprintf(stderr, "pktfuzz: server stopped answering over TCP after connection %u\n", i + n);
			ret = -1;
			break;
		}
	}
	for (int i = 0; i < 16; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	return ret;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pktfuzz [-s seed] [-n udp_packets] [-t tcp_connections] [-q qname] [-T qtype] "
			"ADDR@PORT\n"
			"  qname (default www.example.test) must exist with qtype (default A) on the server\n");
}

int
main(int argc, char **argv)
{
	unsigned long seed = 1;
	unsigned nudp = 10000, ntcp = 400;
	const char *qname = "www.example.test.";
	int c;
	while ((c = getopt(argc, argv, "s:n:t:q:T:h")) != -1) {
		switch (c) {
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'n': nudp = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': ntcp = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'q': qname = optarg; break;
		case 'T': good_qtype = (uint16_t)strtoul(optarg, NULL, 0); break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 1) {
		usage();
		return 2;
	}
	char host[64];
	const char *at = strchr(argv[optind], '@');
	if (at == NULL || (size_t)(at - argv[optind]) >= sizeof(host)) {
		usage();
		return 2;
	}
	memcpy(host, argv[optind], (size_t)(at - argv[optind]));
	host[at - argv[optind]] = '\0';
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(at + 1));
	if (inet_pton(AF_INET, host, &server.sin_addr) != 1 || name_to_wire(qname, good_qname, &good_qname_len) != 0) {
		usage();
		return 2;
	}
	rng_state = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed * 0x100000001B3ULL);
	if (rng_state == 0)
		rng_state = 1;

	if (!probe(false) || !probe(true)) {
		fprintf(stderr, "pktfuzz: the server does not answer %s type %u before fuzzing\n", qname, good_qtype);
		return 1;
	}
	long t0 = now_ms();
	int rc = fuzz_udp(nudp);
	if (rc == 0)
		rc = fuzz_tcp(ntcp);
	if (rc == 0 && (!probe(false) || !probe(true))) {
		fprintf(stderr, "pktfuzz: server no longer answers at the end\n");
		rc = -1;
	}
	unsigned malformed = tmalformed;
	printf("%-16s %7s %8s %9s  rcodes (NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED other)\n", "udp class",
	       "sent", "answered", "malformed");
	for (int m = 0; m < M_COUNT; m++) {
		const stat_t *s = &ustat[m];
		unsigned other = 0;
		for (int r = 6; r < 16; r++)
			other += s->rcodes[r];
		printf("%-16s %7u %8u %9u  %u %u %u %u %u %u %u\n", m_names[m], s->sent, s->answered, s->malformed,
		       s->rcodes[0], s->rcodes[1], s->rcodes[2], s->rcodes[3], s->rcodes[4], s->rcodes[5], other);
		malformed += s->malformed;
	}
	printf("%-16s %7s %8s\n", "tcp class", "conns", "answered");
	for (int t = 0; t < T_COUNT; t++)
		printf("%-16s %7u %8u\n", t_names[t], tsent[t], tanswered[t]);
	if (qr_answered > 0)
		printf("note: %u packets with QR=1 were answered (a reflection risk; RFC 1035 §4.1.1)\n", qr_answered);
	printf("pktfuzz: seed %lu, %u UDP packets, %u TCP connections, %u probes (%u failed), %u malformed answers, "
	       "%.1f s: %s\n",
	       seed, nudp, ntcp, probes, probe_failures, malformed, (double)(now_ms() - t0) / 1000.0,
	       rc == 0 && malformed == 0 ? "server alive" : "FAIL");
	return rc == 0 && malformed == 0 ? 0 : 1;
}
