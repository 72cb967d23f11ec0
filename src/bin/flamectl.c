/* SPDX-License-Identifier: MIT */
/**
 * \file
 * flamectl: the operator's tool. Daemon commands send one control protocol
 * request (src/ctl/ctlproto.h) over the daemon's Unix socket and print the
 * answer, as tables for people or as JSON; cluster-status also asks every
 * node for the SOA of every zone itself. Local commands (key generate,
 * dnssec-keygen, check-config, check-zone) need no daemon and use the daemon's own
 * readers, so they accept exactly what the daemon accepts.
 *
 * Exit status: 0 success, 1 failure (daemon error, connection, invalid
 * input), 2 usage error, 3 cluster-status found zones not converged.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conf/conf.h"
#include "ctl/ctlproto.h"
#include "dns/dname.h"
#include "dns/pkt.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/dkey.h"
#include "dnssec/keyset.h"
#include "keys/keys.h"
#include "server/secondary.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "zone/zonedir.h"
#include "zone/zonefile.h"

#define FLAMECTL_VERSION "0.1.0"
#define DEFAULT_SOCKET "/run/flame-dnsd/control.sock"
#define DEFAULT_TIMEOUT 10

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DIVERGED = 3 };

/** Global options (before the command). */
typedef struct opts {
	const char *socket;    /*!< -s, NULL = resolve (see socket_path) */
	const char *config;    /*!< -c: where control.socket comes from */
	bool json;
	unsigned timeout;      /*!< seconds, for daemon commands */
} opts_t;

typedef struct cmd cmd_t;
/** A command handler: argv are the words after the command name. */
typedef int (*cmd_fn)(const opts_t *o, const cmd_t *c, int argc, char **argv);

/** One row of the command table: it drives dispatch, checks and help. */
struct cmd {
	const char *name;      /*!< as typed ("key list" is two words) */
	const char *wire;      /*!< daemon command sent, NULL for local commands */
	const char *args;      /*!< synopsis of the arguments */
	const char *summary;   /*!< one line for the command list */
	const char *help;      /*!< more, for `flamectl CMD --help` */
	int min, max;          /*!< argument count */
	bool zone_arg;         /*!< the first argument is a zone name */
	bool options;          /*!< takes options of its own (--origin) */
	cmd_fn run;
};

static int cmd_daemon(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_cluster_status(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_key_generate(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_dnssec_keygen(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_check_config(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_check_zone(const opts_t *o, const cmd_t *c, int argc, char **argv);
static int cmd_help(const opts_t *o, const cmd_t *c, int argc, char **argv);

static const cmd_t commands[] = {
	{ "status", "status", "", "show the daemon's state", "Asks the daemon for its state (version, uptime, counters).",
	  0, 0, false, false, cmd_daemon },
	{ "zones", "zones", "", "list the zones the daemon serves", "One row per served zone.", 0, 0, false, false,
	  cmd_daemon },
	{ "zone-status", "zone-status", "ZONE", "show the state of one zone",
	  "Everything the daemon knows about ZONE: role, serial, source, timers, errors.", 1, 1, true, false,
	  cmd_daemon },
	{ "reload", "reload", "", "reload the zone directory and keys (as SIGHUP)",
	  "The daemon rereads what SIGHUP rereads; zones that fail keep serving their previous version.", 0, 0,
	  false, false, cmd_daemon },
	{ "notify", "notify", "ZONE", "send NOTIFY for ZONE to its targets now",
	  "The daemon NOTIFYs ZONE's configured targets, as after a change.", 1, 1, true, false, cmd_daemon },
	{ "refresh", "refresh", "ZONE", "secondary: check ZONE's primaries for a newer serial now",
	  "Queues ZONE like a received NOTIFY: SOA query, then IXFR or AXFR when the primary is newer.", 1, 1, true,
	  false, cmd_daemon },
	{ "retransfer", "retransfer", "ZONE", "secondary: transfer ZONE again in full (AXFR)",
	  "Transfers the whole zone from its primaries whatever the serials say.", 1, 1, true, false, cmd_daemon },
	{ "journal", "journal", "ZONE", "show the changesets kept for ZONE",
	  "The serial ranges of ZONE's journal (what IXFR can be answered from).", 1, 1, true, false, cmd_daemon },
	{ "key list", "key-list", "", "list the daemon's TSIG keys (never their secrets)",
	  "Name, algorithm, file and state of every key the daemon loaded.", 0, 0, false, false, cmd_daemon },
	{ "cluster-status", "cluster-nodes", "", "every zone's serial on every cluster node, converged or not",
	  "Asks the daemon for the cluster's nodes and zones, then queries the SOA of every zone on every node\n"
	  "itself (UDP, 1 s timeout, 2 tries, TCP when truncated). One row per zone, one column per node\n"
	  "(the serial, '-' for no answer, or the error RCODE such as REFUSED), and 'converged' (yes when every\n"
	  "node answered the same serial). Exit status 3 when a zone is not converged.",
	  0, 0, false, false, cmd_cluster_status },
	{ "key generate", NULL, "NAME [ALG]", "print a new TSIG key in BIND syntax (as tsig-keygen)",
	  "ALG is hmac-sha1, hmac-sha224, hmac-sha256 (default), hmac-sha384 or hmac-sha512; hmac-md5 is\n"
	  "refused. The secret is as long as the hash, from getrandom(). Save the output as a key file\n"
	  "and list it in keys.files.",
	  1, 2, false, false, cmd_key_generate },
	{ "dnssec-keygen", NULL, "ZONE [--ksk-zsk] [--algorithm ALG] [--directory DIR]",
	  "make a signed zone's DNSSEC keys and print the DS for its parent",
	  "Makes the keys the daemon would make for ZONE, in the BIND file format (K<zone>+<alg>+<tag>.key\n"
	  "and a 0600 .private): one CSK (the default, or --csk: one key, one DS) or with --ksk-zsk a KSK that signs the\n"
	  "DNSKEY RRset and a ZSK that signs the rest. ALG: ECDSAP256SHA256 (default), ED25519, RSASHA256.\n"
	  "DIR is the zone's key directory: by default keys.dnssec-directory of -c FILE (else keys/dnssec)\n"
	  "followed by /ZONE, where the daemon looks; with -c FILE the zone's dnssec-key-model and\n"
	  "dnssec-algorithm are the defaults. A directory that already holds keys of ZONE is refused (the\n"
	  "daemon signs with every key there). Prints each file made and the DS record (digest type 2,\n"
	  "SHA-256) to give to the parent zone.",
	  1, 6, false, true, cmd_dnssec_keygen },
	{ "check-config", NULL, "FILE", "validate a daemon configuration and its key files",
	  "Reads FILE as the daemon does, then its key files, checks that every key it names exists and\n"
	  "that its secondary zones are complete. Prints 'FILE: ok (N zone entries, K keys)' or the error.",
	  1, 1, false, false, cmd_check_config },
	{ "check-zone", NULL, "FILE [--origin NAME]", "validate a zone file",
	  "Loads FILE with the daemon's zone file reader. The origin comes from the file name as in the\n"
	  "zone directory (example.com.zone is example.com.) unless --origin NAME is given. Prints\n"
	  "'FILE: ok, origin X, serial N, R records' or 'file:line: reason'.",
	  1, 3, false, true, cmd_check_zone },
	{ "help", NULL, "[COMMAND]", "show help for a command", "Same as 'flamectl COMMAND --help'.", 0, 2, false,
	  false, cmd_help },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- output helpers ---- */

/*
 * One error line on stderr, "flamectl: ...", and with --json the same error
 * as the JSON object on stdout, so a script reading stdout sees it too.
 */
static int fail(const opts_t *o, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(const opts_t *o, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "flamectl: %s\n", msg);
	if (o != NULL && o->json) {
		ctl_resp_t r = { .version = CTL_PROTO_VERSION, .ok = false, .error = msg };
		ctl_resp_json(&r, stdout);
	}
	return code;
}

/* Print what o holds as JSON (local commands build their answer like the daemon does). */
static int
print_json_out(const opts_t *o, ctl_out_t *out)
{
	const char *data;
	size_t len;
	char err[256];
	ctl_resp_t r;
	int ret = ctl_out_finish(out, NULL, &data, &len);
	if (ret == 0)
		ret = ctl_resp_parse(data, len, &r, err, sizeof(err));
	if (ret != 0)
		return fail(o, EXIT_FAIL, "out of memory");
	ret = ctl_resp_json(&r, stdout);
	ctl_resp_free(&r);
	return ret == 0 ? EXIT_OK : fail(NULL, EXIT_FAIL, "cannot write: %s", strerror(-ret));
}

/* Values are shown with control characters escaped, so a table stays a table. */
static size_t
disp_width(const char *v)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			w += (*p == '\t' || *p == '\n' || *p == '\r') ? 2 : 4;
		else if ((*p & 0xc0) != 0x80) /* count characters, not UTF-8 continuation bytes */
			w++;
	}
	return w;
}

static void
disp_print(const char *v, size_t pad)
{
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	for (size_t w = disp_width(v); w < pad; w++)
		putchar(' ');
}

/* A single record: "key: value" lines. */
static void
print_kv(const ctl_rec_t *r)
{
	for (size_t i = 0; i < r->nf; i++) {
		printf("%s: ", r->f[i].key);
		disp_print(r->f[i].val, 0);
		putchar('\n');
	}
}

/*
 * Records of one type as a table: the columns are the keys in first-seen
 * order over all rows (a field a row lacks shows as "-"), so fields the
 * daemon adds later appear without any change here.
 */
static int
print_table(const ctl_rec_t *const *rows, size_t n)
{
	const char **col = NULL;
	size_t *w = NULL, ncol = 0, cap = 0;
	int ret = -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < rows[i]->nf; k++) {
			const char *key = rows[i]->f[k].key;
			size_t c = 0;
			while (c < ncol && strcmp(col[c], key) != 0)
				c++;
			if (c == ncol) {
				if (ncol == cap) {
					cap = cap != 0 ? cap * 2 : 16;
					const char **nc = realloc(col, cap * sizeof(*nc));
					size_t *nw = realloc(w, cap * sizeof(*nw));
					if (nc != NULL)
						col = nc;
					if (nw != NULL)
						w = nw;
					if (nc == NULL || nw == NULL)
						goto fail;
				}
				col[ncol] = key;
				w[ncol++] = disp_width(key);
			}
		}
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < ncol; c++) {
			const char *v = ctl_rec_get(rows[i], col[c]);
			size_t vw = disp_width(v != NULL ? v : "-");
			if (vw > w[c])
				w[c] = vw;
		}
	for (size_t c = 0; c < ncol; c++) {
		disp_print(col[c], c + 1 < ncol ? w[c] + 2 : 0);
	}
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < ncol; c++) {
			const char *v = ctl_rec_get(rows[i], col[c]);
			disp_print(v != NULL ? v : "-", c + 1 < ncol ? w[c] + 2 : 0);
		}
		putchar('\n');
	}
	ret = 0;
fail:
	free(col);
	free(w);
	return ret;
}

