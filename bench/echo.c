/* SPDX-License-Identifier: MIT */
/**
 * \file
 * echo: the floor of the kernel UDP path for the benchmarks. One thread
 * receives datagrams in batches (recvmmsg), sets QR in each and sends them
 * back in one sendmmsg. No parsing, no lookup: whatever a DNS server costs
 * on top of this is its own work. Not a DNS server; benchmark use only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSZ 1500

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	int ret = 1, fd = -1;
	static uint8_t bufs[BATCH][BUFSZ];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in peers[BATCH];

	if (argc != 2 || strchr(argv[1], '@') == NULL) {
		fprintf(stderr, "usage: echo ADDR@PORT\n");
		return 2;
	}
	char host[64];
	const char *at = strchr(argv[1], '@');
	if ((size_t)(at - argv[1]) >= sizeof(host)) {
		fprintf(stderr, "echo: bad address\n");
		return 2;
	}
	memcpy(host, argv[1], (size_t)(at - argv[1]));
	host[at - argv[1]] = '\0';
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(at + 1)) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "echo: bad address %s\n", host);
		return 2;
	}
	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	if (sigaction(SIGTERM, &act, NULL) != 0 || sigaction(SIGINT, &act, NULL) != 0) {
		perror("echo: sigaction");
		goto fail;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("echo: socket");
		goto fail;
	}
	int sz = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) != 0) {
		perror("echo: setsockopt");
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("echo: bind");
		goto fail;
	}
	fprintf(stderr, "echo ready on %s\n", argv[1]);
	while (!stop) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = BUFSZ;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		/* block for the first datagram, then take what is queued */
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("echo: recvmmsg");
			goto fail;
		}
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = msgs[i].msg_len;
			if (msgs[i].msg_len >= 3)
				bufs[i][2] |= 0x80; /* QR */
		}
		int sent = 0;
		while (sent < n) {
			int s = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
			if (s < 0) {
				if (errno == EINTR)
					continue;
				break; /* a full socket buffer drops the rest, as a server would */
			}
			sent += s;
		}
	}
	ret = 0;
fail:
	if (fd >= 0)
		close(fd);
	return ret;
}
