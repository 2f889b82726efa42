/* hv_gwalk.c: unit tests of the guest page-table walker (hv/gwalk.c),
 * with page tables built in a fake guest RAM of 16 MiB at 0 (SDM vol. 3,
 * 4.3 32-bit paging, 4.4 PAE, 4.5 4-level paging, 4.7 #PF error code). */
#include "tests/unit/fake_mem.h"
#include "hv/gwalk.h"
#include "hv/x86.h"

#define RAM (16u << 20)
#define P 1ull
#define W 2ull
#define U 4ull
#define PS 0x80ull
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_I 16u

static struct fake_gmem fg;

static int setup(void **state)
{
	(void)state;
	fake_gmem_init(&fg);
	fake_gmem_add(&fg, 0, RAM);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_gmem_free(&fg);
	return 0;
}

static const struct gwalk_regs regs32 = { CR0_PE | CR0_PG, 0x1000, 0, 0 };
static const struct gwalk_regs regs_pse = { CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0 };
static const struct gwalk_regs regs_pae = { CR0_PE | CR0_PG, 0x1020, CR4_PAE, 0 };
static const struct gwalk_regs regs_lm = { CR0_PE | CR0_PG, 0x1000, CR4_PAE,
					   EFER_LME | EFER_LMA };

static void expect_ok(const struct gwalk_regs *r, uint64_t linear,
		      unsigned access, uint64_t want)
{
	uint64_t gpa = 0xdead;
	uint32_t pf = 0xdead;
	assert_int_equal(gwalk(&fg.gm, r, linear, access, &gpa, &pf), ST_OK);
	assert_int_equal(gpa, want);
}

static void expect_pf(const struct gwalk_regs *r, uint64_t linear,
		      unsigned access, uint32_t want)
{
	uint64_t gpa = 0xdead;
	uint32_t pf = 0xdead;
	assert_int_equal(gwalk(&fg.gm, r, linear, access, &gpa, &pf), ST_EFAULT);
	assert_int_equal(pf, want);
}

static void test_paging_off(void **state)
{
	(void)state;
	struct gwalk_regs r = { CR0_PE, 0x1000, CR4_PAE, 0 };
	expect_ok(&r, 0x12345678, 0, 0x12345678);
	expect_ok(&r, 0x123456789ull, GW_WRITE, 0x23456789);
	r.cr0 = 0;
	expect_ok(&r, 0xfffffff0, GW_FETCH, 0xfffffff0);
	/* No tables are read: addresses outside RAM are fine. */
	expect_ok(&r, 0x80000000, 0, 0x80000000);
}

/* 32-bit paging: PD at 0x1000, linear 0x00403abc -> PDE 1, PTE 3. */
static void test_32bit_4k(void **state)
{
	(void)state;
	put32(&fg, 0x1000 + 1 * 4, 0x2000 | P | W | U);
	put32(&fg, 0x2000 + 3 * 4, 0x345000 | P | W | U);
	expect_ok(&regs32, 0x00403abc, 0, 0x345abc);
	expect_ok(&regs32, 0x00403abc, GW_WRITE | GW_USER, 0x345abc);
	expect_ok(&regs32, 0x00403abc, GW_FETCH, 0x345abc);
	/* CR3's low bits (PWT, PCD) are not address bits. */
	struct gwalk_regs r = regs32;
	r.cr3 = 0x1018;
	expect_ok(&r, 0x00403abc, 0, 0x345abc);
	/* Upper linear bits are dropped outside long mode. */
	expect_ok(&regs32, 0x100403abcull, 0, 0x345abc);
	/* Top of the address space: PDE 1023, PTE 1023. */
	put32(&fg, 0x1000 + 1023 * 4, 0x5000 | P | W);
	put32(&fg, 0x5000 + 1023 * 4, 0xfff000 | P | W);
	expect_ok(&regs32, 0xffffffff, GW_WRITE, 0xffffff);
	/* The next PTE is not present. */
	expect_pf(&regs32, 0x00404000, 0, 0);
	expect_pf(&regs32, 0x00404000, GW_WRITE | GW_USER, PF_W | PF_U);
	/* No NX with 32-bit paging: a fetch is not flagged (I/D = 0). */
	expect_pf(&regs32, 0x00404000, GW_FETCH, 0);
	/* Nor is the next PDE. */
	expect_pf(&regs32, 0x00800000, GW_USER, PF_U);
}

