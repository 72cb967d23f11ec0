/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Workers and their sockets (see server.h). Every worker gets its own UDP
 * and TCP socket per listen address, bound with SO_REUSEPORT, so the kernel
 * spreads queries and connections over the workers and no socket, queue or
 * lock is shared. The event bases are created without locks: no other
 * thread ever touches a worker's base; stopping goes through an eventfd.
 */
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/dname.h"
#include "server/server.h"
#include "server/worker.h"
#include "util/err.h"
#include "util/log.h"

/** Listen queue per TCP socket. */
#define SERVER_TCP_BACKLOG 1024
/** Socket buffer we ask for on UDP sockets (the kernel caps it at rmem_max). */
#define SERVER_UDP_BUFSIZE (4 * 1024 * 1024)

struct server {
	worker_shared_t sh;
	query_opts_t qbase;         /* the query options a reload does not change */
	notifyin_policy_t nin_none; /* no secondary zone: every NOTIFY gets NOTAUTH */
	worker_t *workers;
	int nworkers;
	bool started;
	char *identity;
	char *version;
};

static void server_on_stop(int fd, short what, void *arg);

static void
server_on_stop(int fd, short what, void *arg)
{
	worker_t *w = arg;
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v));
	(void)r;
	event_base_loopbreak(w->base);
}

static bool
server_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int
server_setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/**
 * Open, configure and bind one socket of a listen address.
 * \return the descriptor or -1 (err filled).
 */
