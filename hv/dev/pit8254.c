/* pit8254.c: the Intel 8254 programmable interval timer (datasheet
 * 231164) at ports 0x40-0x43, clocked at 1.193182 MHz, and PC system
 * control port B (0x61: channel 2 gate and OUT, speaker enable, refresh
 * toggle). Counts are computed on demand from the virtual clock, never
 * ticked; channel 0's OUT rising edges pulse IRQ 0 from a vtimer armed
 * at the next edge. All six modes, latches, read-back and BCD. */
#include <stdlib.h>
#include <string.h>
#include "hv/dev/device.h"
#include "hv/dev/muldiv.h"
#include "hv/dev/pc_devices.h"
#include "hv/irq.h"
#include "hv/vclock.h"
#include "hv/vm.h"

#define PIT_HZ 1193182ull
#define PIT_STATE_VERSION 1
#define NO_EDGE UINT64_MAX
/* DRAM refresh request: channel 1 at count 18 (15.085 us) on the AT. */
#define REFRESH_TICKS 18

/* Where a counter is in its mode's sequence (231164, "Operating Modes"). */
enum phase {
	PH_NOCOUNT, /* control word written, no count yet */
	PH_WAIT,    /* count written, waiting for a gate rising edge */
	PH_RUN,     /* counting since `start` */
};

/* One counter. Times are clock values; ticks count the 1.193182 MHz
 * input since `start`. In the saved image start and paused_at become
 * distances back from the clock at the save. */
struct chan {
	uint64_t start, paused_at;
	uint64_t tick0;        /* the current period began this many ticks in */
	uint64_t pending_tick; /* modes 2/3: the new count loads here */
	uint32_t cr, n;        /* written count and the one counting (1..M) */
	uint16_t hold, latch;  /* count shown when not running; latched count */
	uint8_t mode, access, bcd, phase, paused, pending, gate, null_count;
	uint8_t wr_msb, wr_lsb, rd_msb, latch_n, status_latched, status, pad[2];
};

struct pit_image {
	uint32_t version;
	uint8_t port61, pad[3];
	uint64_t hz;
	struct chan ch[3];
};

struct pit {
	struct device dev;
	struct chan ch[3];
	uint8_t port61;
	struct vtimer timer;
};

static uint64_t modulus(const struct chan *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint64_t ticks(struct pit *p, const struct chan *c, uint64_t now)
{
	uint64_t t = c->paused ? c->paused_at : now;
	return muldiv(t - c->start, PIT_HZ, vclock_hz(p->dev.vm));
}

/* Modes 2 and 3 take a count written while counting at the end of the
 * current period (231164, modes 2 and 3). */
static void settle(struct pit *p, struct chan *c, uint64_t now)
{
	if (c->phase == PH_RUN && c->pending &&
	    ticks(p, c, now) >= c->pending_tick) {
		c->tick0 = c->pending_tick;
		c->n = c->cr;
		c->pending = 0;
		c->null_count = 0;
	}
}

/* Count and OUT k ticks after a counter was loaded with n. The load is
 * taken at the write itself, so OUT in mode 0 rises exactly n ticks
 * after the count is written (the datasheet's extra loading pulse is
 * folded in, as software calibrating against the PIT expects). */
static void run_state(const struct chan *c, uint64_t k, uint64_t *count,
		      bool *out)
{
	uint64_t n = c->n, m = modulus(c), ph, half;
	switch (c->mode) {
	case 0:
	case 1: /* OUT low until terminal count; the counter wraps on */
		*count = (n + m - k % m) % m;
		*out = k >= n;
		break;
	case 4:
	case 5: /* OUT low for the one tick at terminal count */
		*count = (n + m - k % m) % m;
		*out = k != n;
		break;
	case 2: /* n, n-1, ... 1 (OUT low), reload */
		ph = k % n;
		*count = n - ph;
		*out = n == 1 || ph != n - 1;
		break;
	default: /* 3: high for ceil(n/2), low for floor(n/2), counting by 2 */
		ph = k % n;
		half = (n + 1) / 2;
		*out = ph < half;
		*count = (n & ~1ull) - 2 * (ph < half ? ph : ph - half);
		break;
	}
}

static void chan_state(struct pit *p, struct chan *c, uint64_t now,
		       uint64_t *count, bool *out)
{
	settle(p, c, now);
	if (c->phase == PH_RUN) {
		run_state(c, ticks(p, c, now) - c->tick0, count, out);
	} else {
		*count = c->hold;
		*out = c->phase == PH_WAIT || c->mode != 0;
	}
	*count %= modulus(c);
}

/* The tick (since start) of the next rising edge of OUT, or NO_EDGE. */
static uint64_t next_edge(struct pit *p, struct chan *c, uint64_t now)
{
	settle(p, c, now);
	if (c->phase != PH_RUN || c->paused)
		return NO_EDGE;
	uint64_t k = ticks(p, c, now) - c->tick0, n = c->n, e;
	switch (c->mode) {
	case 0:
	case 1: e = n; break;
	case 4:
	case 5: e = n + 1; break;
	default:
		if (n == 1)
			return NO_EDGE; /* OUT never changes */
		e = (k / n + 1) * n;
		break;
	}
	return e > k ? c->tick0 + e : NO_EDGE;
}

/* Channel 0 drives IRQ 0: the timer waits for its next rising edge. */
static void rearm(struct pit *p)
{
	struct vm *vm = p->dev.vm;
	struct chan *c = &p->ch[0];
	uint64_t e = next_edge(p, c, vclock_now(vm));
	if (e == NO_EDGE)
		vtimer_cancel(vm, &p->timer);
	else
		vtimer_arm(vm, &p->timer,
			   c->start + muldiv_ceil(e, vclock_hz(vm), PIT_HZ));
}

/* Every change of channel 0 re-arms, so a firing timer is a real edge.
 * A service loop running late delivers one pulse, not a burst. */
static void pit_fire(struct vtimer *t)
{
	struct pit *p = t->ctx;
	irq_pulse(p->dev.vm, 0);
	rearm(p);
}

static void start_run(struct chan *c, uint64_t now)
{
	c->n = c->cr;
	c->start = now;
	c->tick0 = 0;
	c->phase = PH_RUN;
	c->paused = 0;
	c->pending = 0;
	c->null_count = 0;
}

static uint16_t to_bcd(uint64_t v)
{
	return (uint16_t)(v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000 % 10) << 12);
}

