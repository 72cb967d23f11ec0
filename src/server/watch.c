/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Zone file watcher (see watch.h): inotify events -> name filter ->
 * debounce queue -> batches for the control thread. It never opens a zone
 * file; it only decides *when* and *which*.
 *
 * Which events, and why:
 * - IN_CLOSE_WRITE, not IN_MODIFY: MODIFY fires on every write(), so a
 *   reload could parse the first half of a file its writer is still
 *   writing. CLOSE_WRITE fires when a writer is done. An in-place writer
 *   that truncates a file we are reading can still show us a partial file;
 *   that load either fails (the served version stays, the error is logged)
 *   or loads something the writer's own CLOSE_WRITE replaces a moment
 *   later. Only write-temp-then-rename is safe against that, and it is what
 *   editors, rsync and configuration tools do.
 * - IN_MOVED_TO: write-temp-then-rename (rsync, sed -i, most editors,
 *   install, Ansible). rename(2) is atomic: a reader opens either the old
 *   inode or the new one, both complete, so the temp file itself never
 *   needs to be read and is ignored by name.
 * - IN_MOVED_FROM, IN_DELETE: the zone may be gone; the reload stats the
 *   file and drops the zone only when it is really missing (an editor that
 *   moves the old file away and writes a new one is coalesced into one
 *   reload that finds the new file).
 * - IN_CREATE alone is never a reason to reload: a created file is complete
 *   only at its CLOSE_WRITE (or when it was renamed in). It only holds a
 *   file that is already pending (delete then create) until that close.
 * - IN_Q_OVERFLOW: the kernel dropped events; nothing can be trusted, so
 *   the next batch is a full rescan.
 * - IN_DELETE_SELF / IN_MOVE_SELF on the zone directory: nothing more will
 *   arrive; logged as an error (SIGHUP still reloads once it is back).
 *
 * Why every change ends up served: reloads run on this same thread, so any
 * event that happens while a file is being read is queued by the kernel
 * and read afterwards, which schedules another reload. The last event for
 * a file therefore always has a reload that starts after it.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dname.h"
#include "server/watch.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/log.h"
#include "zone/zonedir.h"

/* What we ask inotify for on every watched directory (the zone directory
 * and include directories share one mask because two watches on one inode
 * are one watch with one mask). IN_EXCL_UNLINK: no events for files already
 * unlinked but still open. IN_ONLYDIR: refuse to watch a file by mistake. */
#define WATCH_MASK                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

/* At most this many read() calls per readiness callback, so a directory
 * that never stops changing cannot starve the timer and the signals. */
#define WATCH_READS_PER_CALL 64

/* ---- debounce queue ---- */

typedef struct {
	char *key;
	uint64_t first;  /*!< first event since it became pending (µs) */
	uint64_t last;   /*!< latest event (µs) */
	bool include;
	bool writing;    /*!< created and not closed yet */
	bool moved;      /*!< the latest event renamed it into place */
} watch_item_t;

struct watch_pend {
	uint64_t quiet, cap;  /*!< µs */
	uint64_t quick;       /*!< quiet period after a rename into place (µs) */
	size_t flood;
	watch_item_t *v;
	size_t n, vcap;
	uint32_t *hash;       /*!< open addressing: index + 1, 0 = empty */
	size_t hsize;         /*!< power of two, > 2 n */
	bool rescan;
	uint64_t rescan_at;
	uint64_t last_any;    /*!< latest event over everything pending */
	uint64_t last_take;   /*!< when the previous batch was taken (0: never) */
	size_t last_batch;    /*!< how many files it had */
	uint64_t busy;        /*!< a batch due this soon after the previous one means the
				   directory is busy (µs) */
	/* the last batch taken (kept until the next take) */
	char **taken;
	size_t ntaken;
	const char **zones, **incls;
};

static uint32_t
watch_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int
watch_pend_rehash(watch_pend_t *p, size_t want)
{
	size_t size = 64;
	while (size < want * 2 + 1)
		size *= 2;
	uint32_t *h = calloc(size, sizeof(*h));
	if (h == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		size_t s = watch_hash(p->v[i].key) & (size - 1);
		while (h[s] != 0)
			s = (s + 1) & (size - 1);
		h[s] = (uint32_t)i + 1;
	}
	free(p->hash);
	p->hash = h;
	p->hsize = size;
	return 0;
}

