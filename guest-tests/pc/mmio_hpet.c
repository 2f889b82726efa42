/* mmio_hpet.c (pc_mmio_hpet): instructions on a device register and the
 * HPET (IA-PC HPET 1.0a) from inside. Every read-modify-write form runs
 * twice, on a RAM word and on the HPET's timer 2 comparator (a plain
 * read/write register while that timer is off), and result, registers
 * and flags must agree; then string moves between RAM and the HPET,
 * PUSH/POP of it, and SSE/AVX moves. The HPET part: capabilities, the
 * counter's rate against the TSC, one-shot and periodic interrupts
 * through the IOAPIC, level status cleared by writing 1, and legacy
 * replacement routing to IRQ 0 (IOAPIC pin 2). The PIT is stopped first.
 * "avx=1" adds the AVX moves (XCR0 = 7). */
#include "pclib.h"

#define CMP2 0x148	/* timer 2 comparator, then its FSB route at 0x150 */
#define VEC_T0 0x40
#define VEC_T1 0x41
#define VEC_LEG 0x42
#define FLAGS_ARITH 0x8d5u

static uint32_t hpet;
static volatile uint32_t t0_irqs, t1_irqs, leg_irqs, t1_status;

static uint32_t rd(uint32_t off) { return mmio_read32(hpet + off); }
static void wr(uint32_t off, uint32_t v) { mmio_write32(hpet + off, v); }

struct regs { uint32_t eax, ecx, flags; };

/* The operand is at (%ebx); ECX is the source, EAX the accumulator. */
#define OP(fname, text)							\
static void fname(uint32_t a, struct regs *r)				\
{									\
	__asm__ volatile("xorl %%edx, %%edx\n\t" text "\n\t"		\
			 "pushfl\n\tpopl %%edx"				\
			 : "+a"(r->eax), "+c"(r->ecx), "=&d"(r->flags)	\
			 : "b"(a) : "memory", "cc");			\
}
OP(op_or, "orl $1, (%%ebx)")
OP(op_add, "addl %%ecx, (%%ebx)")
OP(op_adc, "stc\n\tadcl $0x7fffffff, (%%ebx)")
OP(op_sub, "subl %%ecx, (%%ebx)")
OP(op_sbb, "stc\n\tsbbl (%%ebx), %%ecx")
OP(op_and, "andl $0xff00ff00, (%%ebx)")
OP(op_xor, "xorl %%ecx, (%%ebx)")
OP(op_cmp, "cmpl %%ecx, (%%ebx)")
OP(op_test, "testl $0x80000000, (%%ebx)")
OP(op_inc, "lock incl (%%ebx)")
OP(op_dec, "decl (%%ebx)")
OP(op_not, "notl (%%ebx)")
OP(op_neg, "negl (%%ebx)")
OP(op_xchg, "xchgl %%ecx, (%%ebx)")
OP(op_cmpxchg, "lock cmpxchgl %%ecx, (%%ebx)")
OP(op_bts, "lock btsl $5, (%%ebx)")
OP(op_btr, "btrl %%ecx, (%%ebx)")
OP(op_btc, "btcl $31, (%%ebx)")
OP(op_bt, "btl %%ecx, (%%ebx)")

struct rmw_case {
	const char *name;
	void (*fn)(uint32_t, struct regs *);
	uint32_t init, eax, ecx, flags_mask;
};

static const struct rmw_case cases[] = {
	{ "or", op_or, 0x10, 0, 0, FLAGS_ARITH & ~0x10u },
	{ "add", op_add, 0x7fffffff, 0, 1, FLAGS_ARITH },
	{ "adc", op_adc, 0x80000000, 0, 0, FLAGS_ARITH },
	{ "sub", op_sub, 0, 0, 1, FLAGS_ARITH },
	{ "sbb", op_sbb, 5, 0, 5, FLAGS_ARITH },
	{ "and", op_and, 0x12345678, 0, 0, FLAGS_ARITH & ~0x10u },
	{ "xor", op_xor, 0xa5a5a5a5, 0, 0xa5a5a5a5, FLAGS_ARITH & ~0x10u },
	{ "cmp", op_cmp, 3, 0, 4, FLAGS_ARITH },
	{ "test", op_test, 0x80000001, 0, 0, FLAGS_ARITH & ~0x10u },
	{ "inc", op_inc, 0xffffffff, 0, 0, FLAGS_ARITH },
	{ "dec", op_dec, 0x80000000, 0, 0, FLAGS_ARITH },
	{ "not", op_not, 0x0f0f0f0f, 0, 0, FLAGS_ARITH },
	{ "neg", op_neg, 0x80000000, 0, 0, FLAGS_ARITH },
	{ "xchg", op_xchg, 0x11111111, 0, 0x22222222, FLAGS_ARITH },
	{ "cmpxchg equal", op_cmpxchg, 0x33, 0x33, 0x44, FLAGS_ARITH },
	{ "cmpxchg unequal", op_cmpxchg, 0x33, 0x34, 0x44, FLAGS_ARITH },
	{ "bts", op_bts, 0, 0, 0, 1 },
	{ "btr", op_btr, 0xffffffff, 0, 36, 1 },
	{ "btc", op_btc, 0x80000000, 0, 0, 1 },
	{ "bt", op_bt, 0x100, 0, 8, 1 },
};

