/* hv_npt.c: unit tests of the nested-paging engine (hv/npt.c) over both
 * formats, with a host page allocator where pa = the host pointer. */
#include "tests/unit/fake_mem.h"

#define NPT_RW (NPT_R | NPT_W)
#define EPT_MT_WB (6ull << 3)
#define BIT7 (1ull << 7)
#define AMD_P 1ull
#define AMD_RW 2ull
#define AMD_US 4ull
#define AMD_NX (1ull << 63)

struct fixture {
	struct fake_pages fp;
	struct npt npt;
};

static struct fixture *setup(const struct npt_format *fmt)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	struct npt_alloc a = fake_npt_alloc(&fx->fp);
	assert_int_equal(npt_init(&fx->npt, fmt, &a), ST_OK);
	assert_int_equal(fx->fp.live, 1);
	return fx;
}

static void teardown(struct fixture *fx)
{
	npt_destroy(&fx->npt);
	assert_null(fx->npt.root);
	assert_int_equal(fx->fp.live, 0);
	free(fx);
}

/* The raw entry for gpa at `level` (4 = root); the tables above it must
 * exist and not be leaves. */
static uint64_t *raw(const struct npt *npt, uint64_t gpa, int level)
{
	uint64_t *t = npt->root;
	for (int l = 4; l > level; l--) {
		uint64_t e = t[(gpa >> (12 + 9 * (l - 1))) & 511];
		assert_true(e & npt->fmt->present);
		assert_false(e & BIT7);
		t = (uint64_t *)(uintptr_t)(e & 0x000ffffffffff000ull);
	}
	return &t[(gpa >> (12 + 9 * (level - 1))) & 511];
}

static void expect_map(const struct npt *npt, uint64_t gpa, uint64_t hpa,
		       unsigned perms, uint64_t size)
{
	uint64_t h = 0, sz = 0;
	unsigned p = 0;
	assert_int_equal(npt_lookup(npt, gpa, &h, &p, &sz), ST_OK);
	assert_int_equal(h, hpa);
	assert_int_equal(p, perms);
	assert_int_equal(sz, size);
}

static void expect_none(const struct npt *npt, uint64_t gpa)
{
	uint64_t h = 0x1234, sz = 0x5678;
	unsigned p = 99;
	assert_int_equal(npt_lookup(npt, gpa, &h, &p, &sz), ST_ENOENT);
}

static void test_init_destroy(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	expect_none(&fx->npt, 0);
	expect_none(&fx->npt, 0x7ffffffff000ull);
	for (int i = 0; i < 512; i++)
		assert_int_equal(fx->npt.root[i], 0);
	assert_int_equal(fx->npt.root_pa, (uint64_t)(uintptr_t)fx->npt.root);
	teardown(fx);
	/* Destroying twice is harmless. */
	struct fake_pages fp;
	struct npt_alloc a = fake_npt_alloc(&fp);
	struct npt n;
	assert_int_equal(npt_init(&n, &npt_format_amd, &a), ST_OK);
	npt_destroy(&n);
	npt_destroy(&n);
	assert_int_equal(fp.live, 0);
}

static void test_init_enomem(void **state)
{
	(void)state;
	struct fake_pages fp;
	struct npt_alloc a = fake_npt_alloc(&fp);
	struct npt n;
	fp.fail_after = 0;
	assert_int_equal(npt_init(&n, &npt_format_ept, &a), ST_ENOMEM);
	assert_null(n.root);
	npt_destroy(&n);
	assert_int_equal(fp.live, 0);
}

