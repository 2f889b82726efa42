/* pci_host.c: unit tests of the PCI host bridge (hv/dev/pci_*.c):
 * configuration mechanism 1 through ports 0xcf8/0xcfc, absent devices,
 * BAR sizing and moves reaching the buses, command enables, the 0xcf9
 * reset, MSI-X masking and pending delivery, INTA#, save/restore. */
#include "tests/unit/pci_fakes.h"

#define SLOT 3

struct tdev {
	struct device dev;
	struct pci_fn fn;
	int region;
	uint64_t offset, wval;
	unsigned size, hits;
	bool write;
};

static void tdev_access(struct device *dev, int region, uint64_t offset,
			unsigned size, bool write, uint64_t *val)
{
	struct tdev *t = (struct tdev *)dev;
	if (pci_msix_access(&t->fn, (unsigned)region, offset, size, write, val))
		return;
	t->region = region, t->offset = offset, t->size = size;
	t->write = write, t->hits++;
	if (write)
		t->wval = *val;
	else
		*val = 0x1234;
}

struct fixture {
	struct vm *vm;
	struct pci_host *host;
	struct tdev *t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->vm = calloc(1, sizeof *f->vm);
	f->host = pci_host_create(f->vm);
	assert_non_null(f->host);
	f->t = calloc(1, sizeof *f->t);
	f->t->dev = (struct device){ .name = "t", .vm = f->vm,
				     .access = tdev_access };
	struct pci_fn *fn = &f->t->fn;
	pci_fn_init(fn, &f->t->dev, 0x1234, 0x5678, 0xff000001);
	pci_fn_set_bar(fn, 0, PCI_BAR_IO, 32);
	pci_fn_set_bar(fn, 1, PCI_BAR_MEM32, 4096);
	pci_fn_set_bar(fn, 2, PCI_BAR_MEM64, 0x10000);
	assert_int_equal(pci_fn_add_msix(fn, 4, 1, 0, 0x800), ST_OK);
	assert_int_equal(pci_register(f->host, SLOT, fn), ST_OK);
	fakes_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pci_unregister(&f->t->fn);
	free(f->t);
	free(pci_host_dev(f->host));
	free(f->vm);
	free(f);
	return 0;
}

static void test_config_mechanism(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	assert_int_equal(cfg_rd(vm, 0, 0, 4), 0x29c08086);
	assert_int_equal(cfg_rd(vm, 0, 8, 4) >> 8, 0x060000);
	assert_int_equal(cfg_rd(vm, 0, 2, 1), 0xc0);
	assert_int_equal(cfg_rd(vm, 0, 1, 2), 0xc080); /* word at 0xcfd */
	assert_int_equal(cfg_rd(vm, 0, 3, 1), 0x29);
	assert_int_equal(cfg_rd(vm, SLOT, 0, 4), 0x56781234);
	assert_int_equal(cfg_rd(vm, SLOT, 2, 2), 0x5678);
	/* CONFIG_ADDRESS reads back. */
	pio(vm, 0xcf8, 4, true, 0x80001810);
	assert_int_equal(pio(vm, 0xcf8, 4, false, 0), 0x80001810);
	/* Absent: empty slot, function 1, bus 1, enable bit clear. */
	assert_int_equal(cfg_rd(vm, 7, 0, 4), 0xffffffff);
	assert_int_equal(cfg_rd(vm, 7, 2, 2), 0xffff);
	pio(vm, 0xcf8, 4, true, 0x80000000u | SLOT << 11 | 1 << 8);
	assert_int_equal(pio(vm, 0xcfc, 4, false, 0), 0xffffffff);
	pio(vm, 0xcf8, 4, true, 0x80010000u | SLOT << 11);
	assert_int_equal(pio(vm, 0xcfc, 4, false, 0), 0xffffffff);
	pio(vm, 0xcf8, 4, true, SLOT << 11);
	assert_int_equal(pio(vm, 0xcfc, 4, false, 0), 0xffffffff);
	pio(vm, 0xcfc, 4, true, 0); /* dropped */
	/* Unaligned byte/word writes land on the right bytes. */
	cfg_wr(vm, SLOT, 0x0c, 1, 0x10);           /* cache line size */
	cfg_wr(vm, SLOT, 0x3c, 1, 0x0a);           /* interrupt line */
	assert_int_equal(cfg_rd(vm, SLOT, 0x3c, 2), 0x010a);
	cfg_wr(vm, SLOT, 0x3e, 2, 0xffff);         /* read-only bytes */
	assert_int_equal(cfg_rd(vm, SLOT, 0x3c, 4), 0x0000010a);
	assert_int_equal(cfg_rd(vm, SLOT, 0x0c, 1), 0x10);
	cfg_wr(vm, SLOT, 0, 4, 0);                 /* IDs are read-only */
	assert_int_equal(cfg_rd(vm, SLOT, 0, 4), 0x56781234);
	/* The vendor ID of the bridge as two bytes. */
	assert_int_equal(cfg_rd(vm, 0, 0, 1), 0x86);
	assert_int_equal(cfg_rd(vm, 0, 1, 1), 0x80);
}

