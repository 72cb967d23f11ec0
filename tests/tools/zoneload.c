/* SPDX-License-Identifier: MIT */
/**
 * \file
 * zoneload FILE ORIGIN: time zonefile_load (scanner + builder) on one file
 * and print the record count, wall-clock seconds and peak RSS. A
 * benchmark and debugging aid, not a checker: warnings go to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dns/dname.h"
#include "util/err.h"
#include "zone/zonefile.h"

static void
print_warn(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "warning: %s:%u: %s\n", file, line, msg);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE ORIGIN\n", argv[0]);
		return 2;
	}
	uint8_t origin[DNAME_MAXLEN];
	if (dname_from_str(argv[2], strlen(argv[2]), (const uint8_t *)"", origin) < 0) {
		fprintf(stderr, "bad origin '%s'\n", argv[2]);
		return 2;
	}
	zonefile_opts_t opts = { .warn = print_warn };
	zonefile_error_t err;
	zone_t *z = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = zonefile_load(argv[1], origin, &opts, &z, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	if (r != 0) {
		fprintf(stderr, "%s:%u: %s (%s)\n", err.file, err.line, err.msg, fl_strerror(r));
		return 1;
	}
	printf("records %llu nodes %u seconds %.3f maxrss_kb %ld\n", (unsigned long long)z->nrecords,
	       z->nnodes, secs, ru.ru_maxrss);
	zone_free(z);
	return 0;
}
