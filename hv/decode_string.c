/* decode_string.c: the emulator's string and stack instructions (decode.h):
 * MOVS, STOS and LODS with or without REP, in either direction of
 * RFLAGS.DF, over the instruction's address size (SDM vol. 2, MOVS/STOS/
 * LODS and "REP/REPE/REPZ/REPNE/REPNZ"), and PUSH/POP of memory. Both
 * their operands go through env->linear, which reaches RAM or a device,
 * so copies between RAM and MMIO work either way. Portable. */
#include "hv/cpu_state.h"
#include "hv/decode.h"

static uint64_t addr_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Adds `delta` to the low `size` bytes of a register, leaving the rest
 * (a 16-bit address wraps within SI; a 32-bit one zeroes the top half
 * in 64-bit mode, as any 32-bit register write does). */
static uint64_t step_reg(uint64_t r, int64_t delta, unsigned size,
			 enum cpu_mode mode)
{
	uint64_t m = addr_mask(size), v = (r + (uint64_t)delta) & m;
	if (size == 4 && mode == MODE_64)
		return v;
	return (r & ~m) | v;
}

/* One element of MOVS, STOS or LODS. */
static status_t string_one(const struct insn *in, struct emu_env *env,
			   int64_t step)
{
	uint64_t m = addr_mask(in->addr_size), v = 0;
	int src_seg = in->seg >= 0 ? in->seg : SEG_DS;
	status_t st = ST_OK;
	if (in->kind == K_STOS) {
		v = env->gpr[RAX];
	} else {
		st = env->linear(env->ctx, src_seg, env->gpr[RSI] & m,
				 in->mem_size, false, &v);
	}
	if (st)
		return st;
	if (in->kind == K_LODS) {
		env->gpr[RAX] = insn_merge_reg(in, env->gpr[RAX], v);
	} else {
		st = env->linear(env->ctx, SEG_ES, env->gpr[RDI] & m,
				 in->mem_size, true, &v);
		if (st)
			return st;
		env->gpr[RDI] = step_reg(env->gpr[RDI], step, in->addr_size, env->mode);
	}
	if (in->kind != K_STOS)
		env->gpr[RSI] = step_reg(env->gpr[RSI], step, in->addr_size, env->mode);
	return ST_OK;
}

status_t emu_string(const struct insn *in, struct emu_env *env)
{
	int64_t step = (env->rflags & FL_DF) ? -(int64_t)in->mem_size
					      : (int64_t)in->mem_size;
	uint64_t m = addr_mask(in->addr_size);
	if (!in->rep)
		return string_one(in, env, step);
	for (unsigned i = 0; i < EMU_STRING_BATCH; i++) {
		if (!(env->gpr[RCX] & m))
			return ST_OK;
		status_t st = string_one(in, env, step);
		if (st)
			return st; /* RIP stays: resumed after the #PF */
		env->gpr[RCX] = step_reg(env->gpr[RCX], -1, in->addr_size, env->mode);
	}
	return (env->gpr[RCX] & m) ? ST_EBUSY : ST_OK;
}

/* PUSH r/m and POP r/m (SDM vol. 2): RSP changes only once the access
 * that could fault has been made. */
status_t emu_stack(const struct insn *in, struct emu_env *env)
{
	unsigned ss = env->stack_size;
	uint64_t m = addr_mask(ss), rsp = env->gpr[RSP], v = 0;
	status_t st;
	if (in->kind == K_PUSH) {
		uint64_t top = step_reg(rsp, -(int64_t)in->mem_size, ss, MODE_32);
		if ((st = env->operand(env->ctx, 0, in->mem_size, false, &v)))
			return st;
		if ((st = env->linear(env->ctx, SEG_SS, top & m, in->mem_size, true, &v)))
			return st;
		env->gpr[RSP] = top;
		return ST_OK;
	}
	if ((st = env->linear(env->ctx, SEG_SS, rsp & m, in->mem_size, false, &v)))
		return st;
	env->gpr[RSP] = step_reg(rsp, (int64_t)in->mem_size, ss, MODE_32);
	if ((st = env->operand(env->ctx, 0, in->mem_size, true, &v)))
		env->gpr[RSP] = rsp;
	return st;
}