static uint64_t from_bcd(uint16_t v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 +
	       (v >> 12 & 15) * 1000ull;
}

static uint16_t shown(struct pit *p, struct chan *c, uint64_t now)
{
	uint64_t count;
	bool out;
	chan_state(p, c, now, &count, &out);
	return c->bcd ? to_bcd(count) : (uint16_t)count;
}

static void load_count(struct pit *p, struct chan *c, uint16_t v,
		       uint64_t now)
{
	uint64_t m = modulus(c), n = c->bcd ? from_bcd(v) % m : v;
	settle(p, c, now);
	c->cr = (uint32_t)(n ? n : m);
	c->null_count = 1;
	switch (c->mode) {
	case 0:
	case 4: /* software triggered: counts from now, while the gate is high */
		start_run(c, now);
		c->paused = !c->gate;
		c->paused_at = now;
		break;
	case 1:
	case 5: /* hardware triggered: the next gate rising edge loads it */
		if (c->phase == PH_NOCOUNT) {
			c->phase = PH_WAIT;
			c->hold = (uint16_t)(c->cr % m);
		}
		break;
	default:
		if (c->phase == PH_RUN) {
			uint64_t k = ticks(p, c, now) - c->tick0;
			c->pending = 1;
			c->pending_tick = c->tick0 + (k / c->n + 1) * c->n;
		} else if (c->gate) {
			start_run(c, now);
		} else {
			c->phase = PH_WAIT;
			c->hold = (uint16_t)(c->cr % m);
		}
		break;
	}
}

static void write_count(struct pit *p, struct chan *c, uint8_t v)
{
	uint64_t now = vclock_now(p->dev.vm);
	switch (c->access) {
	case 1: load_count(p, c, v, now); break;
	case 2: load_count(p, c, (uint16_t)(v << 8), now); break;
	default:
		if (!c->wr_msb) {
			/* Mode 0: the first byte stops the count, OUT low. */
			if (c->mode == 0 && c->phase == PH_RUN) {
				uint64_t count;
				bool out;
				chan_state(p, c, now, &count, &out);
				c->hold = (uint16_t)count;
				c->phase = PH_NOCOUNT;
			}
			c->wr_lsb = v;
			c->wr_msb = 1;
			return;
		}
		c->wr_msb = 0;
		load_count(p, c, (uint16_t)(c->wr_lsb | v << 8), now);
		break;
	}
}

