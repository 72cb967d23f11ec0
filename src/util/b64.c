/* SPDX-License-Identifier: MIT */
/** \file Base64 decoding (see b64.h). */
#include "util/b64.h"

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t n = 0, outlen = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			continue;
		if (c == '=') {
			pad++;
			n++;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad > 0)
			return -1; /* bad character, or data after padding */
		acc = acc << 6 | (uint32_t)v;
		n++;
		if (n % 4 == 0) {
			if (outlen + 3 > cap)
				return -1;
			out[outlen++] = (uint8_t)(acc >> 16);
			out[outlen++] = (uint8_t)(acc >> 8);
			out[outlen++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (n % 4 != 0 || pad > 2 || (n == 0))
		return -1;
	if (pad > 0) {
		/* the last quantum had 4 - pad characters in acc */
		size_t chars = 4 - pad;
		acc <<= 6 * pad;
		size_t bytes = chars - 1;
		/* unused bits must be zero (canonical encoding) */
		if ((bytes == 1 && (acc & 0xFFFF) != 0) || (bytes == 2 && (acc & 0xFF) != 0))
			return -1;
		if (outlen + bytes > cap)
			return -1;
		out[outlen++] = (uint8_t)(acc >> 16);
		if (bytes == 2)
			out[outlen++] = (uint8_t)(acc >> 8);
	}
	return (int)outlen;
}

