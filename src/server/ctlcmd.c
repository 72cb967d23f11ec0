/* SPDX-License-Identifier: MIT */
/** \file The control socket's commands (see ctlcmd.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dname.h"
#include "dnssec/sigtime.h"
#include "server/ctlcmd.h"
#include "util/err.h"
#include "zone/history.h"
#include "zone/changeset.h"

typedef int (*ctlcmd_fn)(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen);

typedef struct {
	const char *name;
	int args;              /* exactly this many arguments after the command */
	const char *synopsis;  /* for the error on a wrong count */
	ctlcmd_fn fn;
} ctlcmd_t;

/* "example.com" or "example.com." to lowercased wire. */
static int
zone_arg(const char *text, uint8_t *origin, char *err, size_t errlen)
{
	uint8_t root = 0;
	if (dname_from_str(text, strlen(text), &root, origin) < 0) {
		snprintf(err, errlen, "'%s' is not a domain name", text);
		return FL_ESYNTAX;
	}
	dname_lower(origin);
	return 0;
}

static const zone_t *
served(ctlcmd_env_t *env, const char *text, uint8_t *origin, char *err, size_t errlen)
{
	if (zone_arg(text, origin, err, errlen) != 0)
		return NULL;
	const zone_t *z = zonedb_get(server_db(env->srv), origin);
	if (z == NULL)
		snprintf(err, errlen, "zone %s is not served here", text);
	return z;
}

static const char *
role_of(ctlcmd_env_t *env, const zone_t *z, secondary_zone_info_t *si, char *buf, size_t buflen)
{
	if (env->secondary != NULL && secondary_zone_info(env->secondary, 0, z->origin, si, buf, buflen) == 0)
		return si->consumer ? "secondary (catalog)" : si->member ? "secondary (member)" : "secondary";
	if (env->catprod != NULL && dname_eq(z->origin, catprod_origin(env->catprod)))
		return "primary (catalog)";
	return "primary";
}

/* One zone record: what `zones` lists and `zone-status` starts with. */
static void
zone_rec(ctlcmd_env_t *env, const zone_t *z, ctl_out_t *out, bool detail)
{
	secondary_zone_info_t si;
	char name[1024], pbuf[1200];
	bool sec;
	memset(&si, 0, sizeof(si));
	dname_to_str(z->origin, name, sizeof(name));
	const char *role = role_of(env, z, &si, pbuf, sizeof(pbuf));
	sec = si.name != NULL;
	ctl_out_rec(out, "zone");
	ctl_out_str(out, "name", name);
	ctl_out_str(out, "role", role);
	if (z->placeholder)
		ctl_out_str(out, "serial", "-");
	else
		ctl_out_u64(out, "serial", z->serial);
	ctl_out_time(out, "last-change", z->placeholder ? 0 : z->loaded);
	ctl_out_time(out, "last-transfer", sec ? si.last_xfr : 0);
	ctl_out_str(out, "transfer-kind", sec ? si.last_kind : "-");
	ctl_out_time(out, "next-refresh", sec ? si.next_refresh : 0);
	ctl_out_str(out, "expire", !sec ? "-" : z->placeholder ? "no copy" : si.expired || z->expired ? "expired" : "ok");
	if (!detail)
		return;
	ctl_out_u64(out, "records", z->placeholder ? 0 : z->nrecords);
	ctl_out_str(out, "source", z->source);
	if (sec) {
		ctl_out_time(out, "expire-at", si.expire_at);
		ctl_out_time(out, "last-refresh", si.last_ok);
		ctl_out_bool(out, "refreshing", si.refreshing);
		ctl_out_str(out, "primary", si.primary);
		ctl_out_str(out, "last-error", si.last_err[0] ? si.last_err : NULL);
	}
	ctl_out_u64(out, "history", zone_history_count(z->history));
	/* A signed version: its earliest signature expiry and, when we sign it, the re-sign timer. */
	int64_t left;
	time_t now = time(NULL);
	if (!z->placeholder && sigtime_earliest(z, (uint32_t)now, &left)) {
		ctl_out_time(out, "signatures-expire", now + left);
		ctl_out_time(out, "next-resign", env->resign != NULL ? resign_when(env->resign, z->origin) : 0);
	}
}

