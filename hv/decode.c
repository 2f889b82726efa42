/* decode.c: decoder of memory-moving instructions (decode.h). */
#include <string.h>
#include "hv/cpu_state.h"
#include "hv/decode.h"

struct cursor {
	const uint8_t *p;
	size_t left, used;
};

static bool take(struct cursor *c, uint8_t *b)
{
	if (!c->left)
		return false;
	*b = c->p[c->used++];
	c->left--;
	return true;
}

static bool take_n(struct cursor *c, unsigned n, uint64_t *v)
{
	uint8_t b;
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!take(c, &b))
			return false;
		*v |= (uint64_t)b << (8 * i);
	}
	return true;
}

/* Skips ModRM's SIB and displacement (SDM vol. 2, 2.1.5, Tables 2-1..3);
 * returns false if the bytes run out or the operand is a register. */
static bool skip_modrm(struct cursor *c, uint8_t modrm, bool addr16)
{
	uint8_t mod = modrm >> 6, rm = modrm & 7, sib;
	uint64_t disp;
	if (mod == 3)
		return false;
	if (addr16) {
		unsigned n = mod == 1 ? 1 : mod == 2 ? 2 : (rm == 6 ? 2 : 0);
		return take_n(c, n, &disp);
	}
	if (rm == 4) {
		if (!take(c, &sib))
			return false;
		if (mod == 0 && (sib & 7) == 5)
			return take_n(c, 4, &disp);
	}
	if (mod == 0 && rm == 5)
		return take_n(c, 4, &disp);
	return take_n(c, mod == 1 ? 1 : mod == 2 ? 4 : 0, &disp);
}

struct prefixes {
	bool opsize, addrsize;
	uint8_t rex;
};

static void read_prefixes(struct cursor *c, enum cpu_mode mode,
			  struct prefixes *px, uint8_t *op)
{
	memset(px, 0, sizeof *px);
	while (take(c, op)) {
		switch (*op) {
		case 0x66: px->opsize = true; break;
		case 0x67: px->addrsize = true; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0xf0: case 0xf2: case 0xf3:
			break;
		default:
			if (mode != MODE_64 || (*op & 0xf0) != 0x40)
				return;
			px->rex = *op;
			continue;
		}
		/* A REX counts only right before the opcode; one followed by
		 * a legacy prefix is ignored (SDM vol. 2, 2.2.1). */
		px->rex = 0;
	}
	*op = 0;
}

void decode_prefixes(const uint8_t *code, size_t len, enum cpu_mode mode,
		     struct insn_prefixes *out)
{
	static const int8_t seg_of[8] = { SEG_ES, SEG_CS, SEG_SS, SEG_DS };
	bool addr_toggle = false;
	size_t i;
	out->seg = -1;
	out->rep = false;
	for (i = 0; i < len && i < 15; i++) {
		uint8_t b = code[i];
		if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e)
			out->seg = seg_of[(b >> 3) & 3];
		else if (b == 0x64 || b == 0x65)
			out->seg = b == 0x64 ? SEG_FS : SEG_GS;
		else if (b == 0x67)
			addr_toggle = true;
		else if (b == 0xf2 || b == 0xf3)
			out->rep = true;
		else if (b != 0x66 && b != 0xf0 &&
			 !(mode == MODE_64 && (b & 0xf0) == 0x40))
			break;
	}
	out->len = (uint8_t)i;
	if (mode == MODE_64)
		out->addr_size = addr_toggle ? 4 : 8;
	else
		out->addr_size = (mode == MODE_16) != addr_toggle ? 2 : 4;
}

static unsigned operand_size(enum cpu_mode mode, const struct prefixes *px)
{
	if (px->rex & 8)
		return 8;
	if (mode == MODE_16)
		return px->opsize ? 4 : 2;
	return px->opsize ? 2 : 4;
}

/* Register operand from ModRM.reg; byte registers 4-7 without REX are
 * AH, CH, DH, BH. */
static void set_reg(struct insn *in, uint8_t modrm, const struct prefixes *px)
{
	int r = ((modrm >> 3) & 7) | ((px->rex & 4) ? 8 : 0);
	in->high_byte = in->reg_size == 1 && !px->rex && r >= 4;
	in->reg = in->high_byte ? r - 4 : r;
}