watch_pend_t *
watch_pend_new(uint32_t quiet_ms, uint32_t cap_ms, size_t flood)
{
	watch_pend_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->quiet = (uint64_t)quiet_ms * 1000;
	p->quick = WATCH_MOVED_QUIET_MS < quiet_ms ? (uint64_t)WATCH_MOVED_QUIET_MS * 1000 : p->quiet;
	p->cap = (uint64_t)cap_ms * 1000;
	p->flood = flood > 0 ? flood : 1;
	/* Within one cap period of the previous batch the directory counts
	 * as busy: with a single active file the group rule below is the
	 * same as the per-file rule, so a lone edit loses nothing. */
	p->busy = p->cap;
	if (watch_pend_rehash(p, 0) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void
watch_pend_drop_taken(watch_pend_t *p)
{
	for (size_t i = 0; i < p->ntaken; i++)
		free(p->taken[i]);
	free(p->taken);
	free(p->zones);
	free(p->incls);
	p->taken = NULL;
	p->zones = p->incls = NULL;
	p->ntaken = 0;
}

void
watch_pend_free(watch_pend_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].key);
	free(p->v);
	free(p->hash);
	watch_pend_drop_taken(p);
	free(p);
}

static watch_item_t *
watch_pend_find(const watch_pend_t *p, const char *key)
{
	size_t s = watch_hash(key) & (p->hsize - 1);
	while (p->hash[s] != 0) {
		watch_item_t *it = &p->v[p->hash[s] - 1];
		if (strcmp(it->key, key) == 0)
			return it;
		s = (s + 1) & (p->hsize - 1);
	}
	return NULL;
}

int
watch_pend_touch(watch_pend_t *p, const char *key, bool include, watch_ev_t ev, uint64_t now_us)
{
	watch_item_t *it = watch_pend_find(p, key);
	if (it == NULL) {
		if (ev == WATCH_EV_CREATE)
			return 0; /* not complete yet: its CLOSE_WRITE will come */
		if ((p->n + 1) * 2 >= p->hsize && watch_pend_rehash(p, p->n + 1) != 0)
			return FL_ENOMEM;
		if (fl_grow(&p->v, &p->vcap, p->n, sizeof(*p->v), 16) != 0)
			return FL_ENOMEM;
		char *k = strdup(key);
		if (k == NULL)
			return FL_ENOMEM;
		it = &p->v[p->n];
		*it = (watch_item_t){ .key = k, .first = now_us, .include = include };
		size_t s = watch_hash(k) & (p->hsize - 1);
		while (p->hash[s] != 0)
			s = (s + 1) & (p->hsize - 1);
		p->hash[s] = (uint32_t)++p->n;
	}
	it->last = now_us;
	it->writing = ev == WATCH_EV_CREATE;
	it->moved = ev == WATCH_EV_MOVED;
	if (now_us > p->last_any)
		p->last_any = now_us;
	return 0;
}

void
watch_pend_rescan(watch_pend_t *p, uint64_t now_us)
{
	p->rescan = true;
	p->rescan_at = now_us + p->quiet;
}

size_t
watch_pend_count(const watch_pend_t *p)
{
	return p->n;
}

static uint64_t
watch_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* When item it is due. A file being written waits for its close (or the
 * cap). Normally a file is due one quiet period after its own last event.
 * When the directory is busy (many files pending, or this batch would
 * follow the previous one within the cap: files may be arriving
 * in a stream, e.g. a copy of thousands of zones), a file waits for the
 * whole directory to be quiet, or for the cap: a stream becomes one batch
 * per cap period instead of one per quiet period, and every batch costs a
 * snapshot rebuild. The price: while some other file changes without
 * pause, an edit waits up to the cap. */
static uint64_t
watch_item_due(const watch_pend_t *p, const watch_item_t *it, uint64_t group)
{
	uint64_t capped = it->first + p->cap;
	if (it->writing)
		return capped;
	uint64_t own = watch_min(capped, it->last + (it->moved ? p->quick : p->quiet));
	/* One file saved again and again (the previous batch was that file
	 * alone) is no stream: its rename keeps the short quiet period. */
	bool stream = p->n > 1 || p->last_batch != 1;
	bool busy = p->n >= p->flood || (p->last_take != 0 && own < p->last_take + p->busy && stream);
	return busy ? group : own;
}

