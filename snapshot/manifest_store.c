/* manifest_store.c: the manifest file on a volume. A store writes
 * `path`.new, flushes it and renames it over `path`, so a power cut leaves
 * either the old or the new tree; a load finishes an interrupted store. */
#include <stdlib.h>
#include <string.h>

#include "snapshot/manifest_int.h"

/* `path` + ".new", malloc'd (NULL when out of memory). */
static char *new_path(const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 5);

	if (p) {
		memcpy(p, path, n);
		memcpy(p + n, ".new", 5);
	}
	return p;
}

status_t snap_write_file(const struct bf_opener *op, const char *path,
			 const void *buf, size_t len)
{
	struct blockfile *bf;
	status_t st;

	/* A stale .new is left by a store that failed before its rename. */
	if (op->remove) {
		st = op->remove(op->ctx, path);
		if (st && st != ST_ENOENT)
			return st;
	}
	st = op->open(op->ctx, path, BF_CREATE, &bf);
	if (st == ST_EEXIST) {      /* no remove op: truncate instead */
		st = op->open(op->ctx, path, BF_RDWR, &bf);
		if (!st && (st = bf_resize(bf, 0)))
			bf_close(bf);
	}
	if (st)
		return st;
	st = bf_write(bf, 0, buf, len);
	if (!st)
		st = bf_flush(bf);
	bf_close(bf);
	return st;
}

status_t manifest_store(const struct bf_opener *op, const char *path,
			const struct manifest *m)
{
	char *tmp = NULL, *text = NULL;
	size_t len;
	status_t st;

	if (!op->rename)
		return ST_EUNSUPP;
	st = ST_ENOMEM;
	if (!(tmp = new_path(path)) || !(text = malloc(MANIFEST_TEXT_MAX)))
		goto out;
	if ((st = manifest_format(m, text, MANIFEST_TEXT_MAX, &len)))
		goto out;
	if ((st = snap_write_file(op, tmp, text, len)))
		goto out;
	st = op->rename(op->ctx, tmp, path);
out:
	free(text);
	free(tmp);
	return st;
}

/* Reads and parses one file; ST_ENOENT if it does not exist. */
static status_t load_file(const struct bf_opener *op, const char *path,
			  struct manifest *m, char *err, size_t errcap)
{
	struct blockfile *bf;
	uint64_t size;
	char *buf = NULL;
	status_t st;

	if ((st = op->open(op->ctx, path, BF_RDONLY, &bf)))
		return st;
	if ((st = bf_size(bf, &size)))
		goto out;
	if (size > MANIFEST_TEXT_MAX) {
		st = manifest_err(err, errcap, 0, "%s: larger than %u bytes",
				  path, MANIFEST_TEXT_MAX);
		goto out;
	}
	st = ST_ENOMEM;
	if (!(buf = malloc(size ? (size_t)size : 1)))
		goto out;
	if (size && (st = bf_read(bf, 0, buf, (size_t)size)))
		goto out;
	st = manifest_parse(buf, (size_t)size, m, err, errcap);
out:
	free(buf);
	bf_close(bf);
	return st;
}

status_t manifest_load(const struct bf_opener *op, const char *path,
		       struct manifest *m, char *err, size_t errcap)
{
	char *tmp = new_path(path);
	status_t st;

	if (!tmp)
		return ST_ENOMEM;
	st = load_file(op, tmp, m, err, errcap);
	if (st == ST_OK) {
		/* The interrupted store had flushed .new: it is the newest. */
		if (op->rename)
			st = op->rename(op->ctx, tmp, path);
		goto out;
	}
	/* A garbage .new is a store cut before its flush; anything else
	 * (an I/O error, a .new from a newer build) is not ours to drop. */
	if (st == ST_ECORRUPT)
		st = op->remove ? op->remove(op->ctx, tmp) : ST_OK;
	else if (st == ST_ENOENT)
		st = ST_OK;
	if (!st)
		st = load_file(op, path, m, err, errcap);
out:
	free(tmp);
	return st;
}
