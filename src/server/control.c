/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Control loop of the main thread (see control.h). A reload runs inside the
 * loop, so a second SIGHUP (or a watch batch) during a reload is simply
 * handled after it; the workers keep answering from the old snapshot the
 * whole time. Every reload, full or partial, ends in control_publish().
 */
#include <event2/event.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dname.h"
#include "keys/keys.h"
#include "server/control.h"
#include "server/ctlcmd.h"
#include "server/ctlsock.h"
#include "server/resign.h"
#include "server/watch.h"
#include "util/err.h"
#include "util/grow.h"
#include "util/log.h"
#include "zone/zonedir.h"

/* Zones named one by one in a reload log line; a larger batch is summed up. */
#define CONTROL_LOG_ZONES 8

typedef struct {
	struct event_base *base;
	server_t *srv;
	const char *zone_dir;
	zonedir_deps_t *deps;   /*!< may be NULL */
	primary_t *primary;     /*!< may be NULL */
	catprod_t *catprod;     /*!< may be NULL */
	watch_t *watch;         /*!< NULL: not watching */
	notify_t *notify;       /*!< may be NULL */
	secondary_t *secondary; /*!< may be NULL */
	const conf_t *conf;     /*!< in force: the caller's, or own_conf after a reload */
	conf_t *own_conf;       /*!< the last reloaded config (owned) */
	control_load_fn load;   /*!< NULL: reloads are zones only */
	void *load_arg;
	ctlsock_t *ctl;         /*!< may be NULL */
	tsig_keyring_t *kr;     /*!< the last reloaded keyring (own reference): the NOTIFY
				     targets point into it whatever else holds it */
	ctlcmd_env_t env;       /*!< what flamectl's commands see */
	resign_t *resign;       /*!< re-sign timers of signed zones (with a primary), may be NULL */
} control_t;

/** A growable list of owned strings. */
typedef struct {
	char **v;
	size_t n, cap;
	bool oom;
} control_names_t;

static void control_on_stop(int sig, short what, void *arg);
static void control_on_reload(int sig, short what, void *arg);
static void control_on_watch(void *arg, const watch_batch_t *b);
static void control_add_name(void *arg, const char *fname);
static void control_notify(control_t *ctl, const zonedb_t *prev, const zonedb_t *next);
static void control_resign_arm(control_t *ctl, const zonedb_t *prev, const zonedb_t *next);

static uint64_t
control_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
control_on_stop(int sig, short what, void *arg)
{
	control_t *ctl = arg;
	log_notice("%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	event_base_loopbreak(ctl->base);
}

/* "a.test. 1 -> 2, b.test. removed (was 7), ..." for the zones a batch
 * named, comparing the served snapshot with the candidate. */
static void
control_describe(const zonedb_t *old, const zonedb_t *next, const char *const *fnames, size_t n,
		 char *out, size_t outlen)
{
	size_t off = 0, shown = 0, changed = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		uint8_t origin[DNAME_MAXLEN];
		char oname[1024], item[1200];
		if (zonedir_origin(fnames[i], origin) < 0)
			continue;
		const zone_t *o = zonedb_get(old, origin);
		const zone_t *z = next != NULL ? zonedb_get(next, origin) : o;
		if (dname_to_str(origin, oname, sizeof(oname)) < 0)
			snprintf(oname, sizeof(oname), "?");
		if (o == NULL && z == NULL)
			snprintf(item, sizeof(item), "%s not served", oname);
		else if (o == NULL)
			snprintf(item, sizeof(item), "%s new, serial %u", oname, z->serial);
		else if (z == NULL)
			snprintf(item, sizeof(item), "%s removed (was serial %u)", oname, o->serial);
		else if (o == z) /* unchanged, or refused (the pipeline logged why) */
			snprintf(item, sizeof(item), "%s serial %u kept", oname, o->serial);
		else
			snprintf(item, sizeof(item), "%s serial %u -> %u", oname, o->serial, z->serial);
		if (o != z)
			changed++;
		if (shown++ < CONTROL_LOG_ZONES && off < outlen)
			off += (size_t)snprintf(out + off, outlen - off, "%s%s", off ? ", " : "", item);
	}
	if (shown > CONTROL_LOG_ZONES && off < outlen)
		snprintf(out + off, outlen - off, ", ... (%zu zones in the batch, %zu changed)", shown,
			 changed);
}