static void latch_count(struct pit *p, struct chan *c)
{
	if (c->latch_n)
		return; /* a second latch before the read is ignored */
	c->latch = shown(p, c, vclock_now(p->dev.vm));
	c->latch_n = c->access == 3 ? 2 : 1;
}

/* Status byte (231164, "Read-Back Command"): OUT, null count, RW, mode,
 * BCD. */
static void latch_status(struct pit *p, struct chan *c)
{
	uint64_t count;
	bool out;
	if (c->status_latched)
		return;
	chan_state(p, c, vclock_now(p->dev.vm), &count, &out);
	c->status = (uint8_t)(out << 7 | c->null_count << 6 | c->access << 4 |
			      c->mode << 1 | c->bcd);
	c->status_latched = 1;
}

static uint8_t read_count(struct pit *p, struct chan *c)
{
	uint16_t v;
	bool msb;
	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->latch_n) {
		v = c->latch;
		c->latch_n--;
	} else {
		v = shown(p, c, vclock_now(p->dev.vm));
	}
	msb = c->access == 2 || (c->access == 3 && c->rd_msb);
	if (c->access == 3)
		c->rd_msb ^= 1;
	return (uint8_t)(msb ? v >> 8 : v);
}

/* Control word at 0x43 (231164, "Control Word Format"): SC, RW, M, BCD.
 * SC=3 is the read-back command, RW=0 the counter latch command. */
static void write_control(struct pit *p, uint8_t v)
{
	unsigned sc = v >> 6, rw = v >> 4 & 3, mode = v >> 1 & 7;
	if (sc == 3) {
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & 2u << i))
				continue;
			if (!(v & 0x20))
				latch_count(p, &p->ch[i]);
			if (!(v & 0x10))
				latch_status(p, &p->ch[i]);
		}
		return;
	}
	struct chan *c = &p->ch[sc];
	if (!rw) {
		latch_count(p, c);
		return;
	}
	uint64_t count;
	bool out;
	chan_state(p, c, vclock_now(p->dev.vm), &count, &out);
	c->hold = (uint16_t)count;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
	c->access = (uint8_t)rw;
	c->bcd = v & 1;
	c->phase = PH_NOCOUNT;
	c->null_count = 1;
	c->paused = c->pending = 0;
	c->wr_msb = c->rd_msb = 0;
	c->latch_n = c->status_latched = 0;
	if (sc == 0)
		rearm(p);
}

/* Gate operations (231164, "Gate Pin Operations Summary"). */
static void set_gate(struct pit *p, struct chan *c, bool gate)
{
	uint64_t now = vclock_now(p->dev.vm), count;
	bool out;
	settle(p, c, now);
	if (c->gate == gate)
		return;
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4: /* the gate enables counting */
		if (c->phase != PH_RUN)
			break;
		if (!gate) {
			c->paused = 1;
			c->paused_at = now;
		} else if (c->paused) {
			c->start += now - c->paused_at;
			c->paused = 0;
		}
		break;
	case 1:
	case 5: /* a rising edge (re)triggers */
		if (gate && c->phase != PH_NOCOUNT)
			start_run(c, now);
		break;
	default: /* low stops with OUT high; a rising edge reloads */
		if (!gate && c->phase == PH_RUN) {
			chan_state(p, c, now, &count, &out);
			c->hold = (uint16_t)count;
			c->phase = PH_WAIT;
			c->pending = 0;
		} else if (gate && c->phase != PH_NOCOUNT) {
			start_run(c, now);
		}
		break;
	}
}

/* Port 0x61, PC system control port B: bit 0 channel 2 gate, bit 1
 * speaker data, bits 2-3 kept, bit 4 refresh toggle, bit 5 channel 2
 * OUT. Bits 6-7 (parity/IOCHK errors) read 0. */
static uint8_t read_port61(struct pit *p)
{
	struct vm *vm = p->dev.vm;
	uint64_t now = vclock_now(vm), count;
	uint64_t refresh = muldiv(now, PIT_HZ, vclock_hz(vm)) / REFRESH_TICKS;
	bool out;
	chan_state(p, &p->ch[2], now, &count, &out);
	return (uint8_t)((p->port61 & 0x0f) | (refresh & 1) << 4 | out << 5);
}

