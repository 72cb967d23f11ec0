/* SPDX-License-Identifier: MIT */
/** \file Logging to stderr or syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Set once in main before threads start; read-only afterwards. */
static log_level_t g_level = LOG_LVL_NOTICE;
static bool g_syslog;

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };

void
log_init(log_level_t level, bool use_syslog, const char *ident)
{
	g_level = level;
	g_syslog = use_syslog;
	if (use_syslog)
		openlog(ident ? ident : "flame-dnsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "warn") == 0)
		return LOG_LVL_WARNING;
	return -1;
}

log_level_t
log_level(void)
{
	return g_level;
}

void
log_fmt(log_level_t level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
		syslog(prio[level], "%s", msg);
		return;
	}
	char line[2200];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], msg);
	if (n > (int)sizeof(line))
		n = sizeof(line);
	/* One write per line so lines from several threads do not interleave. */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