/**
 * The one point where a loaded candidate becomes what the workers serve.
 * Everything before it builds beside the served snapshot; everything after
 * it is reclamation. Later stages of the zone pipeline (serial policy, diff
 * against the served version, journal commit, NOTIFY) hook in here, between
 * "candidate built" and the swap, and may refuse a zone by keeping its
 * served version in the candidate.
 * \param next     candidate snapshot (owned from now on), or NULL when nothing changed
 * \param cause    "SIGHUP", "watch", "rescan": for the log line
 * \param fnames   the zone files the reload was about (NULL for a full reload)
 * \param event_us monotonic time of the last event that caused it (0: none)
 */
static void
control_publish(control_t *ctl, zonedb_t *next, const char *cause, const char *const *fnames, size_t n,
		uint64_t event_us)
{
	char what[2048] = "";
	const zonedb_t *old = server_db(ctl->srv);

	/* A directory reload knows only files: the secondary zones stay as served. */
	if (next != NULL && ctl->secondary != NULL && (next = secondary_merge(ctl->secondary, old, next)) == NULL)
		log_error("out of memory keeping the secondary zones: nothing published");
	/* The catalog follows the member zones in the same commit. */
	if (next != NULL && ctl->catprod != NULL)
		next = catprod_update(ctl->catprod, old, next);
	/* Serial policy, diff, journal (fsync) and history before anything is visible. */
	if (next != NULL && ctl->primary != NULL)
		next = primary_commit(ctl->primary, old, next);
	if (next != NULL && ctl->catprod != NULL)
		catprod_save(ctl->catprod, next);
	if (fnames != NULL)
		control_describe(old, next, fnames, n, what, sizeof(what));
	if (next != NULL) {
		zonedb_t *prev = server_swap_db(ctl->srv, next);
		/* Before the release: prev is still readable here. */
		control_notify(ctl, prev, next);
		control_resign_arm(ctl, prev, next);
		zonedb_release(prev);
	}
	if (fnames == NULL)
		return; /* a full reload logs its own summary */
	if (event_us == 0) {
		log_notice("reload (%s): %s%s", cause, next != NULL ? "" : "nothing published: ", what);
		return;
	}
	uint64_t now = control_now_us();
	double ms = now > event_us ? (double)(now - event_us) / 1e3 : 0.0;
	log_notice("reload (%s): %s%s; %s %.1f ms after the last event, serving %zu zones", cause,
		   next != NULL ? "" : "nothing published: ", what,
		   next != NULL ? "published" : "done", ms, zonedb_count(server_db(ctl->srv)));
}

/* NOTIFY (RFC 1996) every zone of the published snapshot whose serial is
 * not the one served before: a new zone too, since a secondary may already
 * be configured for it. Called after the swap, so a secondary that reacts
 * at once already sees the new serial. */
static void
control_notify(control_t *ctl, const zonedb_t *prev, const zonedb_t *next)
{
	if (ctl->notify == NULL || notify_targets(ctl->notify) == 0)
		return;
	uint64_t now = control_now_us();
	for (size_t i = 0; i < zonedb_count(next); i++) {
		const zone_t *z = zonedb_at(next, i);
		const zone_t *o = prev != NULL ? zonedb_get(prev, z->origin) : NULL;
		/* A new member of our catalog: the secondaries learn it from the
		 * catalog's NOTIFY and transfer it then; a NOTIFY now would only
		 * reach secondaries that do not know the zone yet (NOTAUTH). */
		if (o == NULL && ctl->catprod != NULL && z->notify_allow == NULL &&
		    !dname_eq(z->origin, catprod_origin(ctl->catprod)))
			continue;
		if (o == NULL || o->serial != z->serial)
			notify_zone_changed(ctl->notify, z, now); /* failures are logged there */
	}
}

/* Re-arm the re-sign timer of every zone whose version changed between
 * prev and next (an edit re-signs too, so its earliest expiry moved). A
 * zone that left keeps a timer that finds nothing when it fires. */