static void test_32bit_pse(void **state)
{
	(void)state;
	put32(&fg, 0x1000 + 3 * 4, 0x00800000 | PS | P | W | U);
	expect_ok(&regs_pse, 0x00c12345, 0, 0x00812345);
	expect_ok(&regs_pse, 0x00ffffff, GW_WRITE | GW_USER, 0x00bfffff);
	/* PSE-36: PDE bits 13-20 are physical address bits 32-39. */
	put32(&fg, 0x1000 + 4 * 4, 0x00400000 | (0x81u << 13) | PS | P);
	expect_ok(&regs_pse, 0x01012345, 0, 0x8100412345ull);
	/* Without CR4.PSE the PS bit is ignored: the PDE points to a table. */
	put32(&fg, 0x00800000 + 0x12 * 4, 0x00777000 | P);
	expect_ok(&regs32, 0x00c12345, 0, 0x00777345);
}

/* PAE: CR3 0x1020 (32-byte aligned PDPT), PDPTE 1 -> PD 0x3000. */
static void test_pae(void **state)
{
	(void)state;
	put64(&fg, 0x1020 + 1 * 8, 0x3000 | P); /* no W/U: PDPTEs carry none */
	put64(&fg, 0x3000 + 5 * 8, 0x00a00000 | PS | P | W | U);
	put64(&fg, 0x3000 + 6 * 8, 0x4000 | P | W | U);
	put64(&fg, 0x4000 + 0x1ff * 8, 0x987654000ull | P | W | U);
	uint64_t base = 1ull << 30;
	expect_ok(&regs_pae, base + 5 * (2u << 20) + 0x12345, GW_WRITE | GW_USER,
		  0x00a12345);
	expect_ok(&regs_pae, base + 6 * (2u << 20) + 0x1ff000 + 0x10,
		  GW_WRITE | GW_USER, 0x987654010ull);
	/* PDPTE 2 missing; PDPTE index uses 2 bits only. */
	expect_pf(&regs_pae, 2ull << 30, GW_WRITE, PF_W);
	expect_ok(&regs_pae, (1ull << 32) + base + 5 * (2u << 20), 0, 0x00a00000);
	/* The next PTE is absent. */
	expect_pf(&regs_pae, base + 6 * (2u << 20), 0, 0);
}

/* 4-level paging: PML4 at 0x1000. */
static void test_long_mode(void **state)
{
	(void)state;
	/* Low half: PML4E 0 -> PDPT 0x2000. */
	put64(&fg, 0x1000, 0x2000 | P | W | U);
	put64(&fg, 0x2000 + 0 * 8, 0x3000 | P | W | U);           /* 0-1G: PD */
	put64(&fg, 0x2000 + 3 * 8, 0x140000000ull | PS | P | W);  /* 3G: 1 GiB page */
	put64(&fg, 0x3000 + 1 * 8, 0x00e00000 | PS | P | W | U);  /* 2M page */
	put64(&fg, 0x3000 + 2 * 8, 0x4000 | P | W | U);
	put64(&fg, 0x4000 + 7 * 8, 0xabcdef000ull | P | W | U | (1ull << 63));
	expect_ok(&regs_lm, 0x00212345, GW_WRITE | GW_USER, 0x00e12345);
	expect_ok(&regs_lm, 0x00407abc, GW_WRITE | GW_USER, 0xabcdefabcull);
	expect_ok(&regs_lm, 0xc0123456ull, GW_WRITE, 0x140123456ull);
	expect_ok(&regs_lm, 0xffffffffull, 0, 0x17fffffffull);
	/* High half: PML4E 256 (0xffff800000000000) -> PDPT 0x5000. */
	put64(&fg, 0x1000 + 256 * 8, 0x5000 | P | W);
	put64(&fg, 0x5000 + 511 * 8, 0x6000 | P | W);
	put64(&fg, 0x6000 + 511 * 8, 0x7000 | P | W);
	put64(&fg, 0x7000 + 511 * 8, 0x8000 | P | W);
	expect_ok(&regs_lm, 0xffff807ffffff123ull, GW_WRITE, 0x8123);
	/* CR3 with PCID bits. */
	struct gwalk_regs r = regs_lm;
	r.cr3 = 0x1000 | 0x5a5;
	expect_ok(&r, 0x00212345, 0, 0x00e12345);
	/* Absent at each level. */
	expect_pf(&regs_lm, 0x8000000000ull, 0, 0);               /* PML4E 1 */
	expect_pf(&regs_lm, 0x40000000, GW_USER, PF_U);          /* PDPTE 1 */
	expect_pf(&regs_lm, 0x00600000, GW_WRITE, PF_W);         /* PDE 3 */
	expect_pf(&regs_lm, 0x00408000, GW_FETCH | GW_USER, PF_U);
	/* Supervisor 1 GiB page, user access. */
	expect_pf(&regs_lm, 0xc0000000ull, GW_USER, PF_P | PF_U);
}

