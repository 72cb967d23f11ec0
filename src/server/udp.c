/* SPDX-License-Identifier: MIT */
/**
 * \file
 * UDP query path of a worker: receive a batch with recvmmsg, answer every
 * message into its own preallocated slot, send the answers with one
 * sendmmsg. No allocation, no lock and two atomic stores (QSBR) per batch.
 * Not here: socket creation (server.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/worker.h"
#include "util/err.h"
#include "util/log.h"

/** Messages per recvmmsg/sendmmsg call. */
#define UDP_BATCH 64
/** Batches per readiness event before going back to the loop, so one busy
 * socket cannot keep the worker from its TCP clients. */
#define UDP_ROUNDS 8
/** Largest query we read; anything longer arrives truncated and is dropped. */
#define UDP_RX_MAX 4096
/** Largest response (udp-max-payload is at most 4096). */
#define UDP_TX_MAX 4096

/** Room for either pktinfo control message. */
typedef union {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
} udp_ctl_t;

struct udp_batch {
	struct mmsghdr rx[UDP_BATCH];
	struct mmsghdr tx[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct iovec tx_iov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	udp_ctl_t ctl[UDP_BATCH];
	uint8_t rxbuf[UDP_BATCH][UDP_RX_MAX];
	uint8_t txbuf[UDP_BATCH][UDP_TX_MAX];
};

int
udp_init(worker_t *w)
{
	/* One block per worker, allocated once: the query path never allocates. */
	udp_batch_t *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return FL_ENOMEM;
	for (int i = 0; i < UDP_BATCH; i++) {
		b->rx_iov[i].iov_base = b->rxbuf[i];
		b->rx_iov[i].iov_len = UDP_RX_MAX;
		b->rx[i].msg_hdr.msg_iov = &b->rx_iov[i];
		b->rx[i].msg_hdr.msg_iovlen = 1;
		b->rx[i].msg_hdr.msg_name = &b->peer[i];
		b->tx[i].msg_hdr.msg_iov = &b->tx_iov[i];
		b->tx[i].msg_hdr.msg_iovlen = 1;
	}
	w->udp = b;
	return 0;
}

void
udp_deinit(worker_t *w)
{
	free(w->udp);
	w->udp = NULL;
}

/**
 * Turn the received destination-address message into the one that makes the
 * answer leave from that address (wildcard sockets on multi-homed hosts).
 * \return control length to send, 0 for none.
 */
static size_t
udp_reply_ctl(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* Source = the address the query was sent to; let routing pick the interface. */
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			if ((uint8_t *)c != (uint8_t *)h->msg_control)
				memmove(h->msg_control, c, CMSG_SPACE(sizeof(pi)));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			/* Sent back as is: address and interface (link-local needs it). */
			if ((uint8_t *)c != (uint8_t *)h->msg_control)
				memmove(h->msg_control, c, CMSG_SPACE(sizeof(struct in6_pktinfo)));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static void
udp_send(worker_t *w, int fd, udp_batch_t *b, int n)
{
	int sent = 0;
	while (sent < n) {
		int r = sendmmsg(fd, b->tx + sent, (unsigned)(n - sent), MSG_DONTWAIT);
		if (r > 0) {
			sent += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			/* Socket buffer full: UDP answers are best effort, drop the rest. */
			w->stats.udp_dropped += (uint64_t)(n - sent);
			return;
		}
		/* The first remaining message failed on its own (bad peer address,
		 * unreachable): skip it and send the others. */
		log_debug("worker %d: UDP send: %s", w->id, strerror(errno));
		w->stats.udp_dropped++;
		sent++;
	}
}

void
udp_on_read(int fd, short what, void *arg)
{
	worker_sock_t *ws = arg;
	worker_t *w = ws->w;
	const worker_shared_t *sh = w->sh;
	udp_batch_t *b = w->udp;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &b->rx[i].msg_hdr;
			/* The kernel overwrites these lengths: reset them every time. */
			h->msg_namelen = sizeof(b->peer[i]);
			h->msg_control = ws->pktinfo ? b->ctl[i].buf : NULL;
			h->msg_controllen = ws->pktinfo ? sizeof(b->ctl[i].buf) : 0;
		}
		int n = recvmmsg(fd, b->rx, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("worker %d: UDP receive: %s", w->id, strerror(errno));
			return;
		}

		int ntx = 0;
		qsbr_enter(sh->qsbr, w->id);
		const zonedb_t *db = atomic_load_explicit(&sh->db, memory_order_acquire);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &b->rx[i].msg_hdr;
			if (h->msg_flags & MSG_TRUNC) {
				w->stats.udp_dropped++;
				continue;
			}
			size_t len = query_answer(db, &sh->qopts, b->rxbuf[i], b->rx[i].msg_len,
						  QUERY_UDP, b->txbuf[ntx], sh->udp_max);
			if (len == 0) {
				w->stats.udp_dropped++;
				continue;
			}
			struct msghdr *t = &b->tx[ntx].msg_hdr;
			b->tx_iov[ntx].iov_base = b->txbuf[ntx];
			b->tx_iov[ntx].iov_len = len;
			t->msg_name = h->msg_name;
			t->msg_namelen = h->msg_namelen;
			t->msg_control = NULL;
			t->msg_controllen = 0;
			t->msg_flags = 0;
			if (ws->pktinfo && h->msg_controllen > 0) {
				size_t cl = udp_reply_ctl(h);
				if (cl > 0) {
					t->msg_control = h->msg_control;
					t->msg_controllen = cl;
				}
			}
			ntx++;
		}
		qsbr_exit(sh->qsbr, w->id);
		w->stats.udp_queries += (uint64_t)n;

		udp_send(w, fd, b, ntx);
		/* A short batch means the queue was empty a moment ago: the next
		 * recvmmsg would most likely be a wasted EAGAIN. Level-triggered
		 * events bring us back if more arrived since. */
		if (n < UDP_BATCH)
			return;
	}
}
