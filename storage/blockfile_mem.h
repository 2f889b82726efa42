/* blockfile_mem.h: an in-memory file system of named block files, for unit
 * tests and the fuzzer. Portable (malloc only). */
#ifndef STORAGE_BLOCKFILE_MEM_H
#define STORAGE_BLOCKFILE_MEM_H

#include "storage/blockfile.h"

#define MEMFS_MAX_FILES 32

struct memfs_file {
	char *name;
	uint8_t *data;
	uint64_t size, cap;
	unsigned open_count;
};

struct memfs {
	struct memfs_file files[MEMFS_MAX_FILES];
	uint64_t max_size;     /* a file may not grow past this (ST_ENOSPC) */
	unsigned writes;       /* write/resize calls so far, all files */
	unsigned flushes;
};

void memfs_init(struct memfs *fs, uint64_t max_size);
void memfs_free(struct memfs *fs);
/* Adds or replaces a file with a copy of data. */
status_t memfs_put(struct memfs *fs, const char *name, const void *data,
		   uint64_t size);
struct memfs_file *memfs_find(struct memfs *fs, const char *name);
void memfs_opener(struct memfs *fs, struct bf_opener *op);

#endif
