/* hpet.c: the High Precision Event Timer at 0xFED00000 (IA-PC HPET
 * specification 1.0a, section 2.3), as QEMU's pc machine has it: a 64-bit
 * main counter at 100 MHz, three timers with one-shot and periodic modes,
 * 32-bit mode, level or edge interrupts to I/O APIC pins (route
 * capability 0x00ff0104: GSI 2, 8 and 16-23), FSB (MSI) delivery and
 * legacy replacement routing (timer 0 -> IRQ 0, timer 1 -> IRQ 8). The
 * counter is computed on demand from the virtual clock; each timer arms a
 * vtimer at its next match. Guarded by the device's own lock when SMP
 * arrives; today only the BSP's service loop touches it. */
#include <stdlib.h>
#include <string.h>
#include "hv/dev/device.h"
#include "hv/dev/muldiv.h"
#include "hv/dev/pc_devices.h"
#include "hv/irq.h"
#include "hv/vclock.h"
#include "hv/vm.h"

#define HPET_HZ 100000000ull            /* 10 ns = 10^7 fs per tick */
#define HPET_PERIOD_FS 10000000ull
#define HPET_TIMERS 3
#define HPET_STATE_VERSION 1

/* General registers (2.3.4) and the timer block (2.3.8). */
enum { R_CAP = 0x000, R_CONF = 0x010, R_ISR = 0x020, R_COUNTER = 0x0f0,
       R_TIMER0 = 0x100, TIMER_STRIDE = 0x20,
       T_CONF = 0x00, T_CMP = 0x08, T_FSB = 0x10 };
/* GEN_CONF bits. */
#define CONF_ENABLE 1ull
#define CONF_LEGACY 2ull
/* Tn_CONF_CAP bits. */
#define TN_LEVEL (1ull << 1)
#define TN_ENABLE (1ull << 2)
#define TN_PERIODIC (1ull << 3)
#define TN_PER_CAP (1ull << 4)
#define TN_SIZE_CAP (1ull << 5)
#define TN_SETVAL (1ull << 6)
#define TN_32BIT (1ull << 8)
#define TN_ROUTE_SHIFT 9
#define TN_ROUTE_MASK (0x1full << TN_ROUTE_SHIFT)
#define TN_FSB_EN (1ull << 14)
#define TN_FSB_CAP (1ull << 15)
#define TN_WRITABLE (TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_SETVAL | \
		     TN_32BIT | TN_ROUTE_MASK | TN_FSB_EN)
#define ROUTE_CAP 0x00ff0104ull

/* GCAP_ID: revision 1, 3 timers, 64-bit counter, legacy capable, vendor
 * 8086, period in femtoseconds (2.3.4). */
#define HPET_CAP (0x01ull | (uint64_t)(HPET_TIMERS - 1) << 8 | 1ull << 13 | \
		  1ull << 15 | 0x8086ull << 16 | HPET_PERIOD_FS << 32)

struct hpet_timer {
	uint64_t config, cmp, period, fsb;
};

/* What a snapshot keeps: the counter's value at the save, not a clock. */
struct hpet_image {
	uint32_t version, pad;
	uint64_t config, isr, counter;
	struct hpet_timer t[HPET_TIMERS];
};

struct hpet {
	struct device dev;
	uint64_t config, isr;
	uint64_t counter0, start; /* counter = counter0 + ticks since start */
	struct hpet_timer t[HPET_TIMERS];
	struct vtimer vt[HPET_TIMERS];
	bool line[HPET_TIMERS];   /* level interrupt asserted */
};

static bool enabled(const struct hpet *h)
{
	return h->config & CONF_ENABLE;
}

static uint64_t counter(const struct hpet *h, uint64_t now)
{
	if (!enabled(h))
		return h->counter0;
	return h->counter0 + muldiv(now - h->start, HPET_HZ, vclock_hz(h->dev.vm));
}

/* The ISA IRQ or GSI a timer drives (2.3.9.2.2 for legacy routing). GSI
 * 2 is ISA IRQ 0 on this PC (irq.h). */
