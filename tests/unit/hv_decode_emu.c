/* hv_decode_emu.c: unit tests of the emulator (hv/decode_exec.c,
 * hv/decode_string.c) in a fake environment: a device register file as
 * the faulting operand, a flat 64 KiB memory for string and stack
 * operands, and 16 YMM registers. Instructions are decoded from bytes
 * GNU as produced (comments give the AT&T form). */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/cpu_state.h"
#include "hv/decode.h"

static uint8_t dev[64];                 /* the MMIO operand */
static uint8_t flat[65536];             /* seg:offset memory */
static uint8_t ymm[16][32];
static int last_seg;

static status_t f_operand(void *ctx, uint64_t off, unsigned size, bool write,
			  uint64_t *val)
{
	(void)ctx;
	assert_true(off + size <= sizeof dev);
	if (write)
		memcpy(dev + off, val, size);
	else
		*val = 0, memcpy(val, dev + off, size);
	return ST_OK;
}

static status_t f_linear(void *ctx, int seg, uint64_t off, unsigned size,
			 bool write, uint64_t *val)
{
	(void)ctx;
	last_seg = seg;
	if (off >= sizeof flat || size > sizeof flat - off)
		return ST_EFAULT;
	if (write)
		memcpy(flat + off, val, size);
	else
		*val = 0, memcpy(val, flat + off, size);
	return ST_OK;
}

static status_t f_vreg(void *ctx, unsigned reg, bool write, uint8_t val[32])
{
	(void)ctx;
	if (write)
		memcpy(ymm[reg], val, 32);
	else
		memcpy(val, ymm[reg], 32);
	return ST_OK;
}

static uint64_t gpr[NR_GPRS];

static struct emu_env env_for(enum cpu_mode mode)
{
	return (struct emu_env){ .gpr = gpr, .rflags = 2, .mode = mode,
				 .stack_size = mode == MODE_64 ? 8 : 4,
				 .operand = f_operand, .linear = f_linear,
				 .vreg = f_vreg };
}

static status_t run(struct emu_env *env, const char *hex)
{
	uint8_t b[15];
	size_t n = 0;
	struct insn in;
	for (const char *p = hex; *p; p += p[2] ? 3 : 2)
		b[n++] = (uint8_t)strtoul((char[]){ p[0], p[1], 0 }, NULL, 16);
	assert_int_equal(decode_insn(b, n, env->mode, &in), ST_OK);
	assert_int_equal(in.len, n);
	return insn_emulate(&in, env);
}

static uint64_t dev64(void)
{
	uint64_t v;
	memcpy(&v, dev, 8);
	return v;
}

static void set_dev64(uint64_t v)
{
	memcpy(dev, &v, 8);
}

static void test_read_modify_write(void **state)
{
	(void)state;
	struct emu_env e = env_for(MODE_64);
	set_dev64(0x10);
	assert_int_equal(run(&e, "48 83 08 01"), ST_OK);         /* orq $1,(%rax) */
	assert_int_equal(dev64(), 0x11);
	assert_int_equal(e.rflags & FL_ARITH, FL_PF);
	set_dev64(0xff);
	assert_int_equal(run(&e, "f0 fe 00"), ST_OK);            /* lock incb (%rax) */
	assert_int_equal(dev64(), 0);
	assert_int_equal(e.rflags & (FL_ZF | FL_AF | FL_CF), FL_ZF | FL_AF);
	gpr[RCX] = 0x80000000;
	set_dev64(0x80000000);
	assert_int_equal(run(&e, "01 08"), ST_OK);               /* add %ecx,(%rax) */
	assert_int_equal(dev64(), 0);
	assert_int_equal(e.rflags & (FL_CF | FL_OF | FL_ZF), FL_CF | FL_OF | FL_ZF);
	/* cmp (%rax),%r15d leaves both; sub into a register writes it */
	gpr[R15] = 0xffffffff00000005ull;
	set_dev64(7);
	assert_int_equal(run(&e, "44 3b 38"), ST_OK);
	assert_int_equal(gpr[R15], 0xffffffff00000005ull);
	assert_true(e.rflags & FL_CF);
	assert_int_equal(run(&e, "44 2b 38"), ST_OK);            /* sub (%rax),%r15d */
	assert_int_equal(gpr[R15], 0xfffffffe);
	/* neg, not, test with an immediate */
	set_dev64(1);
	assert_int_equal(run(&e, "48 f7 18"), ST_OK);            /* negq (%rax) */
	assert_int_equal(dev64(), ~0ull);
	assert_int_equal(run(&e, "48 f7 10"), ST_OK);            /* notq (%rax) */
	assert_int_equal(dev64(), 0);
	set_dev64(0x80);
	assert_int_equal(run(&e, "f6 00 80"), ST_OK);            /* testb $0x80 */
	assert_int_equal(e.rflags & (FL_SF | FL_ZF), FL_SF);
	assert_int_equal(dev64(), 0x80);
}

