/* SPDX-License-Identifier: MIT */
/**
 * \file
 * UDP query path: one thread per (worker, UDP socket) that blocks in the
 * kernel waiting for queries, answers a whole batch between qsbr_enter and
 * qsbr_exit, and sends the answers back in one go.
 *
 * Two engines, same answering code:
 *  - io_uring: a multishot recvmsg fills provided buffers as datagrams
 *    arrive; the thread queues one sendmsg per answer and calls
 *    io_uring_submit_and_wait once per batch, which sends the previous
 *    answers and waits for the next queries: one system call per batch.
 *    With DEFER_TASKRUN the kernel does the receive work inside that call
 *    rather than interrupting us.
 *  - recvmmsg/sendmmsg (no io_uring, or a wildcard socket that needs the
 *    destination address of each query): a blocking recvmmsg with
 *    MSG_WAITFORONE and one sendmmsg: two system calls per batch.
 * Either way there is no epoll_wait per batch, which is what an event loop
 * adds. No allocation, no lock on the query path.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "server/worker.h"
#include "util/err.h"
#include "util/log.h"

/** Messages per recvmmsg/sendmmsg call; also answers queued per io_uring batch. */
#define UDP_BATCH 64
/** Largest query we read; anything longer arrives truncated and is dropped. */
#define UDP_RX_MAX 4096
/** Largest response (udp-max-payload is at most 4096). */
#define UDP_TX_MAX 4096
/** io_uring: provided receive buffers (power of two) and send slots. */
#define URING_NBUF 256
#define URING_NTX 256
#define URING_ENTRIES 512
#define URING_BGID 7
/* io_uring user_data: receives and sends are told apart by the top bit. */
#define URING_UD_RECV (1ull << 63)

/** Room for either pktinfo control message. */
typedef union {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
} udp_ctl_t;

/** One queued io_uring send: everything sendmsg reads until it completes. */
typedef struct {
	struct msghdr hdr;
	struct iovec iov;
	struct sockaddr_storage peer;
	uint8_t buf[UDP_TX_MAX];
} uring_tx_t;

typedef struct {
	struct io_uring ring;
	struct io_uring_buf_ring *br; /* page-aligned ring of buffer descriptors */
	size_t br_size;
	uint8_t *rxmem;               /* URING_NBUF receive buffers */
	size_t rxsize;                /* size of each */
	struct msghdr rxtmpl;         /* tells the kernel how much name space to reserve */
	uring_tx_t *tx;
	uint16_t txfree[URING_NTX];
	int ntxfree;
	bool armed;
} uring_t;

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
udp_init(worker_sock_t *ws)
{
	/* One block per socket thread, allocated once: the query path never allocates. */
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
	ws->udp = b;
	return 0;
}

void
udp_deinit(worker_sock_t *ws)
{
	free(ws->udp);
	ws->udp = NULL;
}

