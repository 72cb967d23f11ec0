/* SPDX-License-Identifier: MIT */
/**
 * \file
 * libFuzzer entry point for the YAML config reader. Seeds: etc/*.yaml.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	conf_t c;
	char err[512];
	if (conf_load_mem((const char *)data, size, "fuzz.yaml", &c, err, sizeof(err)) == 0)
		conf_free(&c);
	return 0;
}