static void test_large_when_aligned(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	assert_int_equal(npt_map(&fx->npt, 0x40000000, 0x80000000, 4 * NPT_2M,
				 NPT_RWX), ST_OK);
	/* root, PDPT, PD: no page tables for 2 MiB leaves. */
	assert_int_equal(fx->fp.live, 3);
	expect_map(&fx->npt, 0x40000000, 0x80000000, NPT_RWX, NPT_2M);
	expect_map(&fx->npt, 0x40123456, 0x80123456, NPT_RWX, NPT_2M);
	expect_map(&fx->npt, 0x407fffff, 0x807fffff, NPT_RWX, NPT_2M);
	expect_none(&fx->npt, 0x40800000);
	expect_none(&fx->npt, 0x3ffff000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(*raw(&fx->npt, 0x40000000 + i * NPT_2M, 2),
				 (0x80000000 + i * NPT_2M) | 7 | EPT_MT_WB | BIT7);
	/* Intermediate entries: RWX, no memory type, no large bit. */
	assert_int_equal(*raw(&fx->npt, 0x40000000, 4) & 0xfff, 7);
	assert_int_equal(*raw(&fx->npt, 0x40000000, 3) & 0xfff, 7);
	/* NULL out-pointers are allowed. */
	assert_int_equal(npt_lookup(&fx->npt, 0x40000000, NULL, NULL, NULL), ST_OK);
	teardown(fx);
}

static void test_small_when_misaligned(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	/* gpa 2M aligned, hpa only 4K aligned: 4 KiB leaves throughout. */
	assert_int_equal(npt_map(&fx->npt, 0x200000, 0x1001000, NPT_2M, NPT_RW),
			 ST_OK);
	assert_int_equal(fx->fp.live, 4);
	for (uint64_t off = 0; off < NPT_2M; off += NPT_4K) {
		expect_map(&fx->npt, 0x200000 + off, 0x1001000 + off, NPT_RW, NPT_4K);
		assert_int_equal(*raw(&fx->npt, 0x200000 + off, 1),
				 (0x1001000 + off) | 3 | EPT_MT_WB);
	}
	/* gpa misaligned, hpa aligned: 4 KiB too. */
	assert_int_equal(npt_map(&fx->npt, 0x10401000, 0x20000000, NPT_2M, NPT_R),
			 ST_OK);
	expect_map(&fx->npt, 0x10401000, 0x20000000, NPT_R, NPT_4K);
	expect_map(&fx->npt, 0x105ff000, 0x201fe000, NPT_R, NPT_4K);
	expect_map(&fx->npt, 0x10600abc, 0x201ffabc, NPT_R, NPT_4K);
	expect_none(&fx->npt, 0x10601000);
	/* Aligned but shorter than 2 MiB: 4 KiB. */
	assert_int_equal(npt_map(&fx->npt, 0x40000000, 0x40000000, NPT_2M - NPT_4K,
				 NPT_RWX), ST_OK);
	expect_map(&fx->npt, 0x40000000, 0x40000000, NPT_RWX, NPT_4K);
	expect_none(&fx->npt, 0x401ff000);
	teardown(fx);
}

static void test_mixed_range(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_amd);
	/* 4K head, one 2M leaf, 4K tail. */
	assert_int_equal(npt_map(&fx->npt, 0x1fe000, 0x401fe000,
				 2 * NPT_4K + NPT_2M + 3 * NPT_4K, NPT_RWX), ST_OK);
	expect_map(&fx->npt, 0x1fe000, 0x401fe000, NPT_RWX, NPT_4K);
	expect_map(&fx->npt, 0x1ff000, 0x401ff000, NPT_RWX, NPT_4K);
	expect_map(&fx->npt, 0x200000, 0x40200000, NPT_RWX, NPT_2M);
	expect_map(&fx->npt, 0x3fffff, 0x403fffff, NPT_RWX, NPT_2M);
	expect_map(&fx->npt, 0x400000, 0x40400000, NPT_RWX, NPT_4K);
	expect_map(&fx->npt, 0x402000, 0x40402000, NPT_RWX, NPT_4K);
	expect_none(&fx->npt, 0x403000);
	expect_none(&fx->npt, 0x1fd000);
	/* Far apart: another PML4 slot. */
	assert_int_equal(npt_map(&fx->npt, 0x8000000000ull, 0x1000, NPT_4K, NPT_R),
			 ST_OK);
	expect_map(&fx->npt, 0x8000000000ull, 0x1000, NPT_R, NPT_4K);
	expect_none(&fx->npt, 0x8000001000ull);
	expect_none(&fx->npt, 0x7ffffff000ull);
	teardown(fx);
}