static void
control_resign_arm(control_t *ctl, const zonedb_t *prev, const zonedb_t *next)
{
	if (ctl->resign == NULL || ctl->primary == NULL)
		return;
	time_t now = time(NULL), at;
	for (size_t i = 0; i < zonedb_count(next); i++) {
		const zone_t *z = zonedb_at(next, i);
		if (prev != NULL && zonedb_get(prev, z->origin) == z)
			continue;
		if (!primary_resign_at(ctl->primary, z, now, &at))
			resign_disarm(ctl->resign, z->origin);
		else if (resign_arm(ctl->resign, z->origin, at) != 0)
			log_error("out of memory arming the re-sign timer of a zone: its signatures are renewed at its next edit only");
	}
}

/* Zones whose re-sign timers fired: each one re-signed from its served
 * version (primary_resign), all of them published in one snapshot, then
 * NOTIFY and the timers re-armed for the new versions. A zone that was
 * not due after all is re-armed; one that failed is tried again later. */
static void
control_on_resign(void *arg, const uint8_t *const *origins, size_t n)
{
	control_t *ctl = arg;
	zone_t *add[RESIGN_BATCH];
	size_t k = 0;
	time_t now = time(NULL), at;
	const zonedb_t *db = server_db(ctl->srv);
	for (size_t i = 0; i < n; i++) {
		const zone_t *old = zonedb_get(db, origins[i]);
		if (old == NULL) {
			resign_disarm(ctl->resign, origins[i]); /* removed meanwhile */
			continue;
		}
		int r = primary_resign(ctl->primary, old, &add[k]);
		if (r == 1)
			k++;
		else if (r == 0 && primary_resign_at(ctl->primary, old, now, &at))
			resign_arm(ctl->resign, origins[i], at);
		else if (r < 0)
			resign_arm(ctl->resign, origins[i], now + 30); /* logged by primary_resign */
	}
	if (k == 0)
		return;
	zonedb_t *next = zonedb_update(db, add, k, NULL, 0);
	if (next == NULL) {
		log_error("out of memory publishing %zu re-signed zones: still serving the previous versions", k);
		for (size_t i = 0; i < k; i++) {
			resign_arm(ctl->resign, add[i]->origin, now + 30);
			zone_free(add[i]);
		}
		return;
	}
	zonedb_t *prev = server_swap_db(ctl->srv, next);
	control_notify(ctl, prev, next);
	control_resign_arm(ctl, prev, next);
	zonedb_release(prev);
}

/* Secondary hooks: the served version of a zone, and publishing a transferred one. */
static const zone_t *
control_current(void *arg, const uint8_t *origin)
{
	control_t *ctl = arg;
	return zonedb_get(server_db(ctl->srv), origin);
}

static void
control_sync(void *arg)
{
	control_t *ctl = arg;
	server_synchronize(ctl->srv);
}

static void
control_update_zones(void *arg, zone_t *const *add, size_t nadd, const uint8_t *const *del, size_t ndel)
{
	control_t *ctl = arg;
	zonedb_t *next = zonedb_update(server_db(ctl->srv), add, nadd, del, ndel);
	if (next == NULL) {
		log_error("out of memory publishing %zu transferred zones: still serving the previous versions", nadd);
		return;
	}
	zonedb_t *prev = server_swap_db(ctl->srv, next);
	control_notify(ctl, prev, next); /* downstream secondaries (chaining) */
	zonedb_release(prev);
}

/* Tell the watcher which included files (and so which directories) matter now. */
static void
control_update_includes(control_t *ctl)
{
	const char **paths = NULL;
	size_t n = 0;
	if (ctl->watch == NULL || ctl->deps == NULL)
		return;
	if (zonedir_deps_paths(ctl->deps, &paths, &n) != 0 ||
	    watch_set_includes(ctl->watch, paths, n) != 0)
		log_warning("out of memory: changes to $INCLUDEd files may go unnoticed until SIGHUP");
	free(paths);
}

static void
control_reload(control_t *ctl, const char *cause, uint64_t event_us)
{
	struct timespec t0, t1;
	zonedir_stats_t st;
	zonedb_t *next = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Build beside the served snapshot; zones that fail keep their version. */
	int ret = zonedir_load_deps(ctl->zone_dir, server_db(ctl->srv), &next, &st, ctl->deps);
	if (ret != 0) {
		log_error("reload failed (%s), still serving the previous zones", fl_strerror(ret));
		return;
	}
	control_publish(ctl, next, cause, NULL, 0, event_us);
	control_update_includes(ctl);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	log_notice("reload done: %zu zones loaded, %zu failed (previous version kept), %zu "
		   "removed; serving %zu zones (%.1f ms)",
		   st.loaded, st.failed, st.removed, zonedb_count(server_db(ctl->srv)), ms);
}

