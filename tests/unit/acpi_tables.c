/* acpi_tables.c: unit tests of acpi_build() (hv/acpi.c). The tables are
 * built into a fake guest RAM and walked as an OS would: RSDP found by
 * the legacy scan, every checksum verified, RSDT and XSDT followed to the
 * FADT and MADT, their fields checked, the DSDT compared with iasl's AML.
 * `acpi_tables dump DIR [NVCPUS]` writes each table to DIR/<sig>.dat for
 * tests/acpi/test_acpi_tables.py, which has iasl disassemble them. */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/acpi.h"

#define BIOS_BASE 0xe0000u
#define BIOS_SIZE 0x20000u

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint16_t get16(struct fake_gmem *fg, uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, fake_gmem_at(fg, gpa), 2);
	return v;
}

static uint8_t get8(struct fake_gmem *fg, uint64_t gpa)
{
	return *fake_gmem_at(fg, gpa);
}

/* RAM below 640 KiB and the BIOS area, as the VM maps them. */
static void setup_ram(struct fake_gmem *fg)
{
	fake_gmem_init(fg);
	fake_gmem_add(fg, 0, 0xa0000);
	fake_gmem_add(fg, BIOS_BASE, BIOS_SIZE);
}

static uint64_t build(struct fake_gmem *fg, unsigned nvcpus)
{
	struct acpi_config cfg = { .nvcpus = nvcpus, .table_base = BIOS_BASE,
				   .table_size = BIOS_SIZE };
	uint64_t rsdp = 0;
	setup_ram(fg);
	assert_int_equal(acpi_build(&fg->gm, &cfg, &rsdp), ST_OK);
	return rsdp;
}

/* The legacy search (ACPI 6.4, 5.2.5.1): "RSD PTR " on a 16-byte
 * boundary of 0xE0000-0xFFFFF whose first 20 bytes sum to zero. */
static uint64_t scan_rsdp(struct fake_gmem *fg)
{
	for (uint64_t a = BIOS_BASE; a < BIOS_BASE + BIOS_SIZE; a += 16) {
		const uint8_t *p = fake_gmem_at(fg, a);
		if (!memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return a;
	}
	fail_msg("no RSDP in the BIOS area");
	return 0;
}

/* A table at gpa with its signature, a sane length and a good checksum;
 * returns its length. */
static uint32_t check_table(struct fake_gmem *fg, uint64_t gpa,
			    const char *sig)
{
	assert_true(gpa >= BIOS_BASE && gpa < BIOS_BASE + BIOS_SIZE);
	assert_memory_equal(fake_gmem_at(fg, gpa), sig, 4);
	uint32_t len = get32(fg, gpa + 4);
	assert_true(len >= 36 && gpa + len <= BIOS_BASE + BIOS_SIZE);
	assert_int_equal(sum(fake_gmem_at(fg, gpa), len), 0);
	assert_memory_equal(fake_gmem_at(fg, gpa + 10), "SNAPVS", 6);
	return len;
}

/* Follows the XSDT (and checks the RSDT says the same) to `sig`. */
static uint64_t find_table(struct fake_gmem *fg, const char *sig)
{
	uint64_t rsdp = scan_rsdp(fg);
	uint64_t xsdt = get64(fg, rsdp + 24), rsdt = get32(fg, rsdp + 16);
	uint32_t xlen = check_table(fg, xsdt, "XSDT");
	uint32_t rlen = check_table(fg, rsdt, "RSDT");
	unsigned n = (xlen - 36) / 8;
	assert_int_equal((xlen - 36) % 8, 0);
	assert_int_equal(rlen - 36, n * 4);
	uint64_t found = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = get64(fg, xsdt + 36 + 8 * i);
		assert_int_equal(get32(fg, rsdt + 36 + 4 * i), t);
		if (!memcmp(fake_gmem_at(fg, t), sig, 4)) {
			assert_int_equal(found, 0); /* only one of each */
			found = t;
		}
	}
	assert_int_not_equal(found, 0);
	check_table(fg, found, sig);
	return found;
}

