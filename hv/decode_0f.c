/* decode_0f.c: the two-byte opcode map (0F xx: MOVZX/MOVSX, CMPXCHG, the
 * BT family, SSE moves) and the VEX-encoded AVX moves of the decoder
 * (decode.h; SDM vol. 2, Tables A-3 and 2.3 "VEX prefix"). Portable. */
#include "hv/cpu_state.h"
#include "hv/decode_internal.h"

/* The SSE mandatory prefix: F3 or F2 wins over 66 (SDM vol. 2, 2.1.2). */
enum simd_pp { PP_NONE, PP_66, PP_F3, PP_F2 };

static enum simd_pp legacy_pp(const struct prefixes *px)
{
	if (px->rep == 0xf3)
		return PP_F3;
	if (px->rep == 0xf2)
		return PP_F2;
	return px->opsize ? PP_66 : PP_NONE;
}

/* Register-to-memory moves of XMM/YMM registers. `vlen` is the vector
 * length (16, or 32 for VEX.L=1); `wide` REX.W or VEX.W; `rx` the
 * register's high bit. Memory size, direction and what a load zeroes:
 * legacy SSE keeps bits 255:128, VEX zeroes them (SDM vol. 1, 14.1.2). */
static status_t simd_move(struct dctx *d, uint8_t op, enum simd_pp pp,
			  unsigned vlen, bool wide, bool vex, unsigned rx)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	unsigned size;
	bool load;
	switch (op) {
	case 0x10: case 0x11: case 0x28: case 0x29: /* MOVUPS/PD, MOVAPS/PD */
		if (pp != PP_NONE && pp != PP_66)
			return ST_EUNSUPP;
		size = vlen, load = !(op & 1);
		break;
	case 0x6f: case 0x7f: /* MOVDQA (66), MOVDQU (F3) */
		if (pp != PP_66 && pp != PP_F3)
			return ST_EUNSUPP;
		size = vlen, load = op == 0x6f;
		break;
	case 0xe7: case 0x2b: /* MOVNTDQ (66), MOVNTPS/PD: stores */
		if (op == 0xe7 ? pp != PP_66 : (pp != PP_NONE && pp != PP_66))
			return ST_EUNSUPP;
		size = vlen, load = false;
		break;
	case 0x6e: /* MOVD/MOVQ xmm, r/m32/64 */
	case 0x7e: /* 66: MOVD/MOVQ r/m32/64, xmm; F3: MOVQ xmm, m64 */
		if (pp == PP_F3 && op == 0x7e)
			size = 8, load = true;
		else if (pp == PP_66)
			size = wide ? 8 : 4, load = op == 0x6e;
		else
			return ST_EUNSUPP; /* MMX registers are not emulated */
		if (vlen != 16)
			return ST_EUNSUPP;
		break;
	case 0xd6: /* MOVQ m64, xmm */
		if (pp != PP_66 || vlen != 16)
			return ST_EUNSUPP;
		size = 8, load = false;
		break;
	default:
		return ST_EUNSUPP;
	}
	in->kind = K_VMOV;
	in->mem_size = in->reg_size = (uint8_t)size;
	in->dir = load ? INSN_LOAD : INSN_STORE;
	in->vzero_upper = load;
	in->vzero_to = vex ? 32 : 16;
	status_t st = take_modrm(d, &modrm);
	in->reg = (int)(((modrm >> 3) & 7) | rx);
	return st;
}

/* C4 and C5 (SDM vol. 2, 2.3.5): outside 64-bit mode they are LES/LDS
 * unless the next byte has its top two bits set. */
status_t decode_vex(struct dctx *d, uint8_t op)
{
	uint8_t b1, b2;
	unsigned map = 1;
	bool w = false;
	if (d->c.left && d->mode != MODE_64 && (d->c.p[d->c.used] & 0xc0) != 0xc0)
		return ST_EUNSUPP; /* LES, LDS */
	if (d->px.opsize || d->px.rep || d->px.rex || d->px.lock)
		return ST_EUNSUPP; /* #UD with VEX (2.3.2) */
	if (!take(&d->c, &b1))
		return ST_EINVAL;
	b2 = b1;
	if (op == 0xc4) {
		map = b1 & 0x1f;
		if (!take(&d->c, &b2))
			return ST_EINVAL;
		w = b2 >> 7;
	}
	uint8_t opc;
	if (!take(&d->c, &opc))
		return ST_EINVAL;
	if (map != 1)
		return ST_EUNSUPP;
	unsigned rx = (b1 & 0x80) ? 0 : 8; /* VEX.R is inverted */
	if (d->mode != MODE_64)
		rx = 0;
	return simd_move(d, opc, (enum simd_pp)(b2 & 3), (b2 & 4) ? 32 : 16,
			 w, true, rx);
}

/* CMPXCHG r/m, reg (0F B0/B1). */
static status_t decode_cmpxchg(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	in->kind = K_CMPXCHG;
	in->mem_size = in->reg_size = (uint8_t)((op & 1) ? operand_size(d) : 1);
	set_reg(d, modrm, in->mem_size);
	return st;
}

/* BT/BTS/BTR/BTC r/m, reg (0F A3/AB/B3/BB) and r/m, imm8 (0F BA /4-/7). */
static status_t decode_bt(struct dctx *d, uint8_t op)
{
	struct insn *in = d->in;
	uint8_t modrm = 0;
	status_t st = take_modrm(d, &modrm);
	in->kind = K_BT;
	in->mem_size = in->reg_size = (uint8_t)operand_size(d);
	if (op != 0xba) {
		in->alu = (enum alu_op)(ALU_BT + ((op >> 3) & 3));
		set_reg(d, modrm, in->mem_size);
		return st;
	}
	if (st)
		return st;
	if (((modrm >> 3) & 7) < 4)
		return ST_EUNSUPP;
	in->alu = (enum alu_op)(ALU_BT + ((modrm >> 3) & 3));
	in->reg = -1;
	return take_n(&d->c, 1, &in->imm) ? ST_OK : ST_EINVAL;
}

status_t decode_0f(struct dctx *d)
{
	struct insn *in = d->in;
	uint8_t op, modrm = 0;
	status_t st;
	if (!take(&d->c, &op))
		return ST_EINVAL;
	switch (op) {
	case 0xb6: case 0xb7: case 0xbe: case 0xbf: /* MOVZX, MOVSX */
		st = take_modrm(d, &modrm);
		in->kind = K_MOV;
		in->dir = INSN_LOAD;
		in->mem_size = (op & 1) ? 2 : 1;
		in->reg_size = (uint8_t)operand_size(d);
		in->ext = (op & 8) ? EXT_SIGN : EXT_ZERO;
		in->reg = ((modrm >> 3) & 7) | ((d->px.rex & 4) ? 8 : 0);
		return st;
	case 0xb0: case 0xb1:
		return decode_cmpxchg(d, op);
	case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba:
		return decode_bt(d, op);
	default:
		return simd_move(d, op, legacy_pp(&d->px), 16, d->px.rex & 8, false,
				 (d->px.rex & 4) ? 8 : 0);
	}
}
