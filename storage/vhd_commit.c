/* vhd_commit.c: merging a differencing disk into its parent. Every check
 * (chain valid, parent writable, no sibling children) happens before the
 * first write. Then each sector the child holds is written into the parent
 * (parent flushed), and only then is the child emptied, so a crash at any
 * point leaves the chain reading the same data. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_ops.h"
#include "storage/vhd_text.h"

struct sibling_scan {
	const struct vhd_env *quiet;
	const char *dir;
	const uint8_t *parent_uid, *child_uid;
	char *found;
};

static int has_vhd_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	static const char *const exts[] = { ".vhd", ".avhd" };

	for (unsigned i = 0; dot && i < 2; i++) {
		size_t n = strlen(exts[i]);
		if (strlen(dot) != n)
			continue;
		unsigned k = 0;
		while (k < n && (dot[k] | 0x20) == exts[i][k])
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

static status_t scan_one(void *arg, const char *name)
{
	struct sibling_scan *s = arg;
	struct vhd *v;
	char *path;
	int other;

	if (!has_vhd_ext(name) || !(path = vp_join(s->dir, name)))
		return ST_OK;
	if (vhd_open(s->quiet, path, 0, &v)) {
		free(path);
		return ST_OK;
	}
	other = vhd_is_diff(v) &&
		!memcmp(v->header.parent_uid, s->parent_uid, 16) &&
		memcmp(v->footer.uid, s->child_uid, 16);
	vhd_close(v);
	if (!other) {
		free(path);
		return ST_OK;
	}
	s->found = path;
	return ST_EBUSY;
}

status_t vhd_find_sibling(const struct vhd_env *env, struct vhd *child,
			     struct vhd *parent, char **found)
{
	const struct bf_opener *op = env->opener;
	struct vhd_env quiet = *env;
	struct sibling_scan s = { &quiet, NULL, parent->footer.uid,
				  child->footer.uid, NULL };
	const char *paths[2] = { parent->path, child->path };

	quiet.diag = NULL;
	if (!op->list)
		return ST_OK;
	for (int i = 0; i < 2 && !s.found; i++) {
		char *dir = vp_dirname(paths[i]);
		if (!dir)
			return ST_ENOMEM;
		s.dir = dir;
		op->list(op->ctx, *dir ? dir : "", scan_one, &s);
		free(dir);
	}
	*found = s.found;
	return s.found ? ST_EBUSY : ST_OK;
}

status_t vhd_commit_block(struct vhd *child, struct vhd *parent,
			    uint32_t blk, uint8_t *bm, uint8_t *buf)
{
	uint32_t spb = child->block_size / VHD_SECTOR;
	uint64_t data = vhd_block_data(child, blk);
	uint64_t base = (uint64_t)blk * spb;
	uint64_t total = child->size / VHD_SECTOR;
	status_t st = vhd_read_bitmap(child, blk, bm);

	for (uint32_t i = 0; !st && i < spb && base + i < total;) {
		uint32_t n = 0;
		if (!bm_test(bm, i)) {
			i++;
			continue;
		}
		while (i + n < spb && base + i + n < total && bm_test(bm, i + n))
			n++;
		st = bf_read(child->bf, data + (uint64_t)i * VHD_SECTOR, buf,
			     (size_t)n * VHD_SECTOR);
		if (!st)
			st = vhd_write_sectors(parent, base + i, n, buf);
		i += n;
	}
	return st;
}

static status_t merge_all(const struct vhd_env *env, struct vhd *child,
			  struct vhd *parent)
{
	uint8_t *bm = malloc(child->bitmap_bytes);
	uint8_t *buf = malloc(child->block_size);
	status_t st = bm && buf ? ST_OK : ST_ENOMEM;

	for (uint32_t b = 0; !st && b < child->nblocks; b++) {
		vhd_progress(env, b, child->nblocks);
		if (vhd_block_data(child, b))
			st = vhd_commit_block(child, parent, b, bm, buf);
	}
	if (!st)
		vhd_progress(env, child->nblocks, child->nblocks);
	free(bm);
	free(buf);
	return st;
}

static status_t open_pair(const struct vhd_env *env, const char *path,
			  struct vhd **child, struct vhd **parent)
{
	struct vhd_rep r;
	struct vhd *p;
	status_t st;

	vhd_rep_init(&r, env, path);
	if ((st = vhd_open(env, path, VHD_RDWR, child)))
		return st;
	if (!vhd_is_diff(*child)) {
		vhd_rep_v(&r, VHD_ERROR, "footer.disk_type", "is not a "
			  "differencing disk: nothing to commit",
			  (*child)->footer.disk_type);
		return ST_EINVAL;
	}
	if ((st = vhd_find_parent(env, *child, &p)))
		return st;
	st = vhd_open(env, p->path, VHD_RDWR, parent);
	vhd_close(p);
	return st;
}

status_t vhd_commit(const struct vhd_env *env, const char *path,
		    unsigned flags)
{
	struct vhd *child = NULL, *parent = NULL;
	struct vhd_chain *c = NULL;
	char *sib = NULL;
	struct vhd_rep r;
	status_t st;

	/* the whole chain must be sound before anything is written */
	if ((st = vhd_chain_open(env, path, 0, &c)))
		return st;
	vhd_chain_close(c);
	if ((st = open_pair(env, path, &child, &parent)))
		goto out;
	if (!(flags & VHD_COMMIT_FORCE) &&
	    (st = vhd_find_sibling(env, child, parent, &sib))) {
		vhd_rep_init(&r, env, sib ? sib : parent->path);
		vhd_rep(&r, VHD_ERROR, "header.parent_uid", "is another child "
			"of the parent, which a commit would invalidate "
			"(force to commit anyway)");
		goto out;
	}
	if ((st = merge_all(env, child, parent)) ||
	    (st = vhd_flush(parent)))
		goto out;
	if (!(st = vhd_empty(child)))
		st = vhd_flush(child);
out:
	free(sib);
	vhd_close(child);
	vhd_close(parent);
	return st;
}
