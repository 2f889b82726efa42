/* vhd_check.c: "check": every structure of a VHD and of its parents is
 * verified without stopping at the first problem: both footers, the
 * dynamic header, locators, each BAT entry (range, overlap with metadata
 * and with other blocks) and the chain links. Problems go to env->diag. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_ops.h"

struct counting {
	struct vhd_env env;
	const struct vhd_env *outer;
	unsigned errors;
};

static void count_diag(void *ctx, const struct vhd_diag *d)
{
	struct counting *c = ctx;

	if (d->level == VHD_ERROR)
		c->errors++;
	if (c->outer->diag)
		c->outer->diag(c->outer->ctx, d);
}

struct ent {
	uint64_t off;
	uint32_t idx;
};

/* In-place heap sort by offset (no qsort in the firmware's libc). */
static void sift(struct ent *a, size_t i, size_t n)
{
	for (;;) {
		size_t m = i, l = 2 * i + 1, r = l + 1;
		if (l < n && a[l].off > a[m].off)
			m = l;
		if (r < n && a[r].off > a[m].off)
			m = r;
		if (m == i)
			return;
		struct ent t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void sort_ents(struct ent *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (size_t i = n; i-- > 1;) {
		struct ent t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
}

static uint64_t metadata_end(const struct vhd *v)
{
	uint64_t end = v->footer.data_offset + VHD_HEADER_SIZE;
	uint64_t bat = v->header.table_offset + (uint64_t)v->nblocks * 4;

	return bat > end ? bat : end;
}

static void check_bat(struct vhd_rep *r, struct vhd *v, const uint8_t *raw)
{
	uint64_t span = (uint64_t)v->bitmap_bytes + v->block_size;
	struct ent *e = malloc(((size_t)v->nblocks + 1) * sizeof(*e));
	uint64_t meta = metadata_end(v);
	size_t n = 0;
	char f[48];

	if (!e) {
		vhd_rep(r, VHD_ERROR, "bat", "out of memory to check");
		return;
	}
	for (uint32_t i = 0; i < v->nblocks; i++) {
		uint32_t x = be32(raw + 4 * i);
		uint64_t off = (uint64_t)x * VHD_SECTOR;
		if (x == VHD_UNUSED)
			continue;
		if (off > v->footer_off || span > v->footer_off - off)
			vhd_rep_v(r, VHD_ERROR, vhd_field_idx(f, "bat", i),
				  "block lies outside the file", x);
		else if (off < meta)
			vhd_rep_v(r, VHD_ERROR, vhd_field_idx(f, "bat", i),
				  "block overlaps the header or BAT", x);
		else
			e[n++] = (struct ent){ off, i };
	}
	sort_ents(e, n);
	for (size_t i = 1; i < n; i++)
		if (e[i - 1].off + span > e[i].off)
			vhd_rep_ve(r, VHD_ERROR,
				   vhd_field_idx(f, "bat", e[i].idx),
				   "block overlaps the block of entry",
				   e[i].off / VHD_SECTOR, e[i - 1].idx);
	free(e);
}

/* Structural checks of one file; *v is opened only if they pass. */
static void check_file(const struct vhd_env *env, const char *path)
{
	struct vhd_rep r;
	struct vhd *v;
	uint8_t *raw;

	vhd_rep_init(&r, env, path);
	if (vhd_open(env, path, 0, &v))
		return;           /* vhd_open reported what is wrong */
	if (!vhd_is_fixed(v)) {
		raw = malloc((size_t)v->nblocks * 4 + 1);
		if (raw && !bf_read(v->bf, v->header.table_offset, raw,
				    (size_t)v->nblocks * 4))
			check_bat(&r, v, raw);
		free(raw);
	}
	vhd_close(v);
}

status_t vhd_check(const struct vhd_env *env, const char *path)
{
	struct counting c;
	struct vhd_chain *ch;

	c.env = *env;
	c.env.ctx = &c;
	c.env.diag = count_diag;
	c.env.now = NULL;               /* ctx is ours now: no other hooks */
	c.env.random = NULL;
	c.env.progress = NULL;
	c.outer = env;
	c.errors = 0;
	check_file(&c.env, path);
	if (c.errors)
		return ST_ECORRUPT;
	if (vhd_chain_open(&c.env, path, 0, &ch))
		return ST_ECORRUPT;
	for (unsigned i = 1; i < ch->depth; i++)
		check_file(&c.env, ch->layer[i]->path);
	vhd_chain_close(ch);
	return c.errors ? ST_ECORRUPT : ST_OK;
}
