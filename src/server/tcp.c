/* SPDX-License-Identifier: MIT */
/**
 * \file
 * TCP query path of a worker (RFC 7766): 2-byte length framing, several
 * queries per connection, pipelined queries answered in order.
 *
 * Costs and defences:
 * - Connection slots are recycled through a free list; a slot's read buffer
 *   is inline, so an ordinary connection allocates nothing after the first
 *   use of its slot. Queries longer than the inline buffer (rare: large
 *   EDNS options) get a heap buffer for the rest of that connection.
 * - Answers to all queries found in one read go out in one send() from a
 *   per-worker scratch buffer; only what the socket did not take is copied
 *   into the connection's own output buffer (slow readers only).
 * - A client that sends queries without reading answers stops being read
 *   once its unsent output passes TCP_WBUF_HIGH: memory per connection is
 *   bounded and the worker keeps serving others.
 * - Idle connections (no complete query and no write progress for
 *   tcp-idle-timeout) are closed by a periodic sweep of an LRU list: O(1)
 *   per query instead of re-arming a timer. Slow-loris senders and half-open
 *   peers therefore time out too. When the worker is full, the least
 *   recently active connection is closed to admit the new one.
 * - A length below the DNS header size closes the connection (a 16-bit
 *   length cannot exceed 65535).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "server/worker.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/xfrout.h"

/** Inline read buffer per connection: many pipelined ordinary queries. */
#define TCP_RBUF_INLINE 4096
/** Largest frame: 2-byte length + 65535. */
#define TCP_FRAME_MAX (2 + 65535)
/** Smallest DNS message: the header. */
#define TCP_MSG_MIN 12
/** Unsent output above which we stop reading the client. */
#define TCP_WBUF_HIGH (64 * 1024)
/** Worker scratch for answers of one read: room for two maximal frames. */
#define TCP_SCRATCH (2 * TCP_FRAME_MAX)
/** Connections accepted per readiness event (fairness). */
#define TCP_ACCEPT_BATCH 64
/** Pause after running out of descriptors, instead of spinning on accept. */
#define TCP_ACCEPT_PAUSE_MS 100

typedef struct tcp_conn tcp_conn_t;

struct tcp_conn {
	tcp_conn_t *prev, *next;   /*!< LRU list while open, free list (next) when not */
	worker_t *w;
	struct event *ev;          /*!< created once per slot, re-assigned per connection */
	int fd;
	short evflags;             /*!< flags the event is registered with (0 = not added) */
	bool eof;                  /*!< the peer finished sending */
	uint64_t last_ms;          /*!< last complete query or write progress */
	uint8_t *rbuf;             /*!< rinline or a heap frame buffer */
	uint32_t rcap, rlen;
	uint8_t *wbuf;             /*!< unsent output (heap, only for slow readers) */
	uint32_t wcap, woff, wlen;
	xfrout_t *xfr;             /*!< zone transfer being sent; queries wait behind it */
	struct sockaddr_storage peer;
	uint8_t rinline[TCP_RBUF_INLINE];
};

struct tcp_state {
	tcp_conn_t *head, *tail;   /*!< open connections, least recently active first */
	tcp_conn_t *free;
	uint32_t nconns;
	struct event *sweep_ev;
	struct event *resume_ev;   /*!< ends an accept pause */
	bool paused;
	uint8_t *scratch;
};

static void tcp_on_event(int fd, short what, void *arg);
static void tcp_on_sweep(int fd, short what, void *arg);
static void tcp_on_resume(int fd, short what, void *arg);

