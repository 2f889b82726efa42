/* decode.h: the instruction decoder and emulator for memory accesses the
 * hypervisor must carry out itself (MMIO and open bus). decode_insn()
 * finds an instruction's length and what it does to memory: MOV in all
 * forms, MOVZX/MOVSX/MOVSXD, the ALU group and TEST, INC/DEC/NOT/NEG,
 * XCHG, CMPXCHG, BT/BTS/BTR/BTC, MOVS/STOS/LODS with REP, PUSH/POP of
 * memory and the SSE/AVX register moves (SDM vol. 2, chapter 2 and the
 * opcode map of appendix A). insn_emulate() then performs it through an
 * environment of callbacks (struct emu_env), so it stays portable and is
 * unit-tested on the host; hv/mmio.c is the vCPU's environment. */
#ifndef HV_DECODE_H
#define HV_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

enum cpu_mode { MODE_16, MODE_32, MODE_64 };

enum insn_dir { INSN_LOAD, INSN_STORE };
enum insn_ext { EXT_NONE, EXT_ZERO, EXT_SIGN };

/* What the instruction does with its memory operand. */
enum insn_kind {
	K_MOV,     /* dir/ext/reg/imm say which way and how wide */
	K_ALU,     /* memory OP= source (or register OP= memory when LOAD) */
	K_UNARY,   /* INC, DEC, NOT, NEG of memory */
	K_XCHG,
	K_CMPXCHG,
	K_BT,      /* BT, BTS, BTR, BTC with an immediate or register offset */
	K_MOVS, K_STOS, K_LODS,
	K_PUSH, K_POP,
	K_VMOV,    /* SSE/AVX register <-> memory; reg is an XMM/YMM number */
};

/* Arithmetic of decode_alu.c, with the flags the processor leaves. */
enum alu_op {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST, ALU_INC, ALU_DEC, ALU_NOT, ALU_NEG,
	ALU_BT, ALU_BTS, ALU_BTR, ALU_BTC,
};

struct insn {
	uint8_t len;        /* bytes, prefixes included */
	uint8_t mem_size;   /* bytes read or written in memory per element */
	uint8_t reg_size;   /* bytes of the register operand */
	enum insn_dir dir;
	enum insn_ext ext;  /* how a load widens into reg_size */
	int reg;            /* register operand (enum gpr), -1 for immediate */
	bool high_byte;     /* AH, CH, DH or BH */
	uint64_t imm;       /* the immediate (store, ALU source, bit offset) */
	enum insn_kind kind;
	enum alu_op alu;
	int seg;            /* segment override (SEG_ES..SEG_GS) or -1 */
	uint8_t addr_size;  /* effective address size in bytes */
	bool rep, lock;
	bool vzero_upper;   /* K_VMOV load: zero the register above mem_size
			     * up to vzero_to bytes */
	uint8_t vzero_to;
};

/* Legacy and REX prefixes of an instruction (SDM vol. 2, 2.1.1). */
struct insn_prefixes {
	uint8_t len;        /* bytes of prefixes */
	int seg;            /* segment override (SEG_ES..SEG_GS) or -1 */
	uint8_t addr_size;  /* effective address size in bytes */
	bool rep;           /* F2 or F3 */
};

/* Reads the prefixes that start `code`; the opcode follows them. */
void decode_prefixes(const uint8_t *code, size_t len, enum cpu_mode mode,
		     struct insn_prefixes *out);

/* ST_EUNSUPP for an instruction outside the set above, ST_EINVAL when
 * `len` bytes end inside it. */
status_t decode_insn(const uint8_t *code, size_t len, enum cpu_mode mode,
		     struct insn *out);
/* Writes a load's value into a register the way the CPU does: 32-bit
 * results zero the upper half, 8- and 16-bit ones merge. */
uint64_t insn_merge_reg(const struct insn *in, uint64_t old, uint64_t value);

/* RFLAGS bits an ALU operation writes (SDM vol. 1, 3.4.3.1). */
#define FL_CF 0x001ull
#define FL_PF 0x004ull
#define FL_AF 0x010ull
#define FL_ZF 0x040ull
#define FL_SF 0x080ull
#define FL_DF 0x400ull
#define FL_OF 0x800ull
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* dst OP src on `size` bytes; returns the result and updates the flags
 * in *rflags that the operation defines (undefined ones as a current
 * Intel or AMD processor leaves them: AF cleared by logic operations,
 * BT* leave all but CF alone). */
uint64_t alu_exec(enum alu_op op, unsigned size, uint64_t dst, uint64_t src,
		  uint64_t *rflags);
/* Whether the operation writes its destination (CMP, TEST, BT do not). */
bool alu_writes(enum alu_op op);

/* What insn_emulate() works on. `gpr` holds all 16 registers, RSP
 * included; `rflags` is read and written. */
struct emu_env {
	uint64_t *gpr;
	uint64_t rflags;
	enum cpu_mode mode;
	uint8_t stack_size; /* 2, 4 or 8: SS's B bit, or 8 in 64-bit mode */
	void *ctx;
	/* The memory operand the exit was about (at the faulting address,
	 * plus `offset` for the parts of a wide vector access). */
	status_t (*operand)(void *ctx, uint64_t offset, unsigned size,
			    bool write, uint64_t *val);
	/* Memory at seg:offset (string and stack operands), RAM or device;
	 * an error (a #PF injected) ends the instruction there. */
	status_t (*linear)(void *ctx, int seg, uint64_t offset, unsigned size,
			   bool write, uint64_t *val);
	/* XMM/YMM register `reg` as 32 bytes (bytes 16-31 the YMM half). */
	status_t (*vreg)(void *ctx, unsigned reg, bool write, uint8_t val[32]);
};

/* Elements a REP string instruction moves per call before it returns
 * ST_EBUSY (RIP stays; the processor resumes it on the next entry). */
#define EMU_STRING_BATCH 4096

/* Carries out a decoded instruction. ST_OK: done, advance RIP by len.
 * ST_EBUSY: a REP instruction with count left. Any other status: an
 * access failed (already reported by the environment). */
status_t insn_emulate(const struct insn *in, struct emu_env *env);
status_t emu_string(const struct insn *in, struct emu_env *env);
status_t emu_stack(const struct insn *in, struct emu_env *env);

#endif