static void test_initial_bars_and_sizing(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	assert_int_equal(cfg_rd(vm, SLOT, PCI_COMMAND, 2) & 7, 7);
	assert_int_equal(cfg_rd(vm, SLOT, PCI_INT_LINE, 1), 11);
	assert_int_equal(cfg_rd(vm, SLOT, PCI_INT_PIN, 1), 1);
	uint32_t io = cfg_rd(vm, SLOT, 0x10, 4), m32 = cfg_rd(vm, SLOT, 0x14, 4);
	uint32_t m64 = cfg_rd(vm, SLOT, 0x18, 4);
	assert_int_equal(io, 0xc001);
	assert_int_equal(m32, 0xc0000000);
	assert_int_equal(m64 & 0xf, 4);
	assert_true((m64 & ~0xfu) >= 0xc0001000 && !((m64 & ~0xfu) & 0xffff));
	assert_int_equal(cfg_rd(vm, SLOT, 0x1c, 4), 0);
	/* Sizing: all ones, read the mask, put the value back. */
	cfg_wr(vm, SLOT, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(vm, SLOT, 0x10, 4), 0xffe1);
	cfg_wr(vm, SLOT, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(vm, SLOT, 0x14, 4), 0xfffff000);
	cfg_wr(vm, SLOT, 0x18, 4, 0xffffffff);
	cfg_wr(vm, SLOT, 0x1c, 4, 0xffffffff);
	assert_int_equal(cfg_rd(vm, SLOT, 0x18, 4), 0xffff0004);
	assert_int_equal(cfg_rd(vm, SLOT, 0x1c, 4), 0xffffffff);
	cfg_wr(vm, SLOT, 0x20, 4, 0xffffffff); /* unimplemented BAR */
	assert_int_equal(cfg_rd(vm, SLOT, 0x20, 4), 0);
	assert_int_equal(cfg_rd(vm, SLOT, 0x30, 4), 0); /* no ROM */
	cfg_wr(vm, SLOT, 0x10, 4, io);
	cfg_wr(vm, SLOT, 0x14, 4, m32);
	cfg_wr(vm, SLOT, 0x18, 4, m64);
	cfg_wr(vm, SLOT, 0x1c, 4, 0);
	/* Back in place: accesses reach the device again. */
	assert_int_equal(pio(vm, 0xc004, 2, false, 0), 0x1234);
	assert_int_equal(f->t->region, 0);
	assert_int_equal(f->t->offset, 4);
	assert_int_equal(mmio(vm, (m64 & ~0xfu) + 0x100, 4, false, 0), 0x1234);
	assert_int_equal(f->t->region, 2);
	assert_int_equal(f->t->offset, 0x100);
}