/* 5-level paging (CR4.LA57, SDM vol. 3, 4.5): one more table above the
 * PML4, indexed by linear bits 56:48, as Linux uses when the CPU has it. */
static void test_five_level(void **state)
{
	(void)state;
	struct gwalk_regs r = regs_lm;
	r.cr4 |= 1ull << 12;
	put64(&fg, 0x1000 + 0x111 * 8, 0x2000 | P | W);   /* PML5E for 0xff11... */
	put64(&fg, 0x2000 + 0 * 8, 0x3000 | P | W);       /* PML4E 0 */
	put64(&fg, 0x3000 + 0 * 8, 0x4000 | P | W);       /* PDPTE 0 */
	put64(&fg, 0x4000 + 0 * 8, 0x00000000 | PS | P | W); /* 2 MiB at 0 */
	expect_ok(&r, 0xff110000000c1234ull, GW_WRITE, 0xc1234);
	expect_pf(&r, 0xff120000000c1234ull, 0, 0);           /* PML5E absent */
	/* Without LA57 the same table is a PML4 and bits 47:39 index it. */
	expect_pf(&regs_lm, 0xff110000000c1234ull, 0, 0);
}

/* Rights: W and U must be set at every level; CR0.WP decides whether
 * supervisor writes honour W (SDM vol. 3, 4.6). */
static void test_rights(void **state)
{
	(void)state;
	struct gwalk_regs wp = regs_lm, nowp = regs_lm;
	wp.cr0 |= CR0_WP;
	put64(&fg, 0x1000, 0x2000 | P | W | U);
	put64(&fg, 0x2000, 0x3000 | P | W | U);
	put64(&fg, 0x3000 + 0 * 8, 0x4000 | P | W | U);
	put64(&fg, 0x4000 + 1 * 8, 0x11000 | P | U);         /* read-only user */
	put64(&fg, 0x4000 + 2 * 8, 0x12000 | P | W);         /* supervisor RW */
	put64(&fg, 0x3000 + 1 * 8, 0x5000 | P | U);          /* RO at PDE level */
	put64(&fg, 0x5000, 0x13000 | P | W | U);
	put64(&fg, 0x3000 + 2 * 8, 0x6000 | P | W);          /* S at PDE level */
	put64(&fg, 0x6000, 0x14000 | P | W | U);
	/* Read-only page. */
	expect_ok(&wp, 0x1000, 0, 0x11000);
	expect_ok(&wp, 0x1000, GW_USER, 0x11000);
	expect_pf(&wp, 0x1000, GW_WRITE, PF_P | PF_W);
	expect_ok(&nowp, 0x1000, GW_WRITE, 0x11000);
	expect_pf(&wp, 0x1000, GW_WRITE | GW_USER, PF_P | PF_W | PF_U);
	expect_pf(&nowp, 0x1000, GW_WRITE | GW_USER, PF_P | PF_W | PF_U);
	/* Supervisor page. */
	expect_ok(&wp, 0x2000, GW_WRITE, 0x12000);
	expect_pf(&wp, 0x2000, GW_USER, PF_P | PF_U);
	expect_pf(&nowp, 0x2000, GW_USER | GW_FETCH, PF_P | PF_U);
	expect_pf(&wp, 0x2000, GW_USER | GW_WRITE, PF_P | PF_U | PF_W);
	/* Rights from the PDE combine with the PTE's. */
	expect_ok(&wp, 0x200000, GW_USER, 0x13000);
	expect_pf(&wp, 0x200000, GW_WRITE, PF_P | PF_W);
	expect_ok(&nowp, 0x200000, GW_WRITE, 0x13000);
	expect_pf(&wp, 0x400000, GW_USER, PF_P | PF_U);
	expect_ok(&wp, 0x400000, GW_WRITE, 0x14000);
	/* The same rules in 32-bit paging. */
	struct gwalk_regs r32 = regs32;
	r32.cr0 |= CR0_WP;
	put32(&fg, 0x1000 + 8 * 4, 0x7000 | P | W | U);
	put32(&fg, 0x7000, 0x15000 | P | U);
	put32(&fg, 0x7000 + 4, 0x16000 | P | W);
	expect_pf(&r32, 0x02000000, GW_WRITE, PF_P | PF_W);
	expect_ok(&regs32, 0x02000000, GW_WRITE, 0x15000);
	expect_pf(&r32, 0x02001000, GW_USER, PF_P | PF_U);
	/* And in PAE, where PDPTEs have no rights. */
	struct gwalk_regs pae = regs_pae;
	pae.cr0 |= CR0_WP;
	put64(&fg, 0x1020, 0x8000 | P);
	put64(&fg, 0x8000, 0x9000 | P | W);
	put64(&fg, 0x9000, 0x17000 | P | W | U);
	expect_ok(&pae, 0x0, GW_WRITE, 0x17000);
	expect_pf(&pae, 0x0, GW_USER, PF_P | PF_U);
}