int
control_notify_targets(const conf_t *conf, const tsig_keyring_t *kr, notify_target_t **out, size_t *n, char *err,
		       size_t errlen)
{
	const conf_notify_list_t *l = &conf->notify.targets;
	size_t total = l->count;
	for (size_t z = 0; z < conf->nzone; z++)
		total += conf->zone[z].notify.count;
	*out = NULL;
	*n = 0;
	notify_target_t *t = total > 0 ? calloc(total, sizeof(*t)) : NULL;
	if (total > 0 && t == NULL) {
		snprintf(err, errlen, "out of memory");
		return FL_ENOMEM;
	}
	/* A zone's own list replaces the global one for that zone: those are scoped. */
	for (size_t z = 0; z <= conf->nzone; z++) {
		const conf_notify_list_t *src = z == 0 ? l : &conf->zone[z - 1].notify;
		uint8_t origin[DNAME_MAXLEN], root = 0;
		if (z > 0 && src->count > 0 &&
		    dname_from_str(conf->zone[z - 1].domain, strlen(conf->zone[z - 1].domain), &root, origin) < 0) {
			snprintf(err, errlen, "zone %s: not a domain name", conf->zone[z - 1].domain);
			free(t);
			return FL_EINVAL;
		}
		for (size_t i = 0; i < src->count; i++) {
			const conf_notify_target_t *c = &src->v[i];
			notify_target_t *d = &t[(*n)++];
			memcpy(&d->addr, &c->addr.addr, sizeof(d->addr));
			d->addrlen = c->addr.addrlen;
			snprintf(d->text, sizeof(d->text), "%s", c->addr.text);
			for (unsigned k = 0; k < c->nkeys && k < NOTIFY_MAX_KEYS; k++) {
				d->key[k] = tsig_keyring_find(kr, c->key[k]);
				if (d->key[k] == NULL) {
					char kname[1024] = "?";
					dname_to_str(c->key[k], kname, sizeof(kname));
					snprintf(err, errlen, "%s: target %s uses key '%s', which no key file defines",
						 z == 0 ? "notify.targets" : "zone.notify", c->addr.text, kname);
					free(t);
					*n = 0;
					return FL_ENOENT;
				}
				d->nkeys = k + 1;
			}
			if (z > 0) {
				d->scoped = true;
				dname_lower(origin);
				memcpy(d->zone, origin, dname_len(origin));
			}
		}
	}
	*out = t;
	return 0;
}

/* Options a running daemon cannot take over: said once per reload. */
static void
control_restart_notes(const conf_t *a, const conf_t *b)
{
	bool listen = a->server.listen.count != b->server.listen.count;
	for (size_t i = 0; !listen && i < a->server.listen.count; i++)
		listen = strcmp(a->server.listen.addr[i].text, b->server.listen.addr[i].text) != 0;
#define SDIFF(x, y) (((x) == NULL) != ((y) == NULL) || ((x) != NULL && strcmp((x), (y)) != 0))
	const struct {
		bool changed;
		const char *what;
	} opts[] = {
		{ listen, "server.listen" },
		{ a->server.workers != b->server.workers, "server.workers" },
		{ SDIFF(a->server.user, b->server.user), "server.user" },
		{ a->server.udp_engine != b->server.udp_engine, "server.udp-engine" },
		{ SDIFF(a->zones.directory, b->zones.directory), "zones.directory" },
		{ SDIFF(a->zones.storage, b->zones.storage), "zones.storage" },
		{ SDIFF(a->control.socket, b->control.socket), "control.socket" },
		{ a->zones.serial_policy != b->zones.serial_policy, "zones.serial-policy" },
		{ a->zones.journal_max_changesets != b->zones.journal_max_changesets ||
			  a->zones.journal_max_bytes != b->zones.journal_max_bytes,
		  "zones.journal-max-*" },
		{ a->notify.retries != b->notify.retries || a->notify.timeout_ms != b->notify.timeout_ms,
		  "notify.retries / notify.timeout-ms" },
		/* refresh_min .. snapshot_interval: one run of int64_t fields (conf.h) */
		{ memcmp(&a->secondary.refresh_min, &b->secondary.refresh_min,
			 offsetof(conf_secondary_t, snapshot_interval) + sizeof(int64_t) -
				 offsetof(conf_secondary_t, refresh_min)) != 0,
		  "secondary timers and limits (refresh-*, retry-*, expire-*, transfer-timeout, max-*, snapshot-interval)" },
	};
#undef SDIFF
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].changed)
			log_warning("reload: %s changed: it takes effect at the next restart", opts[i].what);
}