static int
cmd_status(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	const zonedb_t *db = server_db(env->srv);
	/* Every secondary zone is served (a placeholder until its first copy). */
	size_t nsec = secondary_count(env->secondary), nkeys = 0, nretiring = 0;
	const tsig_keyring_t *kr = server_keyring(env->srv);
	for (const tsig_key_t *k; kr != NULL && (k = tsig_keyring_at(kr, nkeys)) != NULL; nkeys++)
		nretiring += tsig_key_retiring(k);
	time_t now = time(NULL);
	ctl_out_rec(out, "status");
	ctl_out_str(out, "version", env->version);
	ctl_out_u64(out, "pid", (uint64_t)getpid());
	ctl_out_time(out, "started", env->started);
	ctl_out_u64(out, "uptime", (uint64_t)(now - env->started));
	ctl_out_u64(out, "workers", (uint64_t)server_workers(env->srv));
	ctl_out_u64(out, "zones", zonedb_count(db));
	ctl_out_u64(out, "primary-zones", zonedb_count(db) - nsec);
	ctl_out_u64(out, "secondary-zones", nsec);
	ctl_out_u64(out, "keys", nkeys);
	ctl_out_u64(out, "keys-retiring", nretiring);
	ctl_out_str(out, "config", env->config_path);
	ctl_out_time(out, "last-reload", env->last_reload);
	ctl_out_str(out, "last-reload-result", env->last_reload != 0 ? env->last_reload_result : NULL);
	return 0;
}

static int
cmd_zones(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	const zonedb_t *db = server_db(env->srv);
	for (size_t i = 0; i < zonedb_count(db); i++)
		zone_rec(env, zonedb_at(db, i), out, false);
	return 0;
}

static int
cmd_zone_status(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	uint8_t origin[DNAME_MAXLEN];
	const zone_t *z = served(env, req->argv[1], origin, err, errlen);
	if (z == NULL)
		return FL_ENOENT;
	zone_rec(env, z, out, true);
	return 0;
}

static int
cmd_reload(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	if (env->reload(env->arg, err, errlen) != 0)
		return FL_EINVAL;
	ctl_out_rec(out, "reload");
	ctl_out_str(out, "result", env->last_reload_result);
	ctl_out_u64(out, "zones", zonedb_count(server_db(env->srv)));
	return 0;
}

