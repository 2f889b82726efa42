/* decode_exec.c: carries out a decoded instruction (decode.h) on its
 * memory operand through the caller's environment: moves, read-modify-
 * write arithmetic with its flags, exchanges, bit tests and the SSE/AVX
 * register moves. String and stack forms are in decode_string.c.
 * Portable: the vCPU's environment is hv/mmio.c, the unit tests' a fake. */
#include <string.h>
#include "hv/cpu_state.h"
#include "hv/decode.h"

static uint64_t cut(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

/* The register operand at the instruction's width. */
static uint64_t reg_value(const struct insn *in, const struct emu_env *env)
{
	uint64_t r = env->gpr[in->reg];
	return cut(in->high_byte ? r >> 8 : r, in->reg_size);
}

/* The source of a two-operand form: the register or the immediate. */
static uint64_t source(const struct insn *in, const struct emu_env *env)
{
	return in->reg < 0 ? cut(in->imm, in->mem_size) : reg_value(in, env);
}

static void reg_store(const struct insn *in, struct emu_env *env, uint64_t v)
{
	env->gpr[in->reg] = insn_merge_reg(in, env->gpr[in->reg], v);
}

static status_t mem_read(const struct insn *in, struct emu_env *env, uint64_t *v)
{
	status_t st = env->operand(env->ctx, 0, in->mem_size, false, v);
	*v = cut(*v, in->mem_size);
	return st;
}

static status_t mem_write(const struct insn *in, struct emu_env *env, uint64_t v)
{
	return env->operand(env->ctx, 0, in->mem_size, true, &v);
}

static status_t emu_mov(const struct insn *in, struct emu_env *env)
{
	uint64_t v;
	status_t st;
	if (in->dir == INSN_STORE)
		return mem_write(in, env, source(in, env));
	if ((st = mem_read(in, env, &v)))
		return st;
	reg_store(in, env, v);
	return ST_OK;
}

static status_t emu_alu(const struct insn *in, struct emu_env *env)
{
	uint64_t m, r;
	status_t st = mem_read(in, env, &m);
	if (st)
		return st;
	if (in->dir == INSN_LOAD) { /* register OP= memory */
		r = alu_exec(in->alu, in->mem_size, reg_value(in, env), m, &env->rflags);
		if (alu_writes(in->alu))
			reg_store(in, env, r);
		return ST_OK;
	}
	r = alu_exec(in->alu, in->mem_size, m, in->kind == K_UNARY ? 0 : source(in, env),
		     &env->rflags);
	return alu_writes(in->alu) ? mem_write(in, env, r) : ST_OK;
}

static status_t emu_xchg(const struct insn *in, struct emu_env *env)
{
	uint64_t m;
	status_t st = mem_read(in, env, &m);
	if (!st)
		st = mem_write(in, env, reg_value(in, env));
	if (!st)
		reg_store(in, env, m);
	return st;
}

/* CMPXCHG (SDM vol. 2): compare the accumulator with memory; equal: the
 * source goes to memory, else memory goes to the accumulator (and, as
 * the processor does, the old value is written back). */
static status_t emu_cmpxchg(const struct insn *in, struct emu_env *env)
{
	struct insn acc = *in;
	uint64_t m;
	status_t st = mem_read(in, env, &m);
	if (st)
		return st;
	acc.reg = RAX;
	acc.high_byte = false;
	alu_exec(ALU_CMP, in->mem_size, reg_value(&acc, env), m, &env->rflags);
	if (env->rflags & FL_ZF)
		return mem_write(in, env, reg_value(in, env));
	st = mem_write(in, env, m);
	if (!st)
		reg_store(&acc, env, m);
	return st;
}

/* BT*: with a register offset the processor already addressed the word
 * holding the bit (the exit's address), so the offset counts modulo the
 * operand width (SDM vol. 2, BT, "bit base"). */
static status_t emu_bt(const struct insn *in, struct emu_env *env)
{
	uint64_t m, r;
	status_t st = mem_read(in, env, &m);
	if (st)
		return st;
	r = alu_exec(in->alu, in->mem_size, m, source(in, env), &env->rflags);
	return alu_writes(in->alu) ? mem_write(in, env, r) : ST_OK;
}

/* An XMM/YMM register to or from memory, in pieces of at most 8 bytes. */
static status_t emu_vmov(const struct insn *in, struct emu_env *env)
{
	uint8_t v[32];
	status_t st = env->vreg(env->ctx, (unsigned)in->reg, false, v);
	for (unsigned off = 0; !st && off < in->mem_size; off += 8) {
		unsigned n = in->mem_size - off < 8 ? in->mem_size - off : 8;
		uint64_t part = 0;
		if (in->dir == INSN_STORE) {
			memcpy(&part, v + off, n);
			st = env->operand(env->ctx, off, n, true, &part);
		} else {
			st = env->operand(env->ctx, off, n, false, &part);
			memcpy(v + off, &part, n);
		}
	}
	if (st || in->dir == INSN_STORE)
		return st;
	if (in->vzero_upper && in->vzero_to > in->mem_size)
		memset(v + in->mem_size, 0, in->vzero_to - in->mem_size);
	return env->vreg(env->ctx, (unsigned)in->reg, true, v);
}

status_t insn_emulate(const struct insn *in, struct emu_env *env)
{
	switch (in->kind) {
	case K_MOV: return emu_mov(in, env);
	case K_ALU:
	case K_UNARY: return emu_alu(in, env);
	case K_XCHG: return emu_xchg(in, env);
	case K_CMPXCHG: return emu_cmpxchg(in, env);
	case K_BT: return emu_bt(in, env);
	case K_MOVS:
	case K_STOS:
	case K_LODS: return emu_string(in, env);
	case K_PUSH:
	case K_POP: return emu_stack(in, env);
	case K_VMOV: return emu_vmov(in, env);
	}
	return ST_EUNSUPP;
}