/* Records of this type, in order, into rows (n slots). */
static size_t
rows_of(const ctl_resp_t *r, const char *type, const ctl_rec_t **rows)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nrec; i++)
		if (strcmp(r->rec[i].type, type) == 0)
			rows[n++] = &r->rec[i];
	return n;
}

/*
 * An answer for people: each record type in order of first appearance, a
 * table when it has several records, "key: value" lines for one. With
 * several types each group is titled [type]. No records: "ok".
 */
static int
print_human(const ctl_resp_t *r)
{
	if (r->nrec == 0) {
		puts("ok");
		return 0;
	}
	const ctl_rec_t **rows = malloc(r->nrec * sizeof(*rows));
	if (rows == NULL)
		return -1;
	bool several = false;
	for (size_t i = 1; i < r->nrec && !several; i++)
		several = strcmp(r->rec[i].type, r->rec[0].type) != 0;
	bool first = true;
	for (size_t i = 0; i < r->nrec; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(r->rec[k].type, r->rec[i].type) == 0;
		if (seen)
			continue;
		size_t n = rows_of(r, r->rec[i].type, rows);
		if (!first)
			putchar('\n');
		first = false;
		if (several)
			printf("[%s]\n", r->rec[i].type);
		if (n == 1)
			print_kv(rows[0]);
		else if (print_table(rows, n) != 0) {
			free(rows);
			return -1;
		}
	}
	free(rows);
	return 0;
}

/* ---- talking to the daemon ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until deadline: 1 ready, 0 timed out, -errno. */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* The socket path: -s, $FLAMECTL_SOCKET, control.socket of -c FILE, the default. */
static int
socket_path(const opts_t *o, char *out, size_t cap)
{
	const char *env = getenv("FLAMECTL_SOCKET");
	if (o->socket != NULL)
		snprintf(out, cap, "%s", o->socket);
	else if (env != NULL && env[0] != '\0')
		snprintf(out, cap, "%s", env);
	else if (o->config != NULL) {
		conf_t conf;
		char err[1024];
		if (conf_load(o->config, &conf, err, sizeof(err)) != 0)
			return fail(o, EXIT_FAIL, "%s", err);
		if (conf.control.socket == NULL) {
			conf_free(&conf);
			return fail(o, EXIT_FAIL, "%s: control.socket is not set (the daemon has no control socket)",
				    o->config);
		}
		snprintf(out, cap, "%s", conf.control.socket);
		conf_free(&conf);
	} else
		snprintf(out, cap, "%s", DEFAULT_SOCKET);
	return 0;
}

/*
 * One request, one answer: connect, send, read until the end line or EOF.
 * The whole exchange is bounded by timeout seconds. *out (malloc) holds the
 * answer as read; ctl_resp_parse tells a complete one from a cut one.
 */
