/* SPDX-License-Identifier: MIT */
/** \file The keys of a configuration (see keys.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "keys/keys.h"
#include "tsig/keyfile.h"
#include "util/err.h"
#include "util/fileio.h"

/* Every *.key file of dir, in name order (a stable order makes a duplicate
 * name always blame the same file). */
static int
keys_load_dir(tsig_keyring_t *kr, const char *dir, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	int ret = fio_list_dir(dir, "", ".key", &names, &n);
	if (ret != 0) {
		snprintf(err, errlen, "keys.directory %s: %s", dir, fl_strerror(ret));
		return ret;
	}
	for (size_t i = 0; i < n && ret == 0; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = tsig_keyring_load_file(kr, path, err, errlen);
	}
	fio_names_free(names, n);
	return ret;
}

/* A key the config names must exist: where says which option names it. */
static int
keys_need(const tsig_keyring_t *kr, const uint8_t *name, const char *where, char *err, size_t errlen)
{
	if (tsig_keyring_find(kr, name) != NULL)
		return 0;
	char kn[1024] = "?";
	dname_to_str(name, kn, sizeof(kn));
	size_t l = strlen(kn);
	if (l > 1 && kn[l - 1] == '.')
		kn[l - 1] = '\0';
	snprintf(err, errlen, "%s: key '%s' is not defined by any key file (keys.files, keys.directory)", where, kn);
	return FL_ENOENT;
}

static int
keys_need_targets(const tsig_keyring_t *kr, const conf_notify_list_t *l, const char *where, char *err,
		  size_t errlen)
{
	for (size_t i = 0; i < l->count; i++)
		for (unsigned k = 0; k < l->v[i].nkeys; k++) {
			char w[1400];
			snprintf(w, sizeof(w), "%s %s", where, l->v[i].addr.text);
			int ret = keys_need(kr, l->v[i].key[k], w, err, errlen);
			if (ret != 0)
				return ret;
		}
	return 0;
}

static int
keys_need_acl(const tsig_keyring_t *kr, const conf_acl_t *a, const char *where, char *err, size_t errlen)
{
	for (size_t i = 0; i < a->count; i++) {
		int ret = a->rules[i].has_key ? keys_need(kr, a->rules[i].key, where, err, errlen) : 0;
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Every key reference of the config. */
static int
keys_check_refs(const conf_t *c, const tsig_keyring_t *kr, char *err, size_t errlen)
{
	char w[1400];
	int ret;
	if ((ret = keys_need_targets(kr, &c->notify.targets, "notify.targets", err, errlen)) != 0 ||
	    (ret = keys_need_targets(kr, &c->secondary.primaries, "secondary.primaries", err, errlen)) != 0 ||
	    (ret = keys_need_acl(kr, &c->transfer.allow, "transfer.allow", err, errlen)) != 0 ||
	    (ret = keys_need_acl(kr, &c->secondary.notify_allow, "secondary.notify-allow", err, errlen)) != 0)
		return ret;
	for (size_t i = 0; i < c->nzone; i++) {
		const conf_zone_t *z = &c->zone[i];
		snprintf(w, sizeof(w), "zone %s", z->domain);
		if ((ret = keys_need_targets(kr, &z->notify, w, err, errlen)) != 0 ||
		    (ret = keys_need_targets(kr, &z->primaries, w, err, errlen)) != 0 ||
		    (ret = keys_need_acl(kr, &z->transfer_allow, w, err, errlen)) != 0 ||
		    (ret = keys_need_acl(kr, &z->notify_allow, w, err, errlen)) != 0)
			return ret;
	}
	for (size_t i = 0; i < c->ntemplate; i++) {
		const conf_template_t *t = &c->template_[i];
		snprintf(w, sizeof(w), "template %s", t->id);
		if ((ret = keys_need_targets(kr, &t->primaries, w, err, errlen)) != 0 ||
		    (ret = keys_need_acl(kr, &t->notify_allow, w, err, errlen)) != 0)
			return ret;
	}
	return 0;
}

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
	if (conf->keys.directory != NULL && (ret = keys_load_dir(kr, conf->keys.directory, err, errlen)) != 0)
		goto fail;
	for (size_t i = 0; i < conf->keys.retiring.count; i++) {
		const char *name = conf->keys.retiring.v[i];
		uint8_t wire[DNAME_MAXLEN], root = 0;
		if (dname_from_str(name, strlen(name), &root, wire) < 0) {
			snprintf(err, errlen, "keys.retiring: '%s' is not a key name", name);
			ret = FL_ESYNTAX;
			goto fail;
		}
		if ((ret = tsig_keyring_mark_retiring(kr, wire)) != 0) {
			snprintf(err, errlen, "keys.retiring: key '%s' is not defined by any key file", name);
			goto fail;
		}
	}
	if ((ret = keys_check_refs(conf, kr, err, errlen)) != 0)
		goto fail;
	*out = kr;
	return 0;
fail:
	tsig_keyring_free(kr);
	return ret;
}
