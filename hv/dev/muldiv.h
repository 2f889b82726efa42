/* muldiv.h: a * b / c without overflow for the timer models (pit8254.c,
 * rtc.c), which convert between the virtual clock and their own input
 * clocks. 128-bit product, long division by hand: the freestanding
 * build has no libgcc (__udivti3). Saturates when the quotient does not
 * fit in 64 bits. */
#ifndef HV_DEV_MULDIV_H
#define HV_DEV_MULDIV_H
#include <stdint.h>

static inline uint64_t muldiv_rem(uint64_t a, uint64_t b, uint64_t c,
				  uint64_t *rem)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, q = 0;
	if (!hi) {
		*rem = lo % c;
		return lo / c;
	}
	if (hi >= c) {
		*rem = 0;
		return UINT64_MAX;
	}
	for (int i = 0; i < 64; i++) { /* invariant: hi < c */
		uint64_t top = hi >> 63;
		hi = hi << 1 | lo >> 63;
		lo <<= 1;
		q <<= 1;
		if (top || hi >= c) {
			hi -= c;
			q |= 1;
		}
	}
	*rem = hi;
	return q;
}

static inline uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t r;
	return muldiv_rem(a, b, c, &r);
}

/* Rounded up: the first clock value at which `a` units have passed. */
static inline uint64_t muldiv_ceil(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t r, q = muldiv_rem(a, b, c, &r);
	return q + (r != 0 && q != UINT64_MAX);
}

#endif
