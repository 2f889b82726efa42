/* decode.c: prefixes, ModRM/SIB and the one-byte opcode map of the
 * memory-operand decoder (decode.h; SDM vol. 2, 2.1-2.2 and Table A-2).
 * The two-byte and VEX maps are in decode_0f.c. Portable. */
#include <string.h>
#include "hv/cpu_state.h"
#include "hv/decode_internal.h"

bool take(struct cursor *c, uint8_t *b)
{
	if (!c->left)
		return false;
	*b = c->p[c->used++];
	c->left--;
	return true;
}

bool take_n(struct cursor *c, unsigned n, uint64_t *v)
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

bool take_simm(struct cursor *c, unsigned n, uint64_t *v)
{
	if (!take_n(c, n, v))
		return false;
	if (n < 8 && (*v >> (8 * n - 1)) & 1)
		*v |= ~0ull << (8 * n);
	return true;
}

/* ModRM's SIB and displacement (SDM vol. 2, 2.1.5, Tables 2-1..2-3;
 * RIP-relative is mod 0, rm 5 in 64-bit mode, 2.2.1.6). */
status_t take_modrm(struct dctx *d, uint8_t *modrm)
{
	struct cursor *c = &d->c;
	uint8_t mod, rm, sib;
	uint64_t disp;
	unsigned n;
	if (!take(c, modrm))
		return ST_EINVAL;
	mod = *modrm >> 6, rm = *modrm & 7;
	if (d->addr16) {
		n = mod == 1 ? 1 : mod == 2 ? 2 : (mod == 0 && rm == 6 ? 2 : 0);
	} else {
		n = mod == 1 ? 1 : mod == 2 ? 4 : (mod == 0 && rm == 5 ? 4 : 0);
		if (mod != 3 && rm == 4) {
			if (!take(c, &sib))
				return ST_EINVAL;
			if (mod == 0 && (sib & 7) == 5)
				n = 4;
		}
	}
	if (mod == 3)
		return ST_EUNSUPP;
	return take_n(c, n, &disp) ? ST_OK : ST_EINVAL;
}

