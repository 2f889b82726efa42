/* hv_decode_alu.c: unit tests of the emulator's flag arithmetic
 * (hv/decode_alu.c) against the host CPU: each operation runs natively
 * with inline assembly on the same operands and incoming RFLAGS, and the
 * result and the flags the instruction defines must agree (AF after
 * logic operations and all but CF after BT* are undefined: not compared). */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/decode.h"

/* The stack below RSP is the red zone: step over it before PUSHF. */
#define NATIVE2(name, insn, type)                                            \
static uint64_t name(uint64_t d, uint64_t s, uint64_t *fl)                   \
{                                                                            \
	type dd = (type)d, ss = (type)s;                                     \
	uint64_t f = *fl;                                                    \
	__asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopf\n\t"          \
			 insn " %[s], %[d]\n\tpushf\n\tpop %[f]\n\t"         \
			 "add $128, %%rsp"                                   \
			 : [d] "+r"(dd), [f] "+r"(f) : [s] "r"(ss) : "cc", "memory"); \
	*fl = f;                                                             \
	return (uint64_t)dd;                                                 \
}
#define NATIVE1(name, insn, type)                                            \
static uint64_t name(uint64_t d, uint64_t s, uint64_t *fl)                   \
{                                                                            \
	type dd = (type)d;                                                   \
	uint64_t f = *fl;                                                    \
	(void)s;                                                             \
	__asm__ volatile("sub $128, %%rsp\n\tpush %[f]\n\tpopf\n\t"          \
			 insn " %[d]\n\tpushf\n\tpop %[f]\n\t"               \
			 "add $128, %%rsp"                                   \
			 : [d] "+r"(dd), [f] "+r"(f) : : "cc", "memory");     \
	*fl = f;                                                             \
	return (uint64_t)dd;                                                 \
}
#define SIZES2(op)                                                           \
	NATIVE2(op##_1, #op "b", uint8_t) NATIVE2(op##_2, #op "w", uint16_t) \
	NATIVE2(op##_4, #op "l", uint32_t) NATIVE2(op##_8, #op "q", uint64_t)
#define SIZES1(op)                                                           \
	NATIVE1(op##_1, #op "b", uint8_t) NATIVE1(op##_2, #op "w", uint16_t) \
	NATIVE1(op##_4, #op "l", uint32_t) NATIVE1(op##_8, #op "q", uint64_t)
#define BITS(op)                                                             \
	NATIVE2(op##_2, #op "w", uint16_t) NATIVE2(op##_4, #op "l", uint32_t) \
	NATIVE2(op##_8, #op "q", uint64_t)

SIZES2(add) SIZES2(or) SIZES2(adc) SIZES2(sbb) SIZES2(and) SIZES2(sub)
SIZES2(xor) SIZES2(cmp) SIZES2(test)
SIZES1(inc) SIZES1(dec) SIZES1(not) SIZES1(neg)
BITS(bt) BITS(bts) BITS(btr) BITS(btc)

typedef uint64_t (*native_fn)(uint64_t, uint64_t, uint64_t *);
#define ROW(op) { op##_1, op##_2, op##_4, op##_8 }
#define BROW(op) { NULL, op##_2, op##_4, op##_8 }

static const native_fn native[][4] = {
	[ALU_ADD] = ROW(add), [ALU_OR] = ROW(or), [ALU_ADC] = ROW(adc),
	[ALU_SBB] = ROW(sbb), [ALU_AND] = ROW(and), [ALU_SUB] = ROW(sub),
	[ALU_XOR] = ROW(xor), [ALU_CMP] = ROW(cmp), [ALU_TEST] = ROW(test),
	[ALU_INC] = ROW(inc), [ALU_DEC] = ROW(dec), [ALU_NOT] = ROW(not),
	[ALU_NEG] = ROW(neg), [ALU_BT] = BROW(bt), [ALU_BTS] = BROW(bts),
	[ALU_BTR] = BROW(btr), [ALU_BTC] = BROW(btc),
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

/* Operands that hit the carries and overflows: edges and random. */
static uint64_t operand(unsigned i)
{
	static const uint64_t edge[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
		0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
		0x8000000000000000ull, ~0ull, 0x0f, 0x10 };
	return i < sizeof edge / sizeof edge[0] ? edge[i] : next();
}

static uint64_t defined_flags(enum alu_op op)
{
	switch (op) {
	case ALU_OR: case ALU_AND: case ALU_XOR: case ALU_TEST:
		return FL_ARITH & ~FL_AF;
	case ALU_BT: case ALU_BTS: case ALU_BTR: case ALU_BTC:
		return FL_CF;
	default:
		return FL_ARITH;
	}
}

static void test_against_cpu(void **state)
{
	(void)state;
	unsigned checked = 0;
	for (unsigned op = ALU_ADD; op <= ALU_BTC; op++)
		for (unsigned si = 0; si < 4; si++) {
			native_fn fn = native[op][si];
			unsigned size = 1u << si;
			if (!fn)
				continue;
			for (unsigned i = 0; i < 40; i++)
				for (unsigned j = 0; j < 40; j++) {
					uint64_t d = operand(i), s = operand(j);
					uint64_t in = 0x202 | (next() & FL_ARITH);
					uint64_t fc = in, fe = in;
					uint64_t rc = fn(d, s, &fc);
					uint64_t re = alu_exec((enum alu_op)op, size, d, s, &fe);
					uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
					uint64_t keep = defined_flags((enum alu_op)op);
					if (alu_writes((enum alu_op)op) && (rc & m) != (re & m))
						fail_msg("op %u size %u: %llx,%llx = %llx, cpu %llx",
							 op, size, (unsigned long long)d,
							 (unsigned long long)s,
							 (unsigned long long)re,
							 (unsigned long long)rc);
					if ((fc & keep) != (fe & keep) ||
					    (fe & ~FL_ARITH) != (in & ~FL_ARITH))
						fail_msg("op %u size %u: %llx,%llx flags %llx, "
							 "cpu %llx (in %llx)", op, size,
							 (unsigned long long)d,
							 (unsigned long long)s,
							 (unsigned long long)fe,
							 (unsigned long long)fc,
							 (unsigned long long)in);
					checked++;
				}
		}
	assert_true(checked > 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
