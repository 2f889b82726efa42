/* decode_internal.h: what the parts of the decoder share (decode.c reads
 * prefixes and ModRM, decode_0f.c the two-byte and VEX maps): a cursor
 * over the instruction bytes and the prefixes seen. Portable. */
#ifndef HV_DECODE_INTERNAL_H
#define HV_DECODE_INTERNAL_H
#include "hv/decode.h"

struct cursor {
	const uint8_t *p;
	size_t left, used;
};

/* Legacy prefixes and REX (SDM vol. 2, 2.1.1 and 2.2.1). */
struct prefixes {
	bool opsize, addrsize, lock;
	uint8_t rep;  /* 0, 0xf2 or 0xf3: the last one seen */
	int seg;
	uint8_t rex;
};

struct dctx {
	struct cursor c;
	struct prefixes px;
	enum cpu_mode mode;
	bool addr16;
	struct insn *in;
};

bool take(struct cursor *c, uint8_t *b);
bool take_n(struct cursor *c, unsigned n, uint64_t *v);
/* Reads ModRM with its SIB and displacement; ST_EUNSUPP when it names a
 * register (no memory operand), ST_EINVAL when the bytes run out. */
status_t take_modrm(struct dctx *d, uint8_t *modrm);
unsigned operand_size(const struct dctx *d);
/* A signed immediate of n bytes, sign-extended to 64 bits. */
bool take_simm(struct cursor *c, unsigned n, uint64_t *v);
/* General register from ModRM.reg at `size` bytes (AH..BH without REX). */
void set_reg(struct dctx *d, uint8_t modrm, unsigned size);
status_t decode_0f(struct dctx *d);
status_t decode_vex(struct dctx *d, uint8_t op);

#endif
