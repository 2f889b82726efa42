/* vhd_fold_journal.c: the fold journal "<child>.fold" (vhd_fold.h) and
 * recovery from it. Layout (one write, big-endian): "hvfold1\n", state
 * u32, checksum u32, parent path length u32, header offset u64, the
 * child's new header (1024 bytes, SWITCH only), the parent path. Both
 * states have the same size, so SWITCH overwrites COPYING in one write. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"

#define J_MAGIC "hvfold1\n"
#define J_FIXED (28u + VHD_HEADER_SIZE)

status_t vhd_fold_journal_write(const struct vhd_env *env, const char *jpath,
				uint32_t state, const char *parent_path,
				uint64_t hdr_off, const uint8_t *hdr)
{
	const struct bf_opener *op = env->opener;
	uint32_t plen = (uint32_t)strlen(parent_path);
	uint8_t *j = calloc(1, J_FIXED + plen);
	struct blockfile *bf = NULL;
	status_t st;

	if (!j)
		return ST_ENOMEM;
	memcpy(j, J_MAGIC, 8);
	put32(j + 8, state);
	put32(j + 16, plen);
	put64(j + 20, hdr_off);
	if (hdr)
		memcpy(j + 28, hdr, VHD_HEADER_SIZE);
	memcpy(j + J_FIXED, parent_path, plen);
	put32(j + 12, vhd_checksum(j, J_FIXED + plen, 12));
	/* same size in both states: the SWITCH record overwrites the
	 * COPYING one in a single write, so a cut leaves either */
	st = op->open(op->ctx, jpath, BF_RDWR, &bf);
	if (st == ST_ENOENT)
		st = op->open(op->ctx, jpath, BF_CREATE, &bf);
	else if (!st && state == VHD_FOLD_COPYING)
		st = bf_resize(bf, 0);     /* a stale longer record */
	if (!st)
		st = bf_write(bf, 0, j, J_FIXED + plen);
	if (!st)
		st = bf_flush(bf);
	bf_close(bf);
	free(j);
	return st;
}

/* Reads and validates a journal; ST_ENOENT if absent, ST_ECORRUPT if torn
 * or foreign. *j is the raw record (J_FIXED + path, NUL-terminated). */
static status_t journal_read(const struct vhd_env *env, const char *jpath,
			     uint8_t **j)
{
	const struct bf_opener *op = env->opener;
	struct blockfile *bf;
	uint64_t size;
	status_t st;

	*j = NULL;
	if ((st = op->open(op->ctx, jpath, BF_RDONLY, &bf)))
		return st;
	st = bf_size(bf, &size);
	if (!st && (size < J_FIXED || size > J_FIXED + 4096))
		st = ST_ECORRUPT;
	if (!st && !(*j = calloc(1, size + 1)))
		st = ST_ENOMEM;
	if (!st)
		st = bf_read(bf, 0, *j, size);
	bf_close(bf);
	if (!st && (memcmp(*j, J_MAGIC, 8) || be32(*j + 16) + J_FIXED != size ||
		    be32(*j + 12) != vhd_checksum(*j, size, 12) ||
		    strlen((char *)*j + J_FIXED) != size - J_FIXED))
		st = ST_ECORRUPT;
	if (st) {
		free(*j);
		*j = NULL;
	}
	return st;
}


void vhd_fold_remove(const struct vhd_env *env, const char *path)
{
	if (env->opener->remove)
		env->opener->remove(env->opener->ctx, path);
}

/* Applies the journal of the child at path, if any (see vhd_fold.h). */
static status_t recover_one(const struct vhd_env *env, const char *path)
{
	const struct bf_opener *op = env->opener;
	char *jpath = malloc(strlen(path) + 6);
	struct blockfile *bf = NULL;
	uint8_t *j = NULL;
	status_t st;

	if (!jpath)
		return ST_ENOMEM;
	memcpy(jpath, path, strlen(path));
	memcpy(jpath + strlen(path), ".fold", 6);
	st = journal_read(env, jpath, &j);
	if (st == ST_ECORRUPT) {
		/* torn before anything it guards was written */
		vhd_fold_remove(env, jpath);
		st = ST_OK;
	} else if (!st && be32(j + 8) == VHD_FOLD_SWITCH) {
		st = op->open(op->ctx, path, BF_RDWR, &bf);
		if (!st)
			st = bf_write(bf, be64(j + 20), j + 28,
				      VHD_HEADER_SIZE);
		if (!st)
			st = bf_flush(bf);
		bf_close(bf);
		if (!st) {
			vhd_fold_remove(env, (const char *)j + J_FIXED);
			vhd_fold_remove(env, jpath);
		}
	}
	free(j);
	free(jpath);
	return st == ST_ENOENT ? ST_OK : st;
}

/* Recovers the journal of every file child's parent may be, so a parent
 * whose header switch was torn is repaired before it is opened. */
static status_t recover_parent(const struct vhd_env *env, struct vhd *child)
{
	char *cand[3];
	status_t st = vhd_parent_paths(child, cand);

	for (int i = 0; i < 3; i++) {
		if (!st && cand[i])
			st = recover_one(env, cand[i]);
		free(cand[i]);
	}
	return st;
}

status_t vhd_fold_recover(const struct vhd_env *env, const char *path)
{
	struct vhd *v = NULL, *p;
	char *cur = NULL;
	status_t st;

	for (unsigned d = 0; d < VHD_MAX_DEPTH; d++) {
		const char *at = cur ? cur : path;
		if ((st = recover_one(env, at)) ||
		    (st = vhd_open(env, at, 0, &v)))
			break;
		if (!vhd_is_diff(v))
			break;
		if ((st = recover_parent(env, v)) ||
		    (st = vhd_find_parent(env, v, &p)))
			break;
		vhd_close(v);
		v = NULL;
		free(cur);
		cur = p->path;
		p->path = NULL;
		vhd_close(p);
	}
	vhd_close(v);
	free(cur);
	return st;
}