/* Mapping 4 KiB inside a 2 MiB leaf splits it; the other 511 entries
 * keep their addresses and permissions. */
static void check_split(const struct npt_format *fmt)
{
	struct fixture *fx = setup(fmt);
	assert_int_equal(npt_map(&fx->npt, 0x600000, 0x80000000, NPT_2M, NPT_RW),
			 ST_OK);
	uint64_t leaf = *raw(&fx->npt, 0x600000, 2);
	assert_true(leaf & BIT7);
	long before = fx->fp.live;
	assert_int_equal(npt_map(&fx->npt, 0x6a3000, 0x90000000, NPT_4K, NPT_RWX),
			 ST_OK);
	assert_int_equal(fx->fp.live, before + 1);
	uint64_t pde = *raw(&fx->npt, 0x600000, 2);
	assert_false(pde & BIT7);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t gpa = 0x600000 + i * NPT_4K;
		uint64_t pte = *raw(&fx->npt, gpa, 1);
		if (gpa == 0x6a3000) {
			expect_map(&fx->npt, gpa, 0x90000000, NPT_RWX, NPT_4K);
			continue;
		}
		expect_map(&fx->npt, gpa + 0x10, 0x80000010 + i * NPT_4K, NPT_RW,
			   NPT_4K);
		/* Same bits as the old leaf, minus the large bit. */
		assert_int_equal(pte, (0x80000000 + i * NPT_4K) |
					      (leaf & 0xfff & ~BIT7) |
					      (leaf & AMD_NX));
	}
	teardown(fx);
}

static void test_split_ept(void **state)
{
	(void)state;
	check_split(&npt_format_ept);
}

static void test_split_amd(void **state)
{
	(void)state;
	check_split(&npt_format_amd);
}

/* Remapping a whole 2 MiB leaf replaces it in place. */
static void test_remap_large(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	assert_int_equal(npt_map(&fx->npt, 0, 0x200000, NPT_2M, NPT_RWX), ST_OK);
	long before = fx->fp.live;
	assert_int_equal(npt_map(&fx->npt, 0, 0x800000, NPT_2M, NPT_R), ST_OK);
	assert_int_equal(fx->fp.live, before);
	expect_map(&fx->npt, 0x1000, 0x801000, NPT_R, NPT_2M);
	teardown(fx);
}

static void test_protect(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	assert_int_equal(npt_map(&fx->npt, 0, 0x10000000, 3 * NPT_2M, NPT_RWX),
			 ST_OK);
	/* Partial on both sides of the first boundary: both leaves split. */
	assert_int_equal(npt_protect(&fx->npt, 0x100000, 0x200000, NPT_R), ST_OK);
	for (uint64_t gpa = 0; gpa < 0x400000; gpa += NPT_4K) {
		bool ro = gpa >= 0x100000 && gpa < 0x300000;
		expect_map(&fx->npt, gpa, 0x10000000 + gpa, ro ? NPT_R : NPT_RWX,
			   NPT_4K);
		assert_int_equal(*raw(&fx->npt, gpa, 1),
				 (0x10000000 + gpa) | (ro ? 1 : 7) | EPT_MT_WB);
	}
	/* The third leaf, covered whole, stays 2 MiB. */
	assert_int_equal(npt_protect(&fx->npt, 0x400000, NPT_2M, NPT_R | NPT_X),
			 ST_OK);
	expect_map(&fx->npt, 0x400000, 0x10400000, NPT_R | NPT_X, NPT_2M);
	assert_int_equal(*raw(&fx->npt, 0x400000, 2),
			 0x10400000 | 5 | EPT_MT_WB | BIT7);
	/* Holes stay holes. */
	assert_int_equal(npt_protect(&fx->npt, 0x600000, 0x40000000, NPT_RWX),
			 ST_OK);
	expect_none(&fx->npt, 0x600000);
	expect_none(&fx->npt, 0x20000000);
	expect_map(&fx->npt, 0x400000, 0x10400000, NPT_R | NPT_X, NPT_2M);
	/* Back to RW on a 4K-split part. */
	assert_int_equal(npt_protect(&fx->npt, 0x1ff000, 0x2000, NPT_RW), ST_OK);
	expect_map(&fx->npt, 0x1fe000, 0x101fe000, NPT_R, NPT_4K);
	expect_map(&fx->npt, 0x1ff000, 0x101ff000, NPT_RW, NPT_4K);
	expect_map(&fx->npt, 0x200000, 0x10200000, NPT_RW, NPT_4K);
	expect_map(&fx->npt, 0x201000, 0x10201000, NPT_R, NPT_4K);
	/* Size 0 changes nothing. */
	assert_int_equal(npt_protect(&fx->npt, 0, 0, NPT_R), ST_OK);
	expect_map(&fx->npt, 0, 0x10000000, NPT_RWX, NPT_4K);
	teardown(fx);
}

