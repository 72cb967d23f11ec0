/* SPDX-License-Identifier: MIT */
/**
 * \file
 * Logging for the daemon and tools: one log_fmt() under per-level macros.
 * Logs go to stderr (default) or syslog. The level and target are set once at
 * start-up, before threads exist; log_fmt itself is thread-safe (one write per line).
 * Not for src/dns/: library code returns codes and its caller logs.
 */
#pragma once

#include <stdbool.h>

typedef enum {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING = 1,
	LOG_LVL_NOTICE = 2,
	LOG_LVL_INFO = 3,
	LOG_LVL_DEBUG = 4,
} log_level_t;

/** \brief Set the threshold and target (syslog when use_syslog). */
void log_init(log_level_t level, bool use_syslog, const char *ident);

/** \brief Parse "error|warning|notice|info|debug"; returns -1 when unknown. */
int log_level_parse(const char *s);

/** \brief Current threshold (for skipping expensive formatting). */
log_level_t log_level(void);

void log_fmt(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_fmt(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_fmt(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_fmt(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_fmt(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                      \
	do {                                                \
		if (log_level() >= LOG_LVL_DEBUG)           \
			log_fmt(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)