static status_t decode_0f(struct cursor *c, const struct prefixes *px,
			  enum cpu_mode mode, bool addr16, struct insn *in)
{
	uint8_t op, modrm;
	if (!take(c, &op))
		return ST_EINVAL;
	if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
		return ST_EUNSUPP;
	if (!take(c, &modrm))
		return ST_EINVAL;
	in->dir = INSN_LOAD;
	in->mem_size = (op & 1) ? 2 : 1;
	in->reg_size = operand_size(mode, px);
	in->ext = (op & 8) ? EXT_SIGN : EXT_ZERO;
	in->reg = ((modrm >> 3) & 7) | ((px->rex & 4) ? 8 : 0);
	return skip_modrm(c, modrm, addr16) ? ST_OK : ST_EINVAL;
}

static status_t decode_moffs(struct cursor *c, uint8_t op,
			     const struct prefixes *px, enum cpu_mode mode,
			     struct insn *in)
{
	uint64_t addr;
	unsigned asz = mode == MODE_64 ? (px->addrsize ? 4 : 8)
				       : ((mode == MODE_16) != px->addrsize ? 2 : 4);
	in->reg = RAX;
	in->reg_size = in->mem_size = (op & 1) ? operand_size(mode, px) : 1;
	in->dir = (op & 2) ? INSN_STORE : INSN_LOAD;
	return take_n(c, asz, &addr) ? ST_OK : ST_EINVAL;
}

status_t decode_insn(const uint8_t *code, size_t len, enum cpu_mode mode,
		     struct insn *in)
{
	struct cursor c = { code, len, 0 };
	struct prefixes px;
	uint8_t op, modrm;
	memset(in, 0, sizeof *in);
	read_prefixes(&c, mode, &px, &op);
	bool addr16 = mode == MODE_16 ? !px.addrsize : (mode == MODE_32 && px.addrsize);
	status_t st;
	if (!c.used || (!op && !c.left))
		return ST_EINVAL;
	if (op == 0x0f)
		st = decode_0f(&c, &px, mode, addr16, in);
	else if (op >= 0xa0 && op <= 0xa3)
		st = decode_moffs(&c, op, &px, mode, in);
	else if (op == 0x88 || op == 0x89 || op == 0x8a || op == 0x8b ||
		 op == 0xc6 || op == 0xc7) {
		if (!take(&c, &modrm))
			return ST_EINVAL;
		in->reg_size = in->mem_size = (op & 1) ? operand_size(mode, &px) : 1;
		in->dir = (op == 0x8a || op == 0x8b) ? INSN_LOAD : INSN_STORE;
		if (op >= 0xc6 && (modrm & 0x38))
			return ST_EUNSUPP;
		if (op < 0xc6)
			set_reg(in, modrm, &px);
		else
			in->reg = -1;
		st = skip_modrm(&c, modrm, addr16) ? ST_OK : ST_EINVAL;
		if (!st && op >= 0xc6) {
			unsigned n = in->mem_size > 4 ? 4 : in->mem_size;
			if (!take_n(&c, n, &in->imm))
				return ST_EINVAL;
			if (n == 4 && in->mem_size == 8 && (in->imm & 0x80000000u))
				in->imm |= 0xffffffff00000000ull;
		}
	} else {
		return ST_EUNSUPP;
	}
	if (st)
		return st;
	in->len = (uint8_t)c.used;
	return c.used <= 15 ? ST_OK : ST_EINVAL;
}

static uint64_t widen(const struct insn *in, uint64_t v)
{
	unsigned bits = in->mem_size * 8;
	if (bits < 64)
		v &= (1ull << bits) - 1;
	if (in->ext == EXT_SIGN && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~0ull << bits;
	return v;
}

uint64_t insn_merge_reg(const struct insn *in, uint64_t old, uint64_t value)
{
	uint64_t v = widen(in, value);
	switch (in->reg_size) {
	case 1:
		if (in->high_byte)
			return (old & ~0xff00ull) | ((v & 0xff) << 8);
		return (old & ~0xffull) | (v & 0xff);
	case 2:
		return (old & ~0xffffull) | (v & 0xffff);
	case 4:
		return v & 0xffffffffull;
	default:
		return v;
	}
}
