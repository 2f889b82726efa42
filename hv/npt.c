/* npt.c: the nested-paging engine over EPT and AMD formats (npt.h).
 * Levels count down from 4 (the root) to 1 (4 KiB leaves); a level-2
 * entry with the large bit is a 2 MiB leaf. 1 GiB leaves are not made. */
#include <stddef.h>
#include "hv/npt.h"

#define ENTRIES 512

/* SDM vol. 3, 29.3.2, Table 29-6: bits 0-2 read/write/execute, bits 3-5
 * the memory type of a leaf (6 = write-back), bit 7 a large page. */
const struct npt_format npt_format_ept = {
	.name = "EPT",
	.present = 0x7, .r = 1 << 0, .w = 1 << 1, .x = 1 << 2,
	.nx = 0, .always = 0, .leaf = 6 << 3, .large = 1 << 7,
	.addr = 0x000ffffffffff000ull,
};

/* APM vol. 2, 15.25.5: nested entries are long-mode page-table entries;
 * guest accesses count as user accesses, so US (bit 2) must be set. */
const struct npt_format npt_format_amd = {
	.name = "NPT",
	.present = 1 << 0, .r = 1 << 0, .w = 1 << 1, .x = 0,
	.nx = 1ull << 63, .always = (1 << 0) | (1 << 2), .leaf = 0,
	.large = 1 << 7, .addr = 0x000ffffffffff000ull,
};

static uint64_t encode(const struct npt_format *f, unsigned perms)
{
	uint64_t e = 0;
	if (!(perms & NPT_RWX))
		return 0;
	e |= f->always;
	if (perms & NPT_R)
		e |= f->r;
	if (perms & NPT_W)
		e |= f->w;
	e |= (perms & NPT_X) ? f->x : f->nx;
	return e;
}

static unsigned decode(const struct npt_format *f, uint64_t e)
{
	unsigned p = 0;
	if (!(e & f->present))
		return 0;
	if (e & f->r)
		p |= NPT_R;
	if (e & f->w)
		p |= NPT_W;
	if (f->x ? (e & f->x) : !(e & f->nx))
		p |= NPT_X;
	return p;
}

static bool present(const struct npt_format *f, uint64_t e)
{
	return (e & f->present) != 0;
}

static uint64_t *table_of(const struct npt *npt, uint64_t e)
{
	return npt->alloc.phys_to_virt(npt->alloc.ctx, e & npt->fmt->addr);
}

