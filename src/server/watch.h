/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone file watcher: inotify on the zone directory (and on the directories
 * of files the zones pull in with $INCLUDE), run on the control thread's
 * libevent base. Events are filtered by name, coalesced per file (a quiet
 * period after the last event, with a cap for a file that never goes
 * quiet) and handed to the caller as one batch of changed zone file names
 * and included paths. It reads no zone and publishes nothing: what a batch
 * means is the caller's business (control.c).
 *
 * The debounce queue (watch_pend_*) and the name filter are separate from
 * inotify and take the time as a parameter, so they are unit-tested alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;

/** Quiet period after the last event of a file before it is reloaded. */
#define WATCH_QUIET_MS 25
/** The same for a file whose last event was a rename into place (the way
 *  editors and deploy tools save): its content is complete at once, so
 *  only a short wait for companions of the same save. Applies while the
 *  directory is not busy (see watch.c); a stream of files keeps the
 *  quiet period above. */
#define WATCH_MOVED_QUIET_MS 2
/** A file that keeps changing is still reloaded this often. */
#define WATCH_CAP_MS 500
/** This many files pending at once is a flood: wait until the whole
 *  directory is quiet (or the cap) and reload them as one batch. */
#define WATCH_FLOOD 64
/* A batch that would follow the previous one within the cap means files
 * are arriving in a stream: treated as a flood too (see watch.c). */

/** One batch of changes, valid during the callback only. */
typedef struct watch_batch {
	const char *const *zones;    /*!< zone file names (no directory) that changed */
	size_t nzones;
	const char *const *includes; /*!< resolved paths of included files that changed */
	size_t nincludes;
	bool rescan;                 /*!< events were lost (queue overflow): reload everything;
					  zones and includes are then empty */
	uint64_t first_us;           /*!< monotonic time of the batch's first event (µs) */
	uint64_t last_us;            /*!< monotonic time of the batch's last event (µs) */
} watch_batch_t;

/** Called from the event loop with each batch. */
typedef void (*watch_fire_fn)(void *ctx, const watch_batch_t *batch);

typedef struct watch watch_t;

/**
 * \brief Start watching dir on base.
 * \param dir    the zone directory (copied)
 * \param since  when the served zones were read (CLOCK_REALTIME), or NULL: files
 *               changed since then, before the watch existed, are queued as if an
 *               event had been seen (and a changed directory queues a rescan)
 * \param fire   receives the batches; it may call watch_set_includes()
 * \return watcher (calls malloc; watch_free), or NULL when inotify is not available
 *         or dir cannot be watched (logged).
 */
watch_t *watch_new(struct event_base *base, const char *dir, const struct timespec *since,
		   watch_fire_fn fire, void *ctx);

/**
 * \brief Replace the set of included files to watch. Their directories
 * (which $INCLUDE keeps inside the zone directory) get a watch each; a
 * directory no longer needed loses it.
 * \param paths  resolved paths (copied); n may be 0
 * \return 0, or FL_ENOMEM (previous set kept). A directory that cannot be
 *         watched is logged and skipped.
 */
int watch_set_includes(watch_t *w, const char *const *paths, size_t n);

/** \brief Stop watching, drop pending changes, free. NULL is fine. */
void watch_free(watch_t *w);

/**
 * \brief Is name (no directory) a zone file name? "*.zone" with a valid
 * zone name before the suffix, not hidden ("..zone", the root zone,
 * excepted). Editor and tool temporaries ("x.zone~", ".#x.zone",
 * ".x.zone.swp", rsync's ".x.zone.AbC123", "#x.zone#") are not.
 */
bool watch_is_zone_name(const char *name);

/* ---- debounce queue (pure; exposed for tests) ---- */

typedef struct watch_pend watch_pend_t;

/** What an event means for a pending file. */
typedef enum {
	WATCH_EV_DONE,    /*!< content complete or file gone: CLOSE_WRITE, MOVED_FROM, DELETE */
	WATCH_EV_CREATE,  /*!< a writer created it: hold a pending file until DONE (or the cap) */
	WATCH_EV_MOVED,   /*!< renamed into place (MOVED_TO): complete, due after the short quiet */
} watch_ev_t;

/**
 * \brief Empty queue. quiet_ms, cap_ms, flood as WATCH_QUIET_MS, WATCH_CAP_MS, WATCH_FLOOD.
 * \return queue (calls malloc; watch_pend_free) or NULL on OOM.
 */
watch_pend_t *watch_pend_new(uint32_t quiet_ms, uint32_t cap_ms, size_t flood);

/** \brief Free the queue. NULL is fine. */
void watch_pend_free(watch_pend_t *p);

/**
 * \brief Record an event for key (a zone file name, or an included path when
 * include is true) at now_us. WATCH_EV_CREATE only affects a file already pending.
 * \return 0 or FL_ENOMEM (the event is lost: the caller should request a rescan).
 */
int watch_pend_touch(watch_pend_t *p, const char *key, bool include, watch_ev_t ev, uint64_t now_us);

/** \brief Events were lost: the next batch is a full rescan (due after the quiet period). */
void watch_pend_rescan(watch_pend_t *p, uint64_t now_us);

/** \brief Number of files pending. */
size_t watch_pend_count(const watch_pend_t *p);

/** \brief When the next batch is due (µs, monotonic), or UINT64_MAX when nothing is pending. */
uint64_t watch_pend_deadline(const watch_pend_t *p);

/**
 * \brief Take every file due at now_us into b (strings owned by p, valid
 * until the next take or free).
 * \return true when b holds something (files or a rescan), false otherwise or on OOM
 *         (then nothing is taken and the next take retries).
 */
bool watch_pend_take(watch_pend_t *p, uint64_t now_us, watch_batch_t *b);