static int
exchange(const opts_t *o, const char *path, const char *req, size_t reqlen, char **out, size_t *outlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd = -1, ret = EXIT_FAIL, r;
	int64_t deadline = now_ms() + (int64_t)o->timeout * 1000;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(o, EXIT_FAIL, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(o, EXIT_FAIL, "socket: %s", strerror(errno));
	/* connect() on a Unix socket blocks only while the daemon's backlog is
	 * full; the send timeout bounds that wait too. */
	struct timeval tv = { .tv_sec = o->timeout };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fail(o, EXIT_FAIL, "cannot connect to %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		fail(o, EXIT_FAIL, "fcntl: %s", strerror(errno));
		goto fail;
	}
	for (size_t off = 0; off < reqlen;) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail(o, EXIT_FAIL, "cannot send to %s: %s", path, strerror(errno));
			goto fail;
		}
		if ((r = wait_fd(fd, POLLOUT, deadline)) <= 0)
			goto timeout;
	}
	for (;;) {
		if (cap - len < 65536) {
			size_t ncap = cap != 0 ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap);
			if (nb == NULL) {
				fail(o, EXIT_FAIL, "out of memory");
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				fail(o, EXIT_FAIL, "cannot read from %s: %s", path, strerror(errno));
				goto fail;
			}
			if ((r = wait_fd(fd, POLLIN, deadline)) <= 0)
				goto timeout;
			continue;
		}
		len += (size_t)n;
		if (len > CTL_RESP_MAX) {
			fail(o, EXIT_FAIL, "answer from %s longer than %u bytes", path, CTL_RESP_MAX);
			goto fail;
		}
		/* A value never holds a raw newline, so "\n.\n" is only ever the end line. */
		if (len >= 3 && memcmp(buf + len - 3, "\n.\n", 3) == 0)
			break;
	}
	*out = buf;
	*outlen = len;
	close(fd);
	return 0;
timeout:
	if (r < 0)
		fail(o, EXIT_FAIL, "%s: %s", path, strerror(-r));
	else
		fail(o, EXIT_FAIL, "no answer from %s within %u s", path, o->timeout);
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Send wire argv[0..argc) to the daemon and parse its answer (OK or ERR) into r. */
static int
daemon_call(const opts_t *o, int argc, const char *const *argv, ctl_resp_t *r)
{
	char path[PATH_MAX], req[CTL_REQ_MAX], err[256];
	char *data = NULL;
	size_t len = 0;
	int ret = ctl_req_format(argc, argv, req, sizeof(req));
	if (ret < 0)
		return fail(o, EXIT_FAIL, "%s: arguments may not contain spaces or control characters", argv[0]);
	size_t reqlen = (size_t)ret;
	if ((ret = socket_path(o, path, sizeof(path))) != 0)
		return ret;
	if ((ret = exchange(o, path, req, reqlen, &data, &len)) != 0)
		return ret;
	ret = ctl_resp_parse(data, len, r, err, sizeof(err));
	free(data);
	if (ret != 0)
		return fail(o, EXIT_FAIL, "bad answer from %s: %s", path, err);
	if (r->version != CTL_PROTO_VERSION) {
		unsigned v = r->version;
		ctl_resp_free(r);
		return fail(o, EXIT_FAIL, "the daemon answered with protocol version %u (flamectl speaks %d)", v,
			    CTL_PROTO_VERSION);
	}
	return 0;
}

static bool
valid_zone_name(const char *s)
{
	uint8_t root = 0, wire[DNAME_MAXLEN];
	return s[0] != '\0' && dname_from_str(s, strlen(s), &root, wire) > 0;
}

/* status, zones, zone-status ZONE, ...: one request, the answer printed. */
static int
cmd_daemon(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *wargv[CTL_MAX_ARGS];
	ctl_resp_t r;
	if (c->zone_arg && !valid_zone_name(argv[0]))
		return fail(o, EXIT_FAIL, "%s: '%s' is not a domain name", c->name, argv[0]);
	if (argc + 1 > CTL_MAX_ARGS)
		return fail(o, EXIT_USAGE, "%s: too many arguments", c->name);
	wargv[0] = c->wire;
	for (int i = 0; i < argc; i++)
		wargv[i + 1] = argv[i];
	int ret = daemon_call(o, argc + 1, wargv, &r);
	if (ret != 0)
		return ret;
	if (!r.ok) {
		ret = fail(o, EXIT_FAIL, "%s", r.error);
	} else if (o->json) {
		ret = ctl_resp_json(&r, stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	} else {
		ret = print_human(&r) == 0 ? EXIT_OK : fail(NULL, EXIT_FAIL, "out of memory");
	}
	ctl_resp_free(&r);
	return ret;
}

/* ---- cluster-status: SOA serials of every zone on every node ---- */

#define PROBE_WINDOW 128      /* queries in flight per node */
#define PROBE_TIMEOUT_MS 1000
#define PROBE_TRIES 2
#define PROBE_UDP_SIZE 1232   /* EDNS payload we advertise: SOA answers never need TCP */

typedef enum { RES_NONE = 0, RES_SERIAL, RES_RCODE } res_kind_t;

typedef struct probe_res {
	res_kind_t kind;
	uint32_t serial;
	uint16_t rcode;
} probe_res_t;

typedef struct probe_slot {
	bool busy;
	size_t zone;
	int tries;
	int64_t deadline;
} probe_slot_t;

/* One node's UDP socket and the queries in flight on it. */
typedef struct probe_node {
	int fd;                /*!< connected UDP socket, -1 when unusable */
	conf_listen_t addr;
	uint16_t idbase;       /*!< query id = idbase + slot: unique among those in flight */
	size_t next;           /*!< next zone to ask */
	size_t left;           /*!< zones without a result yet */
	probe_slot_t slot[PROBE_WINDOW];
} probe_node_t;

typedef struct probe {
	uint8_t (*zone)[DNAME_MAXLEN]; /*!< wire names */
	size_t nzone, nnode;
	probe_node_t *node;
	probe_res_t *res;      /*!< nzone * nnode, [z * nnode + n] */
} probe_t;

/* SOA query for qname with an OPT record; returns its length. */
static size_t
soa_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname)
{
	wire_t w;
	wire_init(&w, buf, cap);
	wire_put_u16(&w, id);
	wire_put_u16(&w, 0);  /* opcode QUERY, no RD: we ask the authority itself */
	wire_put_u16(&w, 1);  /* QDCOUNT */
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 0);
	wire_put_u16(&w, 1);  /* ARCOUNT: OPT */
	wire_put_bytes(&w, qname, dname_len(qname));
	wire_put_u16(&w, RR_SOA);
	wire_put_u16(&w, 1);  /* IN */
	wire_put_u8(&w, 0);   /* OPT: root owner, class = payload size, TTL 0, no options */
	wire_put_u16(&w, RR_OPT);
	wire_put_u16(&w, PROBE_UDP_SIZE);
	wire_put_u32(&w, 0);
	wire_put_u16(&w, 0);
	return w.err == 0 ? wire_off(&w) : 0;
}

typedef enum { ANS_OTHER = 0, ANS_DONE, ANS_TRUNCATED } ans_t;

/*
 * Read the answer to our SOA query for qname: ANS_DONE with *res filled,
 * ANS_TRUNCATED (ask again over TCP), ANS_OTHER for anything that is not
 * an answer to that question (ignored; the query may still time out).
 */