static void test_rsdp(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint64_t rsdp = build(&fg, 1);
	assert_int_equal(rsdp, scan_rsdp(&fg));
	assert_int_equal(rsdp % 16, 0);
	assert_int_equal(get8(&fg, rsdp + 15), 2);      /* revision */
	assert_int_equal(get32(&fg, rsdp + 20), 36);    /* length */
	assert_int_equal(sum(fake_gmem_at(&fg, rsdp), 36), 0);
	assert_memory_equal(fake_gmem_at(&fg, rsdp + 9), "SNAPVS", 6);
	check_table(&fg, get32(&fg, rsdp + 16), "RSDT");
	check_table(&fg, get64(&fg, rsdp + 24), "XSDT");
	/* Nothing outside the area was written. */
	for (uint64_t a = 0; a < 0xa0000; a += 4096)
		assert_int_equal(get64(&fg, a), 0);
	fake_gmem_free(&fg);
}

static void check_gas(struct fake_gmem *fg, uint64_t gas, uint32_t port,
		      unsigned bits)
{
	assert_int_equal(get8(fg, gas), 1);          /* system I/O */
	assert_int_equal(get8(fg, gas + 1), bits);
	assert_int_equal(get8(fg, gas + 2), 0);
	assert_int_equal(get64(fg, gas + 4), port);
}

static void test_fadt(void **state)
{
	(void)state;
	struct fake_gmem fg;
	build(&fg, 1);
	uint64_t f = find_table(&fg, "FACP");
	assert_int_equal(get32(&fg, f + 4), 276);
	assert_int_equal(get8(&fg, f + 8), 6);          /* revision */
	assert_int_equal(get8(&fg, f + 131), 4);        /* minor version */
	uint64_t facs = get32(&fg, f + 36), dsdt = get32(&fg, f + 40);
	assert_int_equal(get64(&fg, f + 132), facs);    /* X_FIRMWARE_CTRL */
	assert_int_equal(get64(&fg, f + 140), dsdt);    /* X_DSDT */
	assert_int_equal(facs % 64, 0);
	assert_memory_equal(fake_gmem_at(&fg, facs), "FACS", 4);
	assert_int_equal(get32(&fg, facs + 4), 64);
	assert_int_equal(get8(&fg, facs + 32), 2);      /* FACS version */
	assert_int_equal(get16(&fg, f + 46), 9);        /* SCI_INT */
	assert_int_equal(get32(&fg, f + 48), 0);        /* SMI_CMD */
	assert_int_equal(get8(&fg, f + 52), 0);
	assert_int_equal(get8(&fg, f + 53), 0);
	assert_int_equal(get32(&fg, f + 56), 0x600);    /* PM1a_EVT_BLK */
	assert_int_equal(get32(&fg, f + 60), 0);
	assert_int_equal(get32(&fg, f + 64), 0x604);    /* PM1a_CNT_BLK */
	assert_int_equal(get32(&fg, f + 68), 0);
	assert_int_equal(get32(&fg, f + 72), 0);
	assert_int_equal(get32(&fg, f + 76), 0x608);    /* PM_TMR_BLK */
	assert_int_equal(get32(&fg, f + 80), 0);        /* GPE0 none */
	assert_int_equal(get32(&fg, f + 84), 0);
	assert_int_equal(get8(&fg, f + 88), 4);
	assert_int_equal(get8(&fg, f + 89), 2);
	assert_int_equal(get8(&fg, f + 90), 0);
	assert_int_equal(get8(&fg, f + 91), 4);
	assert_int_equal(get8(&fg, f + 92), 0);
	assert_int_equal(get16(&fg, f + 109), 0x0003);  /* LEGACY_DEVICES|8042 */
	uint32_t flags = get32(&fg, f + 112);
	assert_int_equal(flags, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 8) |
				(1u << 10));
	check_gas(&fg, f + 116, 0xcf9, 8);              /* RESET_REG */
	assert_int_equal(get8(&fg, f + 128), 0x06);
	check_gas(&fg, f + 148, 0x600, 32);
	assert_int_equal(get64(&fg, f + 160 + 4), 0);   /* no PM1b */
	check_gas(&fg, f + 172, 0x604, 16);
	check_gas(&fg, f + 208, 0x608, 32);
	assert_int_equal(get64(&fg, f + 220 + 4), 0);   /* no GPE0 */
	/* The DSDT is iasl's AML, byte for byte, on a 16-byte boundary. */
	assert_int_equal(dsdt % 16, 0);
	uint32_t len = check_table(&fg, dsdt, "DSDT");
	assert_int_equal(len, acpi_dsdt_aml_len);
	assert_memory_equal(fake_gmem_at(&fg, dsdt), acpi_dsdt_aml, len);
	fake_gmem_free(&fg);
}