static void pit_access(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val)
{
	struct pit *p = (struct pit *)dev;
	uint8_t v = (uint8_t)*val;
	(void)size; /* wider accesses reach the first port only */
	if (region == 1) {
		if (!write) {
			*val = (*val & ~0xffull) | read_port61(p);
			return;
		}
		p->port61 = v & 0x0f;
		set_gate(p, &p->ch[2], v & 1);
		return;
	}
	if (offset == 3) {
		if (write)
			write_control(p, v);
		return; /* the control port reads as open bus */
	}
	struct chan *c = &p->ch[offset];
	if (write)
		write_count(p, c, v);
	else
		*val = (*val & ~0xffull) | read_count(p, c);
	if (offset == 0)
		rearm(p);
}

/* Power-on: each counter in mode 3, LSB then MSB, count 65536 loaded
 * (what QEMU and a PC after its BIOS present); gates of channels 0 and 1
 * tied high, channel 2's low until port 0x61 raises it. */
static void pit_reset(struct device *dev)
{
	struct pit *p = (struct pit *)dev;
	uint64_t now = vclock_now(dev->vm);
	memset(p->ch, 0, sizeof p->ch);
	p->port61 = 0;
	for (unsigned i = 0; i < 3; i++) {
		struct chan *c = &p->ch[i];
		c->mode = 3;
		c->access = 3;
		c->gate = i != 2;
		c->cr = 65536;
		if (c->gate)
			start_run(c, now);
		else
			c->phase = PH_WAIT;
	}
	rearm(p);
}

static void pit_save(const struct device *dev, void *buf)
{
	const struct pit *p = (const struct pit *)dev;
	struct pit_image img;
	uint64_t now = vclock_now(dev->vm);
	memset(&img, 0, sizeof img);
	img.version = PIT_STATE_VERSION;
	img.port61 = p->port61;
	img.hz = vclock_hz(dev->vm);
	for (unsigned i = 0; i < 3; i++) {
		img.ch[i] = p->ch[i];
		img.ch[i].start = now - p->ch[i].start;
		img.ch[i].paused_at = now - p->ch[i].paused_at;
	}
	memcpy(buf, &img, sizeof img);
}

static bool chan_valid(const struct chan *c)
{
	return c->mode <= 5 && c->access >= 1 && c->access <= 3 &&
	       c->bcd <= 1 && c->phase <= PH_RUN && c->paused <= 1 &&
	       c->pending <= 1 && c->gate <= 1 && c->null_count <= 1 &&
	       c->wr_msb <= 1 && c->rd_msb <= 1 && c->latch_n <= 2 &&
	       c->status_latched <= 1 && c->cr >= 1 && c->cr <= modulus(c) &&
	       c->n <= modulus(c); /* 0 until the channel first counts */
}

static status_t pit_restore(struct device *dev, const void *buf, size_t len)
{
	struct pit *p = (struct pit *)dev;
	struct pit_image img;
	uint64_t now = vclock_now(dev->vm), hz = vclock_hz(dev->vm);
	if (len != sizeof img)
		return ST_ECORRUPT;
	memcpy(&img, buf, sizeof img);
	if (img.version != PIT_STATE_VERSION || !img.hz)
		return ST_ECORRUPT;
	for (unsigned i = 0; i < 3; i++)
		if (!chan_valid(&img.ch[i]))
			return ST_ECORRUPT;
	for (unsigned i = 0; i < 3; i++) {
		struct chan *c = &img.ch[i];
		if (img.hz != hz) { /* carried to another clock rate */
			c->start = muldiv(c->start, hz, img.hz);
			c->paused_at = muldiv(c->paused_at, hz, img.hz);
		}
		c->start = now - c->start;
		c->paused_at = now - c->paused_at;
		p->ch[i] = *c;
	}
	p->port61 = img.port61 & 0x0f;
	rearm(p);
	return ST_OK;
}

struct device *pit8254_create(struct vm *vm)
{
	struct pit *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->dev = (struct device){
		.name = "pit8254", .vm = vm, .access = pit_access,
		.state_size = sizeof(struct pit_image), .save = pit_save,
		.restore = pit_restore, .reset = pit_reset,
	};
	p->timer.fire = pit_fire;
	p->timer.ctx = p;
	if (bus_claim(&vm->bus, BUS_PIO, 0x40, 4, &p->dev, 0))
		goto fail;
	if (bus_claim(&vm->bus, BUS_PIO, 0x61, 1, &p->dev, 1))
		goto fail_release;
	pit_reset(&p->dev);
	return &p->dev;
fail_release:
	bus_release(&vm->bus, &p->dev, 0);
fail:
	free(p);
	return NULL;
}
