/* SPDX-License-Identifier: MIT */
/** \file The control socket (see ctlsock.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/ctlsock.h"
#include "util/err.h"
#include "util/log.h"

/* A client that does not finish its request (or read its answer) in this time is dropped. */
#define CTLSOCK_TIMEOUT_S 30
/* Peers' supplementary groups we look at (SO_PEERGROUPS). */
#define CTLSOCK_MAX_GROUPS 256

struct ctlsock {
	int fd;
	char *path;
	bool has_group;
	gid_t gid;
	struct event_base *base;
	struct event *ev;
	ctlsock_handler_fn handler;
	void *arg;
	struct ctl_conn *conns;   /* open connections, closed by ctlsock_stop */
};

typedef struct ctl_conn {
	ctlsock_t *c;
	struct bufferevent *bev;
	struct ctl_conn *next, *prev;
	bool answered;
	char who[64];
} ctl_conn_t;

static void
conn_close(ctl_conn_t *k)
{
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		k->c->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	bufferevent_free(k->bev); /* closes the socket (BEV_OPT_CLOSE_ON_FREE) */
	free(k);
}

/* Queue a whole answer; the connection closes once it is written. */
static void
conn_answer(ctl_conn_t *k, ctl_out_t *out, const char *errmsg)
{
	const char *data = NULL;
	size_t len = 0;
	k->answered = true;
	if (ctl_out_finish(out, errmsg, &data, &len) != 0) {
		ctl_out_free(out);
		ctl_out_init(out);
		if (ctl_out_finish(out, "out of memory", &data, &len) != 0) {
			conn_close(k);
			return;
		}
	}
	if (bufferevent_write(k->bev, data, len) != 0)
		log_warning("control: cannot queue an answer for %s", k->who);
	bufferevent_disable(k->bev, EV_READ);
}

/* Root, our uid, or the configured group: the file mode already says so, this makes sure. */
static bool
peer_allowed(const ctlsock_t *c, int fd, struct ucred *cr)
{
	socklen_t l = sizeof(*cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &l) != 0)
		return false;
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!c->has_group)
		return false;
	if (cr->gid == c->gid)
		return true;
#ifdef SO_PEERGROUPS
	gid_t groups[CTLSOCK_MAX_GROUPS];
	socklen_t gl = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &gl) == 0)
		for (size_t i = 0; i < gl / sizeof(gid_t); i++)
			if (groups[i] == c->gid)
				return true;
#endif
	return false;
}

static void
on_conn_read(struct bufferevent *bev, void *arg)
{
	ctl_conn_t *k = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	ctl_out_t out;
	ctl_req_t req;
	char err[1024] = "";
	size_t n = 0;
	if (k->answered)
		return;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	ctl_out_init(&out);
	if (line == NULL) {
		if (evbuffer_get_length(in) < CTL_REQ_MAX)
			return; /* more to come */
		conn_answer(k, &out, "request line too long");
		goto done;
	}
	if (ctl_req_parse(line, n, &req, err, sizeof(err)) != 0) {
		conn_answer(k, &out, err);
		goto done;
	}
	if (req.version != CTL_PROTO_VERSION) {
		snprintf(err, sizeof(err), "unsupported protocol version %u (this server speaks %d)", req.version,
			 CTL_PROTO_VERSION);
		conn_answer(k, &out, err);
		goto done;
	}
	log_info("control: %s from %s", req.argv[0], k->who);
	if (k->c->handler(k->c->arg, &req, &out, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s failed", req.argv[0]);
		conn_answer(k, &out, err);
	} else {
		conn_answer(k, &out, NULL);
	}
done:
	free(line);
	ctl_out_free(&out); /* bufferevent_write copied it */
}

static void
on_conn_write(struct bufferevent *bev, void *arg)
{
	ctl_conn_t *k = arg;
	if (k->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(k);
}

static void
on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	ctl_conn_t *k = arg;
	if (what & BEV_EVENT_TIMEOUT)
		log_notice("control: %s timed out", k->who);
	conn_close(k);
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	ctlsock_t *c = arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	if (!peer_allowed(c, fd, &cr)) {
		char msg[160];
		int l = snprintf(msg, sizeof(msg), "FLAMECTL %d ERR permission denied: uid %ld may not use this socket\n.\n",
				 CTL_PROTO_VERSION, (long)cr.uid);
		log_warning("control: connection from uid %ld (pid %ld) refused: not root, not uid %ld%s", (long)cr.uid,
			    (long)cr.pid, (long)geteuid(), c->has_group ? ", not in the control group" : "");
		if (write(fd, msg, (size_t)l) != l) {
			/* best effort: the peer learns it from the closed socket anyway */
		}
		close(fd);
		return;
	}
	ctl_conn_t *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		close(fd);
		return;
	}
	k->c = c;
	snprintf(k->who, sizeof(k->who), "uid %ld pid %ld", (long)cr.uid, (long)cr.pid);
	k->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (k->bev == NULL) {
		close(fd);
		free(k);
		return;
	}
	k->next = c->conns;
	if (c->conns != NULL)
		c->conns->prev = k;
	c->conns = k;
	struct timeval tv = { CTLSOCK_TIMEOUT_S, 0 };
	bufferevent_setcb(k->bev, on_conn_read, on_conn_write, on_conn_event, k);
	bufferevent_set_timeouts(k->bev, &tv, &tv);
	if (bufferevent_enable(k->bev, EV_READ | EV_WRITE) != 0)
		conn_close(k);
}

