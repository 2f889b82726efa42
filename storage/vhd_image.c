/* vhd_image.c: sources (chain, raw file) and the writers that turn a source
 * into a new dynamic VHD or raw image: convert and export. New files are
 * written without ordering flushes and flushed once at the end; a failed
 * write removes the half-made file. Export also survives a power cut: it
 * writes OUT.part and renames it to OUT after the flush. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_ops.h"

#define CHUNK (1u << 20)

static status_t chain_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return vhd_chain_read(ctx, off, buf, len);
}

/* A hole if every unit in the range resolves to ZERO. */
static int chain_hole(void *ctx, uint64_t off, uint64_t len)
{
	struct vhd_chain *c = ctx;
	uint64_t u0 = off >> c->unit_shift;
	uint64_t u1 = (off + len - 1) >> c->unit_shift;

	for (uint64_t u = u0; u <= u1; u++) {
		if (vhd_chain_resolve(c, (uint32_t)u) ||
		    c->map[u].kind != VHD_U_ZERO)
			return 0;
	}
	return 1;
}

void vhd_source_chain(struct vhd_chain *c, struct vhd_source *s)
{
	s->size = c->size;
	s->ctx = c;
	s->read = chain_read;
	s->is_hole = chain_hole;
}

struct raw_src {
	struct blockfile *bf;
	uint64_t fsize;
};

static status_t raw_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct blockfile *bf = ctx;
	uint64_t fsize;
	size_t n = 0;
	status_t st = bf_size(bf, &fsize);

	if (st)
		return st;
	if (off < fsize)
		n = fsize - off < len ? (size_t)(fsize - off) : len;
	if (n && (st = bf_read(bf, off, buf, n)))
		return st;
	memset((uint8_t *)buf + n, 0, len - n);
	return ST_OK;
}

status_t vhd_source_raw(struct blockfile *bf, struct vhd_source *s)
{
	uint64_t size;
	status_t st = bf_size(bf, &size);

	if (st)
		return st;
	s->size = (size + VHD_SECTOR - 1) & ~(uint64_t)(VHD_SECTOR - 1);
	s->ctx = bf;
	s->read = raw_read;
	s->is_hole = NULL;
	return ST_OK;
}

static int is_zero(const uint8_t *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)p;

	for (size_t i = 0; i < n / 8; i++)
		if (q[i])
			return 0;
	for (size_t i = n / 8 * 8; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Calls put for each non-zero chunk of the source. */
static status_t copy_nonzero(const struct vhd_env *env,
			     const struct vhd_source *src, uint32_t chunk,
			     status_t (*put)(void *arg, uint64_t off,
					     const uint8_t *buf, size_t len),
			     void *arg)
{
	uint8_t *buf = malloc(chunk);
	status_t st = buf ? ST_OK : ST_ENOMEM;

	for (uint64_t off = 0; !st && off < src->size; off += chunk) {
		size_t n = src->size - off < chunk ? (size_t)(src->size - off)
						   : chunk;
		vhd_progress(env, off, src->size);
		if (src->is_hole && src->is_hole(src->ctx, off, n))
			continue;
		st = src->read(src->ctx, off, buf, n);
		if (!st && !is_zero(buf, n))
			st = put(arg, off, buf, n);
	}
	if (!st)
		vhd_progress(env, src->size, src->size);
	free(buf);
	return st;
}

static status_t put_vhd(void *arg, uint64_t off, const uint8_t *buf,
			size_t len)
{
	return vhd_write_sectors(arg, off / VHD_SECTOR, len / VHD_SECTOR, buf);
}

status_t vhd_write_dynamic(const struct vhd_env *env,
			   const struct vhd_source *src, const char *out,
			   uint32_t block_size)
{
	struct vhd_create_opts o = { VHD_TYPE_DYNAMIC, src->size, block_size,
				     NULL, NULL };
	struct vhd *v;
	status_t st;

	if ((st = vhd_create(env, out, &o, &v)))
		return st;
	v->nosync = 1;
	st = copy_nonzero(env, src, v->block_size, put_vhd, v);
	if (!st)
		st = vhd_flush(v);
	vhd_close(v);
	if (st && env->opener->remove)
		env->opener->remove(env->opener->ctx, out);
	return st;
}

static status_t put_raw(void *arg, uint64_t off, const uint8_t *buf,
			size_t len)
{
	return bf_write(arg, off, buf, len);
}

status_t vhd_write_raw(const struct vhd_env *env,
		       const struct vhd_source *src, const char *out)
{
	const struct bf_opener *op = env->opener;
	struct blockfile *bf;
	status_t st;

	if ((st = op->open(op->ctx, out, BF_CREATE, &bf)))
		return st;
	st = copy_nonzero(env, src, CHUNK, put_raw, bf);
	if (!st)
		st = bf_resize(bf, src->size);
	if (!st)
		st = bf_flush(bf);
	bf_close(bf);
	if (st && op->remove)
		op->remove(op->ctx, out);
	return st;
}

/* path + ".part", malloc'd (NULL when out of memory). */
static char *part_path(const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 6);

	if (p) {
		memcpy(p, path, n);
		memcpy(p + n, ".part", 6);
	}
	return p;
}

/* ST_EEXIST if something opens at path, ST_OK if nothing is there. */
static status_t check_absent(const struct bf_opener *op, const char *path)
{
	struct blockfile *bf;
	status_t st = op->open(op->ctx, path, BF_RDONLY, &bf);

	if (st == ST_OK) {
		bf_close(bf);
		return ST_EEXIST;
	}
	return st == ST_ENOENT ? ST_OK : st;
}

/* The new file is made whole under a temporary name and renamed into place
 * only after its flush, so a power cut never leaves a partial `out` (at
 * worst a stale out.part, which the next export replaces). */
static status_t export_chain(const struct vhd_env *env, struct vhd_chain *c,
			     const char *out, const char *part)
{
	const struct bf_opener *op = env->opener;
	struct vhd_source src;
	uint32_t bs;
	status_t st;

	if (op->remove) {
		st = op->remove(op->ctx, part);
		if (st && st != ST_ENOENT)
			return st;
	}
	bs = vhd_is_fixed(c->layer[0]) ? VHD_DEFAULT_BLOCK
				       : c->layer[0]->block_size;
	vhd_source_chain(c, &src);
	/* It flushes before it returns and removes part on failure. */
	if ((st = vhd_write_dynamic(env, &src, part, bs)))
		return st;
	st = op->rename(op->ctx, part, out);
	if (st && op->remove)
		op->remove(op->ctx, part);
	return st;
}

status_t vhd_export(const struct vhd_env *env, const char *path,
		    const char *out)
{
	const struct bf_opener *op = env->opener;
	struct vhd_chain *c = NULL;
	char *part = NULL;
	status_t st;

	if (!op->rename)
		return ST_EUNSUPP;
	if ((st = check_absent(op, out)))
		return st;
	st = ST_ENOMEM;
	if (!(part = part_path(out)))
		goto out;
	if ((st = vhd_chain_open(env, path, 0, &c)))
		goto out;
	st = export_chain(env, c, out, part);
out:
	vhd_chain_close(c);
	free(part);
	return st;
}
