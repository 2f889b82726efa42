/* acpi.c: writes the guest PC's ACPI tables (acpi.h) into guest RAM.
 * Layout of the table area, in this order, deterministic: RSDP at the
 * start (16-byte aligned for the legacy scan), FACS (64-byte aligned),
 * RSDT, XSDT, FADT, MADT, HPET, DSDT, each on a 16-byte boundary; the
 * rest of the area is zero. Structures: ACPI 6.4 chapter 5.2 (sections cited). */
#include <stdlib.h>
#include <string.h>
#include "hv/acpi.h"

#define OEM_ID "SNAPVS"
#define OEM_TABLE_ID "SNAPVSPC"
#define OEM_REVISION 1
#define CREATOR_ID "SNPV"
#define CREATOR_REVISION 1

/* 5.2.5.3: Root System Description Pointer, ACPI 2.0+ form. */
struct __attribute__((packed)) acpi_rsdp {
	char signature[8];
	uint8_t checksum;          /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;          /* 2 */
	uint32_t rsdt_addr;
	uint32_t length;           /* 36 */
	uint64_t xsdt_addr;
	uint8_t ext_checksum;      /* over all 36 bytes */
	uint8_t reserved[3];
};

/* 5.2.6: System Description Table Header. */
struct __attribute__((packed)) acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

/* 5.2.3.2: Generic Address Structure. */
struct __attribute__((packed)) acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
};
enum { GAS_SYSTEM_IO = 1 };
enum { GAS_ACCESS_BYTE = 1, GAS_ACCESS_WORD = 2, GAS_ACCESS_DWORD = 3 };

/* 5.2.9: Fixed ACPI Description Table, revision 6. */
struct __attribute__((packed)) acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk, x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
};

/* FADT Flags (5.2.9) and IA-PC boot architecture flags (5.2.9.3). */
enum {
	FADT_WBINVD = 1u << 0,
	FADT_PROC_C1 = 1u << 2,
	FADT_SLP_BUTTON = 1u << 5,
	FADT_TMR_VAL_EXT = 1u << 8,
	FADT_RESET_REG_SUP = 1u << 10,
};
enum { BOOT_LEGACY_DEVICES = 1u << 0, BOOT_8042 = 1u << 1 };

/* 5.2.10: Firmware ACPI Control Structure (no checksum). */
struct __attribute__((packed)) acpi_facs {
	char signature[4];
	uint32_t length;           /* 64 */
	uint32_t hardware_signature, firmware_waking_vector, global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;           /* 2 */
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
};

/* 5.2.12: MADT header, then interrupt controller entries. */
struct __attribute__((packed)) acpi_madt {
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
};
enum { MADT_PCAT_COMPAT = 1u << 0 };

/* 5.2.12.2: Processor Local APIC. */
struct __attribute__((packed)) madt_lapic {
	uint8_t type, length;      /* 0, 8 */
	uint8_t processor_uid, apic_id;
	uint32_t flags;            /* bit 0: enabled */
};
/* 5.2.12.3: I/O APIC. */
struct __attribute__((packed)) madt_ioapic {
	uint8_t type, length;      /* 1, 12 */
	uint8_t ioapic_id, reserved;
	uint32_t address, gsi_base;
};
/* 5.2.12.5: Interrupt Source Override; flags are MPS INTI flags
 * (5.2.12.5): polarity bits 0-1 (1 high, 3 low), trigger bits 2-3
 * (1 edge, 3 level), 0 = conforming to the bus. */
struct __attribute__((packed)) madt_iso {
	uint8_t type, length;      /* 2, 10 */
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
};
/* 5.2.12.7: Local APIC NMI. */
struct __attribute__((packed)) madt_lapic_nmi {
	uint8_t type, length;      /* 4, 6 */
	uint8_t processor_uid;     /* 0xFF: all processors */
	uint16_t flags;
	uint8_t lint;
};
enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4 };

/* IA-PC HPET specification 1.0a, 3.2.4: the HPET description table. */
struct __attribute__((packed)) acpi_hpet {
	struct acpi_header h;
	uint32_t event_timer_block_id; /* the low half of GCAP_ID */
	struct acpi_gas base;          /* system memory */
	uint8_t hpet_number;
	uint16_t min_tick;             /* minimum periodic tick */
	uint8_t page_protection;       /* 0: no guarantee */
};
enum { GAS_SYSTEM_MEMORY = 0 };
#define INTI_LEVEL_HIGH 0x000d

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header is 36 bytes");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 is 276 bytes");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET table is 56 bytes");
_Static_assert(sizeof(struct madt_lapic) == 8 && sizeof(struct madt_ioapic) == 12 &&
	       sizeof(struct madt_iso) == 10 && sizeof(struct madt_lapic_nmi) == 6,
	       "MADT entry sizes");

/* Offsets of the tables in the area (see the file header). */
struct layout {
	uint32_t rsdp, facs, rsdt, xsdt, fadt, madt, hpet, dsdt, end;
	uint32_t madt_len;
};

