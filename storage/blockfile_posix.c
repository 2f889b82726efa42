/* blockfile_posix.c: block files on POSIX file descriptors (pread/pwrite/
 * fsync/ftruncate) and the matching opener. Host only: excluded from the
 * freestanding build. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/blockfile_posix.h"

struct posix_bf {
	struct blockfile bf;
	int fd;
};

static status_t errno_status(int e)
{
	switch (e) {
	case ENOENT: case ENOTDIR: return ST_ENOENT;
	case EEXIST: return ST_EEXIST;
	case ENOSPC: case EFBIG: case EDQUOT: return ST_ENOSPC;
	case EACCES: case EPERM: case EROFS: return ST_EPERM;
	case ENOMEM: return ST_ENOMEM;
	case EINVAL: return ST_EINVAL;
	default: return ST_EIO;
	}
}

static int fd_of(struct blockfile *bf)
{
	return ((struct posix_bf *)bf->ctx)->fd;
}

static status_t px_read(struct blockfile *bf, uint64_t off, void *buf,
			size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd_of(bf), p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno_status(errno);
		if (n == 0)
			return ST_ERANGE;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return ST_OK;
}

/* A write at least this long starts its way to the medium at once
 * (sync_file_range, not waiting): a flush that follows a long stream of
 * writes then waits for the tail only, not for all of it. */
#define EARLY_WRITEBACK (64u << 10)

static status_t px_write(struct blockfile *bf, uint64_t off, const void *buf,
			 size_t len)
{
	const uint8_t *p = buf;
	uint64_t start = off;
	size_t total = len;

	while (len) {
		ssize_t n = pwrite(fd_of(bf), p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno_status(errno) : ST_EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	if (total >= EARLY_WRITEBACK)
		sync_file_range(fd_of(bf), (off_t)start, (off_t)total,
				SYNC_FILE_RANGE_WRITE);
	return ST_OK;
}

static status_t px_flush(struct blockfile *bf)
{
	return fsync(fd_of(bf)) ? errno_status(errno) : ST_OK;
}

static status_t px_size(struct blockfile *bf, uint64_t *size)
{
	struct stat st;

	if (fstat(fd_of(bf), &st))
		return errno_status(errno);
	*size = (uint64_t)st.st_size;
	return ST_OK;
}

static status_t px_resize(struct blockfile *bf, uint64_t size)
{
	return ftruncate(fd_of(bf), (off_t)size) ? errno_status(errno) : ST_OK;
}

static void px_close(struct blockfile *bf)
{
	struct posix_bf *p = bf->ctx;

	close(p->fd);
	free(p);
}

static const struct blockfile_ops posix_ops = {
	.read = px_read, .write = px_write, .flush = px_flush,
	.size = px_size, .resize = px_resize, .close = px_close,
};

/* Locator paths may use '\\': take it as a separator. */
static char *native_path(const char *path)
{
	char *p = strdup(path);

	for (char *c = p; c && *c; c++)
		if (*c == '\\')
			*c = '/';
	return p;
}

status_t bf_posix_open(const char *path, unsigned flags,
		       struct blockfile **out)
{
	int oflags = (flags & (BF_RDWR | BF_CREATE)) ? O_RDWR : O_RDONLY;
	struct posix_bf *p;
	struct stat st;
	char *np;
	int fd;

	if (flags & BF_CREATE)
		oflags |= O_CREAT | O_EXCL;
	np = native_path(path);
	if (!np)
		return ST_ENOMEM;
	fd = open(np, oflags | O_CLOEXEC, 0644);
	free(np);
	if (fd < 0)
		return errno_status(errno);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return ST_EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return ST_ENOMEM;
	}
	p->fd = fd;
	p->bf.ops = &posix_ops;
	p->bf.ctx = p;
	*out = &p->bf;
	return ST_OK;
}

static status_t op_open(void *ctx, const char *path, unsigned flags,
			struct blockfile **out)
{
	(void)ctx;
	return bf_posix_open(path, flags, out);
}

static status_t op_remove(void *ctx, const char *path)
{
	char *np = native_path(path);
	int r;

	(void)ctx;
	if (!np)
		return ST_ENOMEM;
	r = unlink(np);
	free(np);
	return r ? errno_status(errno) : ST_OK;
}

/* realpath() of the directory, then the last component: works for files
 * that do not exist yet. */
static status_t op_abspath(void *ctx, const char *path, char **out)
{
	char *np = native_path(path), *slash, *dir, *res;
	const char *base;
	char buf[PATH_MAX];

	(void)ctx;
	if (!np)
		return ST_ENOMEM;
	slash = strrchr(np, '/');
	if (slash == np) {
		*out = np;
		return ST_OK;
	}
	if (slash) {
		*slash = 0;
		dir = np;
		base = slash + 1;
	} else {
		dir = ".";
		base = np;
	}
	if (!realpath(dir, buf)) {
		free(np);
		return errno_status(errno);
	}
	res = malloc(strlen(buf) + strlen(base) + 2);
	if (res) {
		strcpy(res, buf);
		if (strcmp(buf, "/"))
			strcat(res, "/");
		strcat(res, base);
	}
	free(np);
	*out = res;
	return res ? ST_OK : ST_ENOMEM;
}

static status_t op_list(void *ctx, const char *dir, bf_list_cb cb, void *arg)
{
	char *np = native_path(*dir ? dir : ".");
	struct dirent *de;
	status_t st = ST_OK;
	DIR *d;

	(void)ctx;
	if (!np)
		return ST_ENOMEM;
	d = opendir(np);
	free(np);
	if (!d)
		return errno_status(errno);
	while (st == ST_OK && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			st = cb(arg, de->d_name);
	closedir(d);
	return st;
}

/* rename(2) replaces an existing `to` atomically. */
static status_t op_rename(void *ctx, const char *from, const char *to)
{
	char *nfrom = native_path(from), *nto = native_path(to);
	status_t st = ST_ENOMEM;

	(void)ctx;
	if (nfrom && nto)
		st = rename(nfrom, nto) ? errno_status(errno) : ST_OK;
	free(nfrom);
	free(nto);
	return st;
}

void bf_posix_opener(struct bf_opener *op)
{
	op->ctx = NULL;
	op->open = op_open;
	op->remove = op_remove;
	op->abspath = op_abspath;
	op->list = op_list;
	op->rename = op_rename;
}