/* When the busy files are due, all together: the directory quiet for one
 * quiet period, or the cap counted from the oldest of them (counting it per
 * file would release a stream file by file, one batch per tick). */
static uint64_t
watch_group_due(const watch_pend_t *p)
{
	uint64_t oldest = UINT64_MAX;
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].writing)
			oldest = watch_min(oldest, p->v[i].first);
	if (oldest == UINT64_MAX)
		return UINT64_MAX;
	return watch_min(oldest + p->cap, p->last_any + p->quiet);
}

uint64_t
watch_pend_deadline(const watch_pend_t *p)
{
	uint64_t d = p->rescan ? p->rescan_at : UINT64_MAX;
	uint64_t group = watch_group_due(p);
	for (size_t i = 0; i < p->n; i++)
		d = watch_min(d, watch_item_due(p, &p->v[i], group));
	return d;
}

bool
watch_pend_take(watch_pend_t *p, uint64_t now_us, watch_batch_t *b)
{
	bool rescan = p->rescan && now_us >= p->rescan_at;
	size_t ndue = 0, nz = 0, ni = 0;

	uint64_t group = watch_group_due(p);
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < p->n; i++)
		if (rescan || watch_item_due(p, &p->v[i], group) <= now_us)
			ndue++;
	if (!rescan && ndue == 0)
		return false;
	watch_pend_drop_taken(p);
	p->taken = malloc((ndue + 1) * sizeof(*p->taken));
	p->zones = malloc((ndue + 1) * sizeof(*p->zones));
	p->incls = malloc((ndue + 1) * sizeof(*p->incls));
	if (p->taken == NULL || p->zones == NULL || p->incls == NULL) {
		watch_pend_drop_taken(p);
		return false;
	}
	b->first_us = UINT64_MAX;
	size_t keep = 0, n = p->n;
	for (size_t i = 0; i < n; i++) {
		watch_item_t *it = &p->v[i];
		if (!rescan && watch_item_due(p, it, group) > now_us) {
			p->v[keep++] = *it;
			continue;
		}
		b->first_us = watch_min(b->first_us, it->first);
		if (it->last > b->last_us)
			b->last_us = it->last;
		p->taken[p->ntaken++] = it->key;
		/* A rescan reloads everything: the names are not needed. */
		if (!rescan && it->include)
			p->incls[ni++] = it->key;
		else if (!rescan)
			p->zones[nz++] = it->key;
	}
	if (rescan) {
		p->rescan = false;
		b->rescan = true;
		b->first_us = watch_min(b->first_us, p->rescan_at - p->quiet);
		if (p->rescan_at - p->quiet > b->last_us)
			b->last_us = p->rescan_at - p->quiet;
	}
	/* Only now: the due times above must be the ones ndue counted. */
	p->last_take = now_us;
	p->last_batch = p->ntaken;
	p->n = keep;
	p->last_any = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].last > p->last_any)
			p->last_any = p->v[i].last;
	/* Same size: the rebuild cannot fail for lack of a larger table,
	 * but it allocates; on failure keep the old table and rebuild it in
	 * place instead. */
	if (watch_pend_rehash(p, p->n) != 0) {
		memset(p->hash, 0, p->hsize * sizeof(*p->hash));
		for (size_t i = 0; i < p->n; i++) {
			size_t s = watch_hash(p->v[i].key) & (p->hsize - 1);
			while (p->hash[s] != 0)
				s = (s + 1) & (p->hsize - 1);
			p->hash[s] = (uint32_t)i + 1;
		}
	}
	b->zones = p->zones;
	b->nzones = nz;
	b->includes = p->incls;
	b->nincludes = ni;
	return true;
}

/* ---- names ---- */