static void test_exchange_and_bits(void **state)
{
	(void)state;
	struct emu_env e = env_for(MODE_64);
	set_dev64(0x1111);
	gpr[RAX] = 0x2222;
	assert_int_equal(run(&e, "87 03"), ST_OK);               /* xchg %eax,(%rbx) */
	assert_int_equal(dev64(), 0x2222);
	assert_int_equal(gpr[RAX], 0x1111);
	/* lock cmpxchg %r8,(%rax): equal stores, unequal loads RAX */
	gpr[RAX] = 0x2222, gpr[R8] = 0x3333;
	assert_int_equal(run(&e, "f0 4c 0f b1 00"), ST_OK);
	assert_int_equal(dev64(), 0x3333);
	assert_true(e.rflags & FL_ZF);
	assert_int_equal(run(&e, "f0 4c 0f b1 00"), ST_OK);
	assert_int_equal(dev64(), 0x3333);
	assert_int_equal(gpr[RAX], 0x3333);
	assert_false(e.rflags & FL_ZF);
	/* bts %rcx,(%rax) with offset 65: bit 1; btrw $15; btl $5 */
	set_dev64(0);
	gpr[RCX] = 65;
	assert_int_equal(run(&e, "48 0f ab 08"), ST_OK);
	assert_int_equal(dev64(), 2);
	assert_false(e.rflags & FL_CF);
	assert_int_equal(run(&e, "48 0f ab 08"), ST_OK);
	assert_true(e.rflags & FL_CF);
	set_dev64(0x8020);
	assert_int_equal(run(&e, "66 f0 0f ba 30 0f"), ST_OK);
	assert_int_equal(dev64(), 0x20);
	assert_true(e.rflags & FL_CF);
	assert_int_equal(run(&e, "0f ba 20 05"), ST_OK);
	assert_true(e.rflags & FL_CF);
	assert_int_equal(dev64(), 0x20);
	/* movslq (%rax),%rdx; movzbl; mov %ah */
	set_dev64(0x80000000);
	assert_int_equal(run(&e, "48 63 10"), ST_OK);
	assert_int_equal(gpr[RDX], 0xffffffff80000000ull);
}

static void test_strings(void **state)
{
	(void)state;
	struct emu_env e = env_for(MODE_64);
	for (unsigned i = 0; i < 16; i++)
		flat[0x100 + i] = (uint8_t)(i + 1);
	gpr[RSI] = 0x100, gpr[RDI] = 0x200, gpr[RCX] = 5;
	assert_int_equal(run(&e, "f3 a4"), ST_OK);               /* rep movsb */
	assert_memory_equal(flat + 0x200, flat + 0x100, 5);
	assert_int_equal(gpr[RSI], 0x105);
	assert_int_equal(gpr[RDI], 0x205);
	assert_int_equal(gpr[RCX], 0);
	/* backwards with DF, gs override on the source */
	e.rflags |= FL_DF;
	gpr[RSI] = 0x10c, gpr[RDI] = 0x30c, gpr[RCX] = 3;
	assert_int_equal(run(&e, "65 f3 a5"), ST_OK);            /* rep movsl %gs: */
	assert_memory_equal(flat + 0x304, flat + 0x104, 12);
	assert_int_equal(gpr[RSI], 0x100);
	assert_int_equal(gpr[RCX], 0);
	e.rflags &= ~FL_DF;
	/* rep stosl stores EAX; lodsw merges into AX */
	gpr[RAX] = 0xdeadbeefcafef00dull, gpr[RDI] = 0x400, gpr[RCX] = 2;
	assert_int_equal(run(&e, "f3 ab"), ST_OK);
	assert_int_equal(last_seg, SEG_ES);
	assert_int_equal(*(uint32_t *)(flat + 0x404), 0xcafef00d);
	gpr[RSI] = 0x400;
	gpr[RAX] = 0x1111111111111111ull;
	assert_int_equal(run(&e, "66 ad"), ST_OK);
	assert_int_equal(gpr[RAX], 0x111111111111f00dull);
	assert_int_equal(gpr[RSI], 0x402);
	/* 16-bit addresses wrap within SI/DI; a long count comes back busy */
	gpr[RSI] = 0xabcd0000fffeull, gpr[RDI] = 0x500, gpr[RCX] = 0x10004;
	assert_int_equal(run(&e, "67 a4"), ST_OK);               /* movsb, addr32 */
	assert_int_equal(gpr[RSI], 0xffff);
	gpr[RCX] = EMU_STRING_BATCH + 3, gpr[RDI] = 0, gpr[RAX] = 0;
	assert_int_equal(run(&e, "f3 aa"), ST_EBUSY);
	assert_int_equal(gpr[RCX], 3);
	assert_int_equal(run(&e, "f3 aa"), ST_OK);
	assert_int_equal(gpr[RDI], EMU_STRING_BATCH + 3);
	struct emu_env e16 = env_for(MODE_16);
	gpr[RSI] = 0x1ffff, gpr[RDI] = 0x600, gpr[RCX] = 0x20002;
	assert_int_equal(run(&e16, "f3 a4"), ST_OK);
	assert_int_equal(gpr[RSI], 0x10001);
	assert_int_equal(gpr[RCX], 0x20000);
}