static void test_unmap(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_amd);
	assert_int_equal(npt_map(&fx->npt, 0, 0x40000000, 2 * NPT_2M, NPT_RWX),
			 ST_OK);
	/* The legacy VGA / ROM hole. */
	assert_int_equal(npt_unmap(&fx->npt, 0xa0000, 0x60000), ST_OK);
	for (uint64_t gpa = 0; gpa < NPT_2M; gpa += NPT_4K) {
		if (gpa >= 0xa0000 && gpa < 0x100000) {
			expect_none(&fx->npt, gpa);
			assert_int_equal(*raw(&fx->npt, gpa, 1), 0);
		} else {
			expect_map(&fx->npt, gpa, 0x40000000 + gpa, NPT_RWX, NPT_4K);
		}
	}
	expect_map(&fx->npt, 0x200000, 0x40200000, NPT_RWX, NPT_2M);
	/* A whole leaf goes without a split. */
	long before = fx->fp.live;
	assert_int_equal(npt_unmap(&fx->npt, 0x200000, NPT_2M), ST_OK);
	assert_int_equal(fx->fp.live, before);
	expect_none(&fx->npt, 0x200000);
	expect_none(&fx->npt, 0x3ff000);
	assert_int_equal(*raw(&fx->npt, 0x200000, 2), 0);
	/* Unmapping what is not mapped is fine; remapping the hole works. */
	assert_int_equal(npt_unmap(&fx->npt, 0x80000000, 0x40000000), ST_OK);
	assert_int_equal(npt_map(&fx->npt, 0xa0000, 0x777a0000, 0x20000, NPT_R),
			 ST_OK);
	expect_map(&fx->npt, 0xbf000, 0x777bf000, NPT_R, NPT_4K);
	expect_none(&fx->npt, 0xc0000);
	/* Protect after unmap leaves the hole alone. */
	assert_int_equal(npt_protect(&fx->npt, 0, NPT_2M, NPT_R), ST_OK);
	expect_none(&fx->npt, 0xc0000);
	expect_map(&fx->npt, 0x9f000, 0x4009f000, NPT_R, NPT_4K);
	teardown(fx);
}

struct enc {
	unsigned perms;
	uint64_t ept, amd;
};

/* SDM vol. 3, Table 29-6 (EPT: R bit 0, W bit 1, X bit 2, memory type
 * bits 3-5); APM vol. 2, 15.25.5 (P, RW, US, NX bit 63). */
static const struct enc encodings[] = {
	{ NPT_R, 1, AMD_P | AMD_US | AMD_NX },
	{ NPT_RW, 3, AMD_P | AMD_RW | AMD_US | AMD_NX },
	{ NPT_R | NPT_X, 5, AMD_P | AMD_US },
	{ NPT_RWX, 7, AMD_P | AMD_RW | AMD_US },
};