static uint64_t
tcp_now_ms(void)
{
	/* Coarse clock: a vDSO read, millisecond resolution is all the idle timer needs. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- LRU ---- */

static void
tcp_lru_unlink(tcp_state_t *t, tcp_conn_t *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
tcp_lru_append(tcp_state_t *t, tcp_conn_t *c)
{
	c->next = NULL;
	c->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

static void
tcp_touch(tcp_state_t *t, tcp_conn_t *c)
{
	c->last_ms = tcp_now_ms();
	if (t->tail != c) {
		tcp_lru_unlink(t, c);
		tcp_lru_append(t, c);
	}
}

/* ---- connection lifetime ---- */

static void
tcp_close(tcp_conn_t *c)
{
	tcp_state_t *t = c->w->tcp;
	if (c->evflags != 0)
		event_del(c->ev);
	c->evflags = 0;
	close(c->fd);
	c->fd = -1;
	if (c->xfr != NULL) {
		char line[1400];
		xfrout_end(c->xfr, line, sizeof(line));
		log_notice("%s (connection closed)", line);
		c->xfr = NULL;
	}
	tcp_lru_unlink(t, c);
	if (c->rbuf != c->rinline)
		free(c->rbuf);
	free(c->wbuf);
	c->rbuf = NULL;
	c->wbuf = NULL;
	c->next = t->free;
	t->free = c;
	t->nconns--;
}

static uint32_t
tcp_pending(const tcp_conn_t *c)
{
	return c->wlen - c->woff;
}

/** Register the event for what the connection needs now. */
static int
tcp_update(tcp_conn_t *c)
{
	short want = EV_PERSIST;
	if (!c->eof && tcp_pending(c) <= TCP_WBUF_HIGH)
		want |= EV_READ;
	if (tcp_pending(c) > 0)
		want |= EV_WRITE;
	if (want == c->evflags)
		return 0;
	if (c->evflags != 0)
		event_del(c->ev);
	c->evflags = 0;
	if (want == EV_PERSIST)
		return 0; /* waiting for nothing: the caller closes */
	if (event_assign(c->ev, c->w->base, c->fd, want, tcp_on_event, c) != 0 ||
	    event_add(c->ev, NULL) != 0)
		return -1;
	c->evflags = want;
	return 0;
}

/* ---- output ---- */

static int
tcp_buffer(tcp_conn_t *c, const uint8_t *data, size_t len)
{
	if (c->woff > 0) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (c->wlen + len > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		while (cap < c->wlen + len)
			cap *= 2;
		uint8_t *nb = realloc(c->wbuf, cap);
		if (nb == NULL)
			return -1;
		c->wbuf = nb;
		c->wcap = (uint32_t)cap;
	}
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += (uint32_t)len;
	return 0;
}

/** Send data now if nothing is queued before it; keep what the socket did not take. */
static int
tcp_emit(tcp_conn_t *c, const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	if (tcp_pending(c) == 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
			n = 0;
		}
		data += n;
		len -= (size_t)n;
	}
	return len > 0 ? tcp_buffer(c, data, len) : 0;
}

static int
tcp_flush(tcp_conn_t *c)
{
	while (tcp_pending(c) > 0) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, tcp_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->woff += (uint32_t)n;
		tcp_touch(c->w->tcp, c);
	}
	c->woff = c->wlen = 0;
	return 0;
}

/* ---- input ---- */

/* Send transfer messages until the socket pushes back or the transfer ends. */
static int
tcp_xfr_pump(tcp_conn_t *c)
{
	uint8_t *out = c->w->tcp->scratch;
	while (c->xfr != NULL && tcp_pending(c) <= TCP_WBUF_HIGH) {
		long n = xfrout_next(c->xfr, out + 2, TCP_FRAME_MAX - 2, (uint64_t)time(NULL));
		if (n <= 0) {
			char line[1400];
			xfrout_end(c->xfr, line, sizeof(line));
			c->xfr = NULL;
			if (n < 0) {
				log_error("%s (failed: %s)", line, fl_strerror((int)n));
				return -1;
			}
			log_notice("%s", line);
			break;
		}
		out[0] = (uint8_t)(n >> 8);
		out[1] = (uint8_t)n;
		if (tcp_emit(c, out, (size_t)n + 2) != 0)
			return -1;
		tcp_touch(c->w->tcp, c);
	}
	return 0;
}

/** Answer every complete query in the read buffer, in order. */
static int
tcp_process(tcp_conn_t *c)
{
	worker_t *w = c->w;
	const worker_shared_t *sh = w->sh;
	uint8_t *out = w->tcp->scratch;
	size_t outlen = 0, pos = 0;
	uint64_t nq = 0;
	int ret = 0;

	if (c->xfr != NULL && tcp_xfr_pump(c) != 0)
		return -1;
	if (c->xfr != NULL || tcp_pending(c) > TCP_WBUF_HIGH || c->rlen < 2)
		return 0;
	qsbr_enter(sh->qsbr, w->id);
	const zonedb_t *db = atomic_load_explicit(&sh->db, memory_order_acquire);
	while (c->rlen - pos >= 2) {
		size_t flen = ((size_t)c->rbuf[pos] << 8) | c->rbuf[pos + 1];
		if (flen < TCP_MSG_MIN) {
			ret = -1;
			break;
		}
		if (c->rlen - pos - 2 < flen)
			break;
		if (TCP_SCRATCH - outlen < TCP_FRAME_MAX) {
			ret = tcp_emit(c, out, outlen);
			outlen = 0;
			if (ret != 0 || tcp_pending(c) > TCP_WBUF_HIGH)
				break;
		}
		if (xfrout_request_type(c->rbuf + pos + 2, flen) != 0) {
			/* Earlier answers go first, then the transfer owns the
			 * connection until its last message (RFC 7766 §6.2.1.1
			 * lets us answer in order). */
			ret = tcp_emit(c, out, outlen);
			outlen = 0;
			if (ret != 0)
				break;
			char line[1400];
			size_t alen = 0;
			xfrout_begin_t b = xfrout_begin(&worker_policy(sh)->xfr, db, c->rbuf + pos + 2, flen,
							(const struct sockaddr *)&c->peer, (uint64_t)time(NULL),
							&c->xfr, out + 2, 65535, &alen, line, sizeof(line));
			log_notice("%s", line);
			if (b == XFROUT_STREAM && xfrout_key_retiring(c->xfr))
				log_warning("%s: the peer still uses a key marked for retirement (keys.retiring): "
					    "switch it to the new key", line);
			pos += 2 + flen;
			nq++;
			if (b == XFROUT_REPLY && alen > 0) {
				out[0] = (uint8_t)(alen >> 8);
				out[1] = (uint8_t)alen;
				outlen = 2 + alen;
			}
			if (b == XFROUT_STREAM)
				break; /* streamed by tcp_xfr_pump, outside the read section */
			continue;
		}
		size_t alen = notifyin_is_notify(c->rbuf + pos + 2, flen)
				      ? worker_notify(sh, c->rbuf + pos + 2, flen, (const struct sockaddr *)&c->peer,
						      out + outlen + 2, 65535)
				      : query_answer(db, &worker_policy(sh)->qopts, c->rbuf + pos + 2, flen, QUERY_TCP,
						     out + outlen + 2, 65535);
		if (alen > 0) {
			out[outlen] = (uint8_t)(alen >> 8);
			out[outlen + 1] = (uint8_t)alen;
			outlen += 2 + alen;
		}
		pos += 2 + flen;
		nq++;
	}
	qsbr_exit(sh->qsbr, w->id);
	if (ret == 0)
		ret = tcp_emit(c, out, outlen);
	if (ret != 0)
		return ret;

	if (pos > 0) {
		memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
		c->rlen -= (uint32_t)pos;
	}
	if (nq > 0) {
		w->stats.tcp_queries += nq;
		tcp_touch(w->tcp, c);
	}
	if (c->xfr != NULL && tcp_xfr_pump(c) != 0)
		return -1;
	/* A frame larger than the inline buffer: give this connection room for
	 * the largest one, once. */
	if (c->rlen >= 2 && c->rbuf == c->rinline) {
		size_t flen = ((size_t)c->rbuf[0] << 8) | c->rbuf[1];
		if (2 + flen > c->rcap) {
			uint8_t *big = malloc(TCP_FRAME_MAX);
			if (big == NULL)
				return -1;
			memcpy(big, c->rbuf, c->rlen);
			c->rbuf = big;
			c->rcap = TCP_FRAME_MAX;
		}
	}
	return 0;
}

static int
tcp_read(tcp_conn_t *c)
{
	if (c->rlen == c->rcap)
		return 0; /* full of unprocessed queries: output backpressure */
	ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
	if (n == 0) {
		/* The peer closed its side: answer what we have, then close. */
		c->eof = true;
		return 0;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -1;
	}
	c->rlen += (uint32_t)n;
	return 0;
}

static void
tcp_on_event(int fd, short what, void *arg)
{
	tcp_conn_t *c = arg;

	if ((what & EV_WRITE) && tcp_flush(c) != 0)
		goto close;
	if ((what & EV_READ) && tcp_read(c) != 0)
		goto close;
	/* Also runs after a write drained: queries held back by backpressure. */
	if (tcp_process(c) != 0)
		goto close;
	if (c->eof && tcp_pending(c) == 0)
		goto close; /* a partial query left after EOF can never complete */
	if (tcp_update(c) != 0)
		goto close;
	return;
close:
	tcp_close(c);
}

/* ---- accepting, timers ---- */

static void
tcp_listen_enable(worker_t *w, bool on)
{
	for (size_t i = 0; i < w->nsocks; i++) {
		if (w->socks[i].tcp_ev == NULL)
			continue;
		if (on)
			event_add(w->socks[i].tcp_ev, NULL);
		else
			event_del(w->socks[i].tcp_ev);
	}
}

static void
tcp_on_resume(int fd, short what, void *arg)
{
	worker_t *w = arg;
	w->tcp->paused = false;
	tcp_listen_enable(w, true);
}

static tcp_conn_t *
tcp_conn_get(worker_t *w)
{
	tcp_state_t *t = w->tcp;
	tcp_conn_t *c = t->free;
	if (c != NULL) {
		t->free = c->next;
	} else {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return NULL;
		c->w = w;
		c->ev = event_new(w->base, -1, 0, tcp_on_event, c);
		if (c->ev == NULL) {
			free(c);
			return NULL;
		}
	}
	c->prev = c->next = NULL;
	c->fd = -1;
	c->evflags = 0;
	c->eof = false;
	c->rbuf = c->rinline;
	c->rcap = sizeof(c->rinline);
	c->rlen = 0;
	c->wbuf = NULL;
	c->wcap = c->woff = c->wlen = 0;
	c->xfr = NULL;
	return c;
}

void
tcp_on_accept(int fd, short what, void *arg)
{
	worker_sock_t *ws = arg;
	worker_t *w = ws->w;
	tcp_state_t *t = w->tcp;

	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of descriptors or memory: the listen socket stays readable,
			 * so back off instead of spinning. */
			log_warning("worker %d: TCP accept: %s, pausing %d ms", w->id, strerror(errno),
				    TCP_ACCEPT_PAUSE_MS);
			if (!t->paused) {
				struct timeval tv = { 0, TCP_ACCEPT_PAUSE_MS * 1000 };
				t->paused = true;
				tcp_listen_enable(w, false);
				evtimer_add(t->resume_ev, &tv);
			}
			return;
		}
		if (t->nconns >= w->sh->tcp_max_clients && t->head != NULL) {
			/* Full: the least recently active connection makes room. */
			w->stats.tcp_evicted++;
			tcp_close(t->head);
		}
		tcp_conn_t *c = tcp_conn_get(w);
		if (c == NULL) {
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->peer = peer;
		c->last_ms = tcp_now_ms();
		tcp_lru_append(t, c);
		t->nconns++;
		w->stats.tcp_accepted++;
		if (tcp_update(c) != 0)
			tcp_close(c);
	}
}

