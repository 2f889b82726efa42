/* acpi_pm.c: the ACPI PM I/O block at ACPI_PM_BASE (hv/acpi.h): PM1a
 * status/enable (ACPI 6.4, 4.8.3.1), PM1a control (4.8.3.2) and the
 * 32-bit PM timer at 3.579545 MHz (4.8.3.3). No SMM: SCI_EN reads 1.
 * SLP_EN with SLP_TYP 5 (\_S5) or 0 (QEMU's S5 value) powers the VM off;
 * other sleep types are not supported and wake at once (WAK_STS set). */
#include <stdlib.h>
#include <string.h>
#include "hv/acpi.h"
#include "hv/dev/acpi_devices.h"
#include "hv/irq.h"
#include "hv/vm.h"

#define PM_STATE_VERSION 1

/* Register offsets in the block. */
enum { PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4, PM_TMR = 8 };

/* PM1 status and enable bits (4.8.3.1.1, 4.8.3.1.2). */
enum {
	STS_TMR = 1u << 0, STS_BM = 1u << 4, STS_GBL = 1u << 5,
	STS_PWRBTN = 1u << 8, STS_SLPBTN = 1u << 9, STS_RTC = 1u << 10,
	STS_PCIEXP_WAKE = 1u << 14, STS_WAK = 1u << 15,
};
#define STS_MASK (STS_TMR | STS_BM | STS_GBL | STS_PWRBTN | STS_SLPBTN | \
		  STS_RTC | STS_PCIEXP_WAKE | STS_WAK)
#define EN_MASK (STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC | \
		 STS_PCIEXP_WAKE)
/* Events that raise the SCI when both status and enable are set. */
#define SCI_EVENTS (STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC)

/* PM1 control bits (4.8.3.2.1). */
enum {
	CNT_SCI_EN = 1u << 0, CNT_BM_RLD = 1u << 1, CNT_GBL_RLS = 1u << 2,
	CNT_SLP_EN = 1u << 13,
};
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_TYP_MASK (7u << CNT_SLP_TYP_SHIFT)
#define CNT_STORED (CNT_BM_RLD | CNT_SLP_TYP_MASK)

/* The saved image. The PM timer is stored as its value at save time and
 * continues from there at whatever clock the restore happens. */
struct pm_state {
	uint32_t version;
	uint16_t sts, en, cnt;
	uint8_t tmr_msb;           /* bit 31 of the timer last seen */
	uint8_t pad;
	uint32_t tmr;
};

struct acpi_pm {
	struct device dev;
	struct pm_state s;
	uint64_t base_clock;       /* the timer read base_count here */
	uint32_t base_count;
	struct vtimer msb_timer;   /* fires when timer bit 31 toggles */
};

/* floor(a * b / c) mod 2^64 without a 128-bit division (the hypervisor
 * has no libgcc): exact while (c - 1) * b fits in 64 bits, which holds
 * for any clock below 4 THz; otherwise a bitwise long division. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	if (b <= UINT64_MAX / c)
		return (a / c) * b + (a % c) * b / c;
	unsigned __int128 n = (unsigned __int128)a * b, r = 0;
	uint64_t q = 0;
	for (int i = 127; i >= 0; i--) {
		r = (r << 1) | (uint64_t)((n >> i) & 1);
		q <<= 1;
		if (r >= c)
			r -= c, q |= 1;
	}
	return q;
}

static uint64_t ticks_since_base(struct acpi_pm *p)
{
	struct vm *vm = p->dev.vm;
	return muldiv(vclock_now(vm) - p->base_clock, ACPI_PM_TMR_HZ,
		      vclock_hz(vm));
}

static uint32_t timer_value(struct acpi_pm *p)
{
	return (uint32_t)(p->base_count + ticks_since_base(p));
}

static void update_sci(struct acpi_pm *p)
{
	irq_set(p->dev.vm, ACPI_SCI_IRQ, (p->s.sts & p->s.en & SCI_EVENTS) != 0);
}

/* TMR_STS is set whenever bit 31 of the timer changes (4.8.3.3, with
 * TMR_VAL_EXT). Checked on every status read and by msb_timer. */
static void check_msb(struct acpi_pm *p)
{
	uint8_t msb = (uint8_t)(timer_value(p) >> 31);
	if (msb != p->s.tmr_msb) {
		p->s.tmr_msb = msb;
		p->s.sts |= STS_TMR;
		update_sci(p);
	}
}

/* Arms msb_timer at the first clock at which bit 31 has toggled. */
static void arm_msb_timer(struct acpi_pm *p)
{
	struct vm *vm = p->dev.vm;
	uint64_t done = ticks_since_base(p);
	uint32_t now = (uint32_t)(p->base_count + done);
	uint64_t target = done + ((1ull << 31) - (now & 0x7fffffffu));
	vtimer_arm(vm, &p->msb_timer, p->base_clock + 1 +
		   muldiv(target, vclock_hz(vm), ACPI_PM_TMR_HZ));
}

static void msb_fire(struct vtimer *t)
{
	struct acpi_pm *p = t->ctx;
	check_msb(p);
	arm_msb_timer(p);
}