static void test_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++) {
		const struct enc *e = &encodings[i];
		struct fixture *ept = setup(&npt_format_ept);
		struct fixture *amd = setup(&npt_format_amd);
		struct fixture *f[2] = { ept, amd };
		for (int k = 0; k < 2; k++) {
			assert_int_equal(npt_map(&f[k]->npt, 0x1000, 0x5000, NPT_4K,
						 e->perms), ST_OK);
			assert_int_equal(npt_map(&f[k]->npt, 0x40000000, 0x40000000,
						 NPT_2M, e->perms), ST_OK);
			expect_map(&f[k]->npt, 0x1000, 0x5000, e->perms, NPT_4K);
			expect_map(&f[k]->npt, 0x40000000, 0x40000000, e->perms, NPT_2M);
		}
		assert_int_equal(*raw(&ept->npt, 0x1000, 1), 0x5000 | e->ept | EPT_MT_WB);
		assert_int_equal(*raw(&ept->npt, 0x40000000, 2),
				 0x40000000 | e->ept | EPT_MT_WB | BIT7);
		assert_int_equal(*raw(&amd->npt, 0x1000, 1), 0x5000 | e->amd);
		assert_int_equal(*raw(&amd->npt, 0x40000000, 2),
				 0x40000000 | e->amd | BIT7);
		/* Non-leaf entries grant everything and carry no leaf bits. */
		for (int l = 4; l >= 2; l--) {
			assert_int_equal(*raw(&ept->npt, 0x1000, l) & ~0x000ffffffffff000ull,
					 7);
			assert_int_equal(*raw(&amd->npt, 0x1000, l) & ~0x000ffffffffff000ull,
					 AMD_P | AMD_RW | AMD_US);
		}
		teardown(ept);
		teardown(amd);
	}
	assert_string_equal(npt_format_ept.name, "EPT");
	assert_int_equal(npt_format_amd.large, BIT7);
	assert_int_equal(npt_format_ept.large, BIT7);
}

/* A high host address survives the address mask. */
static void test_high_hpa(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_amd);
	uint64_t hpa = 0x000fffffffe00000ull;
	assert_int_equal(npt_map(&fx->npt, 0x200000, hpa, NPT_2M, NPT_R), ST_OK);
	expect_map(&fx->npt, 0x2ff000, hpa + 0xff000, NPT_R, NPT_2M);
	assert_int_equal(*raw(&fx->npt, 0x200000, 2),
			 hpa | AMD_P | AMD_US | AMD_NX | BIT7);
	teardown(fx);
}

static void test_einval(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	assert_int_equal(npt_map(&fx->npt, 0x1001, 0x2000, NPT_4K, NPT_R), ST_EINVAL);
	assert_int_equal(npt_map(&fx->npt, 0x1000, 0x2800, NPT_4K, NPT_R), ST_EINVAL);
	assert_int_equal(npt_map(&fx->npt, 0x1000, 0x2000, 0x800, NPT_R), ST_EINVAL);
	assert_int_equal(fx->fp.live, 1);
	assert_int_equal(npt_map(&fx->npt, 0, 0, NPT_2M, NPT_RWX), ST_OK);
	assert_int_equal(npt_protect(&fx->npt, 0x10, NPT_4K, NPT_R), ST_EINVAL);
	assert_int_equal(npt_protect(&fx->npt, 0, 0x10, NPT_R), ST_EINVAL);
	assert_int_equal(npt_protect(&fx->npt, 0, NPT_4K, 0), ST_EINVAL);
	assert_int_equal(npt_protect(&fx->npt, 0xfffffffffffff000ull, 0x2000,
				     NPT_R), ST_EINVAL);
	assert_int_equal(npt_unmap(&fx->npt, 0x800, NPT_4K), ST_EINVAL);
	assert_int_equal(npt_unmap(&fx->npt, 0, 0x801), ST_EINVAL);
	assert_int_equal(npt_unmap(&fx->npt, 0xfffffffffffff000ull, 0x2000),
			 ST_EINVAL);
	/* Nothing changed. */
	expect_map(&fx->npt, 0, 0, NPT_RWX, NPT_2M);
	teardown(fx);
}

