/* SPDX-License-Identifier: MIT */
/** \file Messages for FL_* error codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static const struct {
	int code;
	const char *msg;
} err_table[] = {
	{ FL_EMALF, "malformed data" },
	{ FL_ESPACE, "not enough space" },
	{ FL_ELABEL, "label too long" },
	{ FL_ENAMELEN, "name too long" },
	{ FL_ELOOP, "bad compression pointer" },
	{ FL_ESYNTAX, "syntax error" },
	{ FL_EOUTZONE, "name outside the zone" },
	{ FL_ESEMANTIC, "semantic error" },
	{ FL_ENOTSUP, "not supported" },
	{ FL_ELIMIT, "limit exceeded" },
};

const char *
fl_strerror(int code)
{
	if (code == 0)
		return "ok";
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return err_table[i].msg;
	if (code < 0 && code > FL_ERR_FLOOR)
		return strerror(-code);
	return "unknown error";
}

void
fl_errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
