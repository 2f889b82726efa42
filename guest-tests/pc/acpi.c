/* acpi.c (pc_acpi): the ACPI tables as an OS finds them (ACPI 6.4 ch. 5):
 * the RSDP by the legacy scan of 0xE0000-0xFFFFF, the checksums of the
 * RSDP (both), RSDT, XSDT, FADT, MADT and DSDT, the FACS signature; the
 * MADT's one local APIC, IOAPIC at 0xFEC00000 and IRQ 0 -> GSI 2 override;
 * then power-off through PM1a_CNT with SLP_TYP from the DSDT's \_S5 package
 * and SLP_EN (the run must end there, status 0). */
#include "pclib.h"

/* printf has no precision: copy n bytes into a string. */
static const char *str(char *buf, const char *p, int n)
{
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static const struct acpi_header *table(uint32_t addr, const char *sig)
{
	const struct acpi_header *h = (const void *)addr;
	ASSERTF(addr && !memcmp(h->sig, sig, 4), "no %s at 0x%x", sig, addr);
	ASSERTF(h->length >= sizeof *h && h->length < 0x100000, "%s length %u", sig, h->length);
	ASSERTF(acpi_sum(h, h->length) == 0, "%s checksum", sig);
	char b[8];
	printf("acpi: %s at 0x%x, %u bytes, revision %u, checksum ok\n", str(b, sig, 4), addr,
	       h->length, h->revision);
	return h;
}

static uint32_t u32(const void *t, uint32_t off) { return *(const uint32_t *)((const char *)t + off); }

/* SLP_TYPa of \_S5: NameOp? "_S5_" PackageOp PkgLength NumElements, then
 * the first element (BytePrefix n, ZeroOp or OneOp). -1 when absent. */
static int s5_slp_typ(const struct acpi_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + sizeof *dsdt;
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		const uint8_t *q = p + 5;
		q += 1 + (*q >> 6);		/* PkgLength */
		q++;				/* NumElements */
		if (*q == 0x0a)
			return q[1];
		if (*q == 0x00 || *q == 0x01)
			return *q;
		return -1;
	}
	return -1;
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	pc_init();
	const struct acpi_rsdp *r = acpi_find_rsdp();
	ASSERTF(r, "no RSDP in 0xE0000-0xFFFFF");
	char oem[8];
	printf("acpi: RSDP at 0x%x, revision %u, OEM '%s'\n", (uint32_t)r, r->revision,
	       str(oem, r->oem_id, 6));
	const struct acpi_header *rsdt = table(r->rsdt, "RSDT");
	uint32_t n = (rsdt->length - sizeof *rsdt) / 4;
	const uint32_t *ent = (const uint32_t *)(rsdt + 1);
	for (uint32_t i = 0; i < n; i++)
		table(ent[i], ((const struct acpi_header *)ent[i])->sig);
	if (r->revision >= 2) {
		ASSERTF(r->length >= 36 && acpi_sum(r, r->length) == 0, "RSDP extended checksum");
		ASSERT((r->xsdt >> 32) == 0);
		const struct acpi_header *x = table((uint32_t)r->xsdt, "XSDT");
		uint32_t xn = (x->length - sizeof *x) / 8;
		ASSERT_EQ(xn, n);
		for (uint32_t i = 0; i < xn; i++) {
			uint64_t e;
			memcpy(&e, (const char *)(x + 1) + 8 * i, 8);
			ASSERT_EQ(e, ent[i]);
		}
		printf("acpi: XSDT ok, same %u tables as the RSDT\n", xn);
	}

	const struct acpi_header *fadt = acpi_find_table("FACP");
	ASSERTF(fadt, "no FADT");
	const struct acpi_header *dsdt = table(u32(fadt, 40), "DSDT");
	const char *facs = (const char *)u32(fadt, 36);
	ASSERTF(facs && !memcmp(facs, "FACS", 4), "FACS signature");
	ASSERT(u32(facs, 4) >= 64);
	printf("acpi: FACS at 0x%x\n", (uint32_t)facs);
	if (fadt->length >= 148 && u32(fadt, 140)) {
		ASSERT_EQ(u32(fadt, 140), (uint32_t)dsdt);
		printf("acpi: X_DSDT agrees\n");
	}
	uint32_t flags = fadt->length >= 116 ? u32(fadt, 112) : 0;
	if (flags & (1u << 10)) {
		const uint8_t *rr = (const uint8_t *)fadt + 116;
		printf("acpi: reset register space %u address 0x%x value %u\n", rr[0],
		       u32(rr, 4), ((const uint8_t *)fadt)[128]);
	}

	/* MADT. */
	const struct acpi_header *m = acpi_find_table("APIC");
	ASSERTF(m, "no MADT");
	ASSERT_EQ(u32(m, 36), 0xfee00000);
	unsigned lapics = 0, ioapics = 0, irq0 = 0;
	const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->length;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		if (p[0] == 0 && (u32(p, 4) & 1))
			lapics++;
		if (p[0] == 1) {
			ioapics++;
			ASSERT_EQ(u32(p, 4), 0xfec00000);
			ASSERT_EQ(u32(p, 8), 0);
		}
		if (p[0] == 2 && p[2] == 0 && p[3] == 0) {
			ASSERT_EQ(u32(p, 4), 2);
			irq0 = 1;
		}
	}
	ASSERT(p == end);
	printf("acpi: MADT: %u local APIC, %u IOAPIC at 0xfec00000, IRQ0->GSI2 %s\n",
	       lapics, ioapics, irq0 ? "yes" : "no");
	ASSERT_EQ(lapics, 1);
	ASSERT_EQ(ioapics, 1);
	ASSERT(irq0);

	/* S5 through PM1a_CNT: enable ACPI mode first when the FADT says so. */
	int typ = s5_slp_typ(dsdt);
	ASSERTF(typ >= 0, "no \\_S5 package in the DSDT");
	uint32_t cnt = acpi_pm1a_cnt_port();
	ASSERT(cnt);
	uint32_t smi = u32(fadt, 48);
	uint8_t en = ((const uint8_t *)fadt)[52];
	if (smi && en && !(inw(cnt) & 1)) {
		outb(smi, en);
		for (int i = 0; i < 100000 && !(inw(cnt) & 1); i++)
			;
	}
	printf("acpi: powering off: PM1a_CNT 0x%x, SLP_TYP %d\n", cnt, typ);
	outw(cnt, (uint16_t)((typ & 7) << 10 | 1u << 13));
	udelay(100000);
	fail(__FILE__, __LINE__, "still running 100 ms after S5");
}
