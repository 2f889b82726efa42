/* decode.h: the instruction decoder for emulated memory accesses (MMIO
 * and open bus). Given the bytes at the guest's RIP and its mode, it
 * finds the instruction's length and what it moves between a register
 * (or an immediate) and memory. Covers the moves compilers emit for
 * device registers: MOV (88, 89, 8A, 8B, C6, C7, A0-A3), MOVZX and MOVSX
 * (0F B6/B7/BE/BF), with legacy, segment and REX prefixes
 * (SDM vol. 2, chapter 2). Portable. */
#ifndef HV_DECODE_H
#define HV_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

enum cpu_mode { MODE_16, MODE_32, MODE_64 };

enum insn_dir { INSN_LOAD, INSN_STORE };
enum insn_ext { EXT_NONE, EXT_ZERO, EXT_SIGN };

struct insn {
	uint8_t len;        /* bytes, prefixes included */
	uint8_t mem_size;   /* bytes read or written in memory */
	uint8_t reg_size;   /* bytes of the register operand */
	enum insn_dir dir;
	enum insn_ext ext;  /* how a load widens into reg_size */
	int reg;            /* register operand (enum gpr), -1 for immediate */
	bool high_byte;     /* AH, CH, DH or BH */
	uint64_t imm;       /* the immediate of a store */
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

#endif