static void check_madt(unsigned n)
{
	struct fake_gmem fg;
	build(&fg, n);
	uint64_t m = find_table(&fg, "APIC");
	uint32_t len = get32(&fg, m + 4);
	assert_int_equal(get32(&fg, m + 36), 0xfee00000u);
	assert_int_equal(get32(&fg, m + 40), 1);        /* PCAT_COMPAT */
	unsigned cpus = 0, ioapics = 0, isos = 0, nmis = 0;
	for (uint64_t e = m + 44; e < m + len;) {
		uint8_t type = get8(&fg, e), elen = get8(&fg, e + 1);
		assert_true(elen >= 2 && e + elen <= m + len);
		switch (type) {
		case 0:
			assert_int_equal(elen, 8);
			assert_int_equal(get8(&fg, e + 2), cpus); /* UID */
			assert_int_equal(get8(&fg, e + 3), cpus); /* APIC ID */
			assert_int_equal(get32(&fg, e + 4), 1);   /* enabled */
			cpus++;
			break;
		case 1:
			assert_int_equal(elen, 12);
			assert_int_equal(get8(&fg, e + 2), n);
			assert_int_equal(get32(&fg, e + 4), 0xfec00000u);
			assert_int_equal(get32(&fg, e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(elen, 10);
			assert_int_equal(get8(&fg, e + 2), 0);   /* ISA */
			if (get8(&fg, e + 3) == 0) {
				assert_int_equal(get32(&fg, e + 4), 2);
				assert_int_equal(get16(&fg, e + 8), 0);
			} else {
				assert_int_equal(get8(&fg, e + 3), 9);
				assert_int_equal(get32(&fg, e + 4), 9);
				assert_int_equal(get16(&fg, e + 8), 0x000d);
			}
			isos++;
			break;
		case 4:
			assert_int_equal(elen, 6);
			assert_int_equal(get8(&fg, e + 2), 0xff);
			assert_int_equal(get8(&fg, e + 5), 1);    /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", type);
		}
		e += elen;
	}
	assert_int_equal(cpus, n);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	fake_gmem_free(&fg);
}

static void test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(4);
	check_madt(ACPI_MAX_VCPUS);
}

/* The HPET table (IA-PC HPET 1.0a, 3.2.4): the block ID is the low half
 * of the device's GCAP_ID, the base a system-memory GAS at 0xFED00000. */
static void test_hpet(void **state)
{
	(void)state;
	struct fake_gmem fg;
	build(&fg, 1);
	uint64_t t = find_table(&fg, "HPET");
	assert_int_equal(get32(&fg, t + 4), 56);
	assert_int_equal(get8(&fg, t + 8), 1);
	uint32_t id = get32(&fg, t + 36);
	assert_int_equal(id >> 16, 0x8086);          /* vendor */
	assert_int_equal((id >> 8) & 0x1f, 2);       /* 3 comparators */
	assert_true(id & (1u << 13));                /* 64-bit counter */
	assert_true(id & (1u << 15));                /* legacy routing */
	assert_int_equal(get8(&fg, t + 40), 0);      /* system memory */
	assert_int_equal(get64(&fg, t + 44), 0xfed00000u);
	assert_int_equal(get8(&fg, t + 52), 0);      /* HPET number */
	fake_gmem_free(&fg);
}

/* Same config, same bytes; whatever was in the area before is gone. */
static void test_deterministic(void **state)
{
	(void)state;
	struct fake_gmem a, b;
	build(&a, 2);
	setup_ram(&b);
	memset(fake_gmem_at(&b, BIOS_BASE), 0xa5, BIOS_SIZE);
	memcpy(fake_gmem_at(&b, BIOS_BASE + 0x10000), "RSD PTR ", 8);
	struct acpi_config cfg = { 2, BIOS_BASE, BIOS_SIZE };
	uint64_t rsdp;
	assert_int_equal(acpi_build(&b.gm, &cfg, &rsdp), ST_OK);
	assert_memory_equal(fake_gmem_at(&a, BIOS_BASE),
			    fake_gmem_at(&b, BIOS_BASE), BIOS_SIZE);
	fake_gmem_free(&a);
	fake_gmem_free(&b);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct fake_gmem fg;
	uint64_t rsdp = 0x1234;
	setup_ram(&fg);
	struct acpi_config cfg = { 0, BIOS_BASE, BIOS_SIZE };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EINVAL);
	cfg.nvcpus = ACPI_MAX_VCPUS + 1;
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EINVAL);
	cfg = (struct acpi_config){ 1, BIOS_BASE + 16, BIOS_SIZE - 16 };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EINVAL);
	cfg = (struct acpi_config){ 1, 0x100000000ull, BIOS_SIZE };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EINVAL);
	cfg = (struct acpi_config){ 1, 0xfffff000ull, 0x2000 };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EINVAL);
	cfg = (struct acpi_config){ 1, BIOS_BASE, 512 };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_ENOSPC);
	/* Not RAM (the hole between 640 KiB and the BIOS area). */
	cfg = (struct acpi_config){ 1, 0xc0000, 0x10000 };
	assert_int_equal(acpi_build(&fg.gm, &cfg, &rsdp), ST_EFAULT);
	assert_int_equal(rsdp, 0x1234);
	for (uint64_t a = BIOS_BASE; a < BIOS_BASE + BIOS_SIZE; a += 8)
		assert_int_equal(get64(&fg, a), 0);
	fake_gmem_free(&fg);
}