bool
watch_is_zone_name(const char *name)
{
	uint8_t origin[DNAME_MAXLEN];
	/* Hidden names are editor and tool temporaries (vim ".x.swp", emacs
	 * ".#x", rsync ".x.zone.XXXXXX"), as in zonedir's scan; "..zone" is
	 * the root zone. Suffixes other than ".zone" ("x.zone~", "x.zone.tmp")
	 * fail zonedir_origin. */
	if (name[0] == '.' && strcmp(name, "..zone") != 0)
		return false;
	return zonedir_origin(name, origin) >= 0;
}

/* ---- inotify ---- */

typedef struct {
	int wd;
	char *dir;     /*!< realpath */
	bool top;      /*!< the zone directory */
	bool incl;     /*!< holds included files */
} watch_dir_t;

struct watch {
	struct event_base *base;
	struct event *ev_in;
	struct event *ev_timer;
	int fd;
	char *dir;            /*!< as configured, for messages */
	watch_dir_t *dirs;
	size_t ndirs, capdirs;
	char **incl;          /*!< sorted resolved paths of included files */
	size_t nincl;
	watch_pend_t *pend;
	watch_fire_fn fire;
	void *ctx;
};

static void watch_on_read(evutil_socket_t fd, short what, void *arg);
static void watch_on_timer(evutil_socket_t fd, short what, void *arg);

static uint64_t
watch_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static watch_dir_t *
watch_dir_by_wd(watch_t *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void
watch_dir_remove(watch_t *w, watch_dir_t *d)
{
	size_t i = (size_t)(d - w->dirs);
	free(d->dir);
	memmove(&w->dirs[i], &w->dirs[i + 1], (w->ndirs - i - 1) * sizeof(*w->dirs));
	w->ndirs--;
}

/* Add a watch on dir (a realpath). Returns the entry, or NULL (logged). */
static watch_dir_t *
watch_dir_add(watch_t *w, const char *dir, bool top)
{
	if (w->ndirs == w->capdirs) {
		size_t ncap = w->capdirs ? w->capdirs * 2 : 4;
		watch_dir_t *grown = realloc(w->dirs, ncap * sizeof(*grown));
		if (grown == NULL) {
			log_error("watch '%s': out of memory", dir);
			return NULL;
		}
		w->dirs = grown;
		w->capdirs = ncap;
	}
	int wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
	if (wd < 0) {
		log_error("cannot watch directory '%s': %s%s", dir, strerror(errno),
			  errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
		return NULL;
	}
	/* Watching an inode twice returns the same descriptor: the zone
	 * directory can also be where included files live. */
	watch_dir_t *d = watch_dir_by_wd(w, wd);
	if (d != NULL)
		return d;
	char *copy = strdup(dir);
	if (copy == NULL) {
		log_error("watch '%s': out of memory", dir);
		inotify_rm_watch(w->fd, wd);
		return NULL;
	}
	d = &w->dirs[w->ndirs++];
	*d = (watch_dir_t){ .wd = wd, .dir = copy, .top = top };
	return d;
}

static void
watch_touch(watch_t *w, const char *key, bool include, watch_ev_t ev, uint64_t now)
{
	if (watch_pend_touch(w->pend, key, include, ev, now) != 0) {
		/* The change cannot be remembered: reload everything instead. */
		log_error("zone watch: out of memory, scheduling a full reload");
		watch_pend_rescan(w->pend, now);
	}
}

static bool
watch_is_include(const watch_t *w, const char *path)
{
	size_t lo = 0, hi = w->nincl;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(w->incl[mid], path);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void
watch_event(watch_t *w, const struct inotify_event *ev, uint64_t now)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warning("zone watch: the kernel event queue overflowed, scheduling a full reload");
		watch_pend_rescan(w->pend, now);
		return;
	}
	watch_dir_t *d = watch_dir_by_wd(w, ev->wd);
	if (d == NULL)
		return; /* a directory we stopped watching: its last events */
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
		const char *what = ev->mask & IN_DELETE_SELF ? "deleted" :
				   ev->mask & IN_MOVE_SELF ? "moved or renamed" : "unmounted";
		if (d->top)
			log_error("zone directory '%s' was %s: zone files are no longer watched "
				  "(still serving the loaded zones; restart or SIGHUP once it is back)",
				  w->dir, what);
		else
			log_warning("include directory '%s' was %s: its files are no longer watched",
				    d->dir, what);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		/* The kernel dropped the watch (directory gone or unmounted). */
		watch_dir_remove(w, d);
		return;
	}
	if (ev->len == 0 || (ev->mask & IN_ISDIR))
		return;
	const watch_ev_t kind = (ev->mask & IN_CREATE)	? WATCH_EV_CREATE
				: (ev->mask & IN_MOVED_TO) ? WATCH_EV_MOVED
							  : WATCH_EV_DONE;
	const char *name = ev->name;
	if (d->top && watch_is_zone_name(name)) {
		log_debug("zone watch: %s %s", name,
			  ev->mask & IN_CLOSE_WRITE ? "written" : ev->mask & IN_MOVED_TO ? "moved in" :
			  ev->mask & IN_CREATE ? "created" : "moved away or deleted");
		watch_touch(w, name, false, kind, now);
	}
	if (d->incl) {
		char path[PATH_MAX + NAME_MAX + 2];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->dir, name) < sizeof(path) &&
		    watch_is_include(w, path)) {
			log_debug("zone watch: included file %s changed", path);
			watch_touch(w, path, true, kind, now);
		}
	}
}