/* The I/D bit of the error code is defined only with NX in use (PAE
 * paging with EFER.NXE) or with SMEP (SDM vol. 3, 4.7; APM vol. 2,
 * 8.4.2); otherwise it reads 0. */
static void test_fetch_flag(void **state)
{
	(void)state;
	struct gwalk_regs lm_nx = regs_lm, pae_nx = regs_pae, smep = regs32;
	struct gwalk_regs pse_nx = regs_pse;
	lm_nx.efer |= EFER_NXE;
	pae_nx.efer |= EFER_NXE;
	smep.cr4 |= 1ull << 20;
	pse_nx.efer |= EFER_NXE; /* NXE without PAE: no NX, no I/D */
	expect_pf(&regs_lm, 0x1000, GW_FETCH, 0);
	expect_pf(&lm_nx, 0x1000, GW_FETCH, PF_I);
	expect_pf(&lm_nx, 0x1000, GW_FETCH | GW_USER, PF_I | PF_U);
	expect_pf(&lm_nx, 0x1000, 0, 0);
	expect_pf(&regs_pae, 0x1000, GW_FETCH, 0);
	expect_pf(&pae_nx, 0x1000, GW_FETCH, PF_I);
	expect_pf(&smep, 0x1000, GW_FETCH, PF_I);
	expect_pf(&pse_nx, 0x1000, GW_FETCH, 0);
	/* A protection fault on a fetch: user fetch from a supervisor page. */
	put64(&fg, 0x1000, 0x2000 | P | W | U);
	put64(&fg, 0x2000, 0x3000 | P | W | U);
	put64(&fg, 0x3000, 0x00200000 | PS | P | W);
	expect_pf(&lm_nx, 0x1000, GW_FETCH | GW_USER, PF_P | PF_U | PF_I);
	expect_pf(&regs_lm, 0x1000, GW_FETCH | GW_USER, PF_P | PF_U);
	expect_ok(&lm_nx, 0x1000, GW_FETCH, 0x00201000);
}

static void test_tables_outside_ram(void **state)
{
	(void)state;
	struct gwalk_regs r = regs_lm;
	r.cr3 = 0x40000000;
	expect_pf(&r, 0x1000, 0, ~0u);
	put64(&fg, 0x1000, 0x2000 | P | W | U);
	put64(&fg, 0x2000, 0x80000000ull | P | W | U);   /* PD outside RAM */
	expect_pf(&regs_lm, 0x1000, GW_WRITE, ~0u);
	/* A leaf outside RAM is fine: the walk only reads tables. */
	put64(&fg, 0x2000 + 8, 0x3000 | P | W | U);
	put64(&fg, 0x3000, 0xfee00000ull | PS | P | W);
	expect_ok(&regs_lm, 0x40000123, 0, 0xfee00123);
	/* 32-bit and PAE. */
	struct gwalk_regs r32 = regs32;
	r32.cr3 = 0xfffff000;
	expect_pf(&r32, 0, 0, ~0u);
	struct gwalk_regs pae = regs_pae;
	pae.cr3 = RAM - 0x20; /* the last 32 bytes of RAM */
	put64(&fg, RAM - 8, 0x20000000 | P);
	expect_pf(&pae, 3ull << 30, 0, ~0u);
	/* PDPTE 0 absent: a plain not-present fault. */
	expect_pf(&pae, 0, GW_WRITE, PF_W);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_pse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_five_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_outside_ram, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