/* ---- dump mode ------------------------------------------------------- */

static void dump(struct fake_gmem *fg, const char *dir, const char *name,
		 uint64_t gpa, uint32_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.dat", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(fake_gmem_at(fg, gpa), 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static int dump_main(const char *dir, unsigned n)
{
	struct fake_gmem fg;
	uint64_t rsdp = build(&fg, n);
	uint64_t xsdt = get64(&fg, rsdp + 24), rsdt = get32(&fg, rsdp + 16);
	uint64_t fadt = find_table(&fg, "FACP"), madt = find_table(&fg, "APIC");
	uint64_t hpet = find_table(&fg, "HPET");
	dump(&fg, dir, "rsdp", rsdp, 36);
	dump(&fg, dir, "xsdt", xsdt, get32(&fg, xsdt + 4));
	dump(&fg, dir, "rsdt", rsdt, get32(&fg, rsdt + 4));
	dump(&fg, dir, "facp", fadt, get32(&fg, fadt + 4));
	dump(&fg, dir, "apic", madt, get32(&fg, madt + 4));
	dump(&fg, dir, "hpet", hpet, get32(&fg, hpet + 4));
	dump(&fg, dir, "facs", get32(&fg, fadt + 36), 64);
	dump(&fg, dir, "dsdt", get32(&fg, fadt + 40),
	     get32(&fg, get32(&fg, fadt + 40) + 4));
	dump(&fg, dir, "bios", BIOS_BASE, BIOS_SIZE);
	fake_gmem_free(&fg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "dump"))
		return dump_main(argv[2], argc > 3 ? (unsigned)atoi(argv[3]) : 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_hpet),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
