/* manifest.h: the snapshot tree (DESIGN.md section 6) in memory and its
 * on-disk text form, the manifest. The hypervisor keeps one struct manifest
 * per volume, edits it with manifest_add/remove, and replaces the file
 * atomically with manifest_store; manifest_load reads it back (finishing
 * an interrupted store). Portable: malloc/free and a block-file opener. */
#ifndef SNAPSHOT_MANIFEST_H
#define SNAPSHOT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "storage/blockfile.h"

/* The tree's directory on the volume: manifest, N.mem, N.state, leaves. */
#define SNAP_DIR "snapshots"
#define SNAP_NAME_MAX 32      /* names: 1-31 chars of [A-Za-z0-9._-], not all digits */
#define SNAP_PATH_MAX 128
#define SNAP_MAX 128
#define MANIFEST_VERSION 1
/* Upper bound of the text form of any valid manifest (a full tree of
 * longest names and paths takes about 41 KiB); larger files are refused. */
#define MANIFEST_TEXT_MAX (64u << 10)

enum snap_state { SNAP_CAPTURING = 1, SNAP_COMPLETE = 2 };

struct snap_node {
	uint32_t id;                 /* 1, 2, ... never reused */
	uint32_t parent;             /* 0 = a root */
	char name[SNAP_NAME_MAX];    /* "" = none */
	uint32_t state;              /* enum snap_state */
	uint64_t pause_us;           /* how long the guest was paused to take it */
	uint64_t bytes;              /* bytes stored: memory image + state file */
	uint64_t created;            /* unix time */
	char disk[SNAP_PATH_MAX];    /* the frozen disk layer it owns ("" = VM without disk) */
};

struct manifest {
	uint32_t next_id;            /* next snapshot id (starts at 1) */
	uint32_t next_leaf;          /* counter for new leaf file names (starts at 1) */
	uint32_t current;            /* node the running machine hangs below; 0 = none */
	char base_disk[SNAP_PATH_MAX]; /* the disk hv.cfg named when the tree began ("" none) */
	char leaf[SNAP_PATH_MAX];    /* the running machine's disk leaf ("" = none) */
	unsigned count;
	struct snap_node node[SNAP_MAX];
};

/* 1-31 chars of [A-Za-z0-9._-], not all digits (so "3" is always an id). */
bool snap_name_valid(const char *name);
/* A path the manifest can hold: "" or 1-127 printable ASCII characters
 * without spaces or '"'. */
bool snap_path_valid(const char *path);
void manifest_init(struct manifest *m);          /* empty tree, next_id = next_leaf = 1 */
struct snap_node *manifest_find(struct manifest *m, uint32_t id);          /* NULL if absent */
/* "3" finds id 3, anything else is a name; NULL if absent. */
struct snap_node *manifest_lookup(struct manifest *m, const char *id_or_name);
/* Appends a node (id = next_id++, state CAPTURING) under `parent`; ST_ENOSPC when full,
 * ST_EEXIST when the name is taken, ST_EINVAL for a bad name.
 * Also: name and disk may be NULL (= ""); ST_EINVAL for a disk path
 * snap_path_valid refuses; ST_ENOENT if parent is neither 0 nor a node.
 * `current` is left alone. *out (may be NULL) points into m->node. */
status_t manifest_add(struct manifest *m, uint32_t parent, const char *name, const char *disk,
		      uint64_t created, struct snap_node **out);
/* Removes node id; its children hang from its parent instead; `current` too.
 * ST_ENOENT if absent. Node pointers into m->node move (order is kept). */
status_t manifest_remove(struct manifest *m, uint32_t id);
/* Number of nodes whose parent is id. */
unsigned manifest_children(const struct manifest *m, uint32_t id);
/* Checks every rule manifest_parse enforces on a tree in memory; err (may
 * be NULL) says what is wrong. ST_EINVAL when broken. */
status_t manifest_check(const struct manifest *m, char *err, size_t errcap);
/* Text form (below). ST_ENOSPC if cap is too small (MANIFEST_TEXT_MAX is
 * always enough); ST_EINVAL if manifest_check refuses m. */
status_t manifest_format(const struct manifest *m, char *buf, size_t cap, size_t *len);
/* Parses and validates everything (version, crc, fields, ids unique, parents exist, no cycles,
 * current exists or 0, names valid, strings fit); on error fills err (one line saying what and
 * on which line) and returns ST_ECORRUPT (or ST_EUNSUPP for a newer version). Never crashes.
 * err may be NULL; m is zeroed first and is garbage after an error. */
status_t manifest_parse(const void *buf, size_t len, struct manifest *m, char *err, size_t errcap);
/* Atomic replace on a volume (DESIGN.md 6): write `path`.new, flush, then op->rename(`path`.new ->
 * `path`) (rename replaces the target). ST_EUNSUPP if op has no rename. */
/* Writes `len` bytes as the whole new file `path` (a stale file of that
 * name is replaced) and flushes it. */
status_t snap_write_file(const struct bf_opener *op, const char *path,
			 const void *buf, size_t len);
status_t manifest_store(const struct bf_opener *op, const char *path, const struct manifest *m);
/* Loads `path`; if `path`.new exists and parses (a store interrupted after its flush), that one wins
 * and the rename is finished; a `path`.new that does not parse is removed. ST_ENOENT if neither
 * exists (a fresh volume). */
status_t manifest_load(const struct bf_opener *op, const char *path, struct manifest *m,
		       char *err, size_t errcap);

/* The text form, one record a line, '\n' ends every line, tokens separated
 * by one space, strings in "..." (printable, no spaces or quotes inside):
 *   snapvisor-manifest 1
 *   next_id 4
 *   next_leaf 3
 *   current 3
 *   base_disk "disk.vhd"
 *   leaf "snapshots/leaf-2.avhd"
 *   snapshot 1 parent 0 state complete pause_us 812 bytes 123456 created 1790000000 name "first" disk "disk.vhd"
 *   snapshot 3 parent 1 state capturing pause_us 790 bytes 0 created 1790000100 name "" disk "snapshots/leaf-1.avhd"
 *   crc32 0a1b2c3d
 * The keys come in exactly this order; numbers are decimal without
 * leading zeros; the crc32 line (8 lowercase hex digits) covers every byte
 * before it and nothing may follow it. */

#endif