static void write_cnt(struct acpi_pm *p, uint16_t v)
{
	p->s.cnt = v & CNT_STORED;
	if (!(v & CNT_SLP_EN))
		return;
	unsigned typ = (v & CNT_SLP_TYP_MASK) >> CNT_SLP_TYP_SHIFT;
	if (typ == ACPI_SLP_TYP_S5 || typ == ACPI_SLP_TYP_S5_QEMU) {
		vm_stop(p->dev.vm, VM_POWER_OFF, 0, "guest entered ACPI S5");
		return;
	}
	/* S1-S4 are not announced; a guest that asks anyway wakes at once
	 * instead of spinning on WAK_STS forever. */
	p->s.sts |= STS_WAK;
}

/* The 12-byte register file as the guest reads it. */
static void read_regs(struct acpi_pm *p, uint8_t r[ACPI_PM_LEN])
{
	uint16_t cnt = p->s.cnt | CNT_SCI_EN;
	uint32_t tmr = timer_value(p);
	check_msb(p);
	memset(r, 0, ACPI_PM_LEN);
	memcpy(r + PM1_STS, &p->s.sts, 2);
	memcpy(r + PM1_EN, &p->s.en, 2);
	memcpy(r + PM1_CNT, &cnt, 2);
	memcpy(r + PM_TMR, &tmr, 4);
}

/* Writes one byte; a 16-bit control write arrives low byte first, so
 * SLP_TYP and SLP_EN (both in the high byte) act together. */
static void write_byte(struct acpi_pm *p, unsigned off, uint8_t b)
{
	unsigned sh = (off & 1) * 8;
	uint16_t mask = (uint16_t)(0xffu << sh), v = (uint16_t)(b << sh);
	switch (off & ~1u) {
	case PM1_STS:
		p->s.sts &= (uint16_t)~v; /* write 1 to clear */
		update_sci(p);
		break;
	case PM1_EN:
		p->s.en = (uint16_t)(((p->s.en & ~mask) | v) & EN_MASK);
		update_sci(p);
		break;
	case PM1_CNT:
		write_cnt(p, (uint16_t)((p->s.cnt & ~mask) | v));
		break;
	default:
		break; /* PM timer and the gap: read-only */
	}
}

static void pm_access(struct device *dev, int region, uint64_t offset,
		      unsigned size, bool write, uint64_t *val)
{
	struct acpi_pm *p = (struct acpi_pm *)dev;
	(void)region;
	if (write) {
		for (unsigned i = 0; i < size && offset + i < ACPI_PM_LEN; i++)
			write_byte(p, (unsigned)offset + i, (uint8_t)(*val >> 8 * i));
		return;
	}
	uint8_t r[ACPI_PM_LEN];
	uint64_t v = 0;
	read_regs(p, r);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(offset + i < ACPI_PM_LEN ? r[offset + i] : 0xff)
		     << 8 * i;
	*val = v;
}

static void pm_save(const struct device *dev, void *buf)
{
	struct acpi_pm *p = (struct acpi_pm *)dev;
	struct pm_state s = p->s;
	s.tmr = timer_value(p);
	memcpy(buf, &s, sizeof s);
}

/* Restarts the timer at `count` from the current clock. */
static void restart_timer(struct acpi_pm *p, uint32_t count)
{
	p->base_clock = vclock_now(p->dev.vm);
	p->base_count = count;
	arm_msb_timer(p);
}

static status_t pm_restore(struct device *dev, const void *buf, size_t len)
{
	struct acpi_pm *p = (struct acpi_pm *)dev;
	struct pm_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != PM_STATE_VERSION || (s.sts & ~STS_MASK) ||
	    (s.en & ~EN_MASK) || (s.cnt & ~CNT_STORED) || s.tmr_msb > 1 ||
	    s.pad)
		return ST_ECORRUPT;
	p->s = s;
	restart_timer(p, s.tmr);
	update_sci(p);
	return ST_OK;
}

static void pm_reset(struct device *dev)
{
	struct acpi_pm *p = (struct acpi_pm *)dev;
	memset(&p->s, 0, sizeof p->s);
	p->s.version = PM_STATE_VERSION;
	restart_timer(p, 0);
	update_sci(p);
}

void acpi_pm_power_button(struct device *dev)
{
	struct acpi_pm *p = (struct acpi_pm *)dev;
	p->s.sts |= STS_PWRBTN;
	update_sci(p);
}

struct device *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->dev = (struct device){
		.name = "acpi-pm", .vm = vm, .access = pm_access,
		.state_size = sizeof(struct pm_state), .save = pm_save,
		.restore = pm_restore, .reset = pm_reset,
	};
	p->msb_timer = (struct vtimer){ .fire = msb_fire, .ctx = p };
	if (bus_claim(&vm->bus, BUS_PIO, ACPI_PM_BASE, ACPI_PM_LEN, &p->dev, 0))
		goto fail;
	pm_reset(&p->dev);
	return &p->dev;
fail:
	free(p);
	return NULL;
}