/* Primaries whose first (signing) key is marked for retirement. */
static void
control_retiring_primaries(const conf_notify_list_t *l, const tsig_keyring_t *kr)
{
	for (size_t i = 0; i < l->count; i++) {
		const tsig_key_t *k = l->v[i].nkeys > 0 ? tsig_keyring_find(kr, l->v[i].key[0]) : NULL;
		if (k != NULL && tsig_key_retiring(k))
			log_warning("reload: transfers from %s are signed with a key marked for retirement: "
				    "list the new key first", l->v[i].addr.text);
	}
}

/* Our own side of rotation step 2: a remote whose first (signing) key is
 * marked for retirement is a step not done yet on this node. */
static void
control_retiring_outbound(const conf_t *c, const tsig_keyring_t *kr, const notify_target_t *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].nkeys > 0 && tsig_key_retiring(t[i].key[0]))
			log_warning("reload: NOTIFY to %s is signed with a key marked for retirement: list the new key first",
				    t[i].text);
	control_retiring_primaries(&c->secondary.primaries, kr);
	for (size_t z = 0; z < c->nzone; z++)
		control_retiring_primaries(&c->zone[z].primaries, kr);
	for (size_t z = 0; z < c->ntemplate; z++)
		control_retiring_primaries(&c->template_[z].primaries, kr);
}

/*
 * Config and keys, then zones. Everything that can fail is checked before
 * anything changes: a bad key file or config leaves the keys and settings
 * in force untouched (and says file:line: reason).
 */
static int
control_reload_all(control_t *ctl, const char *cause, char *err, size_t errlen)
{
	conf_t *nc = NULL;
	tsig_keyring_t *kr = NULL;
	notify_target_t *targets = NULL;
	size_t ntargets = 0;
	int ret = 0;
	char tmp[1024];

	err[0] = '\0';
	if (ctl->load != NULL) {
		if ((nc = calloc(1, sizeof(*nc))) == NULL) {
			snprintf(err, errlen, "out of memory");
			ret = FL_ENOMEM;
			goto fail;
		}
		if ((ret = ctl->load(ctl->load_arg, nc, err, errlen)) != 0)
			goto fail;
		if ((ret = keys_load(nc, &kr, err, errlen)) != 0 ||
		    (ret = control_notify_targets(nc, kr, &targets, &ntargets, err, errlen)) != 0)
			goto fail;
		if (ctl->secondary != NULL && (ret = secondary_reconfigure(ctl->secondary, nc, kr, err, errlen)) != 0)
			goto fail;
		for (size_t i = 0; ctl->secondary == NULL && i < nc->nzone; i++)
			if (conf_zone_role(nc, i) == CONF_ROLE_SECONDARY)
				log_warning("reload: secondary zone %s: this node started without secondary zones; "
					    "it is served after a restart", nc->zone[i].domain);
		/* From here on only memory can fail, and each step is atomic on its own. */
		if ((ret = server_reconfigure(ctl->srv, nc, kr, tmp, sizeof(tmp))) != 0)
			log_error("reload: %s: the old transfer ACLs and keyring stay for queries and transfers out", tmp);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ctl->notify != NULL &&
		    notify_reconfigure(ctl->notify, targets, ntargets, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) != 0)
			log_error("reload: out of memory: the old NOTIFY targets stay");
		if (ctl->conf == NULL || nc->log.level != ctl->conf->log.level || nc->log.syslog != ctl->conf->log.syslog)
			log_init((log_level_t)nc->log.level, nc->log.syslog, "flame-dnsd");
		if (ctl->conf != NULL)
			control_restart_notes(ctl->conf, nc);
		control_retiring_outbound(nc, kr, targets, ntargets);
		size_t nkeys = tsig_keyring_count(kr), nret = 0;
		for (size_t i = 0; i < nkeys; i++)
			nret += tsig_key_retiring(tsig_keyring_at(kr, i));
		log_notice("reload (%s): configuration and %zu TSIG keys (%zu marked for retirement) in force", cause,
			   nkeys, nret);
		snprintf(ctl->env.last_reload_result, sizeof(ctl->env.last_reload_result),
			 "ok: %zu keys (%zu retiring), %zu NOTIFY targets", nkeys, nret, ntargets);
		tsig_keyring_free(ctl->kr);
		ctl->kr = kr;
		free(targets);
		if (ctl->own_conf != NULL)
			conf_free(ctl->own_conf);
		free(ctl->own_conf);
		ctl->own_conf = nc;
		ctl->conf = nc;
		ctl->env.conf = nc;
	} else {
		snprintf(ctl->env.last_reload_result, sizeof(ctl->env.last_reload_result), "ok: zones only");
	}
	ctl->env.last_reload = time(NULL);
	control_reload(ctl, cause, 0);
	return 0;
