/* string_io.c: INS and OUTS (SDM vol. 2, INS/OUTS; REP prefix). The
 * exit says port, size and direction; the prefixes (segment override,
 * address size, REP) come from decoding the instruction itself, since
 * not every processor reports them. At most STRING_IO_BATCH elements
 * move per exit: a REP instruction whose count is not exhausted is
 * entered again, exactly as the processor resumes it. */
#include "hv/exit.h"
#include "hv/guest.h"
#include "hv/gwalk.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define STRING_IO_BATCH 4096

struct string_op {
	uint64_t base;      /* segment base of the memory operand */
	uint64_t addr_mask; /* 16-, 32- or 64-bit address wrap */
	int index;          /* RSI (OUTS) or RDI (INS) */
	int64_t step;       /* +size or -size (RFLAGS.DF) */
};

/* Moves one element between the port and memory. */
static status_t move_one(struct vcpu *v, const struct string_op *op,
			 uint16_t port, unsigned size, bool in)
{
	uint64_t off = v->gpr[op->index] & op->addr_mask, gpa;
	uint32_t val = 0;
	if (guest_translate(v, op->base + off, in ? GW_WRITE : 0, &gpa))
		return ST_EFAULT;
	if (in) {
		val = io_dispatch(v->vm, port, size, false, 0);
		if (gmem_write(&v->vm->mem, gpa, &val, size))
			return ST_EFAULT;
	} else {
		if (gmem_read(&v->vm->mem, gpa, &val, size))
			val = 0xffffffffu; /* open bus */
		io_dispatch(v->vm, port, size, true, val);
	}
	uint64_t next = (off + (uint64_t)op->step) & op->addr_mask;
	v->gpr[op->index] = (v->gpr[op->index] & ~op->addr_mask) | next;
	return ST_OK;
}

void exit_string_io(struct vcpu *v, uint16_t port, unsigned size, bool in)
{
	uint8_t code[15];
	struct insn_prefixes px;
	struct cpu_state cs;
	size_t n = guest_fetch(v, code);
	decode_prefixes(code, n, guest_mode(v), &px);
	vcpu_ops->get_state(v, &cs);
	int seg = in ? SEG_ES : (px.seg >= 0 ? px.seg : SEG_DS);
	struct string_op op = {
		.base = guest_mode(v) == MODE_64 && seg < SEG_FS ? 0 : cs.seg[seg].base,
		.addr_mask = px.addr_size == 8 ? ~0ull : (1ull << (px.addr_size * 8)) - 1,
		.index = in ? RDI : RSI,
		.step = (cs.rflags & (1u << 10)) ? -(int64_t)size : (int64_t)size,
	};
	uint64_t count = px.rep ? v->gpr[RCX] & op.addr_mask : 1;
	for (unsigned i = 0; count && i < STRING_IO_BATCH; i++, count--) {
		if (move_one(v, &op, port, size, in))
			return; /* #PF injected; RIP stays on the instruction */
		if (px.rep)
			v->gpr[RCX] = (v->gpr[RCX] & ~op.addr_mask) |
				      ((v->gpr[RCX] - 1) & op.addr_mask);
	}
	if (!count)
		vcpu_ops->skip_instruction(v);
}