static void test_bar_move_and_command(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	uint64_t v = 0, old = cfg_rd(vm, SLOT, 0x18, 4) & ~0xfull;
	/* 64-bit BAR moved above 4 GiB. */
	cfg_wr(vm, SLOT, 0x18, 4, 0xd0000004);
	cfg_wr(vm, SLOT, 0x1c, 4, 0x1);
	assert_false(bus_access(&vm->bus, BUS_MMIO, old, 4, false, &v));
	mmio(vm, 0x1d0000008ull, 8, true, 0xabcdef);
	assert_int_equal(f->t->region, 2);
	assert_int_equal(f->t->offset, 8);
	assert_int_equal(f->t->size, 8);
	assert_int_equal(f->t->wval, 0xabcdef);
	/* I/O BAR moved. */
	cfg_wr(vm, SLOT, 0x10, 4, 0xd000);
	assert_false(bus_access(&vm->bus, BUS_PIO, 0xc000, 1, false, &v));
	pio(vm, 0xd01f, 1, true, 5);
	assert_int_equal(f->t->offset, 0x1f);
	/* Command register enables. */
	cfg_wr(vm, SLOT, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_false(bus_access(&vm->bus, BUS_PIO, 0xd000, 1, false, &v));
	assert_true(bus_access(&vm->bus, BUS_MMIO, 0x1d0000000ull, 4, false, &v));
	cfg_wr(vm, SLOT, PCI_COMMAND, 1, PCI_CMD_IO);
	assert_true(bus_access(&vm->bus, BUS_PIO, 0xd000, 1, false, &v));
	assert_false(bus_access(&vm->bus, BUS_MMIO, 0x1d0000000ull, 4, false, &v));
	assert_false(bus_access(&vm->bus, BUS_MMIO, 0xc0000000ull, 4, false, &v));
	/* A BAR at 0 does not decode. */
	cfg_wr(vm, SLOT, PCI_COMMAND, 2, 7);
	cfg_wr(vm, SLOT, 0x10, 4, 0);
	assert_false(bus_access(&vm->bus, BUS_PIO, 0, 1, false, &v));
	/* Reset puts everything back where the bridge placed it. */
	pci_fn_reset(&f->t->fn);
	assert_true(bus_access(&vm->bus, BUS_PIO, 0xc000, 1, false, &v));
	assert_true(bus_access(&vm->bus, BUS_MMIO, old, 4, false, &v));
	assert_false(bus_access(&vm->bus, BUS_MMIO, 0x1d0000000ull, 4, false, &v));
}

static void test_reset_port(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	pio(vm, 0xcf9, 1, true, 0x02);
	assert_int_equal(vm->stop, VM_RUNNING);
	assert_int_equal(pio(vm, 0xcf9, 1, false, 0), 0x02);
	/* A dword at 0xcf8 is still the address, not RST_CNT. */
	pio(vm, 0xcf8, 4, true, 0x80000000);
	assert_int_equal(vm->stop, VM_RUNNING);
	pio(vm, 0xcf9, 1, true, 0x06);
	assert_int_equal(vm->stop, VM_RESET);
}

static void msix_entry(struct vm *vm, uint64_t tbl, unsigned v, uint32_t data,
		       uint32_t ctl)
{
	mmio(vm, tbl + 16 * v, 8, true, 0xfee01000ull);
	mmio(vm, tbl + 16 * v + 8, 4, true, data);
	mmio(vm, tbl + 16 * v + 12, 4, true, ctl);
}

static void test_msix(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	struct pci_fn *fn = &f->t->fn;
	uint64_t tbl = 0xc0000000ull, pba = tbl + 0x800;
	unsigned cap = cfg_find_cap(vm, SLOT, PCI_CAP_MSIX);
	assert_int_not_equal(cap, 0);
	assert_true(cfg_rd(vm, SLOT, PCI_STATUS, 2) & PCI_STATUS_CAPS);
	assert_int_equal(cfg_rd(vm, SLOT, cap + 2, 2), 3); /* 4 vectors */
	assert_int_equal(cfg_rd(vm, SLOT, cap + 4, 4), 1);
	assert_int_equal(cfg_rd(vm, SLOT, cap + 8, 4), 0x801);
	/* Entries start masked; disabled MSI-X sends nothing. */
	assert_int_equal(mmio(vm, tbl + 12, 4, false, 0), 1);
	msix_entry(vm, tbl, 1, 0x41, 0);
	assert_int_equal(mmio(vm, tbl + 16, 8, false, 0), 0xfee01000ull);
	assert_int_equal(mmio(vm, tbl + 24, 4, false, 0), 0x41);
	pci_msix_notify(fn, 1);
	assert_int_equal(msi_count, 0);
	cfg_wr(vm, SLOT, cap + 2, 2, 0x8000);
	assert_true(pci_msix_enabled(fn));
	pci_msix_notify(fn, 1);
	assert_int_equal(msi_count, 1);
	assert_int_equal(msi_addr, 0xfee01000ull);
	assert_int_equal(msi_data, 0x41);
	/* Entry mask: pending, then delivered on unmask. */
	mmio(vm, tbl + 16 + 12, 4, true, 1);
	pci_msix_notify(fn, 1);
	assert_int_equal(msi_count, 1);
	assert_int_equal(mmio(vm, pba, 8, false, 0), 2);
	mmio(vm, tbl + 16 + 12, 4, true, 0);
	assert_int_equal(msi_count, 2);
	assert_int_equal(mmio(vm, pba, 4, false, 0), 0);
	/* Function mask likewise; the PBA is read-only. */
	cfg_wr(vm, SLOT, cap + 3, 1, 0xc0);
	pci_msix_notify(fn, 1);
	assert_int_equal(msi_count, 2);
	mmio(vm, pba, 4, true, 0);
	assert_int_equal(mmio(vm, pba, 4, false, 0), 2);
	cfg_wr(vm, SLOT, cap + 3, 1, 0x80);
	assert_int_equal(msi_count, 3);
	/* A vector out of range is ignored. */
	pci_msix_notify(fn, 9);
	assert_int_equal(msi_count, 3);
	/* Other BAR 1 offsets go to the model. */
	assert_int_equal(mmio(vm, tbl + 0x400, 4, false, 0), 0x1234);
}

static void test_intx(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	struct pci_fn *fn = &f->t->fn;
	pci_intx(fn, true);
	assert_true(irq_level[11]);
	assert_true(cfg_rd(vm, SLOT, PCI_STATUS, 1) & PCI_STATUS_INTX);
	cfg_wr(vm, SLOT, PCI_COMMAND, 2, 7 | PCI_CMD_INTX_OFF);
	assert_false(irq_level[11]);
	cfg_wr(vm, SLOT, PCI_COMMAND, 2, 7);
	assert_true(irq_level[11]);
	unsigned cap = cfg_find_cap(vm, SLOT, PCI_CAP_MSIX);
	cfg_wr(vm, SLOT, cap + 3, 1, 0x80);
	assert_false(irq_level[11]);
	cfg_wr(vm, SLOT, cap + 3, 1, 0);
	assert_true(irq_level[11]);
	pci_intx(fn, false);
	assert_false(irq_level[11]);
	assert_false(cfg_rd(vm, SLOT, PCI_STATUS, 1) & PCI_STATUS_INTX);
}

static void test_save_restore(void **state)
{
	struct fixture *f = *state;
	struct vm *vm = f->vm;
	struct pci_fn *fn = &f->t->fn;
	struct pci_fn_state s, s2;
	struct device *hd = pci_host_dev(f->host);
	uint8_t hbuf[1024];
	uint64_t v;
	unsigned cap = cfg_find_cap(vm, SLOT, PCI_CAP_MSIX);
	cfg_wr(vm, SLOT, 0x14, 4, 0xd0000000);
	cfg_wr(vm, SLOT, cap + 3, 1, 0xc0);
	msix_entry(vm, 0xd0000000ull, 2, 0x55, 0);
	pci_msix_notify(fn, 2);
	pci_fn_save(fn, &s);
	assert_true(hd->state_size <= sizeof hbuf);
	pio(vm, 0xcf8, 4, true, 0x80000804);
	hd->save(hd, hbuf);
	pci_fn_reset(fn);
	hd->reset(hd);
	assert_false(bus_access(&vm->bus, BUS_MMIO, 0xd0000000ull, 4, false, &v));
	assert_int_equal(pio(vm, 0xcf8, 4, false, 0), 0);
	/* A state of another function is refused, nothing changes. */
	s2 = s;
	s2.cfg[0] ^= 1;
	assert_int_equal(pci_fn_restore(fn, &s2), ST_ECORRUPT);
	s2 = s;
	s2.pending = 1u << 7;
	assert_int_equal(pci_fn_restore(fn, &s2), ST_ECORRUPT);
	assert_int_equal(cfg_rd(vm, SLOT, 0x14, 4), 0xc0000000);
	assert_int_equal(hd->restore(hd, hbuf, hd->state_size - 1), ST_ECORRUPT);
	assert_int_equal(hd->restore(hd, hbuf, hd->state_size), ST_OK);
	assert_int_equal(pio(vm, 0xcf8, 4, false, 0), 0x80000804);
	assert_int_equal(pci_fn_restore(fn, &s), ST_OK);
	assert_int_equal(cfg_rd(vm, SLOT, 0x14, 4), 0xd0000000);
	assert_true(bus_access(&vm->bus, BUS_MMIO, 0xd0000000ull, 4, false, &v));
	assert_int_equal(msi_count, 0);
	cfg_wr(vm, SLOT, cap + 3, 1, 0x80); /* the saved pending vector */
	assert_int_equal(msi_count, 1);
	assert_int_equal(msi_data, 0x55);
}

static void test_register_errors(void **state)
{
	struct fixture *f = *state;
	struct tdev t2 = { .dev = { .name = "t2", .vm = f->vm,
				    .access = tdev_access } };
	pci_fn_init(&t2.fn, &t2.dev, 1, 2, 0);
	assert_int_equal(pci_register(f->host, SLOT, &t2.fn), ST_EEXIST);
	assert_int_equal(pci_register(f->host, 0, &t2.fn), ST_EEXIST);
	pci_fn_set_bar(&t2.fn, 0, PCI_BAR_MEM32, 1000); /* not a power of 2 */
	assert_int_equal(pci_register(f->host, 4, &t2.fn), ST_EINVAL);
	assert_null(pci_host_create(f->vm)); /* ports taken */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_mechanism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_bars_and_sizing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bar_move_and_command, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