static uint32_t ram_word;

static void check_rmw(void)
{
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rmw_case *c = &cases[i];
		struct regs native = { c->eax, c->ecx, 0 }, emu = native;
		ram_word = c->init;
		wr(CMP2, c->init);
		wr(CMP2 + 4, 0);
		c->fn((uint32_t)&ram_word, &native);
		c->fn(hpet + CMP2, &emu);
		uint32_t dev = rd(CMP2);
		ASSERTF(dev == ram_word && emu.eax == native.eax && emu.ecx == native.ecx &&
			(emu.flags & c->flags_mask) == (native.flags & c->flags_mask),
			"%s: memory %x/%x eax %x/%x ecx %x/%x flags %x/%x", c->name, dev,
			ram_word, emu.eax, native.eax, emu.ecx, native.ecx, emu.flags,
			native.flags);
	}
	printf("mmio_hpet: %u read-modify-write forms agree with RAM, flags included\n",
	       (unsigned)(sizeof cases / sizeof cases[0]));
}

static void check_strings(void)
{
	uint32_t src[4] = { 0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10 }, dst[4];
	uint32_t s = (uint32_t)src, d = hpet + CMP2, n = 4;
	__asm__ volatile("cld\n\trep movsl" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	ASSERTF(rd(CMP2) == src[0] && rd(CMP2 + 4) == src[1] && rd(CMP2 + 8) == src[2] &&
		rd(CMP2 + 12) == src[3] && n == 0 && d == hpet + CMP2 + 16,
		"rep movsl to the device: %x %x %x %x", rd(CMP2), rd(CMP2 + 4),
		rd(CMP2 + 8), rd(CMP2 + 12));
	memset(dst, 0, sizeof dst);
	s = hpet + CMP2 + 12, d = (uint32_t)&dst[3], n = 4;
	__asm__ volatile("std\n\trep movsl\n\tcld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	ASSERTF(!memcmp(dst, src, sizeof dst) && s == hpet + CMP2 - 4,
		"rep movsl backwards from the device: %x %x", dst[0], dst[3]);
	uint32_t v = 0xcafef00d;
	d = hpet + CMP2, n = 2;
	__asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory");
	s = hpet + CMP2 + 4;
	__asm__ volatile("lodsl" : "=a"(v), "+S"(s) : : "memory");
	ASSERTF(rd(CMP2) == 0xcafef00d && v == 0xcafef00d, "stos/lods: %x", v);
	printf("mmio_hpet: rep movs both ways and in both directions, stos, lods ok\n");
	uint32_t popped;
	wr(CMP2, 0x600dcafe);
	__asm__ volatile("pushl (%1)\n\tpopl %0" : "=r"(popped) : "r"(hpet + CMP2) : "memory");
	__asm__ volatile("pushl %0\n\tpopl (%1)" : : "r"(0x12345678u), "r"(hpet + CMP2) : "memory");
	ASSERTF(popped == 0x600dcafe && rd(CMP2) == 0x12345678, "push/pop of the device");
	printf("mmio_hpet: push and pop of a device register ok\n");
}

/* SSE (CR4.OSFXSR) and, when the CPU has them, XSAVE with SSE and AVX in
 * XCR0 (SDM vol. 3A, 13.1 and vol. 1, 13.3). */
static int enable_simd(void)
{
	uint32_t a, b, c, d, cr0, cr4;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("movl %0, %%cr0" : : "r"((cr0 & ~4u) | 2u));
	__asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
	cr4 |= 1u << 9 | 1u << 10;
	if (c & (1u << 26))
		cr4 |= 1u << 18;
	__asm__ volatile("movl %0, %%cr4" : : "r"(cr4));
	if (!(c & (1u << 26)))
		return 0;
	int avx = (c >> 28) & 1;
	__asm__ volatile("xsetbv" : : "c"(0), "a"(avx ? 7u : 3u), "d"(0));
	return avx;
}

static void check_simd(int try_avx)
{
	static uint8_t buf[32] __attribute__((aligned(32)));
	static uint8_t out[32] __attribute__((aligned(32)));
	int avx = enable_simd() && try_avx;
	for (unsigned i = 0; i < 16; i++)
		buf[i] = (uint8_t)(0x80 + i);
	__asm__ volatile("movdqu (%0), %%xmm1\n\tmovdqu %%xmm1, (%1)\n\t"
			 "pxor %%xmm1, %%xmm1\n\tmovdqu (%1), %%xmm2\n\tmovdqu %%xmm2, (%2)"
			 : : "r"(buf), "r"(hpet + CMP2), "r"(out) : "memory");
	ASSERTF(!memcmp(out, buf, 16) && rd(CMP2) == 0x83828180, "movdqu: %x", rd(CMP2));
	__asm__ volatile("movd (%0), %%xmm3\n\tmovq %%xmm3, (%1)"
			 : : "r"(hpet + CMP2 + 4), "r"(out) : "memory");
	ASSERTF(*(uint32_t *)out == 0x87868584 && *(uint32_t *)(out + 4) == 0,
		"movd/movq: %x %x", *(uint32_t *)out, *(uint32_t *)(out + 4));
	printf("mmio_hpet: SSE movdqu, movd and movq with the device ok\n");
	if (!avx) {
		printf("mmio_hpet: AVX not tried (needs CPUID AVX and avx=1)\n");
		return;
	}
	/* 32 bytes: timer 2's configuration (written back unchanged), its
	 * comparator, FSB route and a reserved word that reads 0. */
	*(uint32_t *)buf = rd(0x140), *(uint32_t *)(buf + 4) = rd(0x144);
	for (unsigned i = 8; i < 32; i++)
		buf[i] = (uint8_t)(0x40 + i);
	__asm__ volatile("vmovdqu (%0), %%ymm4\n\tvmovdqu %%ymm4, (%1)\n\t"
			 "vmovdqu (%1), %%ymm5\n\tvmovdqu %%ymm5, (%2)"
			 : : "r"(buf), "r"(hpet + 0x140), "r"(out) : "memory");
	ASSERTF(!memcmp(out, buf, 24) && *(uint32_t *)(out + 24) == 0 &&
		rd(CMP2) == 0x4b4a4948, "vmovdqu ymm: %x", rd(CMP2));
	__asm__ volatile("vmovups (%0), %%xmm6\n\tvmovdqa %%ymm6, (%1)"
			 : : "r"(hpet + CMP2), "r"(out) : "memory");
	ASSERTF(!memcmp(out, buf + 8, 16) && *(uint32_t *)(out + 16) == 0,
		"vmovups xmm zeroes the upper half");
	printf("mmio_hpet: AVX vmovdqu/vmovups 128 and 256 bits with the device ok\n");
}

static void t0_irq(uint8_t v) { (void)v; t0_irqs++; apic_eoi(); }
static void leg_irq(uint8_t v) { (void)v; leg_irqs++; apic_eoi(); }
static void t1_irq(uint8_t v)
{
	(void)v;
	t1_status = rd(0x20);
	wr(0x20, 2); /* write 1 to clear: the line drops before the EOI */
	t1_irqs++;
	apic_eoi();
}

static uint64_t counter(void)
{
	uint32_t hi, lo;
	do {
		hi = rd(0xf4);
		lo = rd(0xf0);
	} while (hi != rd(0xf4));
	return (uint64_t)hi << 32 | lo;
}

/* A pin the timers can use: the highest of GSI 16-23 offered, else 2. */
static unsigned pick_pin(uint32_t cap)
{
	for (unsigned p = 23; p >= 16; p--)
		if (cap & (1u << p))
			return p;
	return 2;
}

static void check_hpet(void)
{
	uint32_t cap = rd(0), period = rd(4);
	printf("mmio_hpet: HPET vendor 0x%x, %u timers, period %u fs, 64-bit %u, legacy %u\n",
	       cap >> 16, ((cap >> 8) & 0x1f) + 1, period, (cap >> 13) & 1, (cap >> 15) & 1);
	ASSERT(period > 0 && period <= 100000000);
	uint64_t hz = udiv64(1000000000000000ull, period);
	/* halted: the counter takes a value and keeps it */
	wr(0x10, 0);
	wr(0xf0, 0x89abcdef);
	wr(0xf4, 0x1);
	udelay(100);
	ASSERTF(counter() == 0x189abcdefull, "halted counter %x", (uint32_t)counter());
	wr(0xf0, 0), wr(0xf4, 0);
	wr(0x10, 1);
	uint64_t c0 = counter(), s0 = rdtsc();
	udelay(20000);
	uint64_t c1 = counter(), s1 = rdtsc();
	uint64_t expect = udiv64((s1 - s0) * udiv64(hz, 1000), tsc_khz());
	ASSERTF(c1 - c0 > udiv64(expect * 9, 10) && c1 - c0 < udiv64(expect * 11, 10),
		"%u ticks where the TSC says %u", (uint32_t)(c1 - c0), (uint32_t)expect);
	printf("mmio_hpet: counter rate within 10%% of the advertised period\n");

	uint32_t route_cap = rd(0x104);
	unsigned pin = pick_pin(route_cap);
	pc_set_handler(VEC_T0, t0_irq);
	pc_set_handler(VEC_T1, t1_irq);
	pc_set_handler(VEC_LEG, leg_irq);
	ioapic_route(pin, VEC_T0, 0, 0);
	uint32_t ms = (uint32_t)udiv64(hz, 1000);
	/* one-shot, edge, timer 0 */
	wr(0x100, pin << 9 | 1u << 2);
	uint64_t now = counter();
	wr(0x108, (uint32_t)(now + ms)), wr(0x10c, (uint32_t)((now + ms) >> 32));
	ASSERTF(wait_count(&t0_irqs, 1, 200), "no one-shot interrupt on pin %u", pin);
	udelay(5000);
	ASSERTF(t0_irqs == 1, "%u one-shot interrupts", t0_irqs);
	printf("mmio_hpet: one-shot interrupt through IOAPIC pin %u\n", pin);
	/* periodic every 10 ms, 64-bit */
	t0_irqs = 0;
	cli();
	wr(0x100, pin << 9 | 1u << 2 | 1u << 3 | 1u << 6);
	now = counter();
	wr(0x108, (uint32_t)(now + ms)), wr(0x10c, (uint32_t)((now + ms) >> 32));
	wr(0x108, 10 * ms), wr(0x10c, 0);
	ASSERTF(wait_count(&t0_irqs, 5, 1000), "%u periodic interrupts", t0_irqs);
	wr(0x100, 0);
	printf("mmio_hpet: periodic interrupts\n");
	/* level-triggered timer 1: status set, cleared by writing 1 */
	ioapic_route(pin, VEC_T0, 0, 1);
	ioapic_route(pin, VEC_T1, 1, 0);
	wr(0x120, pin << 9 | 1u << 2 | 1u << 1);
	now = counter();
	wr(0x128, (uint32_t)(now + ms)), wr(0x12c, (uint32_t)((now + ms) >> 32));
	ASSERTF(wait_count(&t1_irqs, 1, 200), "no level interrupt");
	udelay(2000);
	/* One interrupt only: had the write of 1 not dropped the line, the
	 * level-triggered IOAPIC pin would deliver again after the EOI. */
	ASSERTF(t1_irqs == 1 && (t1_status & 2), "level: %u irqs, status %x",
		t1_irqs, t1_status);
	wr(0x120, 0);
	ioapic_route(pin, VEC_T1, 1, 1);
	printf("mmio_hpet: level interrupt, status bit cleared by writing 1\n");
	/* legacy replacement: timer 0 -> IRQ 0 -> IOAPIC pin 2 */
	ioapic_route(2, VEC_LEG, 0, 0);
	wr(0x10, 3);
	wr(0x100, 1u << 2);
	now = counter();
	wr(0x108, (uint32_t)(now + ms)), wr(0x10c, (uint32_t)((now + ms) >> 32));
	ASSERTF(wait_count(&leg_irqs, 1, 200), "no legacy-routed interrupt");
	wr(0x10, 0);
	ioapic_route(2, VEC_LEG, 0, 1);
	printf("mmio_hpet: legacy replacement routes timer 0 to IRQ 0\n");
}

void guest_main(const struct mb_info *mbi)
{
	char arg[4] = "";
	pc_init();
	apic_enable_xapic();
	pit_stop();
	const struct acpi_header *t = acpi_find_table("HPET");
	ASSERTF(t, "no HPET table");
	hpet = (uint32_t)*(const uint64_t *)((const uint8_t *)t + 44);
	printf("mmio_hpet: HPET table, base 0x%x\n", hpet);
	wr(0x10, 0);
	wr(0x140, 0); /* timer 2 off: its comparator is plain storage */
	check_rmw();
	check_strings();
	check_simd(mb_arg(mbi, "avx", arg, sizeof arg) > 0 && arg[0] == '1');
	check_hpet();
	ASSERT(!pc_unexpected);
	printf("PASS\n");
	guest_exit(EXIT_PASS);
}
