/* vhd_fold_finish.c: the end of a fold (vhd_fold.h) and its recovery. The
 * child's new parent locators go to fresh space at its end (the old ones
 * stay valid until the switch); the new header goes to the journal
 * "<child>.fold" (flushed), then in place (flushed); only then is the
 * folded parent deleted, then the journal. Journal layout (one write):
 * "hvfold1\n", state u32, checksum u32, path length u32, header offset u64,
 * header (1024 bytes, SWITCH only), parent path; big-endian. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_fold.h"
#include "storage/vhd_text.h"

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

/* UTF-16LE bytes of s, or NULL. */
static uint8_t *utf16le(const char *s, uint32_t *len)
{
	uint16_t units[VHD_MAX_LOCATOR / 2];
	long n = utf8_to_utf16(s, units, VHD_MAX_LOCATOR / 2);
	uint8_t *b;

	if (n <= 0 || !(b = malloc((size_t)n * 2)))
		return NULL;
	for (long i = 0; i < n; i++) {
		b[2 * i] = (uint8_t)units[i];
		b[2 * i + 1] = (uint8_t)(units[i] >> 8);
	}
	*len = (uint32_t)n * 2;
	return b;
}

/* Relative (and, if the opener knows absolute paths, absolute) locator
 * data naming gp from child's directory. */
static status_t locator_texts(const struct vhd_env *env, const char *child,
			      const char *gp, uint8_t *data[2],
			      uint32_t len[2])
{
	const struct bf_opener *op = env->opener;
	char *cabs = NULL, *gabs = NULL, *dir, *rel, *win = NULL;

	if (op->abspath && !op->abspath(op->ctx, child, &cabs) &&
	    !op->abspath(op->ctx, gp, &gabs)) {
		dir = vp_dirname(cabs);
		rel = dir ? vp_relative(dir, gabs) : NULL;
		win = vp_windows(gabs);
	} else {
		dir = vp_dirname(child);
		rel = dir ? vp_relative(dir, gp) : NULL;
	}
	data[0] = rel ? utf16le(rel, &len[0]) : NULL;
	data[1] = win ? utf16le(win, &len[1]) : NULL;
	free(cabs);
	free(gabs);
	free(dir);
	free(rel);
	free(win);
	return data[0] ? ST_OK : ST_ENOMEM;
}

/* Writes the locator data past the child's footer (footer moved first,
 * so the file always ends in a valid footer) and fills h's locators. */
static status_t append_locators(struct vhd *v, uint8_t *data[2],
				uint32_t len[2], struct vhd_header *h)
{
	static const uint32_t codes[2] = { VHD_PLAT_W2RU, VHD_PLAT_W2KU };
	uint64_t pos = (v->footer_off + VHD_SECTOR - 1) & ~511ull, end = pos;
	status_t st;

	memset(h->loc, 0, sizeof(h->loc));
	for (int i = 0; i < 2; i++) {
		if (!data[i])
			continue;
		h->loc[i].code = codes[i];
		h->loc[i].space = (len[i] + 511) & ~511u;   /* bytes */
		h->loc[i].length = len[i];
		h->loc[i].offset = end;
		end += h->loc[i].space;
	}
	st = bf_write(v->bf, end, v->footer_raw, VHD_FOOTER_SIZE);
	if (!st)
		st = bf_flush(v->bf);
	for (int i = 0; i < 2 && !st; i++)
		if (data[i])
			st = bf_write(v->bf, h->loc[i].offset, data[i], len[i]);
	if (!st)
		st = bf_flush(v->bf);
	if (st) {
		bf_resize(v->bf, v->footer_off + VHD_FOOTER_SIZE);
		return st;
	}
	v->footer_off = end;
	return ST_OK;
}

/* The child's header naming gp, locators written, encoded into raw. */
static status_t new_header(const struct vhd_env *env, struct vhd *child,
			   struct vhd *gp, struct vhd_header *h,
			   uint8_t raw[VHD_HEADER_SIZE])
{
	uint8_t *data[2] = { NULL, NULL };
	uint32_t len[2] = { 0, 0 };
	status_t st;
	long n;

	*h = child->header;
	memcpy(h->parent_uid, gp->footer.uid, 16);
	h->parent_timestamp = gp->footer.timestamp;
	memset(h->parent_name, 0, sizeof(h->parent_name));
	n = utf8_to_utf16(vp_basename(gp->path), h->parent_name, 256);
	if (n < 0)
		return ST_EINVAL;
	st = locator_texts(env, child->path, gp->path, data, len);
	if (!st)
		st = append_locators(child, data, len, h);
	free(data[0]);
	free(data[1]);
	if (!st)
		vhd_header_encode(h, raw);
	return st;
}

/* Drops layer k from the open chain; the map is rebuilt lazily (the unit
 * may change if the folded layer had the smallest blocks). */
static status_t drop_layer(struct vhd_chain *c, unsigned k)
{
	vhd_close(c->layer[k]);
	memmove(&c->layer[k], &c->layer[k + 1],
		(c->depth - k - 1) * sizeof(c->layer[0]));
	c->depth--;
	vhd_chain_map_free(c);
	return vhd_chain_map_init(c);
}

static void remove_file(const struct vhd_env *env, const char *path)
{
	if (env->opener->remove)
		env->opener->remove(env->opener->ctx, path);
}

status_t vhd_fold_finish(struct vhd_fold *f)
{
	struct vhd_chain *c = f->c;
	struct vhd *child = c->layer[f->k - 1], *par = c->layer[f->k];
	uint8_t raw[VHD_HEADER_SIZE];
	struct vhd_header h;
	char *ppath;
	status_t st;

	if (!f->copied)
		return ST_EINVAL;
	if (!c->env->opener->remove)
		return ST_EUNSUPP;
	if ((st = new_header(c->env, child, c->layer[f->k + 1], &h, raw)))
		return st;
	st = vhd_fold_journal_write(c->env, f->journal, VHD_FOLD_SWITCH,
				    par->path, child->footer.data_offset, raw);
	if (st || (st = bf_write(child->bf, child->footer.data_offset, raw,
				 VHD_HEADER_SIZE)) ||
	    (st = bf_flush(child->bf)))
		return st;
	child->header = h;
	ppath = par->path;
	par->path = NULL;             /* kept for the removal below */
	st = drop_layer(c, f->k);
	remove_file(c->env, ppath);
	free(ppath);
	remove_file(c->env, f->journal);
	return st;
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
		remove_file(env, jpath);
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
			remove_file(env, (const char *)j + J_FIXED);
			remove_file(env, jpath);
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