static bool
udp_stopping(const worker_sock_t *ws)
{
	return atomic_load_explicit(&((worker_shared_t *)ws->w->sh)->stopping, memory_order_relaxed);
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

/*
 * IXFR over UDP (RFC 1995 §2): the whole incremental answer when the client
 * may transfer and it fits in one datagram, else the single current SOA
 * (query_answer) telling the client to retry over TCP. Rare: off the hot path.
 */
static size_t
udp_answer(worker_sock_t *ws, const zonedb_t *db, const uint8_t *q, size_t qlen,
	   const struct sockaddr *peer, uint8_t *out, size_t cap)
{
	const worker_shared_t *sh = ws->w->sh;
	if (notifyin_is_notify(q, qlen))
		return worker_notify(sh, q, qlen, peer, out, cap);
	/* An IXFR carries the client's SOA in AUTHORITY (RFC 1995 §3): ordinary
	 * queries, with NSCOUNT 0, skip the question walk on this hot path. */
	if (qlen >= PKT_HDRLEN && wire_u16(q + 8) != 0 && xfrout_request_type(q, qlen) == RR_IXFR) {
		pkt_query_t pq;
		size_t limit = EDNS_MIN_UDP;
		if (pkt_parse_query(q, qlen, &pq) == PKT_PARSE_OK && pq.has_edns)
			limit = pq.edns_udp < cap ? pq.edns_udp : cap;
		xfrout_t *x = NULL;
		size_t alen = 0;
		char line[1400];
		uint64_t now = (uint64_t)time(NULL);
		xfrout_begin_t b = xfrout_begin(&worker_policy(sh)->xfr, db, q, qlen, peer, now, &x, out, cap, &alen, line,
						sizeof(line));
		if (b == XFROUT_REPLY) {
			log_notice("%s (UDP)", line);
			return alen;
		}
		long n = xfrout_next(x, out, limit, now);
		bool whole = n > 0 && xfrout_done(x);
		xfrout_end(x, line, sizeof(line));
		if (whole) {
			log_notice("%s (UDP)", line);
			return (size_t)n;
		}
		/* Does not fit: fall through to the single SOA. */
	}
	return query_answer(db, &worker_policy(sh)->qopts, q, qlen, QUERY_UDP, out, cap);
}

/* ---- recvmmsg / sendmmsg engine ---- */

static void
udp_send(worker_sock_t *ws, udp_batch_t *b, int n)
{
	int sent = 0;
	while (sent < n) {
		int r = sendmmsg(ws->udp_fd, b->tx + sent, (unsigned)(n - sent), MSG_DONTWAIT);
		if (r > 0) {
			sent += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			/* Socket buffer full: UDP answers are best effort, drop the rest. */
			ws->udp_stats.dropped += (uint64_t)(n - sent);
			return;
		}
		/* The first remaining message failed on its own (bad peer address,
		 * unreachable): skip it and send the others. */
		log_debug("worker %d: UDP send: %s", ws->w->id, strerror(errno));
		ws->udp_stats.dropped++;
		sent++;
	}
}

static void
udp_mmsg_loop(worker_sock_t *ws)
{
	const worker_shared_t *sh = ws->w->sh;
	udp_batch_t *b = ws->udp;
	/* Wake up now and then to notice a stop request. */
	struct timeval tv = { 0, UDP_STOP_MS * 1000 };
	if (setsockopt(ws->udp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		log_warning("worker %d: SO_RCVTIMEO: %s", ws->w->id, strerror(errno));
	/* Sockets are created non-blocking; this engine blocks in recvmmsg. */
	int fl = fcntl(ws->udp_fd, F_GETFL);
	if (fl < 0 || fcntl(ws->udp_fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		log_error("worker %d: cannot make the UDP socket blocking: %s", ws->w->id, strerror(errno));
		return;
	}

	while (!udp_stopping(ws)) {
		for (int i = 0; i < UDP_BATCH; i++) {
			struct msghdr *h = &b->rx[i].msg_hdr;
			/* The kernel overwrites these lengths: reset them every time. */
			h->msg_namelen = sizeof(b->peer[i]);
			h->msg_control = ws->pktinfo ? b->ctl[i].buf : NULL;
			h->msg_controllen = ws->pktinfo ? sizeof(b->ctl[i].buf) : 0;
		}
		/* Block for the first datagram, then take whatever else is queued. */
		int n = recvmmsg(ws->udp_fd, b->rx, UDP_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("worker %d: UDP receive: %s", ws->w->id, strerror(errno));
			continue;
		}

		int ntx = 0;
		qsbr_enter(sh->qsbr, ws->udp_reader);
		const zonedb_t *db = atomic_load_explicit(&sh->db, memory_order_acquire);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &b->rx[i].msg_hdr;
			if (h->msg_flags & MSG_TRUNC) {
				ws->udp_stats.dropped++;
				continue;
			}
			size_t len = udp_answer(ws, db, b->rxbuf[i], b->rx[i].msg_len, h->msg_name,
						b->txbuf[ntx], sh->udp_max);
			if (len == 0) {
				ws->udp_stats.dropped++;
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
		qsbr_exit(sh->qsbr, ws->udp_reader);
		ws->udp_stats.queries += (uint64_t)n;
		udp_send(ws, b, ntx);
	}
}

/* ---- io_uring engine ---- */

static void
uring_free(uring_t *u)
{
	if (u == NULL)
		return;
	if (u->ring.ring_fd > 0)
		io_uring_queue_exit(&u->ring);
	if (u->br != NULL)
		munmap(u->br, u->br_size);
	free(u->rxmem);
	free(u->tx);
	free(u);
}

static void
uring_give_buf(uring_t *u, uint16_t bid)
{
	io_uring_buf_ring_add(u->br, u->rxmem + (size_t)bid * u->rxsize, (unsigned)u->rxsize, bid,
			      io_uring_buf_ring_mask(URING_NBUF), 0);
	io_uring_buf_ring_advance(u->br, 1);
}

static int
uring_arm(uring_t *u, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (sqe == NULL)
		return FL_ESPACE;
	io_uring_prep_recvmsg_multishot(sqe, fd, &u->rxtmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, URING_UD_RECV);
	u->armed = true;
	return 0;
}

/* Set up the ring, the provided buffers and the send slots; NULL when the
 * kernel (or a sandbox) says no: the caller falls back to recvmmsg. */
static uring_t *
uring_new(worker_sock_t *ws)
{
	uring_t *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	int r = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	if (r == -EINVAL) { /* older kernel: plain ring */
		memset(&p, 0, sizeof(p));
		r = io_uring_queue_init_params(URING_ENTRIES, &u->ring, &p);
	}
	if (r < 0) {
		log_info("worker %d: io_uring unavailable (%s), using recvmmsg", ws->w->id, strerror(-r));
		u->ring.ring_fd = -1;
		goto fail;
	}
	u->rxtmpl.msg_namelen = sizeof(struct sockaddr_storage);
	u->rxsize = sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) + UDP_RX_MAX;
	u->rxmem = malloc((size_t)URING_NBUF * u->rxsize);
	u->tx = malloc((size_t)URING_NTX * sizeof(uring_tx_t));
	u->br_size = (size_t)URING_NBUF * sizeof(struct io_uring_buf);
	u->br = mmap(NULL, u->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->br == MAP_FAILED)
		u->br = NULL;
	if (u->rxmem == NULL || u->tx == NULL || u->br == NULL)
		goto fail;
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)(uintptr_t)u->br;
	reg.ring_entries = URING_NBUF;
	reg.bgid = URING_BGID;
	r = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (r < 0) {
		log_info("worker %d: io_uring buffer ring unavailable (%s), using recvmmsg", ws->w->id,
			 strerror(-r));
		goto fail;
	}
	io_uring_buf_ring_init(u->br);
	for (uint16_t i = 0; i < URING_NBUF; i++)
		uring_give_buf(u, i);
	for (int i = 0; i < URING_NTX; i++) {
		uring_tx_t *t = &u->tx[i];
		memset(&t->hdr, 0, sizeof(t->hdr));
		t->iov.iov_base = t->buf;
		t->hdr.msg_iov = &t->iov;
		t->hdr.msg_iovlen = 1;
		t->hdr.msg_name = &t->peer;
		u->txfree[i] = (uint16_t)i;
	}
	u->ntxfree = URING_NTX;
	if (uring_arm(u, ws->udp_fd) != 0)
		goto fail;
	return u;
fail:
	uring_free(u);
	return NULL;
}

/* Answer one received datagram: queue a sendmsg for the answer. */
static void
uring_on_recv(worker_sock_t *ws, uring_t *u, const zonedb_t *db, struct io_uring_cqe *cqe)
{
	const worker_shared_t *sh = ws->w->sh;
	uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	uint8_t *buf = u->rxmem + (size_t)bid * u->rxsize;
	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, cqe->res, &u->rxtmpl);
	ws->udp_stats.queries++;
	if (o == NULL || (o->flags & MSG_TRUNC) || o->namelen > sizeof(struct sockaddr_storage) ||
	    u->ntxfree == 0) {
		ws->udp_stats.dropped++;
		goto done;
	}
	const uint8_t *q = io_uring_recvmsg_payload(o, &u->rxtmpl);
	unsigned qlen = io_uring_recvmsg_payload_length(o, cqe->res, &u->rxtmpl);
	uring_tx_t *t = &u->tx[u->txfree[u->ntxfree - 1]];
	size_t len = udp_answer(ws, db, q, qlen, io_uring_recvmsg_name(o), t->buf, sh->udp_max);
	if (len == 0) {
		ws->udp_stats.dropped++;
		goto done;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (sqe == NULL) {
		ws->udp_stats.dropped++;
		goto done;
	}
	memcpy(&t->peer, io_uring_recvmsg_name(o), o->namelen);
	t->hdr.msg_namelen = o->namelen;
	t->iov.iov_len = len;
	io_uring_prep_sendmsg(sqe, ws->udp_fd, &t->hdr, MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, (uint64_t)(t - u->tx));
	u->ntxfree--;
done:
	uring_give_buf(u, bid);
}

/* \return false when the ring failed for good (caller falls back). */
static bool
uring_loop(worker_sock_t *ws, uring_t *u)
{
	const worker_shared_t *sh = ws->w->sh;
	struct __kernel_timespec ts = { 0, UDP_STOP_MS * 1000000LL };
	while (!udp_stopping(ws)) {
		if (!u->armed && uring_arm(u, ws->udp_fd) != 0)
			return false;
		/* Sends queued by the last batch go out, then we wait for queries. */
		struct io_uring_cqe *cqe = NULL;
		int r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			log_error("worker %d: io_uring: %s", ws->w->id, strerror(-r));
			return false;
		}
		unsigned head, seen = 0;
		bool entered = false;
		const zonedb_t *db = NULL;
		io_uring_for_each_cqe(&u->ring, head, cqe) {
			seen++;
			uint64_t ud = io_uring_cqe_get_data64(cqe);
			if (ud != URING_UD_RECV) {
				/* A send finished: its slot is free again. */
				if (cqe->res < 0)
					ws->udp_stats.dropped++;
				if (ud < URING_NTX)
					u->txfree[u->ntxfree++] = (uint16_t)ud;
				continue;
			}
			if (!(cqe->flags & IORING_CQE_F_MORE))
				u->armed = false; /* multishot ended (e.g. out of buffers): re-arm */
			if (cqe->res < 0) {
				if (cqe->res != -ENOBUFS)
					log_debug("worker %d: UDP receive: %s", ws->w->id, strerror(-cqe->res));
				continue;
			}
			if (!(cqe->flags & IORING_CQE_F_BUFFER))
				continue;
			if (!entered) {
				qsbr_enter(sh->qsbr, ws->udp_reader);
				db = atomic_load_explicit(&sh->db, memory_order_acquire);
				entered = true;
			}
			uring_on_recv(ws, u, db, cqe);
		}
		if (entered)
			qsbr_exit(sh->qsbr, ws->udp_reader);
		io_uring_cq_advance(&u->ring, seen);
	}
	return true;
}

void *
udp_thread_main(void *arg)
{
	worker_sock_t *ws = arg;
	uring_t *u = NULL;
	/* A wildcard socket must answer from each query's destination address
	 * (pktinfo), which the recvmmsg engine handles. */
	if (ws->w->sh->udp_uring && !ws->pktinfo)
		u = uring_new(ws);
	ws->udp_stats.uring = (u != NULL);
	if (u != NULL && !uring_loop(ws, u)) {
		log_warning("worker %d: io_uring failed, continuing with recvmmsg", ws->w->id);
		ws->udp_stats.uring = false;
	}
	uring_free(u);
	if (!udp_stopping(ws))
		udp_mmsg_loop(ws);
	return NULL;
}