static void read_prefixes(struct dctx *d, uint8_t *op)
{
	static const int8_t seg_of[8] = { SEG_ES, SEG_CS, SEG_SS, SEG_DS };
	struct prefixes *px = &d->px;
	memset(px, 0, sizeof *px);
	px->seg = -1;
	while (take(&d->c, op)) {
		switch (*op) {
		case 0x66: px->opsize = true; break;
		case 0x67: px->addrsize = true; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			px->seg = seg_of[(*op >> 3) & 3];
			break;
		case 0x64: case 0x65:
			px->seg = *op == 0x64 ? SEG_FS : SEG_GS;
			break;
		case 0xf0: px->lock = true; break;
		case 0xf2: case 0xf3: px->rep = *op; break;
		default:
			if (d->mode != MODE_64 || (*op & 0xf0) != 0x40)
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

unsigned operand_size(const struct dctx *d)
{
	if (d->px.rex & 8)
		return 8;
	if (d->mode == MODE_16)
		return d->px.opsize ? 4 : 2;
	return d->px.opsize ? 2 : 4;
}

void set_reg(struct dctx *d, uint8_t modrm, unsigned size)
{
	struct insn *in = d->in;
	int r = ((modrm >> 3) & 7) | ((d->px.rex & 4) ? 8 : 0);
	in->high_byte = size == 1 && !d->px.rex && r >= 4;
	in->reg = in->high_byte ? r - 4 : r;
}

/* Operand size of a byte/word-or-larger pair of opcodes (bit 0). */
static unsigned wsize(const struct dctx *d, uint8_t op)
{
	return (op & 1) ? operand_size(d) : 1;
}

/* An immediate of `n` bytes sign-extended to the operand size (at most
 * 32 bits are encoded; SDM vol. 2, 2.2.1.5), kept at that size. */
static bool take_imm_n(struct dctx *d, unsigned n, unsigned size, uint64_t *v)
{
	if (!take_simm(&d->c, n, v))
		return false;
	if (size < 8)
		*v &= (1ull << (size * 8)) - 1;
	return true;
}

static bool take_imm(struct dctx *d, unsigned size, uint64_t *v)
{
	return take_imm_n(d, size > 4 ? 4 : size, size, v);
}

/* ALU op r/m, reg and reg, r/m (00-3B: op>>3 is the operation, bit 1
 * makes the register the destination). */
static status_t decode_alu_rm(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	in->kind = K_ALU;
	in->alu = (enum alu_op)(op >> 3);
	in->mem_size = in->reg_size = (uint8_t)wsize(d, op);
	in->dir = (op & 2) ? INSN_LOAD : INSN_STORE;
	set_reg(d, modrm, in->mem_size);
	return st;
}

/* Group 1 (80, 81, 83): ALU op r/m, imm. */
static status_t decode_group1(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	if (st)
		return st;
	in->kind = K_ALU;
	in->alu = (enum alu_op)((modrm >> 3) & 7);
	in->dir = INSN_STORE;
	in->reg = -1;
	in->mem_size = in->reg_size = (uint8_t)wsize(d, op);
	if (!(op == 0x81 ? take_imm(d, in->mem_size, &in->imm)
			 : take_imm_n(d, 1, in->mem_size, &in->imm)))
		return ST_EINVAL;
	return ST_OK;
}

/* Group 3 (F6, F7): TEST imm, NOT, NEG; MUL and DIV are not emulated. */
static status_t decode_group3(struct dctx *d, uint8_t op)
{
	static const int8_t alu_of[8] = { ALU_TEST, -1, ALU_NOT, ALU_NEG,
					  -1, -1, -1, -1 };
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	int alu = alu_of[(modrm >> 3) & 7];
	if (st)
		return st;
	if (alu < 0)
		return ST_EUNSUPP;
	in->alu = (enum alu_op)alu;
	in->mem_size = in->reg_size = (uint8_t)wsize(d, op);
	in->reg = -1;
	in->dir = INSN_STORE;
	if (alu != ALU_TEST) {
		in->kind = K_UNARY;
		return ST_OK;
	}
	in->kind = K_ALU;
	return take_imm(d, in->mem_size, &in->imm) ? ST_OK : ST_EINVAL;
}

/* Groups 4 and 5 (FE, FF): INC, DEC, PUSH. */
static status_t decode_group5(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	unsigned r = (modrm >> 3) & 7;
	if (st)
		return st;
	in->mem_size = in->reg_size = (uint8_t)wsize(d, op);
	in->reg = -1;
	in->dir = INSN_STORE;
	if (r <= 1) {
		in->kind = K_UNARY;
		in->alu = r ? ALU_DEC : ALU_INC;
		return ST_OK;
	}
	if (op != 0xff || r != 6)
		return ST_EUNSUPP;
	in->kind = K_PUSH;
	/* 64-bit mode pushes 8 bytes, or 2 with 66h (SDM vol. 2, PUSH). */
	if (d->mode == MODE_64)
		in->mem_size = d->px.opsize ? 2 : 8;
	in->reg_size = in->mem_size;
	return ST_OK;
}

static status_t decode_mov(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	in->kind = K_MOV;
	in->reg_size = in->mem_size = (uint8_t)wsize(d, op);
	if (op >= 0xc6) {
		in->dir = INSN_STORE;
		in->reg = -1;
		if (modrm & 0x38)
			return ST_EUNSUPP; /* XABORT, XBEGIN, ... */
		if (st)
			return st;
		return take_imm(d, in->mem_size, &in->imm) ? ST_OK : ST_EINVAL;
	}
	in->dir = (op & 2) ? INSN_LOAD : INSN_STORE;
	set_reg(d, modrm, in->mem_size);
	return st;
}

static status_t decode_moffs(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint64_t addr;
	in->kind = K_MOV;
	in->reg = RAX;
	in->reg_size = in->mem_size = (uint8_t)wsize(d, op);
	in->dir = (op & 2) ? INSN_STORE : INSN_LOAD;
	return take_n(&d->c, in->addr_size, &addr) ? ST_OK : ST_EINVAL;
}

/* Operand forms with ModRM.reg as the register: TEST, XCHG, MOVSXD. */
static status_t decode_reg_form(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	if (op == 0x63) { /* MOVSXD r, r/m32 (64-bit mode) */
		in->kind = K_MOV;
		in->dir = INSN_LOAD;
		in->reg_size = (uint8_t)operand_size(d);
		in->mem_size = in->reg_size == 8 ? 4 : in->reg_size;
		in->ext = EXT_SIGN;
		set_reg(d, modrm, in->reg_size);
		return st;
	}
	in->kind = op <= 0x85 ? K_ALU : K_XCHG;
	in->alu = ALU_TEST;
	in->dir = INSN_STORE;
	in->reg_size = in->mem_size = (uint8_t)wsize(d, op);
	set_reg(d, modrm, in->mem_size);
	return st;
}

static status_t decode_string(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	in->kind = op <= 0xa5 ? K_MOVS : op <= 0xab ? K_STOS : K_LODS;
	in->reg = RAX;
	in->reg_size = in->mem_size = (uint8_t)wsize(d, op);
	in->dir = in->kind == K_LODS ? INSN_LOAD : INSN_STORE;
	return ST_OK;
}

static status_t decode_one_byte(struct dctx *d, uint8_t op)
{
	if (op < 0x40 && (op & 7) < 4)
		return decode_alu_rm(d, op);
	switch (op) {
	case 0x0f: return decode_0f(d);
	case 0x63:
		return d->mode == MODE_64 ? decode_reg_form(d, op) : ST_EUNSUPP;
	case 0x80: case 0x81: case 0x83: return decode_group1(d, op);
	case 0x84: case 0x85: case 0x86: case 0x87: return decode_reg_form(d, op);
	case 0x88: case 0x89: case 0x8a: case 0x8b: case 0xc6: case 0xc7:
		return decode_mov(d, op);
	case 0x8f: {
		uint8_t modrm = 0;
		status_t st = take_modrm(d, &modrm);
		if (!st && (modrm & 0x38))
			return ST_EUNSUPP; /* XOP */
		d->in->kind = K_POP;
		d->in->reg = -1;
		d->in->mem_size = d->in->reg_size = (uint8_t)(d->mode == MODE_64 ?
			(d->px.opsize ? 2 : 8) : operand_size(d));
		return st;
	}
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: return decode_moffs(d, op);
	case 0xa4: case 0xa5: case 0xaa: case 0xab: case 0xac: case 0xad:
		return decode_string(d, op);
	case 0xc4: case 0xc5: return decode_vex(d, op);
	case 0xf6: case 0xf7: return decode_group3(d, op);
	case 0xfe: case 0xff: return decode_group5(d, op);
	default: return ST_EUNSUPP;
	}
}

status_t decode_insn(const uint8_t *code, size_t len, enum cpu_mode mode,
		     struct insn *in)
{
	struct dctx d = { .c = { code, len, 0 }, .mode = mode, .in = in };
	uint8_t op;
	status_t st;
	memset(in, 0, sizeof *in);
	read_prefixes(&d, &op);
	if (!d.c.used || (!op && !d.c.left))
		return ST_EINVAL;
	d.addr16 = mode == MODE_16 ? !d.px.addrsize : (mode == MODE_32 && d.px.addrsize);
	in->seg = d.px.seg;
	in->lock = d.px.lock;
	in->rep = d.px.rep != 0;
	if (mode == MODE_64)
		in->addr_size = d.px.addrsize ? 4 : 8;
	else
		in->addr_size = d.addr16 ? 2 : 4;
	st = decode_one_byte(&d, op);
	if (st)
		return st;
	in->len = (uint8_t)d.c.used;
	return d.c.used <= 15 ? ST_OK : ST_EINVAL;
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
