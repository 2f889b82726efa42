/* merge_journal.c: the COMMIT journal snapshots/merge.journal (merge.h)
 * and boot recovery of merges. Layout (little-endian, one write, then
 * flushed): "hvmerge1", crc32 of everything after it, n, the child path
 * and the base path (SNAP_PATH_MAX bytes each, NUL-padded), then n
 * records: path (SNAP_PATH_MAX), header offset u64, new header (1024).
 * A journal that does not check out was torn before anything it guards
 * was written, and is dropped. */
#include <stdlib.h>
#include <string.h>
#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/merge.h"
#include "storage/vhd_fold.h"

#define J_MAGIC "hvmerge1"
#define J_HEAD (16u + 2 * SNAP_PATH_MAX)
#define J_REC (SNAP_PATH_MAX + 8u + VHD_HEADER_SIZE)
#define J_MAX_RECS LAYERS_MAX

/* A path into a NUL-padded field of SNAP_PATH_MAX bytes (j is zeroed). */
static void put_path(uint8_t *field, const char *path)
{
	size_t n = strlen(path);
	memcpy(field, path, n < SNAP_PATH_MAX ? n : SNAP_PATH_MAX - 1);
}

void merge_move_owner(struct manifest *m, const char *child, const char *base)
{
	char nb[SNAP_PATH_MAX];
	if (!layers_norm(base, nb))
		return;
	for (unsigned i = 0; i < m->count; i++)
		if (merge_same(m->node[i].disk, child))
			memcpy(m->node[i].disk, nb, SNAP_PATH_MAX);
}

status_t merge_journal_write(const struct vhd_env *env, const char *child,
			     const char *base, const struct merge_repoint *r,
			     unsigned n)
{
	size_t len = J_HEAD + (size_t)n * J_REC;
	uint8_t *j = calloc(1, len);
	status_t st;
	if (!j)
		return ST_ENOMEM;
	memcpy(j, J_MAGIC, 8);
	put_le32(j + 12, n);
	put_path(j + 16, child);
	put_path(j + 16 + SNAP_PATH_MAX, base);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = j + J_HEAD + (size_t)i * J_REC;
		put_path(p, r[i].path);
		put_le64(p + SNAP_PATH_MAX, r[i].hdr_off);
		memcpy(p + SNAP_PATH_MAX + 8, r[i].hdr, VHD_HEADER_SIZE);
	}
	put_le32(j + 8, crc32_update(0, j + 12, len - 12));
	st = snap_write_file(env->opener, MERGE_JOURNAL, j, len);
	free(j);
	return st;
}

/* The journal's bytes, checked; ST_ENOENT if none, ST_ECORRUPT if torn. */
static status_t journal_load(const struct bf_opener *op, uint8_t **out,
			     unsigned *n)
{
	struct blockfile *bf;
	uint64_t size;
	uint8_t *j = NULL;
	status_t st = op->open(op->ctx, MERGE_JOURNAL, BF_RDONLY, &bf);
	if (st)
		return st;
	st = bf_size(bf, &size);
	if (!st && (size < J_HEAD || size > J_HEAD + J_MAX_RECS * J_REC))
		st = ST_ECORRUPT;
	if (!st && !(j = malloc(size)))
		st = ST_ENOMEM;
	if (!st)
		st = bf_read(bf, 0, j, size);
	bf_close(bf);
	if (!st && (memcmp(j, J_MAGIC, 8) ||
		    get_le32(j + 8) != crc32_update(0, j + 12, size - 12) ||
		    J_HEAD + (uint64_t)get_le32(j + 12) * J_REC != size ||
		    j[16 + SNAP_PATH_MAX - 1] || j[J_HEAD - 1]))
		st = ST_ECORRUPT;
	*n = st ? 0 : get_le32(j + 12);
	if (st)
		free(j);
	else
		*out = j;
	return st;
}

/* Redoes the journaled switch: headers, the tree, the child's removal. */
static status_t redo(const struct vhd_env *env, struct manifest *m,
		     status_t (*store)(void *), void *ctx, const uint8_t *j,
		     unsigned n)
{
	const struct bf_opener *op = env->opener;
	status_t st = ST_OK;
	for (unsigned i = 0; i < n && !st; i++) {
		const uint8_t *p = j + J_HEAD + (size_t)i * J_REC;
		struct blockfile *bf;
		if (p[SNAP_PATH_MAX - 1])
			return ST_ECORRUPT;
		st = op->open(op->ctx, (const char *)p, BF_RDWR, &bf);
		if (!st) {
			st = bf_write(bf, get_le64(p + SNAP_PATH_MAX),
				      p + SNAP_PATH_MAX + 8, VHD_HEADER_SIZE);
			if (!st)
				st = bf_flush(bf);
			bf_close(bf);
		}
	}
	if (st)
		return st;
	merge_move_owner(m, (const char *)j + 16,
			 (const char *)j + 16 + SNAP_PATH_MAX);
	if ((st = store(ctx)))
		return st;
	op->remove(op->ctx, (const char *)j + 16);
	return ST_OK;
}

status_t merge_recover(const struct vhd_env *env, struct manifest *m,
		       status_t (*store)(void *ctx), void *ctx)
{
	const struct bf_opener *op = env->opener;
	uint8_t *j = NULL;
	unsigned n;
	status_t st = journal_load(op, &j, &n);
	if (st == ST_ECORRUPT)
		op->remove(op->ctx, MERGE_JOURNAL);
	if (!st && !(st = redo(env, m, store, ctx, j, n)))
		op->remove(op->ctx, MERGE_JOURNAL);
	free(j);
	if (st && st != ST_ENOENT && st != ST_ECORRUPT)
		return st;
	/* folds: every layer of the tree is some walk's member */
	st = m->leaf[0] ? vhd_fold_recover(env, m->leaf) : ST_OK;
	for (unsigned i = 0; i < m->count && !st; i++)
		if (m->node[i].disk[0])
			st = vhd_fold_recover(env, m->node[i].disk);
	return st;
}