/* Allocation failures leave every existing mapping as it was. */
static void test_enomem(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_ept);
	assert_int_equal(npt_map(&fx->npt, 0, 0x80000000, NPT_2M, NPT_RW), ST_OK);
	assert_int_equal(npt_map(&fx->npt, NPT_2M, 0x90000000, NPT_4K, NPT_R), ST_OK);
	uint64_t leaf = *raw(&fx->npt, 0, 2);
	fx->fp.fail_after = fx->fp.allocs;
	/* Split needed: fails, the leaf stays whole. */
	assert_int_equal(npt_map(&fx->npt, 0x3000, 0x1000, NPT_4K, NPT_RWX),
			 ST_ENOMEM);
	assert_int_equal(*raw(&fx->npt, 0, 2), leaf);
	expect_map(&fx->npt, 0x3000, 0x80003000, NPT_RW, NPT_2M);
	assert_int_equal(npt_protect(&fx->npt, 0x1000, NPT_4K, NPT_R), ST_ENOMEM);
	assert_int_equal(npt_unmap(&fx->npt, 0x1000, NPT_4K), ST_ENOMEM);
	assert_int_equal(*raw(&fx->npt, 0, 2), leaf);
	/* New tables needed: fails, nothing mapped there. */
	assert_int_equal(npt_map(&fx->npt, 0x40000000, 0x1000, NPT_4K, NPT_R),
			 ST_ENOMEM);
	assert_int_equal(npt_map(&fx->npt, 0x40000000, 0x40000000, NPT_2M, NPT_R),
			 ST_ENOMEM);
	expect_none(&fx->npt, 0x40000000);
	/* Only part of the tables available: still a consistent tree. */
	fx->fp.fail_after = fx->fp.allocs + 1;
	assert_int_equal(npt_map(&fx->npt, 0x8000000000ull, 0x1000, NPT_4K, NPT_R),
			 ST_ENOMEM);
	expect_none(&fx->npt, 0x8000000000ull);
	/* Existing tables need no allocation. */
	assert_int_equal(npt_map(&fx->npt, NPT_2M + NPT_4K, 0x91000, NPT_4K, NPT_R),
			 ST_OK);
	expect_map(&fx->npt, NPT_2M, 0x90000000, NPT_R, NPT_4K);
	expect_map(&fx->npt, NPT_2M + NPT_4K, 0x91000, NPT_R, NPT_4K);
	expect_map(&fx->npt, 0, 0x80000000, NPT_RW, NPT_2M);
	/* Allocation back: everything works again. */
	fx->fp.fail_after = -1;
	assert_int_equal(npt_map(&fx->npt, 0x3000, 0x1000, NPT_4K, NPT_RWX), ST_OK);
	expect_map(&fx->npt, 0x3000, 0x1000, NPT_RWX, NPT_4K);
	expect_map(&fx->npt, 0x4000, 0x80004000, NPT_RW, NPT_4K);
	assert_int_equal(npt_map(&fx->npt, 0x8000000000ull, 0x1000, NPT_4K, NPT_R),
			 ST_OK);
	expect_map(&fx->npt, 0x8000000000ull, 0x1000, NPT_R, NPT_4K);
	teardown(fx);
}

/* A big, fragmented tree is freed whole. */
static void test_destroy_frees_all(void **state)
{
	(void)state;
	struct fixture *fx = setup(&npt_format_amd);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(npt_map(&fx->npt, i << 39, 0x100000000ull,
					 4 * NPT_2M + NPT_4K, NPT_RWX), ST_OK);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(npt_protect(&fx->npt, (i << 39) + 0x1000, 0x1000,
					     NPT_R), ST_OK);
	assert_true(fx->fp.live > 8 * 4);
	teardown(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_destroy),
		cmocka_unit_test(test_init_enomem),
		cmocka_unit_test(test_large_when_aligned),
		cmocka_unit_test(test_small_when_misaligned),
		cmocka_unit_test(test_mixed_range),
		cmocka_unit_test(test_split_ept),
		cmocka_unit_test(test_split_amd),
		cmocka_unit_test(test_remap_large),
		cmocka_unit_test(test_protect),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_high_hpa),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_destroy_frees_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