static void test_stack(void **state)
{
	(void)state;
	struct emu_env e = env_for(MODE_64);
	set_dev64(0x123456789abcdef0ull);
	gpr[RSP] = 0x1000;
	assert_int_equal(run(&e, "ff 30"), ST_OK);               /* pushq (%rax) */
	assert_int_equal(gpr[RSP], 0xff8);
	assert_int_equal(*(uint64_t *)(flat + 0xff8), 0x123456789abcdef0ull);
	*(uint64_t *)(flat + 0xff8) = 42;
	assert_int_equal(run(&e, "8f 40 08"), ST_OK);            /* popq 8(%rax) */
	assert_int_equal(gpr[RSP], 0x1000);
	assert_int_equal(dev64(), 42);
	gpr[RSP] = 4; /* the push faults: RSP unchanged */
	e.stack_size = 8;
	gpr[RSP] = 0;
	assert_int_equal(run(&e, "ff 30"), ST_EFAULT);
	assert_int_equal(gpr[RSP], 0);
}

static void test_vectors(void **state)
{
	(void)state;
	struct emu_env e = env_for(MODE_64);
	for (unsigned i = 0; i < 32; i++)
		dev[i] = (uint8_t)(0xa0 + i);
	memset(ymm[3], 0x55, 32);
	assert_int_equal(run(&e, "c5 fe 6f 18"), ST_OK);         /* vmovdqu (%rax),%ymm3 */
	assert_memory_equal(ymm[3], dev, 32);
	memset(ymm[7], 0x55, 32);
	assert_int_equal(run(&e, "c5 f8 10 38"), ST_OK);         /* vmovups (%rax),%xmm7 */
	assert_memory_equal(ymm[7], dev, 16);
	for (unsigned i = 16; i < 32; i++)
		assert_int_equal(ymm[7][i], 0);                  /* VEX zeroes 255:128 */
	memset(ymm[9], 0x55, 32);
	assert_int_equal(run(&e, "66 44 0f 6f 08"), ST_OK);      /* movdqa (%rax),%xmm9 */
	assert_memory_equal(ymm[9], dev, 16);
	assert_int_equal(ymm[9][16], 0x55);                      /* legacy SSE keeps it */
	memset(ymm[2], 0x55, 32);
	assert_int_equal(run(&e, "66 0f 6e 10"), ST_OK);         /* movd (%rax),%xmm2 */
	assert_memory_equal(ymm[2], dev, 4);
	assert_int_equal(ymm[2][4], 0);
	assert_int_equal(ymm[2][15], 0);
	assert_int_equal(ymm[2][16], 0x55);
	memset(ymm[1], 0x77, 32);
	memset(dev, 0, sizeof dev);
	assert_int_equal(run(&e, "c5 fd 7f 08"), ST_OK);         /* vmovdqa %ymm1,(%rax) */
	assert_memory_equal(dev, ymm[1], 32);
	memset(ymm[5], 0x33, 32);
	assert_int_equal(run(&e, "66 0f d6 28"), ST_OK);         /* movq %xmm5,(%rax) */
	assert_int_equal(dev64(), 0x3333333333333333ull);
	assert_int_equal(dev[8], 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_modify_write),
		cmocka_unit_test(test_exchange_and_bits),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