fail:
	log_error("reload (%s) refused, the configuration and keys in force stay: %s", cause, err);
	snprintf(ctl->env.last_reload_result, sizeof(ctl->env.last_reload_result), "refused: %s", err);
	ctl->env.last_reload = time(NULL);
	tsig_keyring_free(kr);
	free(targets);
	if (nc != NULL)
		conf_free(nc);
	free(nc);
	return ret != 0 ? ret : FL_EINVAL;
}

static int
control_reload_cmd(void *arg, char *err, size_t errlen)
{
	return control_reload_all(arg, "flamectl", err, errlen);
}

static int
control_on_request(void *arg, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	control_t *ctl = arg;
	return ctlcmd_run(&ctl->env, req, out, err, errlen);
}

static void
control_on_reload(int sig, short what, void *arg)
{
	control_t *ctl = arg;
	char err[1024];
	log_notice("SIGHUP received, reloading the configuration, keys and zones");
	control_reload_all(ctl, "SIGHUP", err, sizeof(err));
}

static void
control_add_name(void *arg, const char *fname)
{
	control_names_t *nm = arg;
	if (nm->oom)
		return;
	if (fl_grow(&nm->v, &nm->cap, nm->n, sizeof(*nm->v), 16) != 0) {
		nm->oom = true;
		return;
	}
	/* Copied: the dependency table that owns fname changes during the reload. */
	nm->v[nm->n] = strdup(fname);
	if (nm->v[nm->n] == NULL)
		nm->oom = true;
	else
		nm->n++;
}

static int
control_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A batch from the watcher: the changed zone files plus every zone that
 * includes a changed file, reloaded on top of the served snapshot. */