static unsigned index_at(uint64_t gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t level_size(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

static bool is_leaf(const struct npt_format *f, uint64_t e, int level)
{
	return level == 1 || (e & f->large);
}

status_t npt_init(struct npt *npt, const struct npt_format *fmt,
		  const struct npt_alloc *alloc)
{
	npt->fmt = fmt;
	npt->alloc = *alloc;
	npt->root = alloc->alloc_page(alloc->ctx, &npt->root_pa);
	return npt->root ? ST_OK : ST_ENOMEM;
}

static void free_table(struct npt *npt, uint64_t *table, int level)
{
	for (int i = 0; level > 1 && i < ENTRIES; i++)
		if (present(npt->fmt, table[i]) &&
		    !is_leaf(npt->fmt, table[i], level))
			free_table(npt, table_of(npt, table[i]), level - 1);
	npt->alloc.free_page(npt->alloc.ctx, table);
}

void npt_destroy(struct npt *npt)
{
	if (npt->root)
		free_table(npt, npt->root, 4);
	npt->root = NULL;
}

static status_t new_table(struct npt *npt, uint64_t *entry)
{
	uint64_t pa;
	if (!npt->alloc.alloc_page(npt->alloc.ctx, &pa))
		return ST_ENOMEM;
	*entry = pa | encode(npt->fmt, NPT_RWX);
	return ST_OK;
}

/* Replaces the 2 MiB leaf *entry by a table of 512 equal 4 KiB leaves. */
static status_t split_large(struct npt *npt, uint64_t *entry)
{
	const struct npt_format *f = npt->fmt;
	uint64_t old = *entry, pa;
	uint64_t *t = npt->alloc.alloc_page(npt->alloc.ctx, &pa);
	if (!t)
		return ST_ENOMEM;
	uint64_t bits = (old & ~f->addr & ~f->large);
	uint64_t base = old & f->addr & ~(NPT_2M - 1);
	for (int i = 0; i < ENTRIES; i++)
		t[i] = (base + i * NPT_4K) | bits;
	*entry = pa | encode(f, NPT_RWX);
	return ST_OK;
}

/* The entry for gpa at `level`, creating tables (and splitting large
 * leaves) on the way down when `create` is set; NULL if absent. */
static uint64_t *walk(struct npt *npt, uint64_t gpa, int level, bool create,
		      status_t *st)
{
	uint64_t *table = npt->root;
	*st = ST_OK;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[index_at(gpa, l)];
		if (!present(npt->fmt, *e)) {
			if (!create)
				return NULL;
			if ((*st = new_table(npt, e)))
				return NULL;
		} else if (is_leaf(npt->fmt, *e, l)) {
			if (!create)
				return NULL;
			if ((*st = split_large(npt, e)))
				return NULL;
		}
		table = table_of(npt, *e);
	}
	return &table[index_at(gpa, level)];
}

static bool can_map_large(struct npt *npt, uint64_t gpa, uint64_t hpa,
			  uint64_t left)
{
	status_t st;
	if ((gpa | hpa) & (NPT_2M - 1) || left < NPT_2M)
		return false;
	uint64_t *pde = walk(npt, gpa, 2, true, &st);
	return pde && (!present(npt->fmt, *pde) || (*pde & npt->fmt->large));
}

status_t npt_map(struct npt *npt, uint64_t gpa, uint64_t hpa, uint64_t size,
		 unsigned perms)
{
	const struct npt_format *f = npt->fmt;
	status_t st = ST_OK;
	if ((gpa | hpa | size) & (NPT_4K - 1))
		return ST_EINVAL;
	while (size) {
		if (can_map_large(npt, gpa, hpa, size)) {
			uint64_t *pde = walk(npt, gpa, 2, true, &st);
			*pde = hpa | encode(f, perms) | f->leaf | f->large;
			gpa += NPT_2M, hpa += NPT_2M, size -= NPT_2M;
			continue;
		}
		uint64_t *pte = walk(npt, gpa, 1, true, &st);
		if (!pte)
			return st;
		*pte = hpa | encode(f, perms) | f->leaf;
		gpa += NPT_4K, hpa += NPT_4K, size -= NPT_4K;
	}
	return st;
}

/* Applies `perms` (or unmaps, when `unmap`) to every present leaf in the
 * range, splitting 2 MiB leaves the range covers only in part. */
static status_t change(struct npt *npt, uint64_t gpa, uint64_t size,
		       unsigned perms, bool unmap)
{
	const struct npt_format *f = npt->fmt;
	status_t st = ST_OK;
	uint64_t end = gpa + size;
	if ((gpa | size) & (NPT_4K - 1) || end < gpa)
		return ST_EINVAL;
	while (gpa < end) {
		uint64_t *pde = walk(npt, gpa, 2, false, &st);
		if (!pde || !present(f, *pde)) {
			gpa = (gpa | (NPT_2M - 1)) + 1;
			continue;
		}
		if (*pde & f->large) {
			if (!(gpa & (NPT_2M - 1)) && end - gpa >= NPT_2M) {
				*pde = unmap ? 0 : (*pde & f->addr) | f->large | f->leaf |
							 encode(f, perms);
				gpa += NPT_2M;
				continue;
			}
			if ((st = split_large(npt, pde)))
				return st;
		}
		uint64_t *pte = &table_of(npt, *pde)[index_at(gpa, 1)];
		if (present(f, *pte))
			*pte = unmap ? 0 : (*pte & f->addr) | f->leaf | encode(f, perms);
		gpa += NPT_4K;
	}
	return ST_OK;
}

status_t npt_protect(struct npt *npt, uint64_t gpa, uint64_t size,
		     unsigned perms)
{
	if (!(perms & NPT_RWX))
		return ST_EINVAL;
	return change(npt, gpa, size, perms, false);
}

status_t npt_unmap(struct npt *npt, uint64_t gpa, uint64_t size)
{
	return change(npt, gpa, size, 0, true);
}

status_t npt_lookup(const struct npt *npt, uint64_t gpa, uint64_t *hpa,
		    unsigned *perms, uint64_t *page_size)
{
	const struct npt_format *f = npt->fmt;
	uint64_t *table = npt->root;
	for (int l = 4; l >= 1; l--) {
		uint64_t e = table[index_at(gpa, l)];
		if (!present(f, e))
			return ST_ENOENT;
		if (is_leaf(f, e, l)) {
			uint64_t sz = level_size(l);
			if (hpa)
				*hpa = (e & f->addr & ~(sz - 1)) | (gpa & (sz - 1));
			if (perms)
				*perms = decode(f, e);
			if (page_size)
				*page_size = sz;
			return ST_OK;
		}
		table = table_of(npt, e);
	}
	return ST_ENOENT;
}