static void
tcp_on_sweep(int fd, short what, void *arg)
{
	worker_t *w = arg;
	tcp_state_t *t = w->tcp;
	uint64_t now = tcp_now_ms();
	while (t->head != NULL && now - t->head->last_ms >= w->sh->tcp_idle_ms) {
		w->stats.tcp_timeouts++;
		tcp_close(t->head);
	}
}

int
tcp_init(worker_t *w)
{
	tcp_state_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return FL_ENOMEM;
	w->tcp = t;
	t->scratch = malloc(TCP_SCRATCH);
	t->sweep_ev = event_new(w->base, -1, EV_PERSIST, tcp_on_sweep, w);
	t->resume_ev = evtimer_new(w->base, tcp_on_resume, w);
	if (t->scratch == NULL || t->sweep_ev == NULL || t->resume_ev == NULL)
		goto fail;
	/* Sweep four times per timeout (at most once a second): a connection
	 * lives at most 25% (or 1 s) longer than the configured timeout. */
	uint64_t step = w->sh->tcp_idle_ms / 4;
	if (step > 1000)
		step = 1000;
	if (step < 10)
		step = 10;
	struct timeval tv = { (time_t)(step / 1000), (suseconds_t)((step % 1000) * 1000) };
	if (event_add(t->sweep_ev, &tv) != 0)
		goto fail;
	return 0;
fail:
	tcp_deinit(w);
	return FL_ENOMEM;
}

void
tcp_deinit(worker_t *w)
{
	tcp_state_t *t = w->tcp;
	if (t == NULL)
		return;
	while (t->head != NULL)
		tcp_close(t->head);
	while (t->free != NULL) {
		tcp_conn_t *c = t->free;
		t->free = c->next;
		event_free(c->ev);
		free(c);
	}
	if (t->sweep_ev != NULL)
		event_free(t->sweep_ev);
	if (t->resume_ev != NULL)
		event_free(t->resume_ev);
	free(t->scratch);
	free(t);
	w->tcp = NULL;
}