static unsigned route(const struct hpet *h, unsigned n)
{
	unsigned gsi;
	if ((h->config & CONF_LEGACY) && n < 2)
		return n == 0 ? 0 : 8;
	gsi = (unsigned)((h->t[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
	return gsi == 2 ? 0 : gsi;
}

static void set_line(struct hpet *h, unsigned n, bool level)
{
	if (h->line[n] != level)
		irq_set(h->dev.vm, route(h, n), level);
	h->line[n] = level;
}

/* A match: FSB message, level (status bit, line held until the guest
 * clears the bit) or edge pulse (2.3.9.2). Nothing when disabled. */
static void interrupt(struct hpet *h, unsigned n)
{
	struct hpet_timer *t = &h->t[n];
	if (!(t->config & TN_ENABLE) || !enabled(h))
		return;
	if ((t->config & TN_FSB_EN) && !((h->config & CONF_LEGACY) && n < 2)) {
		irq_msi(h->dev.vm, t->fsb >> 32, (uint32_t)t->fsb);
	} else if (t->config & TN_LEVEL) {
		h->isr |= 1ull << n;
		set_line(h, n, true);
	} else {
		irq_pulse(h->dev.vm, route(h, n));
	}
}

static uint64_t width_mask(const struct hpet_timer *t)
{
	return (t->config & TN_32BIT) ? 0xffffffffull : ~0ull;
}

/* Arms timer n's vtimer at the next counter value equal to its
 * comparator (in 32-bit mode the low 32 bits wrap, 2.3.9.2.4). */
static void rearm(struct hpet *h, unsigned n)
{
	struct vm *vm = h->dev.vm;
	const struct hpet_timer *t = &h->t[n];
	uint64_t now = vclock_now(vm), m = width_mask(t), delta;
	if (!enabled(h)) {
		vtimer_cancel(vm, &h->vt[n]);
		return;
	}
	delta = (t->cmp - counter(h, now)) & m;
	if (delta > (1ull << 62)) { /* beyond any run: wraps in years */
		vtimer_cancel(vm, &h->vt[n]);
		return;
	}
	/* The first clock value at which counter >= current + delta. */
	uint64_t ticks = counter(h, now) - h->counter0 + delta;
	vtimer_arm(vm, &h->vt[n], h->start + muldiv_ceil(ticks, vclock_hz(vm), HPET_HZ));
}

static void rearm_all(struct hpet *h)
{
	for (unsigned n = 0; n < HPET_TIMERS; n++)
		rearm(h, n);
}

/* Periodic timers add their period to the comparator at each match
 * (2.3.9.2.2); matches missed while the service loop was late are folded
 * into one interrupt. A one-shot timer stays quiet until written again
 * (its next match is a full counter wrap away). */
static void hpet_fire(struct vtimer *vt)
{
	struct hpet *h = vt->ctx;
	unsigned n = (unsigned)(vt - h->vt);
	struct hpet_timer *t = &h->t[n];
	uint64_t m = width_mask(t), now, behind;
	interrupt(h, n);
	if (!(t->config & TN_PERIODIC) || !t->period)
		return;
	now = counter(h, vclock_now(h->dev.vm));
	behind = (now - t->cmp) & m;
	if (behind <= (m >> 1))
		t->cmp = (t->cmp + (behind / t->period + 1) * t->period) & m;
	rearm(h, n);
}

static uint64_t timer_read(const struct hpet *h, unsigned n, unsigned reg)
{
	const struct hpet_timer *t = &h->t[n];
	switch (reg) {
	case T_CONF: return t->config;
	case T_CMP: return t->cmp & width_mask(t);
	case T_FSB: return t->fsb;
	default: return 0;
	}
}

static uint64_t reg_read(const struct hpet *h, unsigned off)
{
	switch (off) {
	case R_CAP: return HPET_CAP;
	case R_CONF: return h->config;
	case R_ISR: return h->isr;
	case R_COUNTER: return counter(h, vclock_now(h->dev.vm));
	}
	if (off >= R_TIMER0 && off < R_TIMER0 + HPET_TIMERS * TIMER_STRIDE)
		return timer_read(h, (off - R_TIMER0) / TIMER_STRIDE,
				  (off - R_TIMER0) % TIMER_STRIDE);
	return 0;
}

/* Tn_CONF: a route outside the capability keeps the old one; 32-bit
 * mode cuts the comparator (2.3.8, Tn_32MODE_CNF). A change of route or
 * trigger drops a held level line first. */
static void timer_config(struct hpet *h, unsigned n, uint64_t v)
{
	struct hpet_timer *t = &h->t[n];
	uint64_t old = t->config;
	unsigned gsi = (unsigned)((v & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
	if (!((ROUTE_CAP >> gsi) & 1))
		v = (v & ~TN_ROUTE_MASK) | (old & TN_ROUTE_MASK);
	set_line(h, n, false);
	t->config = (old & ~TN_WRITABLE) | (v & TN_WRITABLE);
	if (!(t->config & TN_LEVEL))
		h->isr &= ~(1ull << n);
	if (t->config & TN_32BIT)
		t->cmp &= 0xffffffffull, t->period &= 0xffffffffull;
	if (h->isr & (1ull << n))
		set_line(h, n, true);
}

/* Tn_COMPARATOR: one-shot sets the comparator; periodic sets the period
 * and, with Tn_VAL_SET_CNF, the comparator too (2.3.9.2.2). */
static void timer_comparator(struct hpet *h, unsigned n, uint64_t v)
{
	struct hpet_timer *t = &h->t[n];
	v &= width_mask(t);
	if (!(t->config & TN_PERIODIC) || (t->config & TN_SETVAL))
		t->cmp = v;
	t->period = v;
	t->config &= ~TN_SETVAL;
}

static void timer_write(struct hpet *h, unsigned n, unsigned reg, uint64_t v)
{
	switch (reg) {
	case T_CONF: timer_config(h, n, v); break;
	case T_CMP: timer_comparator(h, n, v); break;
	case T_FSB: h->t[n].fsb = v; break;
	}
	rearm(h, n);
}

static void general_config(struct hpet *h, uint64_t v)
{
	uint64_t now = vclock_now(h->dev.vm), c = counter(h, now);
	for (unsigned n = 0; n < HPET_TIMERS; n++)
		set_line(h, n, false); /* a routing change moves the lines */
	h->counter0 = c;
	h->start = now;
	h->config = v & (CONF_ENABLE | CONF_LEGACY);
	for (unsigned n = 0; n < HPET_TIMERS; n++)
		if (h->isr & (1ull << n))
			set_line(h, n, true);
	rearm_all(h);
}

static void reg_write(struct hpet *h, unsigned off, uint64_t v)
{
	switch (off) {
	case R_CONF: general_config(h, v); return;
	case R_ISR: /* write 1 to clear a level-triggered status bit */
		for (unsigned n = 0; n < HPET_TIMERS; n++)
			if ((v >> n) & 1 & (h->isr >> n)) {
				h->isr &= ~(1ull << n);
				set_line(h, n, false);
			}
		return;
	case R_COUNTER: /* software halts the counter first (2.3.7) */
		h->counter0 = v;
		h->start = vclock_now(h->dev.vm);
		rearm_all(h);
		return;
	}
	if (off >= R_TIMER0 && off < R_TIMER0 + HPET_TIMERS * TIMER_STRIDE)
		timer_write(h, (off - R_TIMER0) / TIMER_STRIDE,
			    (off - R_TIMER0) % TIMER_STRIDE, v);
}

/* 32- and 64-bit accesses; a 32-bit one reads or replaces one half of
 * the 64-bit register (2.3.1). Other sizes read 0 and write nothing. */
static void hpet_access(struct device *dev, int region, uint64_t offset,
			unsigned size, bool write, uint64_t *val)
{
	struct hpet *h = (struct hpet *)dev;
	unsigned reg = (unsigned)(offset & ~7ull), shift = (offset & 4) ? 32 : 0;
	uint64_t cur, mask = size == 8 ? ~0ull : 0xffffffffull;
	(void)region;
	if ((size != 4 && size != 8) || (offset & (size - 1))) {
		if (!write)
			*val = 0;
		return;
	}
	cur = reg_read(h, reg);
	if (!write) {
		*val = (cur >> shift) & mask;
		return;
	}
	reg_write(h, reg, (cur & ~(mask << shift)) | ((*val & mask) << shift));
}

static void hpet_reset(struct device *dev)
{
	struct hpet *h = (struct hpet *)dev;
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		set_line(h, n, false);
		vtimer_cancel(dev->vm, &h->vt[n]);
		h->t[n] = (struct hpet_timer){
			.config = TN_PER_CAP | TN_SIZE_CAP | TN_FSB_CAP | ROUTE_CAP << 32,
			.cmp = ~0ull,
		};
	}
	h->config = h->isr = h->counter0 = 0;
	h->start = vclock_now(dev->vm);
}

static void hpet_save(const struct device *dev, void *buf)
{
	const struct hpet *h = (const struct hpet *)dev;
	struct hpet_image img;
	memset(&img, 0, sizeof img);
	img.version = HPET_STATE_VERSION;
	img.config = h->config;
	img.isr = h->isr;
	img.counter = counter(h, vclock_now(dev->vm));
	memcpy(img.t, h->t, sizeof img.t);
	memcpy(buf, &img, sizeof img);
}

static status_t hpet_restore(struct device *dev, const void *buf, size_t len)
{
	struct hpet *h = (struct hpet *)dev;
	struct hpet_image img;
	if (len != sizeof img)
		return ST_ECORRUPT;
	memcpy(&img, buf, sizeof img);
	if (img.version != HPET_STATE_VERSION || (img.config & ~3ull) ||
	    (img.isr & ~7ull))
		return ST_ECORRUPT;
	hpet_reset(dev);
	h->config = img.config;
	h->isr = img.isr;
	h->counter0 = img.counter; /* the counter goes on from its saved value */
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		h->t[n].config = (h->t[n].config & ~TN_WRITABLE) |
				 (img.t[n].config & TN_WRITABLE);
		h->t[n].cmp = img.t[n].cmp;
		h->t[n].period = img.t[n].period;
		h->t[n].fsb = img.t[n].fsb;
		if (h->isr & (1ull << n))
			set_line(h, n, true);
	}
	rearm_all(h);
	return ST_OK;
}

struct device *hpet_create(struct vm *vm)
{
	struct hpet *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->dev = (struct device){
		.name = "hpet", .vm = vm, .access = hpet_access,
		.state_size = sizeof(struct hpet_image), .save = hpet_save,
		.restore = hpet_restore, .reset = hpet_reset,
	};
	for (unsigned n = 0; n < HPET_TIMERS; n++) {
		h->vt[n].fire = hpet_fire;
		h->vt[n].ctx = h;
	}
	if (bus_claim(&vm->bus, BUS_MMIO, HPET_BASE, HPET_SIZE, &h->dev, 0)) {
		free(h);
		return NULL;
	}
	hpet_reset(&h->dev);
	return &h->dev;
}