static ans_t
soa_answer(const uint8_t *m, size_t len, uint16_t id, const uint8_t *qname, probe_res_t *res)
{
	uint8_t name[DNAME_MAXLEN];
	size_t pos = PKT_HDRLEN;
	if (len < PKT_HDRLEN || wire_u16(m) != id)
		return ANS_OTHER;
	uint16_t flags = wire_u16(m + 2);
	if (!(flags & PKT_QR) || PKT_OPCODE(flags) != 0 || wire_u16(m + 4) != 1)
		return ANS_OTHER;
	if (dname_unpack(m, len, &pos, name, true) < 0 || len - pos < 4 || !dname_eq(name, qname) ||
	    wire_u16(m + pos) != RR_SOA)
		return ANS_OTHER;
	pos += 4;
	if (flags & PKT_TC)
		return ANS_TRUNCATED;
	res->kind = RES_RCODE;
	res->rcode = PKT_RCODE(flags);
	if (res->rcode != RCODE_NOERROR)
		return ANS_DONE;
	for (uint16_t i = 0, an = wire_u16(m + 6); i < an; i++) {
		if (dname_unpack(m, len, &pos, name, true) < 0 || len - pos < 10)
			break;
		uint16_t type = wire_u16(m + pos), rdlen = wire_u16(m + pos + 8);
		pos += 10;
		if (len - pos < rdlen)
			break;
		size_t end = pos + rdlen, p = pos;
		pos = end;
		if (type != RR_SOA || !dname_eq(name, qname))
			continue;
		uint8_t n2[DNAME_MAXLEN];
		if (dname_unpack(m, end, &p, n2, false) < 0 || dname_unpack(m, end, &p, n2, false) < 0 || end - p < 20)
			break;
		res->kind = RES_SERIAL;
		res->serial = wire_u32(m + p);
		return ANS_DONE;
	}
	res->kind = RES_NONE; /* NOERROR without the zone's SOA: not an answer we can compare */
	return ANS_DONE;
}

/* The same question over TCP (RFC 7766 framing), one try. */
static void
soa_tcp(const conf_listen_t *addr, const uint8_t *qname, probe_res_t *res)
{
	uint8_t q[2 + 512], *a = NULL;
	uint16_t id;
	int64_t deadline = now_ms() + 2 * PROBE_TIMEOUT_MS;
	res->kind = RES_NONE;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return;
	size_t ql = soa_query(q + 2, sizeof(q) - 2, id, qname);
	wire_set_u16(q, (uint16_t)ql);
	int fd = socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || ql == 0)
		goto out;
	if (connect(fd, (const struct sockaddr *)&addr->addr, addr->addrlen) != 0 && errno != EINPROGRESS)
		goto out;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (wait_fd(fd, POLLOUT, deadline) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
		goto out;
	if (send(fd, q, ql + 2, MSG_NOSIGNAL) != (ssize_t)(ql + 2))
		goto out;
	uint8_t lenb[2];
	size_t got = 0, want = 2;
	uint8_t *dst = lenb;
	for (int part = 0; part < 2; part++) {
		while (got < want) {
			if (wait_fd(fd, POLLIN, deadline) <= 0)
				goto out;
			ssize_t n = recv(fd, dst + got, want - got, 0);
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
				goto out;
			if (n > 0)
				got += (size_t)n;
		}
		if (part == 0) {
			want = wire_u16(lenb);
			got = 0;
			if ((a = malloc(want != 0 ? want : 1)) == NULL)
				goto out;
			dst = a;
		}
	}
	soa_answer(a, want, id, qname, res);
out:
	free(a);
	if (fd >= 0)
		close(fd);
}

static void
probe_send(probe_t *p, probe_node_t *n, size_t s)
{
	uint8_t q[512];
	probe_slot_t *sl = &n->slot[s];
	size_t ql = soa_query(q, sizeof(q), (uint16_t)(n->idbase + s), p->zone[sl->zone]);
	sl->tries++;
	sl->deadline = now_ms() + PROBE_TIMEOUT_MS;
	/* A lost send is a lost packet: the timeout and retry cover both. */
	if (ql > 0 && send(n->fd, q, ql, MSG_NOSIGNAL) < 0 && errno == ECONNREFUSED)
		sl->deadline = 0;
}

static void
probe_done(probe_t *p, probe_node_t *n, size_t s, const probe_res_t *res)
{
	size_t ni = (size_t)(n - p->node);
	p->res[n->slot[s].zone * p->nnode + ni] = *res;
	n->slot[s].busy = false;
	n->left--;
}

/* Nothing listens there (ICMP port unreachable): every open question of n is unanswered. */
static void
probe_node_dead(probe_t *p, probe_node_t *n)
{
	const probe_res_t none = { .kind = RES_NONE };
	for (size_t s = 0; s < PROBE_WINDOW; s++)
		if (n->slot[s].busy)
			probe_done(p, n, s, &none);
	n->left -= p->nzone - n->next;
	n->next = p->nzone;
}

static void
probe_read(probe_t *p, probe_node_t *n)
{
	uint8_t m[65536];
	for (;;) {
		ssize_t len = recv(n->fd, m, sizeof(m), 0);
		if (len < 0) {
			if (errno == ECONNREFUSED)
				probe_node_dead(p, n);
			return; /* EAGAIN and the rest: wait for more or for the timeouts */
		}
		if (len < 2)
			continue;
		size_t s = (uint16_t)(wire_u16(m) - n->idbase);
		if (s >= PROBE_WINDOW || !n->slot[s].busy)
			continue;
		probe_res_t res = { .kind = RES_NONE };
		const uint8_t *qname = p->zone[n->slot[s].zone];
		ans_t a = soa_answer(m, (size_t)len, wire_u16(m), qname, &res);
		if (a == ANS_OTHER)
			continue;
		if (a == ANS_TRUNCATED)
			soa_tcp(&n->addr, qname, &res);
		probe_done(p, n, s, &res);
	}
}

/* Ask every node for every zone's SOA, PROBE_WINDOW queries in flight per node. */
static int
probe_run(probe_t *p)
{
	struct pollfd *pfd = calloc(p->nnode != 0 ? p->nnode : 1, sizeof(*pfd));
	if (pfd == NULL)
		return FL_ENOMEM;
	for (;;) {
		int64_t now = now_ms(), next = now + PROBE_TIMEOUT_MS;
		bool open = false;
		for (size_t i = 0; i < p->nnode; i++) {
			probe_node_t *n = &p->node[i];
			pfd[i] = (struct pollfd){ .fd = -1 };
			for (size_t s = 0; s < PROBE_WINDOW && n->left > 0; s++) {
				probe_slot_t *sl = &n->slot[s];
				if (!sl->busy && n->next < p->nzone) {
					*sl = (probe_slot_t){ .busy = true, .zone = n->next++ };
					probe_send(p, n, s);
				} else if (sl->busy && sl->deadline <= now) {
					if (sl->tries < PROBE_TRIES) {
						probe_send(p, n, s);
					} else {
						const probe_res_t none = { .kind = RES_NONE };
						probe_done(p, n, s, &none);
						s--; /* the slot is free: give it the next zone */
						continue;
					}
				}
				if (sl->busy && sl->deadline < next)
					next = sl->deadline;
			}
			if (n->left > 0) {
				pfd[i] = (struct pollfd){ .fd = n->fd, .events = POLLIN };
				open = true;
			}
		}
		if (!open)
			break;
		int wait = next > now ? (int)(next - now) : 0;
		if (poll(pfd, p->nnode, wait) < 0 && errno != EINTR) {
			free(pfd);
			return -errno;
		}
		for (size_t i = 0; i < p->nnode; i++)
			if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLERR)))
				probe_read(p, &p->node[i]);
	}
	free(pfd);
	return 0;
}