/* Arm the timer for the earliest due file, or stop it when none is pending. */
static void
watch_rearm(watch_t *w)
{
	uint64_t due = watch_pend_deadline(w->pend);
	if (due == UINT64_MAX) {
		evtimer_del(w->ev_timer);
		return;
	}
	uint64_t now = watch_now_us();
	uint64_t wait = due > now ? due - now : 0;
	struct timeval tv = { (time_t)(wait / 1000000u), (suseconds_t)(wait % 1000000u) };
	if (evtimer_add(w->ev_timer, &tv) != 0)
		log_error("zone watch: cannot arm the timer");
}

static void
watch_on_read(evutil_socket_t fd, short what, void *arg)
{
	watch_t *w = arg;
	/* Aligned for struct inotify_event; room for many events per read. */
	char buf[32768] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (int reads = 0; reads < WATCH_READS_PER_CALL; reads++) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				log_error("zone watch: read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		uint64_t now = watch_now_us();
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			watch_event(w, ev, now);
			p += sizeof(*ev) + ev->len;
		}
	}
	watch_rearm(w);
}

static void
watch_on_timer(evutil_socket_t fd, short what, void *arg)
{
	watch_t *w = arg;
	watch_batch_t b;
	if (watch_pend_take(w->pend, watch_now_us(), &b)) {
		if (b.rescan)
			log_notice("zone watch: full reload after lost events");
		w->fire(w->ctx, &b);
	}
	watch_rearm(w);
}

/* Files changed between the initial load and the first watch: queue them,
 * so nothing written during start-up waits for the next SIGHUP. ctime, not
 * mtime: rsync -t and cp -p set mtime back, nothing sets ctime back. Both
 * sides use the kernel's coarse clock (see the daemon's main). */
static void
watch_catch_up(watch_t *w, const struct timespec *since)
{
	struct stat sb;
	uint64_t now = watch_now_us();
#define WATCH_AFTER(ts) \
	((ts).tv_sec > since->tv_sec || ((ts).tv_sec == since->tv_sec && (ts).tv_nsec >= since->tv_nsec))
	if (stat(w->dir, &sb) == 0 && WATCH_AFTER(sb.st_ctim)) {
		/* Files were added, removed or renamed: only a full pass tells which. */
		log_info("zone directory changed during start-up, scheduling a full reload");
		watch_pend_rescan(w->pend, now);
		return;
	}
	DIR *dh = opendir(w->dir);
	if (dh == NULL) {
		log_warning("zone directory '%s': %s", w->dir, strerror(errno));
		return;
	}
	for (struct dirent *de; (de = readdir(dh)) != NULL;) {
		if (!watch_is_zone_name(de->d_name))
			continue;
		if (fstatat(dirfd(dh), de->d_name, &sb, 0) == 0 && WATCH_AFTER(sb.st_ctim))
			watch_touch(w, de->d_name, false, WATCH_EV_DONE, now);
	}
#undef WATCH_AFTER
	closedir(dh);
}

