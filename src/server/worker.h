/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Private to src/server/: the query worker and what its UDP and TCP
 * handlers share. One worker is one thread with one event_base; everything
 * in worker_t belongs to that thread once it runs, except the read-only
 * worker_shared_t (and its atomic snapshot pointer). Not a public API.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query/query.h"
#include "util/qsbr.h"
#include "xfr/notifyin.h"
#include "xfr/xfrout.h"
#include "zone/zonedb.h"

struct event;
struct event_base;
typedef struct udp_batch udp_batch_t;
typedef struct tcp_state tcp_state_t;
typedef struct worker worker_t;

/**
 * What a reload may change for the workers: the keyring and the transfer
 * ACLs. Published like the zone snapshot: a worker loads it once inside its
 * QSBR read section (worker_policy()); the control thread frees the old one
 * after a grace period. A signed transfer still streaming holds its own
 * reference to the keyring it started with (xfrout).
 */
typedef struct srv_policy {
	tsig_keyring_t *keyring;    /*!< own reference */
	query_opts_t qopts;
	xfrout_policy_t xfr;
	acl_rule_t *transfer_rules;
	xfrout_zone_acl_t *zone_acls;
	acl_rule_t **zone_rules;
	size_t nzone_acls;
} srv_policy_t;

/** State every worker reads; written only before the workers start, except db and pol. */
typedef struct worker_shared {
	_Atomic(zonedb_t *) db;     /*!< published by the control thread */
	_Atomic(srv_policy_t *) pol; /*!< published by the control thread (reload) */
	qsbr_t *qsbr;               /*!< one reader slot per worker */
	uint32_t udp_max;           /*!< UDP response buffer size (udp-max-payload) */
	uint64_t tcp_idle_ms;
	uint32_t tcp_max_clients;   /*!< per worker */
	int nworkers;               /*!< QSBR ids: workers 0..n-1, UDP threads after them */
	bool udp_uring;             /*!< try io_uring for UDP (falls back to recvmmsg) */
	const notifyin_policy_t *nin; /*!< NOTIFY in: who may NOTIFY which secondary zone */
	void (*nin_post)(void *arg, const notifyin_event_t *ev); /*!< accepted NOTIFY -> control; NULL = none */
	void *nin_arg;
	/* Refused NOTIFYs are logged at most NIN_LOG_PER_SEC a second (a spoofed
	 * flood must not fill the disk): the current second and its count. */
	_Atomic uint64_t nin_log_window; /*!< second << 32 | lines logged in it */
	_Atomic uint64_t nin_log_dropped;
	_Atomic bool stopping;      /*!< UDP threads poll it (they block in the kernel) */
} worker_shared_t;

/** Per-worker counters, read after the worker stopped. */
typedef struct worker_stats {
	uint64_t tcp_queries;
	uint64_t tcp_accepted;
	uint64_t tcp_evicted;       /*!< closed because the worker was full */
	uint64_t tcp_timeouts;
} worker_stats_t;

/** UDP counters of one socket's thread, read after it stopped. */
typedef struct udp_stats {
	uint64_t queries;
	uint64_t dropped;           /*!< no answer, truncated input, send failure */
	bool uring;                 /*!< the thread ran on io_uring */
} udp_stats_t;

/** One listen address as seen by one worker: its own UDP and TCP socket. */
typedef struct worker_sock {
	worker_t *w;
	int udp_fd;
	int tcp_fd;
	bool pktinfo;              /*!< wildcard address: reply from the query's destination */
	int family;
	struct event *tcp_ev;
	/* UDP is served by a thread of its own per socket that blocks in the
	 * kernel (io_uring or recvmmsg) instead of going through epoll: one
	 * or two system calls per batch instead of three. */
	pthread_t udp_thread;
	bool udp_running;
	int udp_reader;            /*!< QSBR reader id of that thread */
	udp_batch_t *udp;
	udp_stats_t udp_stats;
} worker_sock_t;

struct worker {
	int id;                    /*!< also the QSBR reader id */
	const worker_shared_t *sh;
	struct event_base *base;
	pthread_t thread;
	bool running;
	int stop_fd;               /*!< eventfd: the control thread asks us to stop */
	struct event *stop_ev;
	worker_sock_t *socks;
	size_t nsocks;
	tcp_state_t *tcp;
	worker_stats_t stats;
};

/** \brief The policy in force; call inside the QSBR read section. */
static inline const srv_policy_t *
worker_policy(const worker_shared_t *sh)
{
	return atomic_load_explicit(&((worker_shared_t *)sh)->pol, memory_order_acquire);
}

/**
 * \brief Answer a NOTIFY (server.c): verdict, log line, and the accepted
 * event posted to the control thread. \return the answer length, 0 = none.
 */
#define NIN_LOG_PER_SEC 10
size_t worker_notify(const worker_shared_t *sh, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
		     uint8_t *out, size_t cap);

/* UDP (udp.c) */

/** \brief Allocate the batch buffers of one socket. \return 0 or FL_ENOMEM. */
int udp_init(worker_sock_t *ws);
/** \brief Free them (thread stopped). */
void udp_deinit(worker_sock_t *ws);
/**
 * \brief Thread body serving one UDP socket until sh->stopping is set
 * (noticed within UDP_STOP_MS). Uses io_uring (multishot receive, one
 * system call per batch) when sh->udp_uring and the kernel allow it,
 * blocking recvmmsg/sendmmsg otherwise. arg: worker_sock_t.
 */
void *udp_thread_main(void *arg);
#define UDP_STOP_MS 200

/* TCP (tcp.c) */

/** \brief Allocate the connection table and timers. \return 0 or a negative code. */
int tcp_init(worker_t *w);
/** \brief Close every connection and free the table (worker stopped). */
void tcp_deinit(worker_t *w);
/** \brief Read callback of a listening TCP socket (arg: worker_sock_t). */
void tcp_on_accept(int fd, short what, void *arg);