static const char *
rcode_name(uint16_t rc, char *buf, size_t cap)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	snprintf(buf, cap, "RCODE%u", rc);
	return buf;
}

/* A node name as a record key ([a-z0-9-]): lowercased, anything else becomes '-'. */
static void
node_key(const char *name, char *out, size_t cap)
{
	size_t i = 0;
	for (; name[i] != '\0' && i + 1 < cap; i++) {
		char ch = name[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[i] = ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') ? ch : '-';
	}
	if (i == 0)
		out[i++] = '-';
	out[i] = '\0';
}

static int
cmd_cluster_status(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *wargv[] = { c->wire };
	ctl_resp_t r, table;
	probe_t p = { 0 };
	ctl_out_t out;
	const ctl_rec_t **nodes = NULL;
	int ret = daemon_call(o, 1, wargv, &r);
	if (ret != 0)
		return ret;
	ctl_out_init(&out);
	memset(&table, 0, sizeof(table));
	if (!r.ok) {
		ret = fail(o, EXIT_FAIL, "%s", r.error);
		goto out;
	}
	ret = EXIT_FAIL;
	for (size_t i = 0; i < r.nrec; i++) {
		p.nnode += strcmp(r.rec[i].type, "node") == 0;
		p.nzone += strcmp(r.rec[i].type, "zone") == 0;
	}
	nodes = calloc(p.nnode + 1, sizeof(*nodes));
	p.node = calloc(p.nnode + 1, sizeof(*p.node));
	p.zone = calloc(p.nzone + 1, sizeof(*p.zone));
	p.res = calloc(p.nzone * p.nnode + 1, sizeof(*p.res));
	if (nodes == NULL || p.node == NULL || p.zone == NULL || p.res == NULL) {
		fail(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	rows_of(&r, "node", nodes);
	for (size_t i = 0, z = 0; i < r.nrec; i++) {
		if (strcmp(r.rec[i].type, "zone") != 0)
			continue;
		const char *name = ctl_rec_get(&r.rec[i], "name");
		uint8_t root = 0;
		if (name == NULL || dname_from_str(name, strlen(name), &root, p.zone[z]) < 0) {
			fail(o, EXIT_FAIL, "bad answer: zone record without a valid name");
			goto out;
		}
		z++;
	}
	for (size_t i = 0; i < p.nnode; i++) {
		probe_node_t *n = &p.node[i];
		const char *addr = ctl_rec_get(nodes[i], "address");
		n->fd = -1;
		n->left = p.nzone;
		if (getrandom(&n->idbase, sizeof(n->idbase), 0) != sizeof(n->idbase))
			n->idbase = (uint16_t)(now_ms() * 31 + (int64_t)i);
		if (addr == NULL || conf_parse_listen(addr, &n->addr) != 0) {
			fprintf(stderr, "flamectl: node %s: bad address '%s'\n", ctl_rec_get(nodes[i], "name"),
				addr != NULL ? addr : "-");
		} else if ((n->fd = socket(n->addr.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
			   connect(n->fd, (const struct sockaddr *)&n->addr.addr, n->addr.addrlen) != 0) {
			fprintf(stderr, "flamectl: node %s: %s: %s\n", ctl_rec_get(nodes[i], "name"), addr,
				strerror(errno));
			if (n->fd >= 0)
				close(n->fd);
			n->fd = -1;
		}
		if (n->fd < 0) {
			n->left = 0; /* every zone stays RES_NONE */
			n->next = p.nzone;
		}
	}
	if (probe_run(&p) != 0) {
		fail(o, EXIT_FAIL, "poll: %s", strerror(errno));
		goto out;
	}

	/* The result as records, so --json is ctl_resp_json like every other command. */
	bool all = true;
	for (size_t i = 0; i < p.nnode; i++) {
		ctl_out_rec(&out, "node");
		for (size_t k = 0; k < nodes[i]->nf; k++)
			ctl_out_str(&out, nodes[i]->f[k].key, nodes[i]->f[k].val);
	}
	for (size_t z = 0; z < p.nzone; z++) {
		char zname[1024], key[64], rb[16];
		bool conv = p.nnode > 0;
		dname_to_str(p.zone[z], zname, sizeof(zname));
		ctl_out_rec(&out, "zone");
		ctl_out_str(&out, "name", zname);
		for (size_t i = 0; i < p.nnode; i++) {
			const probe_res_t *res = &p.res[z * p.nnode + i];
			const char *nn = ctl_rec_get(nodes[i], "name");
			node_key(nn != NULL ? nn : "", key, sizeof(key));
			if (res->kind == RES_SERIAL)
				ctl_out_u64(&out, key, res->serial);
			else
				ctl_out_str(&out, key, res->kind == RES_RCODE ? rcode_name(res->rcode, rb, sizeof(rb)) : NULL);
			if (res->kind != RES_SERIAL || res->serial != p.res[z * p.nnode].serial)
				conv = false;
		}
		if (o->json)
			ctl_out_bool(&out, "converged", conv);
		else
			ctl_out_str(&out, "converged", conv ? "yes" : "no");
		all = all && conv;
	}
	const char *data;
	size_t len;
	char err[256];
	if (ctl_out_finish(&out, NULL, &data, &len) != 0 || ctl_resp_parse(data, len, &table, err, sizeof(err)) != 0) {
		fail(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	if (o->json) {
		if (ctl_resp_json(&table, stdout) != 0)
			goto out;
	} else if (p.nzone > 0) {
		const ctl_rec_t **rows = calloc(table.nrec, sizeof(*rows));
		size_t nr = rows != NULL ? rows_of(&table, "zone", rows) : 0;
		int pr = rows != NULL ? print_table(rows, nr) : -1;
		free(rows);
		if (pr != 0) {
			fail(NULL, EXIT_FAIL, "out of memory");
			goto out;
		}
	}
	ret = all ? EXIT_OK : EXIT_DIVERGED;
out:
	for (size_t i = 0; p.node != NULL && i < p.nnode; i++)
		if (p.node[i].fd >= 0)
			close(p.node[i].fd);
	free(p.node);
	free(p.zone);
	free(p.res);
	free(nodes);
	ctl_resp_free(&table);
	ctl_out_free(&out);
	ctl_resp_free(&r);
	return ret;
}

/* ---- local commands ---- */

/* Key names go into a quoted BIND string: keep them to what needs no escaping. */
static bool
valid_key_name(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return false;
	return strcmp(s, ".") != 0 && valid_zone_name(s);
}

static int
cmd_key_generate(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *name = argv[0], *algs = argc > 1 ? argv[1] : "hmac-sha256";
	uint8_t secret[TSIG_MAXMAC];
	char b64[4 * ((TSIG_MAXMAC + 2) / 3) + 1];
	int ret = EXIT_FAIL;
	if (!valid_key_name(name))
		return fail(o, EXIT_FAIL,
			    "key generate: '%s' is not a valid key name (a domain name of letters, digits, '-', '_')",
			    name);
	if (tsig_alg_is_md5(algs, strlen(algs)))
		return fail(o, EXIT_FAIL, "key generate: %s is refused (MD5 is broken); use hmac-sha256", algs);
	tsig_alg_t alg = tsig_alg_from_str(algs, strlen(algs));
	if (alg == TSIG_ALG_NONE)
		return fail(o, EXIT_FAIL,
			    "key generate: unknown algorithm '%s' (hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
			    "hmac-sha512)",
			    algs);
	size_t n = tsig_alg_maclen(alg);
	for (size_t got = 0; got < n;) {
		ssize_t r = getrandom(secret + got, n - got, 0);
		if (r < 0 && errno != EINTR) {
			fail(o, EXIT_FAIL, "getrandom: %s", strerror(errno));
			goto out;
		}
		if (r > 0)
			got += (size_t)r;
	}
	EVP_EncodeBlock((unsigned char *)b64, secret, (int)n);
	if (o->json) {
		ctl_out_t out;
		ctl_out_init(&out);
		ctl_out_rec(&out, "key");
		ctl_out_str(&out, "name", name);
		ctl_out_str(&out, "algorithm", tsig_alg_name(alg));
		ctl_out_str(&out, "secret", b64);
		ret = print_json_out(o, &out);
		OPENSSL_cleanse(out.buf, out.cap);
		if (out.final != NULL)
			OPENSSL_cleanse(out.final, out.final_len);
		ctl_out_free(&out);
	} else {
		/* Exactly tsig-keygen's layout, so either tool's output can replace the other's. */
		printf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", name, tsig_alg_name(alg), b64);
		ret = fflush(stdout) == 0 ? EXIT_OK : fail(NULL, EXIT_FAIL, "cannot write: %s", strerror(errno));
	}
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(b64, sizeof(b64));
	return ret;
}

/* The zone entry of -c FILE for origin, for dnssec-keygen's defaults: algorithm and key model. */
static int
keygen_conf_defaults(const opts_t *o, const uint8_t *origin, char *base, size_t baselen, dkey_alg_t *alg,
		     bool *split)
{
	conf_t conf;
	char err[1024];
	if (o->config == NULL)
		return EXIT_OK;
	if (conf_load(o->config, &conf, err, sizeof(err)) != 0)
		return fail(o, EXIT_FAIL, "%s", err);
	snprintf(base, baselen, "%s", conf.keys.dnssec_directory != NULL ? conf.keys.dnssec_directory : "keys/dnssec");
	for (size_t i = 0; i < conf.nzone; i++) {
		uint8_t w[DNAME_MAXLEN], root = 0;
		if (dname_from_str(conf.zone[i].domain, strlen(conf.zone[i].domain), &root, w) < 0)
			continue;
		dname_lower(w);
		if (!dname_eq(w, origin))
			continue;
		if (conf.zone[i].dnssec_algorithm != NULL)
			*alg = dkey_alg_from_str(conf.zone[i].dnssec_algorithm);
		*split = conf.zone[i].dnssec_key_model == CONF_KEYS_KSK_ZSK;
	}
	conf_free(&conf);
	return EXIT_OK;
}

static int
cmd_dnssec_keygen(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *zone = NULL, *algs = NULL, *dir_opt = NULL;
	int model = -1; /* -1: from the config, else csk */
	uint8_t origin[DNAME_MAXLEN], root = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ksk-zsk") == 0 || strcmp(argv[i], "--csk") == 0) {
			model = strcmp(argv[i], "--ksk-zsk") == 0;
		} else if (strcmp(argv[i], "--algorithm") == 0 || strcmp(argv[i], "--directory") == 0) {
			if (i + 1 == argc)
				return fail(o, EXIT_USAGE, "dnssec-keygen: %s needs a value", argv[i]);
			*(argv[i][2] == 'a' ? &algs : &dir_opt) = argv[i + 1];
			i++;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return fail(o, EXIT_USAGE, "dnssec-keygen: unknown option '%s'", argv[i]);
		} else if (zone == NULL) {
			zone = argv[i];
		} else {
			return fail(o, EXIT_USAGE, "dnssec-keygen: too many arguments (usage: flamectl dnssec-keygen %s)", c->args);
		}
	}
	if (zone == NULL)
		return fail(o, EXIT_USAGE, "dnssec-keygen: missing argument ZONE");
	if (zone[0] == '\0' || dname_from_str(zone, strlen(zone), &root, origin) < 0)
		return fail(o, EXIT_FAIL, "dnssec-keygen: '%s' is not a domain name", zone);
	dname_lower(origin);
	char base[PATH_MAX] = "keys/dnssec", zname[1024], dir[PATH_MAX + 1100], err[1024];
	dkey_alg_t alg = DKEY_ALG_ECDSAP256SHA256;
	bool split = false;
	int ret = keygen_conf_defaults(o, origin, base, sizeof(base), &alg, &split);
	if (ret != EXIT_OK)
		return ret;
	if (model >= 0)
		split = model == 1;
	if (algs != NULL)
		alg = dkey_alg_from_str(algs);
	if (alg == 0)
		return fail(o, EXIT_FAIL, "dnssec-keygen: unknown algorithm '%s' (ECDSAP256SHA256, ED25519, RSASHA256)",
			    algs != NULL ? algs : "(from the config)");
	/* The daemon's layout: <dnssec-directory>/<zone without the final dot>/, 0700. */
	dname_to_str(origin, zname, sizeof(zname));
	size_t zl = strlen(zname);
	if (zl > 1 && zname[zl - 1] == '.')
		zname[zl - 1] = '\0';
	if (dir_opt != NULL) {
		snprintf(dir, sizeof(dir), "%s", dir_opt);
	} else {
		snprintf(dir, sizeof(dir), "%s/%s", base, zname);
		/* Every missing level of the base, 0700 as the daemon makes it: private keys live below. */
		for (char *sl = strchr(base + 1, '/');; sl = strchr(sl + 1, '/')) {
			if (sl != NULL)
				*sl = '\0';
			if (mkdir(base, 0700) != 0 && errno != EEXIST)
				return fail(o, EXIT_FAIL, "dnssec-keygen: %s: %s", base, strerror(errno));
			if (sl == NULL)
				break;
			*sl = '/';
		}
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(o, EXIT_FAIL, "dnssec-keygen: %s: %s", dir, strerror(errno));
	dkey_t **old = NULL, *keys[2] = { NULL, NULL };
	size_t nold = 0, n = 0;
	if ((ret = dkey_load_dir(dir, origin, &old, &nold, err, sizeof(err))) != 0)
		return fail(o, EXIT_FAIL, "dnssec-keygen: %s", err);
	for (size_t i = 0; i < nold; i++)
		dkey_free(old[i]);
	free(old);
	if (nold > 0)
		return fail(o, EXIT_FAIL,
			    "dnssec-keygen: %s already holds %zu key%s of %s, and the daemon signs with every key there: "
			    "remove them first or give another --directory",
			    dir, nold, nold == 1 ? "" : "s", zname);
	char paths[2][KEYSET_PATH_MAX], ds[256];
	if (keyset_make(origin, alg, split, dir, keys, paths, &n, err, sizeof(err)) != 0)
		return fail(o, EXIT_FAIL, "dnssec-keygen: %s", err);
	ret = keyset_ds_text(keys[0], 3600, ds, sizeof(ds)) == 0 ? EXIT_OK : fail(o, EXIT_FAIL, "dnssec-keygen: DS: out of memory");
	if (ret == EXIT_OK && o->json) {
		ctl_out_t out;
		ctl_out_init(&out);
		for (size_t i = 0; i < n; i++) {
			ctl_out_rec(&out, "key");
			ctl_out_str(&out, "zone", zname);
			ctl_out_str(&out, "role", !split ? "CSK" : i == 0 ? "KSK" : "ZSK");
			ctl_out_str(&out, "algorithm", dkey_alg_name(alg));
			ctl_out_u64(&out, "tag", dkey_tag(keys[i]));
			ctl_out_str(&out, "file", paths[i]);
			if (i == 0)
				ctl_out_str(&out, "ds", ds);
		}
		ret = print_json_out(o, &out);
		ctl_out_free(&out);
	} else if (ret == EXIT_OK) {
		for (size_t i = 0; i < n; i++)
			printf("%s: %s, %s, tag %u\n", paths[i], !split ? "CSK" : i == 0 ? "KSK" : "ZSK", dkey_alg_name(alg),
			       (unsigned)dkey_tag(keys[i]));
		printf("DS for the parent zone:\n%s\n", ds);
		ret = fflush(stdout) == 0 ? EXIT_OK : fail(NULL, EXIT_FAIL, "cannot write: %s", strerror(errno));
	}
	for (size_t i = 0; i < n; i++)
		dkey_free(keys[i]);
	return ret;
}

/* Errors from keys_load or secondary_new that do not name a file get the config's name. */
static bool
names_a_file(const char *err, const conf_t *conf, const char *path)
{
	size_t l = strlen(path);
	if (strncmp(err, path, l) == 0 && err[l] == ':')
		return true;
	for (size_t i = 0; i < conf->keys.files.count; i++) {
		l = strlen(conf->keys.files.v[i]);
		if (strncmp(err, conf->keys.files.v[i], l) == 0 && err[l] == ':')
			return true;
	}
	return conf->keys.directory != NULL &&
	       strncmp(err, conf->keys.directory, strlen(conf->keys.directory)) == 0;
}

static int
cmd_check_config(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *path = argv[0];
	char err[1024];
	conf_t conf;
	tsig_keyring_t *kr = NULL;
	secondary_t *sec = NULL;
	int ret = EXIT_FAIL;
	if (conf_load(path, &conf, err, sizeof(err)) != 0)
		return fail(o, EXIT_FAIL, "%s", err);
	/* The same steps as the daemon's start-up, without binding anything. */
	if (keys_load(&conf, &kr, err, sizeof(err)) != 0 || secondary_new(&conf, kr, &sec, err, sizeof(err)) != 0) {
		if (names_a_file(err, &conf, path))
			fail(o, EXIT_FAIL, "%s", err);
		else
			fail(o, EXIT_FAIL, "%s: %s", path, err);
		goto out;
	}
	size_t nkeys = tsig_keyring_count(kr);
	if (o->json) {
		ctl_out_t out;
		ctl_out_init(&out);
		ctl_out_rec(&out, "config");
		ctl_out_str(&out, "file", path);
		ctl_out_u64(&out, "zone-entries", conf.nzone);
		ctl_out_u64(&out, "keys", nkeys);
		ret = print_json_out(o, &out);
		ctl_out_free(&out);
	} else {
		printf("%s: ok (%zu zone entr%s, %zu key%s)\n", path, conf.nzone, conf.nzone == 1 ? "y" : "ies", nkeys,
		       nkeys == 1 ? "" : "s");
		ret = EXIT_OK;
	}
out:
	secondary_free(sec);
	tsig_keyring_free(kr);
	conf_free(&conf);
	return ret;
}

static void
zone_warn(void *ctx, const char *file, unsigned line, const char *msg)
{
	if (line > 0)
		fprintf(stderr, "flamectl: warning: %s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "flamectl: warning: %s: %s\n", file, msg);
}

static int
cmd_check_zone(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	const char *path = NULL, *origin_s = NULL;
	uint8_t origin[DNAME_MAXLEN];
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--origin") == 0) {
			if (++i == argc)
				return fail(o, EXIT_USAGE, "check-zone: --origin needs a NAME");
			origin_s = argv[i];
		} else if (strncmp(argv[i], "--origin=", 9) == 0) {
			origin_s = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return fail(o, EXIT_USAGE, "check-zone: unknown option '%s'", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return fail(o, EXIT_USAGE, "check-zone: too many arguments (usage: flamectl check-zone %s)",
				    c->args);
		}
	}
	if (path == NULL)
		return fail(o, EXIT_USAGE, "check-zone: missing argument FILE");
	if (origin_s != NULL) {
		uint8_t root = 0;
		if (origin_s[0] == '\0' || dname_from_str(origin_s, strlen(origin_s), &root, origin) < 0)
			return fail(o, EXIT_FAIL, "check-zone: '%s' is not a domain name", origin_s);
	} else {
		const char *base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
		if (zonedir_origin(base, origin) < 0)
			return fail(o, EXIT_USAGE,
				    "check-zone: cannot take the origin from the file name '%s' (expected NAME.zone); "
				    "give --origin NAME",
				    base);
	}
	zonefile_opts_t zo = { .warn = zone_warn };
	zonefile_error_t zerr;
	zone_t *z = NULL;
	if (zonefile_load(path, origin, &zo, &z, &zerr) != 0) {
		if (zerr.line > 0)
			return fail(o, EXIT_FAIL, "%s:%u: %s", zerr.file, zerr.line, zerr.msg);
		return fail(o, EXIT_FAIL, "%s: %s", zerr.file, zerr.msg);
	}
	char oname[1024];
	int ret = EXIT_OK;
	dname_to_str(z->origin, oname, sizeof(oname));
	if (o->json) {
		ctl_out_t out;
		ctl_out_init(&out);
		ctl_out_rec(&out, "zone");
		ctl_out_str(&out, "file", path);
		ctl_out_str(&out, "origin", oname);
		ctl_out_u64(&out, "serial", z->serial);
		ctl_out_u64(&out, "records", z->nrecords);
		ret = print_json_out(o, &out);
		ctl_out_free(&out);
	} else {
		printf("%s: ok, origin %s, serial %" PRIu32 ", %" PRIu64 " records\n", path, oname, z->serial,
		       z->nrecords);
	}
	zone_free(z);
	return ret;
}

/* ---- dispatch and help ---- */

static void
usage_main(FILE *f)
{
	fprintf(f, "usage: flamectl [OPTIONS] COMMAND [ARGS]\n"
		   "\n"
		   "Control and check flame-dnsd.\n"
		   "\n"
		   "Options (before the command):\n"
		   "  -s, --socket PATH    daemon control socket (else $FLAMECTL_SOCKET, else control.socket\n"
		   "                       of -c FILE, else " DEFAULT_SOCKET ")\n"
		   "  -c, --config FILE    daemon configuration to take control.socket from\n"
		   "      --json           print answers (and errors) as one JSON object\n"
		   "  -t, --timeout SEC    how long to wait for the daemon (default %d)\n"
		   "  -h, --help           this text; 'flamectl COMMAND --help' for one command\n"
		   "  -V, --version        print the version\n"
		   "\n"
		   "Commands:\n",
		DEFAULT_TIMEOUT);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char syn[128];
		snprintf(syn, sizeof(syn), "%s%s%s", commands[i].name, commands[i].args[0] ? " " : "",
			 commands[i].args);
		/* Two spaces at least before the summary, also after a long synopsis. */
		fprintf(f, "  %-34s %s%s\n", syn, strlen(syn) >= 34 ? " " : "", commands[i].summary);
	}
	fprintf(f, "\n"
		   "Exit status: 0 success, 1 failure (daemon error, connection, invalid input),\n"
		   "2 usage error, 3 cluster-status: some zone is not converged.\n");
}

static void
usage_cmd(FILE *f, const cmd_t *c)
{
	fprintf(f, "usage: flamectl [OPTIONS] %s%s%s\n\n%s.\n\n%s\n", c->name, c->args[0] ? " " : "", c->args,
		c->summary, c->help);
	if (c->wire != NULL)
		fprintf(f, "\nA daemon command (sent as '%s'); --json prints the answer's records as JSON.\n", c->wire);
}

/* The command named by the first one or two words of argv; *used = words taken. */
static const cmd_t *
find_cmd(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i].name, *sp = strchr(name, ' ');
		if (sp == NULL) {
			if (strcmp(argv[0], name) == 0) {
				*used = 1;
				return &commands[i];
			}
		} else if (argc >= 2 && strlen(argv[0]) == (size_t)(sp - name) &&
			   strncmp(argv[0], name, (size_t)(sp - name)) == 0 && strcmp(argv[1], sp + 1) == 0) {
			*used = 2;
			return &commands[i];
		}
	}
	return NULL;
}

/* "key" alone or with an unknown word: list what follows it. */
static int
no_such_cmd(const opts_t *o, int argc, char **argv)
{
	char subs[256] = "";
	size_t l = strlen(argv[0]);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strncmp(commands[i].name, argv[0], l) == 0 && commands[i].name[l] == ' ')
			snprintf(subs + strlen(subs), sizeof(subs) - strlen(subs), "%s%s", subs[0] ? ", " : "",
				 commands[i].name + l + 1);
	if (subs[0] != '\0' && argc < 2)
		return fail(o, EXIT_USAGE, "%s: missing subcommand (%s)", argv[0], subs);
	if (subs[0] != '\0')
		return fail(o, EXIT_USAGE, "%s: unknown subcommand '%s' (%s)", argv[0], argv[1], subs);
	return fail(o, EXIT_USAGE, "unknown command '%s' (see flamectl --help)", argv[0]);
}

static int
cmd_help(const opts_t *o, const cmd_t *c, int argc, char **argv)
{
	int used;
	if (argc == 0) {
		usage_main(stdout);
		return EXIT_OK;
	}
	const cmd_t *h = find_cmd(argc, argv, &used);
	if (h == NULL || used != argc)
		return no_such_cmd(o, argc, argv);
	usage_cmd(stdout, h);
	return EXIT_OK;
}

/* Word i of the synopsis ("FILE [--origin NAME]" -> FILE), for "missing argument X". */
static void
arg_name(const char *syn, int i, char *out, size_t cap)
{
	const char *p = syn;
	for (; i > 0 && p != NULL; i--)
		p = strchr(p, ' ') != NULL ? strchr(p, ' ') + 1 : NULL;
	if (p == NULL)
		p = "ARG";
	size_t l = strcspn(p, " ");
	if (p[0] == '[')
		p++, l -= 2;
	snprintf(out, cap, "%.*s", (int)l, p);
}

static int
parse_opts(int argc, char **argv, opts_t *o)
{
	enum { OPT_JSON = 256 };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' }, { "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, OPT_JSON },    { "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	opterr = 0;
	/* "+": options stop at the command, whose own words are its business. */
	while ((ch = getopt_long(argc, argv, "+:s:c:t:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->socket = optarg; break;
		case 'c': o->config = optarg; break;
		case OPT_JSON: o->json = true; break;
		case 't': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > 86400 || optarg[0] == '-')
				return fail(o, EXIT_USAGE, "--timeout: '%s' is not a number of seconds (1..86400)", optarg);
			o->timeout = (unsigned)v;
			break;
		}
		case 'h': usage_main(stdout); return -1;
		case 'V': printf("flamectl %s\n", FLAMECTL_VERSION); return -1;
		case ':': return fail(o, EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
		default: return fail(o, EXIT_USAGE, "unknown option '%s' (see flamectl --help)", argv[optind - 1]);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	opts_t o = { .timeout = DEFAULT_TIMEOUT };
	int ret = parse_opts(argc, argv, &o), used;
	if (ret != 0)
		return ret < 0 ? EXIT_OK : ret;
	if (optind >= argc)
		return fail(&o, EXIT_USAGE, "missing command (see flamectl --help)");
	argc -= optind;
	argv += optind;
	const cmd_t *c = find_cmd(argc, argv, &used);
	if (c == NULL)
		return no_such_cmd(&o, argc, argv);
	argc -= used;
	argv += used;
	/* "flamectl zones --json" reads as naturally as "flamectl --json zones". */
	int kept = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else
			argv[kept++] = argv[i];
	}
	argc = kept;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage_cmd(stdout, c);
			return EXIT_OK;
		}
	if (!c->options)
		for (int i = 0; i < argc; i++)
			if (argv[i][0] == '-' && argv[i][1] != '\0')
				return fail(&o, EXIT_USAGE, "%s: unknown option '%s' (global options go before the command)",
					    c->name, argv[i]);
	if (argc < c->min) {
		char an[64];
		arg_name(c->args, argc, an, sizeof(an));
		return fail(&o, EXIT_USAGE, "%s: missing argument %s", c->name, an);
	}
	if (argc > c->max)
		return fail(&o, EXIT_USAGE, "%s: too many arguments (usage: flamectl %s %s)", c->name, c->name, c->args);
	return c->run(&o, c, argc, argv);
}
