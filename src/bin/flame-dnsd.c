/* SPDX-License-Identifier: MIT */
/**
 * \file
 * flame-dnsd: the authoritative DNS daemon. This file is start-up and
 * shut-down only: options, config, privileges, pidfile. Serving lives in
 * src/server/, zone loading in src/zone/, answering in src/query/.
 * Runs in the foreground and logs to stderr (or syslog).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dns/dname.h"
#include "keys/keys.h"
#include "server/control.h"
#include "server/ctlsock.h"
#include "server/secondary.h"
#include "server/server.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/notify.h"
#include "zone/zonedir.h"

#define FLAME_VERSION "0.1.0"

/** Command-line values; they override the config file. */
typedef struct {
	const char *config;
	const char **listen;   /*!< argv pointers */
	size_t nlisten;
	const char *zone_dir;
	const char *workers;
	const char *log_level;
	bool check;
} opts_t;

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: flame-dnsd [options]\n"
		"  -c, --config FILE       YAML configuration file\n"
		"  -l, --listen ADDR@PORT  listen address (repeatable; replaces server.listen)\n"
		"  -z, --zone-dir DIR      directory of <zone>.zone files (zones.directory)\n"
		"  -w, --workers N         query worker threads (server.workers)\n"
		"      --log-level L       error|warning|notice|info|debug (log.level)\n"
		"      --check             validate the config and load the zones, then exit\n"
		"  -h, --help              this text\n"
		"  -V, --version           print the version\n"
		"Example: flame-dnsd --zone-dir zonefiles --listen 127.0.0.1@5300\n");
}