static int
cmd_notify(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	uint8_t origin[DNAME_MAXLEN];
	const zone_t *z = served(env, req->argv[1], origin, err, errlen);
	if (z == NULL)
		return FL_ENOENT;
	if (z->placeholder) {
		snprintf(err, errlen, "zone %s has no copy yet: nothing to announce", req->argv[1]);
		return FL_EINVAL;
	}
	if (env->notify == NULL || notify_targets(env->notify) == 0) {
		snprintf(err, errlen, "no NOTIFY targets configured (notify.targets, zone.notify)");
		return FL_EINVAL;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	size_t before = notify_in_flight(env->notify);
	if (notify_zone_changed(env->notify, z, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) != 0) {
		snprintf(err, errlen, "out of memory");
		return FL_ENOMEM;
	}
	ctl_out_rec(out, "notify");
	ctl_out_str(out, "zone", req->argv[1]);
	ctl_out_u64(out, "serial", z->serial);
	ctl_out_u64(out, "sent", notify_in_flight(env->notify) - before);
	return 0;
}

static int
refresh_common(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen, bool axfr)
{
	uint8_t origin[DNAME_MAXLEN];
	if (zone_arg(req->argv[1], origin, err, errlen) != 0)
		return FL_ESYNTAX;
	if (secondary_refresh(env->secondary, origin, axfr) != 0) {
		snprintf(err, errlen, "zone %s is not a secondary zone here", req->argv[1]);
		return FL_ENOENT;
	}
	ctl_out_rec(out, axfr ? "retransfer" : "refresh");
	ctl_out_str(out, "zone", req->argv[1]);
	ctl_out_str(out, "queued", "true");
	return 0;
}

static int
cmd_refresh(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	return refresh_common(env, req, out, err, errlen, false);
}

static int
cmd_retransfer(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	return refresh_common(env, req, out, err, errlen, true);
}

static int
cmd_journal(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	uint8_t origin[DNAME_MAXLEN];
	const zone_t *z = served(env, req->argv[1], origin, err, errlen);
	if (z == NULL)
		return FL_ENOENT;
	const changeset_t *const *cs = NULL;
	size_t n = 0;
	/* The changesets the served version can answer IXFR with (the journal's tail in memory). */
	if (z->history != NULL && zone_history_count(z->history) > 0 &&
	    zone_history_from(z->history, zone_history_first_serial(z->history), &cs, &n) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		ctl_out_rec(out, "changeset");
		ctl_out_u64(out, "from", changeset_serial_from(cs[i]));
		ctl_out_u64(out, "to", changeset_serial_to(cs[i]));
		ctl_out_u64(out, "removed", cs[i]->del.count);
		ctl_out_u64(out, "added", cs[i]->add.count);
	}
	ctl_out_rec(out, "journal");
	ctl_out_str(out, "zone", req->argv[1]);
	ctl_out_u64(out, "serial", z->serial);
	ctl_out_u64(out, "changesets", n);
	if (n > 0) {
		ctl_out_u64(out, "oldest", changeset_serial_from(cs[0]));
		ctl_out_u64(out, "newest", changeset_serial_to(cs[n - 1]));
	}
	return 0;
}

static void
node_rec(ctl_out_t *out, const char *name, const char *addr, bool self)
{
	ctl_out_rec(out, "node");
	ctl_out_str(out, "name", name);
	ctl_out_str(out, "address", addr);
	ctl_out_bool(out, "self", self);
}

/* cluster.nodes, else us plus the peers we NOTIFY and transfer from. */
static int
cmd_cluster_nodes(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	const conf_t *c = env->conf;
	const char *self = c->server.listen.count > 0 ? c->server.listen.addr[0].text : "";
	if (c->cluster.nodes.count > 0) {
		for (size_t i = 0; i < c->cluster.nodes.count; i++) {
			char name[256];
			const char *t = c->cluster.nodes.v[i];
			size_t nl = strcspn(t, " \t");
			const char *addr = t + nl + strspn(t + nl, " \t");
			snprintf(name, sizeof(name), "%.*s", (int)(nl < 255 ? nl : 255), t);
			conf_listen_t la;
			if (*addr == '\0' || conf_parse_listen(addr, &la) != 0) {
				snprintf(err, errlen, "cluster.nodes: '%s' is not 'NAME ADDR@PORT'", t);
				return FL_ESYNTAX;
			}
			bool me = false;
			for (size_t l = 0; l < c->server.listen.count; l++)
				me = me || strcmp(c->server.listen.addr[l].text, la.text) == 0;
			node_rec(out, name, la.text, me);
		}
	} else {
		node_rec(out, c->server.identity != NULL ? c->server.identity : "self", self, true);
		const conf_notify_list_t *lists[] = { &c->notify.targets, &c->secondary.primaries };
		for (size_t l = 0; l < 2; l++)
			for (size_t i = 0; i < lists[l]->count; i++)
				node_rec(out, lists[l]->v[i].addr.text, lists[l]->v[i].addr.text, false);
	}
	const zonedb_t *db = server_db(env->srv);
	for (size_t i = 0; i < zonedb_count(db); i++) {
		const zone_t *z = zonedb_at(db, i);
		char name[1024];
		if (z->catalog)
			continue; /* catalogs answer only SOA to their consumers; members tell the story */
		dname_to_str(z->origin, name, sizeof(name));
		ctl_out_rec(out, "zone");
		ctl_out_str(out, "name", name);
	}
	return 0;
}

/* Where the config names a key: "notify 203.0.113.2@53 (outbound)", "transfer-allow", ... */
static void
key_uses(const conf_t *c, const uint8_t *key, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
#define USE(...)                                                                                   \
	do {                                                                                       \
		if (off < len)                                                                     \
			off += (size_t)snprintf(buf + off, len - off, "%s", off ? ", " : "");      \
		if (off < len)                                                                     \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                \
	} while (0)
	const struct {
		const conf_notify_list_t *l;
		const char *what;
	} lists[] = { { &c->notify.targets, "notify" }, { &c->secondary.primaries, "primary" } };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l].l->count; i++)
			for (unsigned k = 0; k < lists[l].l->v[i].nkeys; k++)
				if (dname_eq(lists[l].l->v[i].key[k], key))
					USE("%s %s (%s)", lists[l].what, lists[l].l->v[i].addr.text,
					    k == 0 ? "outbound" : "fallback");
	const struct {
		const conf_acl_t *a;
		const char *what;
	} acls[] = { { &c->transfer.allow, "transfer-allow" }, { &c->secondary.notify_allow, "notify-allow" } };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < acls[l].a->count; i++)
			if (acls[l].a->rules[i].has_key && dname_eq(acls[l].a->rules[i].key, key)) {
				USE("%s (inbound)", acls[l].what);
				break;
			}
	for (size_t z = 0; z < c->nzone; z++) {
		const conf_zone_t *cz = &c->zone[z];
		bool used = false;
		for (size_t i = 0; i < cz->primaries.count && !used; i++)
			for (unsigned k = 0; k < cz->primaries.v[i].nkeys; k++)
				used = used || dname_eq(cz->primaries.v[i].key[k], key);
		for (size_t i = 0; i < cz->notify.count && !used; i++)
			for (unsigned k = 0; k < cz->notify.v[i].nkeys; k++)
				used = used || dname_eq(cz->notify.v[i].key[k], key);
		for (size_t i = 0; i < cz->transfer_allow.count && !used; i++)
			used = cz->transfer_allow.rules[i].has_key && dname_eq(cz->transfer_allow.rules[i].key, key);
		for (size_t i = 0; i < cz->notify_allow.count && !used; i++)
			used = cz->notify_allow.rules[i].has_key && dname_eq(cz->notify_allow.rules[i].key, key);
		if (used)
			USE("zone %s", cz->domain);
	}
