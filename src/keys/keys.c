/* SPDX-License-Identifier: MIT */
/** \file The keys of a configuration (see keys.h). */
#include <stdio.h>

#include "keys/keys.h"
#include "tsig/keyfile.h"
#include "util/err.h"

int
keys_load(const conf_t *conf, tsig_keyring_t **out, char *err, size_t errlen)
{
	int ret;
	tsig_keyring_t *kr = tsig_keyring_new();
	*out = NULL;
	if (kr == NULL) {
		snprintf(err, errlen, "out of memory");
		return FL_ENOMEM;
	}
	for (size_t i = 0; i < conf->keys.files.count; i++)
		if ((ret = tsig_keyring_load_file(kr, conf->keys.files.v[i], err, errlen)) != 0)
			goto fail;
	*out = kr;
	return 0;
fail:
	tsig_keyring_free(kr);
	return ret;
}