static int
parse_args(int argc, char **argv, opts_t *o)
{
	enum { OPT_LOG_LEVEL = 256, OPT_CHECK };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "zone-dir", required_argument, NULL, 'z' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	/* argc bounds the number of --listen options: no reallocation needed. */
	o->listen = calloc((size_t)argc, sizeof(*o->listen));
	if (o->listen == NULL)
		return -1;
	while ((ch = getopt_long(argc, argv, "c:l:z:w:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen[o->nlisten++] = optarg; break;
		case 'z': o->zone_dir = optarg; break;
		case 'w': o->workers = optarg; break;
		case OPT_LOG_LEVEL: o->log_level = optarg; break;
		case OPT_CHECK: o->check = true; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("flame-dnsd %s\n", FLAME_VERSION); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flame-dnsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/** Config file (or defaults), then the command line on top; err gets one line. */
static int
load_config(const opts_t *o, conf_t *conf, char *err, size_t errlen)
{
	int ret = o->config != NULL ? conf_load(o->config, conf, err, errlen) : conf_defaults(conf);
	if (ret != 0) {
		if (o->config == NULL)
			snprintf(err, errlen, "out of memory");
		return ret;
	}
	for (size_t i = 0; i < o->nlisten; i++) {
		ret = conf_set(conf, "server.listen", o->listen[i], i > 0, err, errlen);
		if (ret != 0)
			goto fail;
	}
	if (o->zone_dir != NULL && (ret = conf_set(conf, "zones.directory", o->zone_dir, false, err, errlen)) != 0)
		goto fail;
	if (o->workers != NULL && (ret = conf_set(conf, "server.workers", o->workers, false, err, errlen)) != 0)
		goto fail;
	if (o->log_level != NULL && (ret = conf_set(conf, "log.level", o->log_level, false, err, errlen)) != 0)
		goto fail;
	if (conf->zones.directory == NULL) {
		snprintf(err, errlen, "no zone directory: set zones.directory or --zone-dir");
		ret = FL_EINVAL;
		goto fail;
	}
	if (conf->server.listen.count == 0) {
		snprintf(err, errlen, "no listen address: set server.listen or --listen");
		ret = FL_EINVAL;
		goto fail;
	}
	return 0;
fail:
	conf_free(conf);
	return ret;
}

/* The control loop's reload reads the same file with the same overrides. */
static int
reload_config(void *arg, conf_t *c, char *err, size_t errlen)
{
	return load_config(arg, c, err, errlen);
}

static int
write_pidfile(const char *path)
{
	/* O_NOFOLLOW: as root, a planted symlink must not make us truncate another file. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_error("pidfile %s: %s", path, strerror(errno));
		return -errno;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_error("pidfile %s: %s", path, strerror(errno));
		close(fd);
		return FL_EINVAL;
	}
	if (close(fd) != 0) {
		log_error("pidfile %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* NOTIFY out: created even without targets, so a reload can add some. */
static int
notify_setup(const conf_t *conf, const tsig_keyring_t *kr, notify_t **out)
{
	notify_target_t *t = NULL;
	size_t n = 0;
	char err[1024];
	int ret = control_notify_targets(conf, kr, &t, &n, err, sizeof(err));
	*out = NULL;
	if (ret != 0) {
		log_error("%s", err);
		return ret;
	}
	notify_opts_t no = { .targets = t, .ntargets = n, .tries = (unsigned)conf->notify.retries,
			     .timeout_ms = (unsigned)conf->notify.timeout_ms };
	*out = notify_new(&no);
	free(t);
	if (*out == NULL) {
		log_error("out of memory");
		return FL_ENOMEM;
	}
	return 0;
}

/** Switch to pw's uid/gid for good and prove that it stuck. */
static int
drop_privileges(const struct passwd *pw)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	const char *step = "setgroups";

	/* Groups first: after setresuid we no longer may change them. */
	if (setgroups(1, &pw->pw_gid) != 0)
		goto fail;
	step = "setresgid";
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		goto fail;
	step = "setresuid";
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		goto fail;
	step = "verify";
	errno = EPERM;
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0)
		goto fail;
	if (ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != pw->pw_gid || egid != pw->pw_gid || sgid != pw->pw_gid)
		goto fail;
	/* A saved root uid would let us back: make sure that is impossible. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		goto fail;
	return 0;
fail:
	log_error("cannot drop privileges to user '%s' (%s): %s", pw->pw_name, step,
		  strerror(errno));
	return -1;
}

int
main(int argc, char **argv)
{
	opts_t o = { 0 };
	conf_t conf;
	zonedb_t *db = NULL;
	zonedir_deps_t *deps = NULL;
	primary_t *primary = NULL;
	catprod_t *catprod = NULL;
	notify_t *notify = NULL;
	tsig_keyring_t *keys = NULL;
	secondary_t *secondary = NULL;
	server_t *srv = NULL;
	ctlsock_t *ctl = NULL;
	struct passwd *pw = NULL;
	bool pidfile_written = false;
	char err[1024];
	int rc = 1;

	memset(&conf, 0, sizeof(conf));
	int pa = parse_args(argc, argv, &o);
	if (pa != 0) {
		free(o.listen);
		return pa > 0 ? 0 : 1;
	}

	/* Block the control signals at once: until the control loop handles
	 * them, SIGTERM or SIGHUP must not kill a half-started daemon. */
	sigset_t ctlsigs;
	sigemptyset(&ctlsigs);
	sigaddset(&ctlsigs, SIGTERM);
	sigaddset(&ctlsigs, SIGINT);
	sigaddset(&ctlsigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ctlsigs, NULL);
	/* Writes to closed TCP peers return EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);

	/* 1. Config: file, then command line; everything is validated here. */
	if (load_config(&o, &conf, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	log_init((log_level_t)conf.log.level, conf.log.syslog, "flame-dnsd");
	if (conf.server.user != NULL) {
		/* Resolve now, so an unknown user fails before anything is opened. */
		errno = 0;
		pw = getpwnam(conf.server.user);
		if (pw == NULL) {
			log_error("user '%s': %s", conf.server.user,
				  errno ? strerror(errno) : "no such user");
			goto out;
		}
	}
	/* Every zone keeps its journal open (thousands of catalog members): take
	 * the hard limit of descriptors, which the operator set, not the soft one. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warning("cannot raise the open file limit: %s", strerror(errno));
	}
	/* 1b. Keys (read while still root), NOTIFY targets, secondary zones. */
	if (keys_load(&conf, &keys, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (notify_setup(&conf, keys, &notify) != 0)
		goto out;
	if (secondary_new(&conf, keys, &secondary, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (catprod_new(&conf, &catprod) != 0) {
		log_error("out of memory");
		goto out;
	}

	/* 2. Zones, before sockets: a daemon that cannot serve should not bind.
	 * The time is taken first, on the clock file timestamps use, so the
	 * watcher can catch up with files changed while we were starting. */
	zonedir_stats_t st;
	struct timespec loaded_at;
	clock_gettime(CLOCK_REALTIME_COARSE, &loaded_at);
	deps = zonedir_deps_new();
	if (deps == NULL) {
		log_error("out of memory");
		goto out;
	}
	if (zonedir_load_deps(conf.zones.directory, NULL, &db, &st, deps) != 0)
		goto out;
	if (o.check) {
		printf("flame-dnsd --check: config ok, %zu zones loaded, %zu failed, %zu skipped\n",
		       st.loaded, st.failed, st.skipped);
		rc = st.failed == 0 && st.skipped == 0 ? 0 : 1;
		goto out;
	}
	/* 2b. The primary's commit step: serial policy and journals (storage as
	 * configured), so the very first version served is the final one.
	 * A file named like a secondary zone is not ours to serve. */
	db = secondary_merge(secondary, NULL, db);
	if (db == NULL) {
		log_error("out of memory");
		goto out;
	}
	primary = primary_new(&conf);
	if (primary == NULL) {
		log_error("out of memory");
		goto out;
	}
	/* The produced catalog lists the loaded zones, and is committed with them. */
	if (catprod != NULL && (db = catprod_update(catprod, NULL, db)) == NULL)
		goto out;
	db = primary_startup(primary, db);
	if (db == NULL)
		goto out;
	if (catprod != NULL)
		catprod_save(catprod, db);
	/* 2c. Secondary zones from their snapshots and journals: served at once. */
	db = secondary_restore(secondary, db);
	if (db == NULL) {
		log_error("out of memory");
		goto out;
	}
	size_t nzones = zonedb_count(db);

	/* 3. Sockets, while still root: ports below 1024. The server owns db now. */
	srv = server_new(&conf, keys, db, err, sizeof(err));
	db = NULL;
	if (srv == NULL) {
		log_error("%s", err);
		goto out;
	}

	if (secondary != NULL)
		server_set_notify_in(srv, secondary_notify_policy(secondary), secondary_post_notify, secondary);

	/* 3b. The control socket, while still root (it may live in /run), given to the user we become. */
	if (conf.control.socket != NULL) {
		ctl = ctlsock_open(conf.control.socket, conf.control.group, pw != NULL && geteuid() == 0 ? pw->pw_uid : (uid_t)-1,
				   pw != NULL && geteuid() == 0 ? pw->pw_gid : (gid_t)-1, err, sizeof(err));
		if (ctl == NULL) {
			log_error("%s", err);
			goto out;
		}
	}

	/* 4. Pidfile, still as root, so it may live in a root-owned /run. */
	if (conf.server.pidfile != NULL) {
		if (write_pidfile(conf.server.pidfile) != 0)
			goto out;
		pidfile_written = true;
	}

	/* 5. Privileges, before any thread exists and before any query is read. */
	if (pw != NULL && geteuid() == 0) {
		if (drop_privileges(pw) != 0)
			goto out;
		log_info("running as user %s (uid %ld, gid %ld)", pw->pw_name, (long)pw->pw_uid,
			 (long)pw->pw_gid);
	} else if (pw != NULL) {
		log_warning("not started as root: staying uid %ld instead of user '%s'",
			    (long)geteuid(), pw->pw_name);
	} else if (geteuid() == 0) {
		log_warning("running as root: set server.user to drop privileges");
	}

	/* 6. Workers. */
	if (server_start(srv, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	char addrs[512];
	size_t off = 0;
	addrs[0] = '\0';
	for (size_t i = 0; i < conf.server.listen.count && off < sizeof(addrs); i++)
		off += (size_t)snprintf(addrs + off, sizeof(addrs) - off, "%s%s", i ? " " : "",
					conf.server.listen.addr[i].text);
	log_notice("flame-dnsd ready: %zu zones, listening on %s (UDP+TCP), %d workers", nzones,
		   addrs, server_workers(srv));

	const control_opts_t copts = { .watch = conf.zones.watch, .deps = deps, .loaded_at = &loaded_at,
				       .primary = primary, .catprod = catprod, .notify = notify,
				       .secondary = secondary, .conf = &conf, .config_path = o.config,
				       .load = reload_config, .load_arg = &o, .ctl = ctl, .version = FLAME_VERSION };
	if (control_run(srv, conf.zones.directory, &copts) == 0)
		rc = 0;
	server_stop(srv);
	log_notice("flame-dnsd stopped");
out:
	ctlsock_free(ctl);
	server_free(srv);
	zonedb_release(db);
	zonedir_deps_free(deps);
	primary_free(primary);
	catprod_free(catprod);
	/* The targets and primaries point into the keyring: it goes last. */
	notify_free(notify);
	secondary_free(secondary);
	tsig_keyring_free(keys);
	if (pidfile_written && unlink(conf.server.pidfile) != 0)
		/* After dropping privileges a pidfile in a root-owned directory stays. */
		log_info("pidfile %s not removed: %s", conf.server.pidfile, strerror(errno));
	conf_free(&conf);
	free(o.listen);
	return rc;
}