watch_t *
watch_new(struct event_base *base, const char *dir, const struct timespec *since, watch_fire_fn fire,
	  void *ctx)
{
	char *real = NULL;
	watch_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto oom;
	w->fd = -1;
	w->base = base;
	w->fire = fire;
	w->ctx = ctx;
	w->dir = strdup(dir);
	w->pend = watch_pend_new(WATCH_QUIET_MS, WATCH_CAP_MS, WATCH_FLOOD);
	if (w->dir == NULL || w->pend == NULL)
		goto oom;
	/* Include paths come back from zonefile as realpaths; event paths
	 * are built from the watched directory's realpath to match them. */
	real = realpath(dir, NULL);
	if (real == NULL) {
		log_error("zone directory '%s': %s, not watching it", dir, strerror(errno));
		goto fail;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		log_error("inotify: %s, zone files are not watched%s", strerror(errno),
			  errno == EMFILE ? " (raise fs.inotify.max_user_instances)" : "");
		goto fail;
	}
	if (watch_dir_add(w, real, true) == NULL)
		goto fail;
	w->ev_in = event_new(base, w->fd, EV_READ | EV_PERSIST, watch_on_read, w);
	w->ev_timer = evtimer_new(base, watch_on_timer, w);
	if (w->ev_in == NULL || w->ev_timer == NULL || event_add(w->ev_in, NULL) != 0)
		goto oom;
	/* After the watch exists: whatever happens from now on is an event. */
	if (since != NULL)
		watch_catch_up(w, since);
	watch_rearm(w);
	free(real);
	log_info("watching zone directory '%s' (inotify)", dir);
	return w;
oom:
	log_error("zone watch: out of memory, zone files are not watched");
fail:
	free(real);
	watch_free(w);
	return NULL;
}

static int
watch_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
watch_set_includes(watch_t *w, const char *const *paths, size_t n)
{
	char **incl = calloc(n + 1, sizeof(*incl));
	if (incl == NULL)
		return FL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		incl[i] = strdup(paths[i]);
		if (incl[i] == NULL) {
			for (size_t k = 0; k < i; k++)
				free(incl[k]);
			free(incl);
			return FL_ENOMEM;
		}
	}
	if (n > 1)
		qsort(incl, n, sizeof(*incl), watch_strp_cmp);

	/* Mark the directories still needed, add the new ones, then drop the
	 * rest (never the zone directory itself). */
	for (size_t i = 0; i < w->ndirs; i++)
		w->dirs[i].incl = false;
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX];
		const char *slash = strrchr(incl[i], '/');
		size_t len = slash == NULL ? 0 : (size_t)(slash - incl[i]);
		if (slash == NULL || len >= sizeof(dir))
			continue;
		memcpy(dir, incl[i], len);
		dir[len] = '\0';
		if (len == 0)
			strcpy(dir, "/");
		watch_dir_t *d = NULL;
		for (size_t k = 0; k < w->ndirs && d == NULL; k++)
			if (strcmp(w->dirs[k].dir, dir) == 0)
				d = &w->dirs[k];
		if (d == NULL && (d = watch_dir_add(w, dir, false)) != NULL)
			log_info("watching include directory '%s'", dir);
		if (d != NULL)
			d->incl = true;
	}
	for (size_t i = 0; i < w->ndirs;) {
		watch_dir_t *d = &w->dirs[i];
		if (d->top || d->incl) {
			i++;
			continue;
		}
		log_info("no longer watching include directory '%s'", d->dir);
		inotify_rm_watch(w->fd, d->wd);
		watch_dir_remove(w, d);
	}
	for (size_t i = 0; i < w->nincl; i++)
		free(w->incl[i]);
	free(w->incl);
	w->incl = incl;
	w->nincl = n;
	return 0;
}

void
watch_free(watch_t *w)
{
	if (w == NULL)
		return;
	if (w->ev_timer != NULL)
		event_free(w->ev_timer);
	if (w->ev_in != NULL)
		event_free(w->ev_in);
	/* Closing the descriptor drops every watch with it. */
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].dir);
	free(w->dirs);
	for (size_t i = 0; i < w->nincl; i++)
		free(w->incl[i]);
	free(w->incl);
	watch_pend_free(w->pend);
	free(w->dir);
	free(w);
}
