/* i8042.c: a minimal 8042 keyboard controller (ports 0x60 data, 0x64
 * status/command; IBM PC/AT Technical Reference, "Keyboard Controller")
 * with no keyboard or mouse attached. It runs the controller commands
 * OSes use at boot: command byte, self-tests, port enables, output port
 * (A20 bit kept, not enforced) and the reset line: pulsing it (0xFE, or
 * writing output port bit 0 as 0) resets the machine. A byte sent to the
 * absent keyboard or mouse times out as on hardware: the controller
 * answers 0xFE with the time-out status bit, so Linux's atkbd sees a NAK
 * at once and gives up (no keyboard) instead of waiting for replies. */
#include <stdlib.h>
#include <string.h>
#include "hv/acpi.h"
#include "hv/dev/acpi_devices.h"
#include "hv/irq.h"
#include "hv/vm.h"

#define KBC_STATE_VERSION 1
#define KBC_DATA 0x60
#define KBC_CMD 0x64

/* Status register. */
enum {
	STR_OBF = 1u << 0, STR_IBF = 1u << 1, STR_SYS = 1u << 2,
	STR_CMD = 1u << 3, STR_UNLOCKED = 1u << 4, STR_AUXDATA = 1u << 5,
	STR_TIMEOUT = 1u << 6,
};
/* Controller command byte ("CTR"). */
enum {
	CTR_KBDINT = 1u << 0, CTR_AUXINT = 1u << 1, CTR_SYS = 1u << 2,
	CTR_KBDDIS = 1u << 4, CTR_AUXDIS = 1u << 5, CTR_XLATE = 1u << 6,
};
/* Output port: bit 0 is the CPU reset line (active low), bit 1 A20. */
enum { OUT_RESET = 1u << 0, OUT_A20 = 1u << 1 };

/* The command byte a PC BIOS leaves: keyboard interrupt, system flag,
 * scancode translation. */
#define CTR_POWER_ON (CTR_KBDINT | CTR_SYS | CTR_XLATE)
#define OUT_POWER_ON (OUT_RESET | OUT_A20)
#define NAK 0xfe

struct kbc_state {
	uint32_t version;
	uint8_t ctr, outport;
	uint8_t obuf, obf;         /* output buffer and whether it is full */
	uint8_t aux, timeout;      /* where the byte came from, time-out */
	uint8_t pending;           /* command awaiting its data byte, or 0 */
	uint8_t last_cmd;          /* the last write went to 0x64 */
};

struct kbc {
	struct device dev;
	struct kbc_state s;
};

static void reset_line(struct kbc *k)
{
	vm_stop(k->dev.vm, VM_RESET, 0,
		"guest pulsed the keyboard controller's reset line");
}

/* Fills the output buffer (the previous byte, if unread, is lost) and
 * raises IRQ 1 or 12 when the command byte enables it (edge). */
static void output(struct kbc *k, uint8_t b, bool aux, bool timeout)
{
	k->s.obuf = b;
	k->s.obf = 1;
	k->s.aux = aux;
	k->s.timeout = timeout;
	if (aux ? (k->s.ctr & CTR_AUXINT) : (k->s.ctr & CTR_KBDINT))
		irq_pulse(k->dev.vm, aux ? ACPI_IRQ_AUX : ACPI_IRQ_KBD);
}

static uint8_t read_status(const struct kbc *k)
{
	uint8_t st = STR_SYS | STR_UNLOCKED;
	if (k->s.obf)
		st |= STR_OBF | (k->s.aux ? STR_AUXDATA : 0) |
		      (k->s.timeout ? STR_TIMEOUT : 0);
	if (k->s.last_cmd)
		st |= STR_CMD;
	return st;
}

static uint8_t read_data(struct kbc *k)
{
	k->s.obf = 0;
	k->s.aux = 0;
	k->s.timeout = 0;
	return k->s.obuf; /* an empty buffer reads the last byte again */
}

static void write_outport(struct kbc *k, uint8_t v)
{
	k->s.outport = v;
	if (!(v & OUT_RESET))
		reset_line(k);
}