#define ALIGN16(x) (((x) + 15u) & ~15u)
#define NTABLES 3 /* FADT, MADT, HPET in the RSDT and the XSDT */
#define RSDT_LEN (sizeof(struct acpi_header) + 4 * NTABLES)
#define XSDT_LEN (sizeof(struct acpi_header) + 8 * NTABLES)

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (len--)
		sum = (uint8_t)(sum + *b++);
	return (uint8_t)-sum;
}

static void plan(struct layout *l, unsigned nvcpus)
{
	l->madt_len = (uint32_t)(sizeof(struct acpi_madt) +
				 nvcpus * sizeof(struct madt_lapic) +
				 sizeof(struct madt_ioapic) +
				 2 * sizeof(struct madt_iso) +
				 sizeof(struct madt_lapic_nmi));
	l->rsdp = 0;
	l->facs = 64;
	l->rsdt = l->facs + (uint32_t)sizeof(struct acpi_facs);
	l->xsdt = ALIGN16(l->rsdt + (uint32_t)RSDT_LEN);
	l->fadt = ALIGN16(l->xsdt + (uint32_t)XSDT_LEN);
	l->madt = ALIGN16(l->fadt + (uint32_t)sizeof(struct acpi_fadt));
	l->hpet = ALIGN16(l->madt + l->madt_len);
	l->dsdt = ALIGN16(l->hpet + (uint32_t)sizeof(struct acpi_hpet));
	l->end = l->dsdt + acpi_dsdt_aml_len;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len,
		   uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = CREATOR_REVISION;
}

/* The checksum byte makes the table's bytes sum to zero (5.2.6). */
static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = checksum(h, h->length);
}

static void build_rsdp(uint8_t *img, const struct layout *l, uint64_t base)
{
	struct acpi_rsdp *r = (void *)(img + l->rsdp);
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, OEM_ID, 6);
	r->revision = 2;
	r->rsdt_addr = (uint32_t)(base + l->rsdt);
	r->length = sizeof *r;
	r->xsdt_addr = base + l->xsdt;
	r->checksum = checksum(r, 20);
	r->ext_checksum = checksum(r, sizeof *r);
}

static void build_facs(uint8_t *img, const struct layout *l)
{
	struct acpi_facs *f = (void *)(img + l->facs);
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof *f;
	f->version = 2;
}

/* 5.2.7 and 5.2.8: entries are FADT, MADT, HPET (unaligned 64-bit in the
 * XSDT, hence memcpy). */
static void build_rsdt_xsdt(uint8_t *img, const struct layout *l,
			    uint64_t base)
{
	const uint32_t off[NTABLES] = { l->fadt, l->madt, l->hpet };
	struct acpi_header *r = (void *)(img + l->rsdt);
	struct acpi_header *x = (void *)(img + l->xsdt);
	header(r, "RSDT", RSDT_LEN, 1);
	header(x, "XSDT", XSDT_LEN, 1);
	for (unsigned i = 0; i < NTABLES; i++) {
		uint32_t a32 = (uint32_t)(base + off[i]);
		uint64_t a64 = base + off[i];
		memcpy(img + l->rsdt + sizeof *r + 4 * i, &a32, 4);
		memcpy(img + l->xsdt + sizeof *x + 8 * i, &a64, 8);
	}
	seal(r);
	seal(x);
}

static struct acpi_gas io_gas(uint32_t port, unsigned len, uint8_t access)
{
	return (struct acpi_gas){ .space_id = GAS_SYSTEM_IO,
				  .bit_width = (uint8_t)(len * 8),
				  .access_size = access, .address = port };
}

/* Flags: WBINVD works; HLT (C1) works; no sleep button (SLP_BUTTON set);
 * the power button is the fixed-feature one (PWR_BUTTON clear:
 * PWRBTN_STS in PM1, so the host can ask the guest to shut down);
 * 32-bit PM timer; the reset register works. No SMM: SMI_CMD 0 means
 * the machine is always in ACPI mode (SCI_EN reads 1). */
