/* SPDX-License-Identifier: MIT */
/**
 * \file
 * RFC 1982 serial arithmetic and serial policies (see serial.h). Every
 * comparison goes through serial_gt(), so "greater" means the same thing
 * for the policies, the secondary's refresh check and the journal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "util/err.h"
#include "zone/serial.h"

#define HALF 0x80000000u /* 2^31: the distance at which RFC 1982 gives no answer */

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool
serial_defined(uint32_t a, uint32_t b)
{
	return a - b != HALF;
}

bool
serial_gt(uint32_t a, uint32_t b)
{
	/* RFC 1982 §3.2: a > b iff (a < b and b - a > 2^31) or (a > b and
	 * a - b < 2^31); both fold into 0 < a - b < 2^31 modulo 2^32. */
	uint32_t d = a - b;
	return d != 0 && d < HALF;
}

int
serial_cmp(uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	return serial_gt(a, b) ? 1 : -1; /* the undefined pair is "less" both ways */
}

uint32_t
serial_add(uint32_t s, uint32_t n)
{
	if (n > HALF - 1)
		n = HALF - 1; /* RFC 1982 §3.1: larger additions are undefined */
	return s + n;
}

static const char *const policy_names[] = {
	[SERIAL_KEEP] = "keep",
	[SERIAL_INCREMENT] = "increment",
	[SERIAL_UNIXTIME] = "unixtime",
	[SERIAL_DATESERIAL] = "dateserial",
};

#define NPOLICIES (sizeof(policy_names) / sizeof(policy_names[0]))

int
serial_policy_parse(const char *s)
{
	if (s == NULL)
		return FL_EINVAL;
	for (size_t i = 0; i < NPOLICIES; i++)
		if (strcasecmp(s, policy_names[i]) == 0)
			return (int)i;
	return FL_EINVAL;
}

const char *
serial_policy_str(serial_policy_t p)
{
	if ((unsigned)p >= NPOLICIES)
		return "?";
	return policy_names[p];
}

static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* YYYYMMDD00 of now (UTC), or FL_ERANGE when it does not fit 32 bits. */
static int
dateserial_base(time_t now, uint32_t *out)
{
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL)
		return FL_ERANGE;
	long long year = (long long)tm.tm_year + 1900;
	if (year < 1970 || year > 4294)
		return FL_ERANGE;
	unsigned long long v = ((unsigned long long)year * 10000 + (unsigned)(tm.tm_mon + 1) * 100 +
				(unsigned)tm.tm_mday) * 100;
	if (v > UINT32_MAX)
		return FL_ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int
serial_next(serial_policy_t p, uint32_t file_serial, bool have_served, uint32_t served_serial,
	    time_t now, uint32_t *out, char *why, size_t whylen)
{
	uint32_t gen;
	say(why, whylen, "%s", "");
	switch (p) {
	case SERIAL_KEEP:
		if (!have_served || serial_gt(file_serial, served_serial)) {
			*out = file_serial;
			return 0;
		}
		if (!serial_defined(file_serial, served_serial))
			say(why, whylen,
			    "serial %u in the file is exactly 2^31 away from the served %u, so neither is "
			    "greater (RFC 1982); raise it above %u by less than 2^31 (or use serial-policy increment)",
			    file_serial, served_serial, served_serial);
		else
			say(why, whylen,
			    "serial %u in the file is not greater than the served %u; raise it above %u "
			    "(or use serial-policy increment)",
			    file_serial, served_serial, served_serial);
		return FL_ESEMANTIC;
	case SERIAL_INCREMENT:
		*out = have_served ? serial_add(served_serial, 1) : file_serial;
		return 0;
	case SERIAL_UNIXTIME:
		gen = (uint32_t)now;
		break;
	case SERIAL_DATESERIAL:
		if (dateserial_base(now, &gen) != 0) {
			say(why, whylen, "time %lld cannot be written as a YYYYMMDDnn serial", (long long)now);
			return FL_ERANGE;
		}
		break;
	default:
		say(why, whylen, "unknown serial policy %d", (int)p);
		return FL_EINVAL;
	}
	if (have_served && !serial_gt(gen, served_serial)) {
		/* Never go down and never land exactly 2^31 away: count up instead. */
		*out = serial_add(served_serial, 1);
		say(why, whylen, "%s serial %u is not greater than the served %u; using %u",
		    serial_policy_str(p), gen, served_serial, *out);
		return 0;
	}
	*out = gen;
	return 0;
}