static void command(struct kbc *k, uint8_t cmd)
{
	k->s.pending = 0;
	switch (cmd) {
	case 0x20: output(k, k->s.ctr, false, false); break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		k->s.pending = cmd;
		break;
	case 0xa7: k->s.ctr |= CTR_AUXDIS; break;
	case 0xa8: k->s.ctr &= (uint8_t)~CTR_AUXDIS; break;
	case 0xa9: output(k, 0x00, false, false); break; /* aux port OK */
	case 0xaa: output(k, 0x55, false, false); break; /* self-test OK */
	case 0xab: output(k, 0x00, false, false); break; /* kbd port OK */
	case 0xad: k->s.ctr |= CTR_KBDDIS; break;
	case 0xae: k->s.ctr &= (uint8_t)~CTR_KBDDIS; break;
	case 0xc0: output(k, 0x00, false, false); break; /* input port */
	case 0xd0: output(k, k->s.outport, false, false); break;
	case 0xdd: k->s.outport &= (uint8_t)~OUT_A20; break;
	case 0xdf: k->s.outport |= OUT_A20; break;
	case 0xe0: output(k, 0x00, false, false); break; /* test inputs */
	default:
		/* 0xF0-0xFF pulse output lines whose bit is 0; bit 0 is reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			reset_line(k);
		break; /* other commands (RAM bytes, passwords) are ignored */
	}
}

static void data(struct kbc *k, uint8_t v)
{
	uint8_t cmd = k->s.pending;
	k->s.pending = 0;
	switch (cmd) {
	case 0x60: k->s.ctr = v; break;
	case 0xd1: write_outport(k, v); break;
	case 0xd2: output(k, v, false, false); break;
	case 0xd3: output(k, v, true, false); break;
	case 0xd4: output(k, NAK, true, true); break;   /* no mouse */
	default: output(k, NAK, false, true); break;    /* no keyboard */
	}
}

static void kbc_access(struct device *dev, int region, uint64_t offset,
		       unsigned size, bool write, uint64_t *val)
{
	struct kbc *k = (struct kbc *)dev;
	(void)offset;
	(void)size; /* wider accesses reach the one register only */
	if (write) {
		k->s.last_cmd = region == 1;
		if (region == 1)
			command(k, (uint8_t)*val);
		else
			data(k, (uint8_t)*val);
		return;
	}
	uint8_t b = region == 1 ? read_status(k) : read_data(k);
	*val = (*val & ~0xffull) | b;
}

static void kbc_save(const struct device *dev, void *buf)
{
	memcpy(buf, &((const struct kbc *)dev)->s, sizeof(struct kbc_state));
}

static bool pending_ok(uint8_t c)
{
	return c == 0 || c == 0x60 || (c >= 0xd1 && c <= 0xd4);
}

static status_t kbc_restore(struct device *dev, const void *buf, size_t len)
{
	struct kbc_state s;
	if (len != sizeof s)
		return ST_ECORRUPT;
	memcpy(&s, buf, sizeof s);
	if (s.version != KBC_STATE_VERSION || s.obf > 1 || s.aux > 1 ||
	    s.timeout > 1 || s.last_cmd > 1 || !pending_ok(s.pending))
		return ST_ECORRUPT;
	((struct kbc *)dev)->s = s;
	return ST_OK;
}

static void kbc_reset(struct device *dev)
{
	struct kbc *k = (struct kbc *)dev;
	memset(&k->s, 0, sizeof k->s);
	k->s.version = KBC_STATE_VERSION;
	k->s.ctr = CTR_POWER_ON;
	k->s.outport = OUT_POWER_ON;
}

struct device *i8042_create(struct vm *vm)
{
	struct kbc *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->dev = (struct device){
		.name = "i8042", .vm = vm, .access = kbc_access,
		.state_size = sizeof(struct kbc_state), .save = kbc_save,
		.restore = kbc_restore, .reset = kbc_reset,
	};
	kbc_reset(&k->dev);
	if (bus_claim(&vm->bus, BUS_PIO, KBC_DATA, 1, &k->dev, 0))
		goto fail;
	if (bus_claim(&vm->bus, BUS_PIO, KBC_CMD, 1, &k->dev, 1))
		goto fail_release;
	return &k->dev;
fail_release:
	bus_release(&vm->bus, &k->dev, 0);
fail:
	free(k);
	return NULL;
}
