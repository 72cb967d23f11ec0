/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Control loop of the main thread (see control.h). A reload runs inside the
 * loop, so a second SIGHUP during a reload is simply handled after it; the
 * workers keep answering from the old snapshot the whole time.
 */
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "server/control.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zonedir.h"

typedef struct {
	struct event_base *base;
	server_t *srv;
	const char *zone_dir;
} control_t;

static void control_on_stop(int sig, short what, void *arg);
static void control_on_reload(int sig, short what, void *arg);

static void
control_on_stop(int sig, short what, void *arg)
{
	control_t *ctl = arg;
	log_notice("%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	event_base_loopbreak(ctl->base);
}

static void
control_reload(control_t *ctl)
{
	struct timespec t0, t1;
	zonedir_stats_t st;
	zonedb_t *next = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Build beside the served snapshot; zones that fail keep their version. */
	int ret = zonedir_load(ctl->zone_dir, server_db(ctl->srv), &next, &st);
	if (ret != 0) {
		log_error("reload failed (%s), still serving the previous zones", fl_strerror(ret));
		return;
	}
	if (next != NULL)
		zonedb_release(server_swap_db(ctl->srv, next));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	log_notice("reload done: %zu zones loaded, %zu failed (previous version kept), %zu "
		   "removed; serving %zu zones (%.1f ms)",
		   st.loaded, st.failed, st.removed, zonedb_count(server_db(ctl->srv)), ms);
}

static void
control_on_reload(int sig, short what, void *arg)
{
	control_t *ctl = arg;
	log_notice("SIGHUP received, reloading zones from '%s'", ctl->zone_dir);
	control_reload(ctl);
}

int
control_run(server_t *srv, const char *zone_dir)
{
	control_t ctl = { NULL, srv, zone_dir };
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	int ret = FL_ENOMEM;

	ctl.base = event_base_new();
	if (ctl.base == NULL)
		goto fail;
	ev_term = evsignal_new(ctl.base, SIGTERM, control_on_stop, &ctl);
	ev_int = evsignal_new(ctl.base, SIGINT, control_on_stop, &ctl);
	ev_hup = evsignal_new(ctl.base, SIGHUP, control_on_reload, &ctl);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL || event_add(ev_term, NULL) != 0 ||
	    event_add(ev_int, NULL) != 0 || event_add(ev_hup, NULL) != 0)
		goto fail;
	/* The daemon blocked these signals at start-up so that none could
	 * kill it before now; pending ones are delivered as events. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	ret = event_base_dispatch(ctl.base) < 0 ? FL_EINVAL : 0;
fail:
	if (ret == FL_ENOMEM)
		log_error("control loop: out of memory");
	/* Reverse order of creation. */
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ctl.base != NULL)
		event_base_free(ctl.base);
	return ret;
}
