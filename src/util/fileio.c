/* SPDX-License-Identifier: MIT */
/** \file Whole reads and writes, directory fsync (see fileio.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fileio.h"

int
fio_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fio_pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int
fio_pread_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return FL_EMALF;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

bool
fio_syncfs(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = syncfs(fd) == 0;
	(void)close(fd);
	return ok;
}

int
fio_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int ret = fsync(fd) != 0 ? -errno : 0;
	if (close(fd) != 0 && ret == 0)
		ret = -errno;
	return ret;
}

int
fio_fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return FL_ENOMEM;
	int ret = fio_fsync_dir(dir);
	free(dir);
	return ret;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fio_list_dir(const char *dir, const char *prefix, const char *suffix, char ***names, size_t *n)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), cap = 0;
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return -errno;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= pl + sl || strncasecmp(e->d_name, prefix, pl) != 0 ||
		    strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		if (*n == cap) {
			size_t nc = cap == 0 ? 16 : cap * 2;
			char **g = realloc(*names, nc * sizeof(*g));
			if (g == NULL)
				goto nomem;
			*names = g;
			cap = nc;
		}
		if (((*names)[*n] = strdup(e->d_name)) == NULL)
			goto nomem;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
nomem:
	closedir(d);
	fio_names_free(*names, *n);
	*names = NULL;
	*n = 0;
	return FL_ENOMEM;
}

void
fio_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
