/* pci.c (pc_pci): PCI configuration mechanism 1 (PCI Local Bus 3.0,
 * 3.2.2.3.2) on bus 0: 0xCF8 reads back, absent functions read all ones,
 * the host bridge at 00:00.0 has base class 06; a virtio device (vendor
 * 0x1AF4) gets its BARs sized (write all ones, read the mask back, restore)
 * and its MSI-X capability found. "expect_virtio=1" requires one. */
#include "pclib.h"

static void size_bars(unsigned d, unsigned f)
{
	for (unsigned i = 0; i < 6; i++) {
		unsigned off = 0x10 + 4 * i;
		uint32_t old = pci_read32(0, d, f, off);
		pci_write32(0, d, f, off, 0xffffffff);
		uint32_t m = pci_read32(0, d, f, off);
		pci_write32(0, d, f, off, old);
		ASSERT_EQ(pci_read32(0, d, f, off), old);
		if (!m)
			continue;
		if (m & 1) {
			uint32_t size = (~(m & ~3u) + 1) & 0xffff;
			printf("pci: BAR%u I/O at 0x%x, %u bytes\n", i, old & ~3u, size);
			ASSERT(size && !(size & (size - 1)));
			continue;
		}
		uint64_t mask = m & ~0xfu;
		int is64 = ((m >> 1) & 3) == 2;
		if (is64) {
			uint32_t oldhi = pci_read32(0, d, f, off + 4);
			pci_write32(0, d, f, off + 4, 0xffffffff);
			mask |= (uint64_t)pci_read32(0, d, f, off + 4) << 32;
			pci_write32(0, d, f, off + 4, oldhi);
		} else {
			mask |= 0xffffffff00000000ull;
		}
		uint64_t size = ~mask + 1;
		printf("pci: BAR%u memory%s at 0x%x, 0x%llx bytes\n", i, is64 ? " 64-bit" : "",
		       old & ~0xfu, size);
		ASSERT(size >= 16 && !(size & (size - 1)));
		if (is64)
			i++;
	}
}

static int find_msix(unsigned d, unsigned f)
{
	if (!(pci_read32(0, d, f, 4) & (1u << 20)))
		return 0;
	unsigned p = pci_read32(0, d, f, 0x34) & 0xfc;
	for (int n = 0; p && n < 48; n++) {
		uint32_t cap = pci_read32(0, d, f, p);
		if ((cap & 0xff) == 0x11) {
			uint32_t table = pci_read32(0, d, f, p + 4);
			printf("pci: MSI-X at 0x%x, %u vectors, table in BAR%u at 0x%x\n", p,
			       ((cap >> 16) & 0x7ff) + 1, table & 7, table & ~7u);
			/* Entry 0 through the BAR: masked after reset (PCI
			 * Local Bus 3.0, 6.8.2.9). */
			unsigned bar = 0x10 + 4 * (table & 7);
			uint32_t lo = pci_read32(0, d, f, bar);
			uint32_t hi = ((lo >> 1) & 3) == 2 ? pci_read32(0, d, f, bar + 4) : 0;
			if (!(lo & 1) && !hi && (lo & ~0xfu)) {
				uint32_t cmd = pci_read32(0, d, f, 4);
				pci_write32(0, d, f, 4, (cmd & 0xffff) | 2);
				uint32_t e = (lo & ~0xfu) + (table & ~7u);
				uint32_t ctl = mmio_read32(e + 12);
				mmio_write32(e + 8, 0x4567);
				uint32_t data = mmio_read32(e + 8);
				mmio_write32(e + 8, 0);
				pci_write32(0, d, f, 4, cmd & 0xffff);
				printf("pci: MSI-X entry 0 vector control 0x%x, data reads back 0x%x\n",
				       ctl, data);
				ASSERT_EQ(ctl & 1, 1);
				ASSERT_EQ(data, 0x4567);
			}
			return 1;
		}
		p = (cap >> 8) & 0xfc;
	}
	return 0;
}

void guest_main(const struct mb_info *mbi)
{
	char arg[8];
	int expect_virtio = mb_arg(mbi, "expect_virtio", arg, sizeof arg) && arg[0] == '1';
	pc_init();
	outl(0xcf8, 0x80000000u | 3 << 11 | 0x10);
	ASSERT_EQ(inl(0xcf8), 0x80000000u | 3 << 11 | 0x10);
	outl(0xcf8, 0);
	printf("pci: 0xcf8 reads back\n");

	uint32_t id0 = pci_read32(0, 0, 0, 0);
	ASSERTF(id0 != 0xffffffff, "no host bridge at 00:00.0");
	uint32_t cls0 = pci_read32(0, 0, 0, 8);
	ASSERTF(cls0 >> 24 == 0x06, "00:00.0 class 0x%06x", cls0 >> 8);

	int absent = -1, virtio = 0;
	for (unsigned d = 0; d < 32; d++) {
		unsigned nf = (pci_read32(0, d, 0, 0x0c) >> 23) & 1 ? 8 : 1;
		for (unsigned f = 0; f < nf; f++) {
			uint32_t id = pci_read32(0, d, f, 0);
			if (id == 0xffffffff) {
				if (f == 0 && absent < 0)
					absent = d;
				continue;
			}
			uint32_t cls = pci_read32(0, d, f, 8);
			printf("pci: 00:%02x.%u %04x:%04x class %06x\n", d, f, id & 0xffff,
			       id >> 16, cls >> 8);
			if ((id & 0xffff) == 0x1af4) {
				virtio++;
				size_bars(d, f);
				ASSERTF(find_msix(d, f), "virtio device without MSI-X");
			}
		}
	}
	ASSERTF(absent >= 0, "every slot of bus 0 taken");
	for (unsigned off = 0; off < 0x40; off += 4)
		ASSERT_EQ(pci_read32(0, absent, 0, off), 0xffffffff);
	ASSERT_EQ(pci_read32(1, 0, 0, 0), 0xffffffff);
	printf("pci: absent functions read all ones (00:%02x.0, bus 1)\n", absent);
	printf("pci: host bridge 00:00.0 class 06, %d virtio devices\n", virtio);
	if (expect_virtio)
		ASSERT(virtio > 0);
}