static int
server_socket(const conf_listen_t *l, int type, bool pktinfo, char *err, size_t errlen)
{
	const char *proto = type == SOCK_DGRAM ? "UDP" : "TCP";
	int family = l->addr.ss_family;
	const char *what = "socket";
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	what = "SO_REUSEPORT";
	if (server_setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0)
		goto fail;
	/* Without V6ONLY, "::" would also take the IPv4 port and collide with
	 * an explicit IPv4 listen address. */
	what = "IPV6_V6ONLY";
	if (family == AF_INET6 && server_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0)
		goto fail;
	if (type == SOCK_DGRAM) {
		/* Best effort: a bigger buffer absorbs bursts; the kernel may cap it. */
		(void)server_setopt(fd, SOL_SOCKET, SO_RCVBUF, SERVER_UDP_BUFSIZE);
		(void)server_setopt(fd, SOL_SOCKET, SO_SNDBUF, SERVER_UDP_BUFSIZE);
		what = "IP_PKTINFO";
		if (pktinfo && family == AF_INET && server_setopt(fd, IPPROTO_IP, IP_PKTINFO, 1) != 0)
			goto fail;
		if (pktinfo && family == AF_INET6 &&
		    server_setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) != 0)
			goto fail;
		/* No DF bit on answers: a path MTU below our payload size should
		 * fragment rather than drop (answers are small; udp-max-payload
		 * already keeps them under common MTUs). */
		if (family == AF_INET)
			(void)server_setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
	} else {
		/* A restarted daemon must not wait for old connections in TIME_WAIT. */
		what = "SO_REUSEADDR";
		if (server_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
			goto fail;
		/* Inherited by accepted sockets: answers leave at once, even when
		 * a pipelined client has not acknowledged the previous one. */
		what = "TCP_NODELAY";
		if (server_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1) != 0)
			goto fail;
	}
	what = "bind";
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0)
		goto fail;
	what = "listen";
	if (type == SOCK_STREAM && listen(fd, SERVER_TCP_BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot open %s socket on %s (%s): %s", proto, l->text, what,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/**
 * SO_REUSEPORT would let us share a port with another server running as the
 * same user, silently splitting its traffic. Before binding our own sockets,
 * bind once without it: that fails when anyone else holds the address.
 */
static int
server_probe(const conf_listen_t *l, int type, char *err, size_t errlen)
{
	const char *proto = type == SOCK_DGRAM ? "UDP" : "TCP";
	int fd = socket(l->addr.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* TCP: connections of a previous run in TIME_WAIT are not a conflict. */
	if (type == SOCK_STREAM && server_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
		goto fail;
	if (l->addr.ss_family == AF_INET6 && server_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	snprintf(err, errlen, "cannot open %s socket on %s (bind): %s%s", proto, l->text,
		 strerror(errno), errno == EADDRINUSE ? " (another server running?)" : "");
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
server_worker_free(worker_t *w)
{
	/* Reverse order of server_worker_init: events before their base. */
	tcp_deinit(w);
	for (size_t i = 0; i < w->nsocks; i++) {
		worker_sock_t *ws = &w->socks[i];
		udp_deinit(ws);
		if (ws->tcp_ev != NULL)
			event_free(ws->tcp_ev);
		if (ws->udp_fd >= 0)
			close(ws->udp_fd);
		if (ws->tcp_fd >= 0)
			close(ws->tcp_fd);
	}
	free(w->socks);
	w->socks = NULL;
	w->nsocks = 0;
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	w->stop_ev = NULL;
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->stop_fd = -1;
	if (w->base != NULL)
		event_base_free(w->base);
	w->base = NULL;
}

static int
server_worker_init(server_t *s, worker_t *w, int id, const conf_t *conf, char *err, size_t errlen)
{
	const conf_listen_list_t *ll = &conf->server.listen;
	struct event_config *cfg = NULL;

	w->id = id;
	w->sh = &s->sh;
	w->stop_fd = -1;

	cfg = event_config_new();
	if (cfg == NULL || event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) != 0)
		goto nomem;
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	cfg = NULL;
	if (w->base == NULL)
		goto nomem;
	if (tcp_init(w) != 0)
		goto nomem;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	w->stop_ev = event_new(w->base, w->stop_fd, EV_READ | EV_PERSIST, server_on_stop, w);
	if (w->stop_ev == NULL || event_add(w->stop_ev, NULL) != 0)
		goto nomem;

	w->socks = calloc(ll->count, sizeof(*w->socks));
	if (w->socks == NULL)
		goto nomem;
	for (size_t i = 0; i < ll->count; i++) {
		worker_sock_t *ws = &w->socks[i];
		ws->udp_fd = ws->tcp_fd = -1;
		w->nsocks++;
		ws->w = w;
		ws->family = ll->addr[i].addr.ss_family;
		ws->pktinfo = server_is_wildcard(&ll->addr[i].addr);
		ws->udp_fd = server_socket(&ll->addr[i], SOCK_DGRAM, ws->pktinfo, err, errlen);
		if (ws->udp_fd < 0)
			goto fail;
		ws->tcp_fd = server_socket(&ll->addr[i], SOCK_STREAM, false, err, errlen);
		if (ws->tcp_fd < 0)
			goto fail;
		/* UDP has a thread of its own per socket (udp.c), reader id after all workers. */
		ws->udp_reader = s->sh.nworkers + id * (int)ll->count + (int)i;
		if (udp_init(ws) != 0)
			goto nomem;
		ws->tcp_ev = event_new(w->base, ws->tcp_fd, EV_READ | EV_PERSIST, tcp_on_accept, ws);
		if (ws->tcp_ev == NULL || event_add(ws->tcp_ev, NULL) != 0)
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "worker %d: out of memory", id);
fail:
	if (cfg != NULL)
		event_config_free(cfg);
	return -1;
}

static void
server_policy_free(srv_policy_t *p)
{
	if (p == NULL)
		return;
	tsig_keyring_free(p->keyring);
	free(p->transfer_rules);
	for (size_t i = 0; i < p->nzone_acls; i++)
		free(p->zone_rules[i]);
	free(p->zone_rules);
	free(p->zone_acls);
	free(p);
}

/* Keys and transfer ACLs from conf: copies, the config may be freed while we run. */
static srv_policy_t *
server_policy_new(const server_t *s, const conf_t *conf, const tsig_keyring_t *keys, char *err, size_t errlen)
{
	srv_policy_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	p->keyring = tsig_keyring_ref(keys);
	p->qopts = s->qbase;
	p->qopts.keyring = p->keyring;
	p->xfr.keyring = p->keyring;
	if (conf->transfer.allow.count > 0) {
		p->transfer_rules = malloc(conf->transfer.allow.count * sizeof(acl_rule_t));
		if (p->transfer_rules == NULL)
			goto nomem;
		memcpy(p->transfer_rules, conf->transfer.allow.rules, conf->transfer.allow.count * sizeof(acl_rule_t));
		p->xfr.transfer = (acl_t){ p->transfer_rules, conf->transfer.allow.count };
	}
	if (conf->nzone > 0) {
		p->zone_acls = calloc(conf->nzone, sizeof(*p->zone_acls));
		p->zone_rules = calloc(conf->nzone, sizeof(*p->zone_rules));
		if (p->zone_acls == NULL || p->zone_rules == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < conf->nzone; i++) {
		const conf_zone_t *cz = &conf->zone[i];
		if (cz->transfer_allow.count == 0)
			continue;
		xfrout_zone_acl_t *za = &p->zone_acls[p->nzone_acls];
		uint8_t root = 0;
		if (dname_from_str(cz->domain, strlen(cz->domain), &root, za->origin) < 0) {
			snprintf(err, errlen, "zone %s: not a domain name", cz->domain);
			goto fail;
		}
		dname_lower(za->origin);
		size_t bytes = cz->transfer_allow.count * sizeof(acl_rule_t);
		p->zone_rules[p->nzone_acls] = malloc(bytes);
		if (p->zone_rules[p->nzone_acls] == NULL)
			goto nomem;
		memcpy(p->zone_rules[p->nzone_acls], cz->transfer_allow.rules, bytes);
		za->acl = (acl_t){ p->zone_rules[p->nzone_acls], cz->transfer_allow.count };
		p->nzone_acls++;
	}
	p->xfr.zones = p->zone_acls;
	p->xfr.nzones = p->nzone_acls;
	return p;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	server_policy_free(p);
	return NULL;
}

int
server_reconfigure(server_t *s, const conf_t *conf, const tsig_keyring_t *keys, char *err, size_t errlen)
{
	srv_policy_t *p = server_policy_new(s, conf, keys, err, errlen);
	if (p == NULL)
		return FL_ENOMEM;
	srv_policy_t *old = atomic_exchange_explicit(&s->sh.pol, p, memory_order_acq_rel);
	/* No worker can hold old after the grace period; transfers that
	 * started with it keep their own keyring reference. */
	qsbr_synchronize(s->sh.qsbr);
	server_policy_free(old);
	return 0;
}

const tsig_keyring_t *
server_keyring(const server_t *s)
{
	/* Only the control thread stores the pointer. */
	return atomic_load_explicit(&((server_t *)s)->sh.pol, memory_order_relaxed)->keyring;
}

void
server_synchronize(server_t *s)
{
	qsbr_synchronize(s->sh.qsbr);
}

server_t *
server_new(const conf_t *conf, const tsig_keyring_t *keys, zonedb_t *db, char *err, size_t errlen)
{
	server_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		zonedb_release(db);
		return NULL;
	}
	atomic_init(&s->sh.db, db);
	if (conf->server.listen.count == 0) {
		snprintf(err, errlen, "no listen address configured");
		goto fail;
	}
	if (conf->server.identity != NULL && (s->identity = strdup(conf->server.identity)) == NULL)
		goto nomem;
	if (conf->server.version != NULL && (s->version = strdup(conf->server.version)) == NULL)
		goto nomem;
	s->qbase.edns_udp_max = (uint16_t)conf->server.udp_max_payload;
	s->qbase.identity = s->identity;
	s->qbase.version = s->version;
	s->sh.udp_max = (uint32_t)conf->server.udp_max_payload;
	s->sh.tcp_idle_ms = (uint64_t)conf->server.tcp_idle_timeout;
	s->sh.tcp_max_clients = (uint32_t)conf->server.tcp_max_clients;

	srv_policy_t *pol = server_policy_new(s, conf, keys, err, errlen);
	if (pol == NULL)
		goto fail;
	atomic_init(&s->sh.pol, pol);
	s->nin_none.keyring = NULL;
	s->sh.nin = &s->nin_none;
	s->nworkers = (int)conf->server.workers;
	s->sh.nworkers = s->nworkers;
	s->sh.udp_uring = conf->server.udp_engine == CONF_UDP_URING;
	atomic_init(&s->sh.stopping, false);
	/* Readers: each worker's TCP loop, and one UDP thread per socket per worker. */
	s->sh.qsbr = qsbr_new(s->nworkers * (1 + (int)conf->server.listen.count));
	s->workers = calloc((size_t)s->nworkers, sizeof(*s->workers));
	if (s->sh.qsbr == NULL || s->workers == NULL)
		goto nomem;
	for (int i = 0; i < s->nworkers; i++)
		s->workers[i].stop_fd = -1;
	for (size_t i = 0; i < conf->server.listen.count; i++)
		if (server_probe(&conf->server.listen.addr[i], SOCK_DGRAM, err, errlen) != 0 ||
		    server_probe(&conf->server.listen.addr[i], SOCK_STREAM, err, errlen) != 0)
			goto fail;
	for (int i = 0; i < s->nworkers; i++)
		if (server_worker_init(s, &s->workers[i], i, conf, err, errlen) != 0)
			goto fail;
	return s;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	server_free(s);
	return NULL;
}

static void *
server_worker_main(void *arg)
{
	worker_t *w = arg;
	if (event_base_dispatch(w->base) < 0)
		log_error("worker %d: event loop failed", w->id);
	return NULL;
}

int
server_start(server_t *s, char *err, size_t errlen)
{
	/* Workers inherit this mask: process signals then reach only the
	 * control thread, where libevent turns them into events. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGCHLD);
	int ret = pthread_sigmask(SIG_BLOCK, &block, &old);
	if (ret != 0) {
		snprintf(err, errlen, "pthread_sigmask: %s", strerror(ret));
		return -ret;
	}
	s->started = true;
	for (int i = 0; i < s->nworkers; i++) {
		worker_t *w = &s->workers[i];
		ret = pthread_create(&w->thread, NULL, server_worker_main, w);
		if (ret != 0) {
			snprintf(err, errlen, "cannot start worker %d: %s", i, strerror(ret));
			break;
		}
		w->running = true;
		char name[16];
		snprintf(name, sizeof(name), "flame-wrk%u", (unsigned)i % 1000u);
		(void)pthread_setname_np(w->thread, name);
		for (size_t k = 0; k < w->nsocks; k++) {
			worker_sock_t *ws = &w->socks[k];
			ret = pthread_create(&ws->udp_thread, NULL, udp_thread_main, ws);
			if (ret != 0) {
				snprintf(err, errlen, "cannot start UDP thread of worker %d: %s", i, strerror(ret));
				break;
			}
			ws->udp_running = true;
			snprintf(name, sizeof(name), "flame-udp%u.%u", (unsigned)i % 100u, (unsigned)k % 10u);
			(void)pthread_setname_np(ws->udp_thread, name);
		}
		if (ret != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		server_stop(s);
		return -ret;
	}
	return 0;
}

const zonedb_t *
server_db(const server_t *s)
{
	/* Only the control thread stores the pointer, so it may read it plainly. */
	return atomic_load_explicit(&((server_t *)s)->sh.db, memory_order_relaxed);
}

zonedb_t *
server_swap_db(server_t *s, zonedb_t *db)
{
	zonedb_t *old = atomic_exchange_explicit(&s->sh.db, db, memory_order_acq_rel);
	/* After the grace period no worker is inside a read section that
	 * started before the swap, so none can still hold old. */
	qsbr_synchronize(s->sh.qsbr);
	return old;
}

int
server_workers(const server_t *s)
{
	return s->nworkers;
}

void
server_stop(server_t *s)
{
	if (s == NULL || !s->started)
		return;
	atomic_store(&s->sh.stopping, true);
	for (int i = 0; i < s->nworkers; i++) {
		worker_t *w = &s->workers[i];
		if (!w->running)
			continue;
		uint64_t one = 1;
		if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
			log_error("worker %d: cannot signal stop: %s", i, strerror(errno));
	}
	uint64_t udp = 0, tcp = 0, conns = 0, evicted = 0, timeouts = 0, dropped = 0;
	int uring = 0, udp_threads = 0;
	for (int i = 0; i < s->nworkers; i++) {
		worker_t *w = &s->workers[i];
		for (size_t k = 0; k < w->nsocks; k++) {
			worker_sock_t *ws = &w->socks[k];
			if (!ws->udp_running)
				continue;
			pthread_join(ws->udp_thread, NULL);
			ws->udp_running = false;
			udp += ws->udp_stats.queries;
			dropped += ws->udp_stats.dropped;
			uring += ws->udp_stats.uring;
			udp_threads++;
		}
		if (!w->running)
			continue;
		pthread_join(w->thread, NULL);
		w->running = false;
		tcp += w->stats.tcp_queries;
		conns += w->stats.tcp_accepted;
		evicted += w->stats.tcp_evicted;
		timeouts += w->stats.tcp_timeouts;
	}
	s->started = false;
	log_info("workers stopped: %llu UDP queries (%llu dropped; %d of %d UDP threads on io_uring), "
		 "%llu TCP queries on %llu connections (%llu timed out, %llu evicted)",
		 (unsigned long long)udp, (unsigned long long)dropped, uring, udp_threads, (unsigned long long)tcp,
		 (unsigned long long)conns, (unsigned long long)timeouts, (unsigned long long)evicted);
}

void
server_free(server_t *s)
{
	if (s == NULL)
		return;
	server_stop(s);
	for (int i = 0; s->workers != NULL && i < s->nworkers; i++)
		server_worker_free(&s->workers[i]);
	free(s->workers);
	qsbr_free(s->sh.qsbr);
	zonedb_release(atomic_load(&s->sh.db));
	server_policy_free(atomic_load(&s->sh.pol));
	free(s->identity);
	free(s->version);
	free(s);
}

void
server_set_notify_in(server_t *s, const notifyin_policy_t *pol, void (*post)(void *arg, const notifyin_event_t *ev),
		     void *arg)
{
	s->sh.nin = pol;
	s->sh.nin_post = post;
	s->sh.nin_arg = arg;
}

/* May this refused NOTIFY be logged? At most NIN_LOG_PER_SEC a second. */
static bool
notify_log_ok(worker_shared_t *sh, uint64_t now, uint64_t *dropped)
{
	uint64_t w = atomic_load_explicit(&sh->nin_log_window, memory_order_relaxed);
	for (;;) {
		uint64_t next = (w >> 32) == now ? w + 1 : now << 32 | 1u;
		if ((w >> 32) == now && (w & 0xffffffffu) >= NIN_LOG_PER_SEC) {
			atomic_fetch_add_explicit(&sh->nin_log_dropped, 1, memory_order_relaxed);
			return false;
		}
		if (atomic_compare_exchange_weak_explicit(&sh->nin_log_window, &w, next, memory_order_relaxed,
							  memory_order_relaxed)) {
			*dropped = (w >> 32) != now ? atomic_exchange_explicit(&sh->nin_log_dropped, 0, memory_order_relaxed) : 0;
			return true;
		}
	}
}

/* NOTIFY ACL of a secondary zone, read from the served snapshot: the
 * worker is inside its QSBR read section, so the version (and the ACL the
 * secondary role keeps alive for it) cannot go away meanwhile. */
static const acl_t *
worker_notify_acl(const void *ctx, const uint8_t *origin)
{
	const zone_t *z = zonedb_get(ctx, origin);
	return z != NULL ? acl_slot_get(z->notify_allow) : NULL;
}

size_t
worker_notify(const worker_shared_t *sh, const uint8_t *q, size_t qlen, const struct sockaddr *peer, uint8_t *out,
	      size_t cap)
{
	notifyin_event_t ev;
	char line[2600];
	size_t len = 0;
	socklen_t plen = peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	notifyin_policy_t pol = *sh->nin;
	pol.keyring = worker_policy(sh)->keyring; /* the keyring in force, reloads included */
	pol.lookup = worker_notify_acl;
	pol.ctx = atomic_load_explicit(&((worker_shared_t *)sh)->db, memory_order_acquire);
	notifyin_verdict_t v = notifyin_handle(&pol, q, qlen, peer, plen, (uint64_t)time(NULL), out, cap, &len, &ev,
					       line, sizeof(line));
	if (v == NOTIFYIN_ACCEPTED) {
		log_info("%s", line);
		if (ev.key_retiring)
			log_warning("%s: the sender still uses a key marked for retirement (keys.retiring): "
				    "switch it to the new key", line);
		if (sh->nin_post != NULL)
			sh->nin_post(sh->nin_arg, &ev);
	} else {
		/* Refusals are what an operator looks for when a secondary lags;
		 * the counters are the one mutable part of the shared state. */
		uint64_t dropped = 0;
		if (notify_log_ok((worker_shared_t *)sh, (uint64_t)time(NULL), &dropped)) {
			if (dropped > 0)
				log_notice("%llu more refused NOTIFYs were not logged (at most %d a second)",
					   (unsigned long long)dropped, NIN_LOG_PER_SEC);
			log_notice("%s", line);
		}
	}
	return len;
}