/* Someone answers on path: another daemon owns it. */
static bool
socket_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

ctlsock_t *
ctlsock_open(const char *path, const char *group, uid_t owner, gid_t owner_gid, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	const char *step = "socket";
	ctlsock_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail_nomsg;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control.socket %s: path longer than %zu characters", path, sizeof(sa.sun_path) - 1);
		goto fail_nomsg;
	}
	if (group != NULL) {
		struct group *g = getgrnam(group);
		if (g == NULL) {
			snprintf(err, errlen, "control.group '%s': no such group", group);
			goto fail_nomsg;
		}
		c->has_group = true;
		c->gid = g->gr_gid;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control.socket %s exists and is not a socket", path);
			goto fail_nomsg;
		}
		if (socket_live(path)) {
			snprintf(err, errlen, "control.socket %s is in use (another flame-dnsd running?)", path);
			goto fail_nomsg;
		}
		unlink(path); /* stale: left by a daemon that was killed */
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	/* The mode is right from the start: no window where others could connect. */
	mode_t old = umask(group != NULL ? 0117 : 0177);
	step = "bind";
	int r = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0)
		goto fail;
	step = "chown";
	if ((owner != (uid_t)-1 || group != NULL) &&
	    chown(path, owner, group != NULL ? c->gid : owner != (uid_t)-1 ? owner_gid : (gid_t)-1) != 0)
		goto fail;
	step = "listen";
	if (listen(c->fd, 16) != 0)
		goto fail;
	return c;
fail:
	snprintf(err, errlen, "control.socket %s (%s): %s", path, step, strerror(errno));
fail_nomsg:
	if (c != NULL && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		if (strcmp(step, "socket") != 0)
			unlink(path);
	}
	if (c != NULL)
		free(c->path);
	free(c);
	return NULL;
}

int
ctlsock_start(ctlsock_t *c, struct event_base *base, ctlsock_handler_fn handler, void *arg)
{
	c->base = base;
	c->handler = handler;
	c->arg = arg;
	c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_accept, c);
	if (c->ev == NULL || event_add(c->ev, NULL) != 0)
		return FL_ENOMEM;
	return 0;
}

void
ctlsock_stop(ctlsock_t *c)
{
	if (c == NULL)
		return;
	while (c->conns != NULL)
		conn_close(c->conns);
	if (c->ev != NULL)
		event_free(c->ev);
	c->ev = NULL;
}

void
ctlsock_free(ctlsock_t *c)
{
	if (c == NULL)
		return;
	ctlsock_stop(c);
	if (c->fd >= 0) {
		close(c->fd);
		/* After dropping privileges this may fail in a root-owned directory; the next start replaces it. */
		unlink(c->path);
	}
	free(c->path);
	free(c);
}
