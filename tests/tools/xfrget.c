/* SPDX-License-Identifier: MIT */
/**
 * \file
 * xfrget: pull a zone by AXFR over TCP from a server on 127.0.0.1 and parse
 * it with our transfer client (src/xfr/xfrin.c): an interop check of the
 * parser against real primaries (conformance/secondaries.sh uses knotd).
 * usage: xfrget PORT ZONE
 * Prints "AXFR ZONE serial S records R messages M" on success, exit 0;
 * the parser's reason and exit 1 on failure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "xfr/xfrin.h"

static int
read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int fd = -1, rc = 1;
	uint8_t *buf = NULL;
	xfrin_t x;
	bool inited = false;
	if (argc != 3) {
		fprintf(stderr, "usage: xfrget PORT ZONE\n");
		return 2;
	}
	uint8_t origin[DNAME_MAXLEN], root = 0;
	int ol = dname_from_str(argv[2], strlen(argv[2]), &root, origin);
	if (ol < 0) {
		fprintf(stderr, "xfrget: bad zone name %s\n", argv[2]);
		return 2;
	}
	/* The query: header, one question (zone, AXFR, IN). */
	uint8_t q[2 + 12 + DNAME_MAXLEN + 4];
	uint16_t id = (uint16_t)(getpid() ^ time(NULL));
	wire_t w;
	wire_init(&w, q, sizeof(q));
	wire_put_u16(&w, 0);
	wire_put_u16(&w, id);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 1);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_bytes(&w, origin, (size_t)ol);
	wire_put_u16(&w, RR_AXFR);
	wire_put_u16(&w, RR_CLASS_IN);
	size_t qlen = wire_off(&w);
	wire_set_u16(q, (uint16_t)(qlen - 2));

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	struct timeval tv = { 10, 0 };
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen) {
		perror("xfrget: connect/send");
		goto out;
	}
	if (xfrin_init(&x, origin, NULL, id, NULL, NULL) != 0) {
		fprintf(stderr, "xfrget: init failed\n");
		goto out;
	}
	inited = true;
	buf = malloc(65535);
	if (buf == NULL)
		goto out;
	for (;;) {
		uint8_t lp[2];
		if (read_full(fd, lp, 2) != 0) {
			fprintf(stderr, "xfrget: connection closed before the transfer completed\n");
			goto out;
		}
		size_t len = wire_u16(lp);
		if (read_full(fd, buf, len) != 0) {
			fprintf(stderr, "xfrget: short message\n");
			goto out;
		}
		int r = xfrin_feed(&x, buf, len, (uint64_t)time(NULL));
		if (r < 0) {
			fprintf(stderr, "xfrget: %s\n", x.err);
			goto out;
		}
		if (r == 1)
			break;
	}
	zone_t *z = NULL;
	xfrin_kind_t kind;
	if (xfrin_finish(&x, &z, &kind) != 0 || z == NULL) {
		fprintf(stderr, "xfrget: %s\n", x.err);
		goto out;
	}
	printf("AXFR %s serial %u records %llu messages %llu\n", argv[2], z->serial,
	       (unsigned long long)z->nrecords, (unsigned long long)x.messages);
	zone_free(z);
	rc = 0;
out:
	if (inited)
		xfrin_clear(&x);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}