#undef USE
}

static int
cmd_key_list(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	const tsig_keyring_t *kr = server_keyring(env->srv);
	const tsig_key_t *k;
	for (size_t i = 0; kr != NULL && (k = tsig_keyring_at(kr, i)) != NULL; i++) {
		char name[1024], uses[2048];
		unsigned line = 0;
		const char *file = tsig_key_file(k, &line);
		dname_to_str(tsig_key_name(k), name, sizeof(name));
		size_t nl = strlen(name);
		if (nl > 1 && name[nl - 1] == '.')
			name[nl - 1] = '\0';
		key_uses(env->conf, tsig_key_name(k), uses, sizeof(uses));
		ctl_out_rec(out, "key");
		ctl_out_str(out, "name", name);
		ctl_out_str(out, "algorithm", tsig_alg_name(tsig_key_alg(k)));
		if (file != NULL)
			ctl_out_fmt(out, "file", "%s:%u", file, line);
		else
			ctl_out_str(out, "file", NULL);
		ctl_out_bool(out, "retiring", tsig_key_retiring(k));
		uint64_t vin, sout;
		int64_t last;
		tsig_key_stats(k, &vin, &sout, &last);
		ctl_out_u64(out, "verified", vin);
		ctl_out_u64(out, "signed", sout);
		ctl_out_time(out, "last-used", (time_t)last);
		ctl_out_str(out, "used-by", uses[0] ? uses : NULL);
	}
	return 0;
}

static const ctlcmd_t ctlcmds[] = {
	{ "status", 0, "status", cmd_status },
	{ "zones", 0, "zones", cmd_zones },
	{ "zone-status", 1, "zone-status ZONE", cmd_zone_status },
	{ "reload", 0, "reload", cmd_reload },
	{ "notify", 1, "notify ZONE", cmd_notify },
	{ "refresh", 1, "refresh ZONE", cmd_refresh },
	{ "retransfer", 1, "retransfer ZONE", cmd_retransfer },
	{ "journal", 1, "journal ZONE", cmd_journal },
	{ "cluster-nodes", 0, "cluster-nodes", cmd_cluster_nodes },
	{ "key-list", 0, "key-list", cmd_key_list },
	{ NULL, 0, NULL, NULL },
};

int
ctlcmd_run(ctlcmd_env_t *env, const ctl_req_t *req, ctl_out_t *out, char *err, size_t errlen)
{
	for (const ctlcmd_t *c = ctlcmds; c->name != NULL; c++) {
		if (strcmp(c->name, req->argv[0]) != 0)
			continue;
		if (req->argc - 1 != c->args) {
			snprintf(err, errlen, "usage: %s", c->synopsis);
			return FL_ESYNTAX;
		}
		return c->fn(env, req, out, err, errlen);
	}
	snprintf(err, errlen, "unknown command '%s'", req->argv[0]);
	return FL_ENOENT;
}
