/* blockfile.h: the block-file interface storage/ sees the world through:
 * read/write at an offset, flush, size and resize, plus an "opener" that
 * finds files by path. Implementations: POSIX (blockfile_posix.c, host
 * only), memory (blockfile_mem.c), fault injection (blockfile_fault.c) and
 * the firmware file protocol in the hypervisor (boot/). */
#ifndef STORAGE_BLOCKFILE_H
#define STORAGE_BLOCKFILE_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

struct blockfile;

/* Every call is all-or-nothing:
 * - read: the whole range must lie inside the file, else ST_ERANGE.
 * - write: may extend the file; a gap between the old end and the write
 *   reads as zeros (the firmware implementation must zero-fill it).
 * - flush: every write before it is durable when it returns ST_OK.
 * - resize: truncates or extends (extension reads as zeros).
 * - close: releases the file (no implicit flush guarantees). */
struct blockfile_ops {
	status_t (*read)(struct blockfile *bf, uint64_t off, void *buf,
			 size_t len);
	status_t (*write)(struct blockfile *bf, uint64_t off, const void *buf,
			  size_t len);
	status_t (*flush)(struct blockfile *bf);
	status_t (*size)(struct blockfile *bf, uint64_t *size);
	status_t (*resize)(struct blockfile *bf, uint64_t size);
	void (*close)(struct blockfile *bf);
};

struct blockfile {
	const struct blockfile_ops *ops;
	void *ctx;
};

static inline status_t bf_read(struct blockfile *bf, uint64_t off,
			       void *buf, size_t len)
{
	return bf->ops->read(bf, off, buf, len);
}
static inline status_t bf_write(struct blockfile *bf, uint64_t off,
				const void *buf, size_t len)
{
	return bf->ops->write(bf, off, buf, len);
}
static inline status_t bf_flush(struct blockfile *bf)
{
	return bf->ops->flush(bf);
}
static inline status_t bf_size(struct blockfile *bf, uint64_t *size)
{
	return bf->ops->size(bf, size);
}
static inline status_t bf_resize(struct blockfile *bf, uint64_t size)
{
	return bf->ops->resize(bf, size);
}
static inline void bf_close(struct blockfile *bf)
{
	if (bf)
		bf->ops->close(bf);
}

/* Open flags. BF_CREATE makes a new empty file and fails with ST_EEXIST
 * if the path exists; it implies BF_RDWR. */
#define BF_RDONLY 0u
#define BF_RDWR 1u
#define BF_CREATE 2u

typedef status_t (*bf_list_cb)(void *arg, const char *name);

/* How storage/ finds files. Paths are strings the opener understands;
 * storage/ builds them with '/' separators (see vhd_path.h) and passes on
 * what parent locators hold, so an opener must accept both '/' and '\\'.
 * open is required; the rest are optional (NULL):
 * - remove: delete a file (used to clean up a failed create/export).
 * - abspath: an absolute form of path (malloc'd), for absolute locators.
 * - list: call cb with each entry name in directory dir ("" = current);
 *   a non-OK cb status stops the walk and is returned.
 * - rename: renames `from` to `to`, replacing `to` if it exists (POSIX
 *   rename semantics); snapshot/ replaces its manifest atomically with it. */
struct bf_opener {
	void *ctx;
	status_t (*open)(void *ctx, const char *path, unsigned flags,
			 struct blockfile **out);
	status_t (*remove)(void *ctx, const char *path);
	status_t (*abspath)(void *ctx, const char *path, char **out);
	status_t (*list)(void *ctx, const char *dir, bf_list_cb cb, void *arg);
	status_t (*rename)(void *ctx, const char *from, const char *to);
};

#endif
