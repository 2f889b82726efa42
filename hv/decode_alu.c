/* decode_alu.c: the integer arithmetic the emulator performs for ALU,
 * INC/DEC/NOT/NEG and BT* instructions on memory, with the RFLAGS
 * results of SDM vol. 1, 3.4.3.1 and each instruction's page in vol. 2
 * (carry and overflow from the operands' top bits, AF from bit 3's carry).
 * Portable; tests/unit/hv_decode_alu.c checks it against the host CPU. */
#include "hv/decode.h"

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* PF: set when the low byte of the result has an even number of ones. */
static bool parity_even(uint64_t r)
{
	uint8_t b = (uint8_t)r;
	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/* ZF, SF, PF of a result; the caller adds CF, AF and OF. */
static uint64_t result_flags(uint64_t r, unsigned size)
{
	uint64_t f = 0;
	if (!(r & size_mask(size)))
		f |= FL_ZF;
	if ((r >> (size * 8 - 1)) & 1)
		f |= FL_SF;
	if (parity_even(r))
		f |= FL_PF;
	return f;
}

/* Sum (sub = false) or difference d - s - carry, with all six flags. */
static uint64_t add_sub(uint64_t d, uint64_t s, unsigned carry, bool sub,
			unsigned size, uint64_t *flags)
{
	unsigned top = size * 8 - 1;
	uint64_t m = size_mask(size), r, cf, of;
	d &= m, s &= m;
	if (sub) {
		r = (d - s - carry) & m;
		cf = ((~d & s) | ((~d | s) & r)) >> top;
		of = ((d ^ s) & (d ^ r)) >> top;
	} else {
		r = (d + s + carry) & m;
		cf = ((d & s) | ((d | s) & ~r)) >> top;
		of = ((d ^ r) & (s ^ r)) >> top;
	}
	*flags = result_flags(r, size) | ((cf & 1) ? FL_CF : 0) |
		 ((of & 1) ? FL_OF : 0) | (((d ^ s ^ r) & 0x10) ? FL_AF : 0);
	return r;
}

static uint64_t bit_op(enum alu_op op, unsigned size, uint64_t d, uint64_t bit,
		       uint64_t *rflags)
{
	uint64_t mask = 1ull << (bit & (size * 8 - 1));
	*rflags = (*rflags & ~FL_CF) | ((d & mask) ? FL_CF : 0);
	switch (op) {
	case ALU_BTS: return d | mask;
	case ALU_BTR: return d & ~mask;
	case ALU_BTC: return d ^ mask;
	default: return d;
	}
}

uint64_t alu_exec(enum alu_op op, unsigned size, uint64_t dst, uint64_t src,
		  uint64_t *rflags)
{
	uint64_t m = size_mask(size), f = 0, r, keep = FL_ARITH;
	unsigned cf_in = (*rflags & FL_CF) ? 1 : 0;
	switch (op) {
	case ALU_ADD: r = add_sub(dst, src, 0, false, size, &f); break;
	case ALU_ADC: r = add_sub(dst, src, cf_in, false, size, &f); break;
	case ALU_SUB:
	case ALU_CMP: r = add_sub(dst, src, 0, true, size, &f); break;
	case ALU_SBB: r = add_sub(dst, src, cf_in, true, size, &f); break;
	case ALU_INC: /* CF is left alone by INC and DEC */
	case ALU_DEC:
		r = add_sub(dst, 1, 0, op == ALU_DEC, size, &f);
		keep &= ~FL_CF, f &= ~FL_CF;
		break;
	case ALU_NEG:
		r = add_sub(0, dst, 0, true, size, &f);
		break;
	case ALU_NOT:
		return ~dst & m;
	case ALU_OR: r = (dst | src) & m, f = result_flags(r, size); break;
	case ALU_XOR: r = (dst ^ src) & m, f = result_flags(r, size); break;
	case ALU_AND:
	case ALU_TEST: r = dst & src & m, f = result_flags(r, size); break;
	default:
		return bit_op(op, size, dst & m, src, rflags) & m;
	}
	*rflags = (*rflags & ~keep) | f;
	return r;
}

bool alu_writes(enum alu_op op)
{
	return op != ALU_CMP && op != ALU_TEST && op != ALU_BT;
}
