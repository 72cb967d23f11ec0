/* SPDX-License-Identifier: MIT */
/** \file Access lists (see acl.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "xfr/acl.h"

int
acl_rule_parse(const char *text, acl_rule_t *out)
{
	memset(out, 0, sizeof(*out));
	char addr[128];
	const char *sp = strchr(text, ' ');
	size_t alen = sp ? (size_t)(sp - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr))
		return FL_ESYNTAX;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	int prefix = -1;
	char *slash = strchr(addr, '/');
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1 || p < 0 || p > 128)
			return FL_ESYNTAX;
		prefix = (int)p;
		*slash = '\0';
	}
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		if (prefix > 32)
			return FL_ESYNTAX;
		out->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
	} else {
		return FL_ESYNTAX;
	}
	if (sp != NULL) {
		while (*sp == ' ')
			sp++;
		if (strncmp(sp, "key ", 4) != 0)
			return FL_ESYNTAX;
		sp += 4;
		while (*sp == ' ')
			sp++;
		size_t kl = strlen(sp);
		while (kl > 0 && sp[kl - 1] == ' ')
			kl--;
		/* Key names are absolute whether or not written with the dot. */
		uint8_t root = 0;
		if (kl == 0 || dname_from_str(sp, kl, &root, out->key) < 0)
			return FL_ESYNTAX;
		out->has_key = true;
	}
	return 0;
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

bool
acl_match(const acl_t *acl, const struct sockaddr *peer, const uint8_t *key)
{
	int family = peer->sa_family;
	uint8_t addr[16];
	if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			memcpy(addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	for (size_t i = 0; acl != NULL && i < acl->count; i++) {
		const acl_rule_t *r = &acl->rules[i];
		if (r->family != family || !prefix_match(addr, r->addr, r->prefix))
			continue;
		if (r->has_key && (key == NULL || !dname_eq(key, r->key)))
			continue;
		return true;
	}
	return false;
}

void
acl_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s@%u", ip, port);
}