static void
control_on_watch(void *arg, const watch_batch_t *b)
{
	control_t *ctl = arg;
	control_names_t nm = { NULL, 0, 0, false };
	zonedir_stats_t st;
	zonedb_t *next = NULL;

	if (b->rescan) {
		control_reload(ctl, "rescan", b->last_us);
		return;
	}
	for (size_t i = 0; i < b->nzones; i++)
		control_add_name(&nm, b->zones[i]);
	for (size_t i = 0; i < b->nincludes; i++) {
		size_t users = zonedir_deps_users(ctl->deps, b->includes[i], control_add_name, &nm);
		log_info("included file %s changed: %zu zone%s include%s it", b->includes[i], users,
			 users == 1 ? "" : "s", users == 1 ? "s" : "");
	}
	if (nm.oom) {
		log_error("zone watch: out of memory, reloading the whole directory instead");
		control_reload(ctl, "rescan", b->last_us);
		goto done;
	}
	if (nm.n == 0)
		goto done;
	/* A zone named directly and through an include is read once. */
	qsort(nm.v, nm.n, sizeof(*nm.v), control_name_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nm.n; i++) {
		if (u > 0 && strcmp(nm.v[u - 1], nm.v[i]) == 0)
			free(nm.v[i]);
		else
			nm.v[u++] = nm.v[i];
	}
	nm.n = u;
	if (zonedir_reload_files(ctl->zone_dir, server_db(ctl->srv), (const char *const *)nm.v, nm.n,
				 ctl->deps, &next, &st) != 0) {
		log_error("reload (watch) failed, still serving the previous zones");
		goto done;
	}
	control_publish(ctl, next, "watch", (const char *const *)nm.v, nm.n, b->last_us);
	if (b->nincludes > 0 || st.loaded > 0 || st.removed > 0)
		control_update_includes(ctl);
done:
	for (size_t i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
}

int
control_run(server_t *srv, const char *zone_dir, const control_opts_t *opts)
{
	control_t ctl = { .srv = srv,
			  .zone_dir = zone_dir,
			  .deps = opts != NULL ? opts->deps : NULL,
			  .primary = opts != NULL ? opts->primary : NULL,
			  .catprod = opts != NULL ? opts->catprod : NULL,
			  .notify = opts != NULL ? opts->notify : NULL,
			  .secondary = opts != NULL ? opts->secondary : NULL };
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
	int ret = FL_ENOMEM;
	if (opts != NULL) {
		ctl.conf = opts->conf;
		ctl.load = opts->load;
		ctl.load_arg = opts->load_arg;
		ctl.ctl = opts->ctl;
		ctl.env = (ctlcmd_env_t){ .srv = srv, .secondary = ctl.secondary, .notify = ctl.notify,
					  .catprod = ctl.catprod, .conf = opts->conf, .config_path = opts->config_path,
					  .version = opts->version, .started = time(NULL),
					  .reload = control_reload_cmd, .arg = &ctl };
	}

	ctl.base = event_base_new();
	if (ctl.base == NULL)
		goto fail;
	ev_term = evsignal_new(ctl.base, SIGTERM, control_on_stop, &ctl);
	ev_int = evsignal_new(ctl.base, SIGINT, control_on_stop, &ctl);
	ev_hup = evsignal_new(ctl.base, SIGHUP, control_on_reload, &ctl);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL || event_add(ev_term, NULL) != 0 ||
	    event_add(ev_int, NULL) != 0 || event_add(ev_hup, NULL) != 0)
		goto fail;
	if (ctl.notify != NULL && notify_start(ctl.notify, ctl.base) != 0)
		goto fail;
	if (ctl.ctl != NULL && ctl.conf != NULL && ctlsock_start(ctl.ctl, ctl.base, control_on_request, &ctl) != 0)
		goto fail;
	/* Zones that changed while we were down: tell the secondaries now. */
	if (ctl.notify != NULL && ctl.primary != NULL && notify_targets(ctl.notify) > 0) {
		uint64_t now = control_now_us();
		for (size_t i = 0; i < primary_startup_changed(ctl.primary); i++) {
			const zone_t *z = zonedb_get(server_db(srv), primary_startup_changed_at(ctl.primary, i));
			if (z != NULL)
				notify_zone_changed(ctl.notify, z, now);
		}
	}
	/* Signed zones: a re-sign timer each, from the versions served now. */
	if (ctl.primary != NULL) {
		if ((ctl.resign = resign_new(ctl.base, control_on_resign, &ctl)) == NULL)
			goto fail;
		ctl.env.resign = ctl.resign;
		control_resign_arm(&ctl, NULL, server_db(srv));
		if (resign_armed(ctl.resign) > 0)
			log_info("re-sign timers armed for %zu signed zones", resign_armed(ctl.resign));
	}
	if (ctl.secondary != NULL) {
		const secondary_hooks_t hooks = { control_current, control_update_zones, control_sync, &ctl };
		if (secondary_start(ctl.secondary, ctl.base, &hooks) != 0)
			goto fail;
	}
	/* Without a watch the daemon still serves and SIGHUP still reloads:
	 * a failure here is logged by watch_new and is not fatal. */
	if (opts != NULL && opts->watch) {
		ctl.watch = watch_new(ctl.base, zone_dir, opts->loaded_at, control_on_watch, &ctl);
		control_update_includes(&ctl);
	}
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
	ctlsock_stop(ctl.ctl);
	resign_free(ctl.resign);
	watch_free(ctl.watch);
	secondary_stop(ctl.secondary);
	if (ctl.notify != NULL)
		notify_stop(ctl.notify);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ctl.base != NULL)
		event_base_free(ctl.base);
	if (ctl.own_conf != NULL)
		conf_free(ctl.own_conf);
	free(ctl.own_conf);
	tsig_keyring_free(ctl.kr); /* notify_t only dereferences the keys its exchanges hold */
	return ret;
}