static void build_fadt(uint8_t *img, const struct layout *l, uint64_t base)
{
	struct acpi_fadt *f = (void *)(img + l->fadt);
	header(&f->h, "FACP", sizeof *f, 6);
	f->firmware_ctrl = (uint32_t)(base + l->facs);
	f->dsdt = (uint32_t)(base + l->dsdt);
	f->x_firmware_ctrl = base + l->facs;
	f->x_dsdt = base + l->dsdt;
	f->sci_int = ACPI_SCI_IRQ;
	f->pm1a_evt_blk = ACPI_PM1_EVT_BLK;
	f->pm1a_cnt_blk = ACPI_PM1_CNT_BLK;
	f->pm_tmr_blk = ACPI_PM_TMR_BLK;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->p_lvl2_lat = 101; /* > 100: C2 not supported */
	f->p_lvl3_lat = 1001; /* > 1000: C3 not supported */
	f->century = ACPI_RTC_CENTURY;
	f->iapc_boot_arch = BOOT_LEGACY_DEVICES | BOOT_8042;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
		   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
	f->reset_reg = io_gas(ACPI_RESET_PORT, 1, GAS_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
	f->minor_version = 4; /* ACPI 6.4 */
	f->x_pm1a_evt_blk = io_gas(ACPI_PM1_EVT_BLK, ACPI_PM1_EVT_LEN,
				   GAS_ACCESS_WORD);
	f->x_pm1a_cnt_blk = io_gas(ACPI_PM1_CNT_BLK, ACPI_PM1_CNT_LEN,
				   GAS_ACCESS_WORD);
	f->x_pm_tmr_blk = io_gas(ACPI_PM_TMR_BLK, ACPI_PM_TMR_LEN,
				 GAS_ACCESS_DWORD);
	memcpy(&f->hypervisor_vendor_id, "SnapVisr", 8);
	seal(&f->h);
}

static uint8_t *madt_entry(uint8_t **p, uint8_t type, uint8_t len)
{
	uint8_t *e = *p;
	e[0] = type;
	e[1] = len;
	*p += len;
	return e;
}

static void add_iso(uint8_t **p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	struct madt_iso *o = (void *)madt_entry(p, MADT_ISO, sizeof *o);
	o->source = irq;
	o->gsi = gsi;
	o->flags = flags;
}

static void build_madt(uint8_t *img, const struct layout *l, unsigned n)
{
	struct acpi_madt *m = (void *)(img + l->madt);
	uint8_t *p = img + l->madt + sizeof *m;
	header(&m->h, "APIC", l->madt_len, 5);
	m->lapic_addr = ACPI_LAPIC_BASE;
	m->flags = MADT_PCAT_COMPAT;
	for (unsigned i = 0; i < n; i++) {
		struct madt_lapic *c = (void *)madt_entry(&p, MADT_LAPIC, sizeof *c);
		c->processor_uid = (uint8_t)i;
		c->apic_id = (uint8_t)i;
		c->flags = 1;
	}
	struct madt_ioapic *io = (void *)madt_entry(&p, MADT_IOAPIC, sizeof *io);
	io->ioapic_id = (uint8_t)n;
	io->address = ACPI_IOAPIC_BASE;
	add_iso(&p, ACPI_IRQ_PIT, 2, 0);
	add_iso(&p, ACPI_SCI_IRQ, ACPI_SCI_IRQ, INTI_LEVEL_HIGH);
	struct madt_lapic_nmi *nmi = (void *)madt_entry(&p, MADT_LAPIC_NMI,
							sizeof *nmi);
	nmi->processor_uid = 0xff;
	nmi->lint = 1;
	seal(&m->h);
}

static status_t check_config(const struct acpi_config *cfg,
			     const struct layout *l)
{
	if (cfg->nvcpus < 1 || cfg->nvcpus > ACPI_MAX_VCPUS ||
	    cfg->table_base % 64)
		return ST_EINVAL;
	/* The RSDT and the FADT's 32-bit fields hold addresses below 4 GiB. */
	if (cfg->table_base > 0xffffffffull ||
	    cfg->table_size > 0x100000000ull - cfg->table_base)
		return ST_EINVAL;
	if (l->end > cfg->table_size)
		return ST_ENOSPC;
	return ST_OK;
}

/* The HPET of hv/dev/hpet.c: its GCAP_ID low half (revision 1, 3
 * timers, 64-bit, legacy capable, vendor 8086), base 0xFED00000, no
 * minimum periodic tick, as QEMU announces it. */
static void build_hpet(uint8_t *img, const struct layout *l)
{
	struct acpi_hpet *t = (void *)(img + l->hpet);
	header(&t->h, "HPET", sizeof *t, 1);
	t->event_timer_block_id = ACPI_HPET_BLOCK_ID;
	t->base = (struct acpi_gas){ .space_id = GAS_SYSTEM_MEMORY,
				     .address = ACPI_HPET_BASE };
	seal(&t->h);
}

status_t acpi_build(struct gmem *gm, const struct acpi_config *cfg,
		    uint64_t *rsdp_addr)
{
	struct layout l;
	uint8_t *img = NULL;
	uint64_t base = cfg->table_base;
	status_t st;

	plan(&l, cfg->nvcpus);
	st = check_config(cfg, &l);
	if (st)
		goto out;
	img = calloc(1, l.end);
	if (!img) {
		st = ST_ENOMEM;
		goto out;
	}
	build_facs(img, &l);
	build_fadt(img, &l, base);
	build_madt(img, &l, cfg->nvcpus);
	build_hpet(img, &l);
	memcpy(img + l.dsdt, acpi_dsdt_aml, acpi_dsdt_aml_len);
	build_rsdt_xsdt(img, &l, base);
	build_rsdp(img, &l, base);
	st = gmem_fill(gm, base, 0, cfg->table_size);
	if (st)
		goto out_free;
	st = gmem_write(gm, base, img, l.end);
	if (st)
		goto out_free;
	*rsdp_addr = base + l.rsdp;
out_free:
	free(img);
out:
	return st;
}
