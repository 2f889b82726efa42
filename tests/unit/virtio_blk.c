/* virtio_blk.c: unit tests of the virtio-blk device (hv/dev/virtio_*.c)
 * as a driver sees it: legacy and modern init sequences, requests through
 * a split ring built in fake guest RAM against a real VHD chain (base +
 * differencing child in a memory file system), indirect descriptors,
 * malformed requests, interrupts, save/restore mid-use, and a write the
 * volume has no room for: held pending with the VM paused, retried by
 * vm_continue (hv/vm_pause.c). */
#include "tests/unit/pci_fakes.h"
#include "hv/dev/virtio_blk.h"
#include "hv/dev/virtio_pci.h"
#include "storage/blockfile_mem.h"
#include "storage/vhd_chain.h"
#include "storage/vhd_env.h"

#define SLOT 4
#define RAM (4ull << 20)
#define DISK (8ull << 20)
#define RING 0x100000ull     /* desc; avail +0x1000; used +0x2000 */
#define BUF 0x200000ull      /* request buffers */
#define QSZ 256

struct fx {
	struct vm *vm;
	uint8_t *ram;
	struct pci_host *host;
	struct device *blk;
	struct memfs fs;
	struct bf_opener op;
	struct vhd_env env;
	struct vhd_chain *disk;
	uint16_t io;            /* legacy BAR 0 */
	uint64_t mod;           /* modern BAR 4 */
	uint16_t avail_idx, qsz;
};

static uint64_t t_now(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

static void t_random(void *ctx, uint8_t *buf, size_t len)
{
	static uint32_t seed = 42;
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 31 + (off >> 9));
}

static void make_chain(struct fx *f)
{
	struct vhd_create_opts o = { VHD_TYPE_DYNAMIC, DISK, 0, NULL, NULL };
	struct vhd *base;
	struct vhd_chain *c;
	uint8_t *buf = malloc(DISK / 2);
	memfs_init(&f->fs, 64ull << 20);
	memfs_opener(&f->fs, &f->op);
	f->env = (struct vhd_env){ .opener = &f->op, .now = t_now,
				   .random = t_random };
	assert_int_equal(vhd_create(&f->env, "base.vhd", &o, NULL), ST_OK);
	assert_int_equal(vhd_chain_open(&f->env, "base.vhd", VHD_RDWR, &c), ST_OK);
	for (uint64_t i = 0; i < DISK / 2; i++)
		buf[i] = pattern(i);
	assert_int_equal(vhd_chain_write(c, 0, buf, DISK / 2), ST_OK);
	vhd_chain_close(c);
	free(buf);
	assert_int_equal(vhd_open(&f->env, "base.vhd", 0, &base), ST_OK);
	o = (struct vhd_create_opts){ VHD_TYPE_DIFF, 0, base->block_size, base,
				      "base.vhd" };
	assert_int_equal(vhd_create(&f->env, "child.vhd", &o, NULL), ST_OK);
	vhd_close(base);
	assert_int_equal(vhd_chain_open(&f->env, "child.vhd", VHD_RDWR, &f->disk),
			 ST_OK);
	assert_int_equal(f->disk->depth, 2);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->vm = calloc(1, sizeof *f->vm);
	f->ram = calloc(1, RAM);
	assert_int_equal(gmem_add(&f->vm->mem, 0, RAM, f->ram), ST_OK);
	f->host = pci_host_create(f->vm);
	assert_non_null(f->host);
	make_chain(f);
	f->blk = virtio_blk_create(f->vm, f->host, SLOT, f->disk);
	assert_non_null(f->blk);
	assert_int_equal(cfg_rd(f->vm, SLOT, 0, 4), 0x10011af4);
	assert_int_equal(cfg_rd(f->vm, SLOT, PCI_SUBSYS_ID, 2), 2);
	assert_int_equal(cfg_rd(f->vm, SLOT, PCI_REVISION, 1), 0);
	f->io = (uint16_t)(cfg_rd(f->vm, SLOT, 0x10, 4) & ~3u);
	f->mod = (cfg_rd(f->vm, SLOT, 0x20, 4) & ~0xfull) |
		 (uint64_t)cfg_rd(f->vm, SLOT, 0x24, 4) << 32;
	fakes_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	virtio_blk_destroy(f->blk);
	free(pci_host_dev(f->host));
	vhd_chain_close(f->disk);
	memfs_free(&f->fs);
	free(f->ram);
	free(f->vm);
	free(f);
	return 0;
}

/* ---- a little driver ------------------------------------------------ */

static void put_desc(struct fx *f, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = f->ram + table + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void submit(struct fx *f, uint16_t head)
{
	memcpy(f->ram + RING + 0x1000 + 4 + 2 * (f->avail_idx % f->qsz), &head, 2);
	f->avail_idx++;
	memcpy(f->ram + RING + 0x1000 + 2, &f->avail_idx, 2);
}

static uint16_t used_idx(struct fx *f)
{
	uint16_t v;
	memcpy(&v, f->ram + RING + 0x2002, 2);
	return v;
}

static uint32_t used_len(struct fx *f, unsigned slot)
{
	uint32_t v;
	memcpy(&v, f->ram + RING + 0x2004 + 8 * (slot % f->qsz) + 4, 4);
	return v;
}

static void put_hdr(struct fx *f, uint64_t at, uint32_t type, uint64_t sector)
{
	uint32_t zero = 0;
	memcpy(f->ram + at, &type, 4);
	memcpy(f->ram + at + 4, &zero, 4);
	memcpy(f->ram + at + 8, &sector, 8);
}

static void leg_notify(struct fx *f)
{
	pio(f->vm, (uint16_t)(f->io + 16), 2, true, 0);
}

static void mod_notify(struct fx *f)
{
	mmio(f->vm, f->mod + VPCI_NOTIFY, 2, true, 0);
}

static uint64_t common(struct fx *f, unsigned off, unsigned size, bool w,
		       uint64_t v)
{
	return mmio(f->vm, f->mod + VPCI_COMMON + off, size, w, v);
}

static void legacy_init(struct fx *f)
{
	pio(f->vm, (uint16_t)(f->io + 18), 1, true, 0);
	pio(f->vm, (uint16_t)(f->io + 18), 1, true, 3);
	uint32_t feat = (uint32_t)pio(f->vm, f->io, 4, false, 0);
	assert_int_equal(feat, (1u << 2) | (1u << 6) | (1u << 9) | (1u << 28));
	pio(f->vm, (uint16_t)(f->io + 4), 4, true, feat);
	pio(f->vm, (uint16_t)(f->io + 14), 2, true, 0);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 12), 2, false, 0), QSZ);
	/* Legacy layout: avail right after 256 descriptors, used at 8 KiB. */
	pio(f->vm, (uint16_t)(f->io + 8), 4, true, RING >> 12);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 8), 4, false, 0),
			 RING >> 12);
	pio(f->vm, (uint16_t)(f->io + 18), 1, true, 7);
	f->qsz = QSZ;
	/* Device config at 20 without MSI-X: capacity in sectors. */
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 20), 4, false, 0),
			 DISK / 512);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 40), 4, false, 0), 512);
}

static void modern_init(struct fx *f, uint16_t qsz)
{
	common(f, 0x14, 1, true, 0);
	common(f, 0x14, 1, true, 3);
	common(f, 0x00, 4, true, 1);
	assert_int_equal(common(f, 0x04, 4, false, 0), 1); /* VERSION_1 */
	common(f, 0x00, 4, true, 0);
	uint32_t lo = (uint32_t)common(f, 0x04, 4, false, 0);
	assert_true(lo & (1u << 28));
	/* Without VERSION_1, FEATURES_OK does not stick. */
	common(f, 0x08, 4, true, 0);
	common(f, 0x0c, 4, true, lo);
	common(f, 0x14, 1, true, 0x0b);
	assert_int_equal(common(f, 0x14, 1, false, 0), 3);
	common(f, 0x08, 4, true, 1);
	common(f, 0x0c, 4, true, 1);
	common(f, 0x14, 1, true, 0x0b);
	assert_int_equal(common(f, 0x14, 1, false, 0), 0x0b);
	assert_int_equal(common(f, 0x12, 2, false, 0), 1);
	common(f, 0x16, 2, true, 0);
	assert_int_equal(common(f, 0x18, 2, false, 0), QSZ);
	common(f, 0x18, 2, true, qsz);
	common(f, 0x20, 8, true, RING);
	common(f, 0x28, 4, true, RING + 0x1000); /* as two dwords */
	common(f, 0x2c, 4, true, 0);
	common(f, 0x30, 8, true, RING + 0x2000);
	common(f, 0x1c, 2, true, 1);
	assert_int_equal(common(f, 0x1c, 2, false, 0), 1);
	common(f, 0x14, 1, true, 0x0f);
	f->qsz = qsz;
	assert_int_equal(mmio(f->vm, f->mod + VPCI_DEVCFG, 8, false, 0),
			 DISK / 512);
	assert_int_equal(mmio(f->vm, f->mod + VPCI_DEVCFG + 12, 4, false, 0),
			 QSZ - 2);
}

/* A 3-descriptor request at descriptors d, d+1, d+2; returns its status. */
static uint8_t request(struct fx *f, unsigned d, uint32_t type, uint64_t sector,
		       uint64_t data, uint32_t len, bool in)
{
	uint64_t hdr = BUF + 0x100000 - 64 * (d + 1), st = hdr + 16;
	put_hdr(f, hdr, type, sector);
	f->ram[st] = 0xee;
	put_desc(f, RING, d, hdr, 16, VRING_DESC_F_NEXT, (uint16_t)(d + 1));
	put_desc(f, RING, d + 1, data, len,
		 VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0),
		 (uint16_t)(d + 2));
	put_desc(f, RING, d + 2, st, 1, VRING_DESC_F_WRITE, 0);
	submit(f, (uint16_t)d);
	return f->ram[st];
}

static uint8_t status_of(struct fx *f, unsigned d)
{
	return f->ram[BUF + 0x100000 - 64 * (d + 1) + 16];
}

/* ---- tests ---------------------------------------------------------- */

static void test_legacy_read_write_flush(void **state)
{
	struct fx *f = *state;
	legacy_init(f);
	request(f, 0, 0, 8, BUF, 8192, true);
	leg_notify(f);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(status_of(f, 0), 0);
	assert_int_equal(used_len(f, 0), 8193);
	for (unsigned i = 0; i < 8192; i++)
		assert_int_equal(f->ram[BUF + i], pattern(4096 + i));
	/* INTx with ISR bit 0; reading ISR clears both. */
	assert_true(irq_level[11]);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 19), 1, false, 0), 1);
	assert_false(irq_level[11]);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 19), 1, false, 0), 0);
	/* Write 3 sectors at sector 100, flush, read through storage. */
	for (unsigned i = 0; i < 1536; i++)
		f->ram[BUF + 0x10000 + i] = (uint8_t)(i ^ 0x5a);
	request(f, 3, 1, 100, BUF + 0x10000, 1536, false);
	unsigned flushes = f->fs.flushes;
	put_hdr(f, BUF + 0x20000, 4, 0);
	put_desc(f, RING, 6, BUF + 0x20000, 16, VRING_DESC_F_NEXT, 7);
	put_desc(f, RING, 7, BUF + 0x20010, 1, VRING_DESC_F_WRITE, 0);
	f->ram[BUF + 0x20010] = 0xee;
	submit(f, 6);
	leg_notify(f);
	assert_int_equal(used_idx(f), 3);
	assert_int_equal(status_of(f, 3), 0);
	assert_int_equal(used_len(f, 1), 1);
	assert_int_equal(f->ram[BUF + 0x20010], 0);
	assert_true(f->fs.flushes > flushes);
	uint8_t back[1536];
	assert_int_equal(vhd_chain_read(f->disk, 100 * 512, back, 1536), ST_OK);
	for (unsigned i = 0; i < 1536; i++)
		assert_int_equal(back[i], (uint8_t)(i ^ 0x5a));
	/* The data is in the leaf: a fresh open of the chain sees it. */
	struct vhd_chain *c;
	assert_int_equal(vhd_chain_open(&f->env, "child.vhd", 0, &c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 100 * 512, back, 1536), ST_OK);
	assert_int_equal(back[1535], (uint8_t)(1535 ^ 0x5a));
	vhd_chain_close(c);
	/* GET_ID: 20 bytes of ID. */
	put_hdr(f, BUF + 0x30000, 8, 0);
	put_desc(f, RING, 8, BUF + 0x30000, 16, VRING_DESC_F_NEXT, 9);
	put_desc(f, RING, 9, BUF + 0x30100, 20, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, 10);
	put_desc(f, RING, 10, BUF + 0x30200, 1, VRING_DESC_F_WRITE, 0);
	f->ram[BUF + 0x30200] = 0xee;
	submit(f, 8);
	leg_notify(f);
	assert_int_equal(f->ram[BUF + 0x30200], 0);
	assert_int_equal(used_len(f, 3), 21);
	assert_string_equal((char *)f->ram + BUF + 0x30100, "hv-virtio-blk");
	/* Status 0 resets the device. */
	pio(f->vm, (uint16_t)(f->io + 18), 1, true, 0);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 8), 4, false, 0), 0);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 18), 1, false, 0), 0);
}

static void test_modern_msix_and_indirect(void **state)
{
	struct fx *f = *state;
	struct vm *vm = f->vm;
	unsigned cap = cfg_find_cap(vm, SLOT, PCI_CAP_MSIX);
	uint64_t tbl = cfg_rd(vm, SLOT, 0x14, 4) & ~0xfull;
	/* Five capabilities: MSI-X and common/ISR/device/notify. */
	unsigned types = 0, p = cfg_rd(vm, SLOT, PCI_CAP_PTR, 1);
	for (; p; p = cfg_rd(vm, SLOT, p + 1, 1))
		if (cfg_rd(vm, SLOT, p, 1) == PCI_CAP_VENDOR) {
			types |= 1u << cfg_rd(vm, SLOT, p + 3, 1);
			assert_int_equal(cfg_rd(vm, SLOT, p + 4, 1), 4);
			if (cfg_rd(vm, SLOT, p + 3, 1) == 2)
				assert_int_equal(cfg_rd(vm, SLOT, p + 16, 4), 4);
		}
	assert_int_equal(types, 0x1e);
	modern_init(f, 128);
	mmio(vm, tbl + 16, 8, true, 0xfee00000ull);
	mmio(vm, tbl + 24, 4, true, 0x31);
	mmio(vm, tbl + 28, 4, true, 0);
	cfg_wr(vm, SLOT, cap + 3, 1, 0x80);
	common(f, 0x1a, 2, true, 1);
	assert_int_equal(common(f, 0x1a, 2, false, 0), 1);
	common(f, 0x1a, 2, true, 7); /* no such vector */
	assert_int_equal(common(f, 0x1a, 2, false, 0), VIRTIO_NO_VECTOR);
	common(f, 0x1a, 2, true, 1);
	/* An indirect table of header, two data buffers and status. */
	uint64_t it = BUF + 0x40000;
	put_hdr(f, BUF + 0x41000, 0, 0);
	put_desc(f, it, 0, BUF + 0x41000, 16, VRING_DESC_F_NEXT, 1);
	put_desc(f, it, 1, BUF, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	put_desc(f, it, 3, BUF + 0x8000, 1024, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, 2);
	put_desc(f, it, 2, BUF + 0x41010, 1, VRING_DESC_F_WRITE, 0);
	put_desc(f, RING, 5, it, 64, VRING_DESC_F_INDIRECT, 0);
	submit(f, 5);
	mod_notify(f);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(f->ram[BUF + 0x41010], 0);
	assert_int_equal(used_len(f, 0), 1537);
	assert_int_equal(f->ram[BUF + 511], pattern(511));
	assert_int_equal(f->ram[BUF + 0x8000], pattern(512));
	assert_int_equal(f->ram[BUF + 0x8000 + 1023], pattern(1535));
	assert_int_equal(msi_count, 1);
	assert_int_equal(msi_data, 0x31);
	assert_false(irq_level[11]);
	/* The driver may suppress the interrupt. */
	f->ram[RING + 0x1000] = VRING_AVAIL_F_NO_INTERRUPT;
	request(f, 10, 4, 0, 0, 0, false);
	put_desc(f, RING, 10, BUF + 0x100000 - 64 * 11, 16, VRING_DESC_F_NEXT, 12);
	mod_notify(f);
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(status_of(f, 10), 0);
	assert_int_equal(msi_count, 1);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	legacy_init(f);
	/* Data outside RAM. */
	request(f, 0, 0, 0, RAM - 512, 1024, true);
	leg_notify(f);
	assert_int_equal(status_of(f, 0), 1);
	/* Sector past the end, and a range that wraps. */
	request(f, 3, 0, DISK / 512 - 1, BUF, 1024, true);
	request(f, 6, 1, ~0ull, BUF, 512, false);
	leg_notify(f);
	assert_int_equal(status_of(f, 3), 1);
	assert_int_equal(status_of(f, 6), 1);
	/* Unsupported type; data not whole sectors. */
	request(f, 9, 99, 0, BUF, 512, true);
	request(f, 12, 0, 0, BUF, 100, true);
	leg_notify(f);
	assert_int_equal(status_of(f, 9), 2);
	assert_int_equal(status_of(f, 12), 1);
	/* A short header. */
	put_desc(f, RING, 15, BUF, 8, VRING_DESC_F_NEXT, 16);
	put_desc(f, RING, 16, BUF + 0x100, 1, VRING_DESC_F_WRITE, 0);
	f->ram[BUF + 0x100] = 0xee;
	submit(f, 15);
	/* A zero-length status: completes with length 0, nothing written. */
	put_hdr(f, BUF + 0x200, 4, 0);
	put_desc(f, RING, 17, BUF + 0x200, 16, VRING_DESC_F_NEXT, 18);
	put_desc(f, RING, 18, BUF + 0x210, 0, VRING_DESC_F_WRITE, 0);
	f->ram[BUF + 0x210] = 0xee;
	submit(f, 17);
	/* The status byte outside RAM. */
	put_hdr(f, BUF + 0x300, 4, 0);
	put_desc(f, RING, 19, BUF + 0x300, 16, VRING_DESC_F_NEXT, 20);
	put_desc(f, RING, 20, RAM + 5, 1, VRING_DESC_F_WRITE, 0);
	submit(f, 19);
	/* An indirect table longer than any queue. */
	put_desc(f, RING, 21, BUF + 0x50000, 16 * 257, VRING_DESC_F_INDIRECT, 0);
	leg_notify(f);
	assert_int_equal(f->ram[BUF + 0x100], 1);
	assert_int_equal(used_len(f, 5), 1);
	assert_int_equal(used_len(f, 6), 0);
	assert_int_equal(f->ram[BUF + 0x210], 0xee);
	assert_int_equal(used_len(f, 7), 0);
	assert_int_equal(used_idx(f), 8);
	submit(f, 21);
	leg_notify(f);
	assert_int_equal(used_idx(f), 9);
	assert_int_equal(used_len(f, 8), 0);
	assert_true(pio(f->vm, (uint16_t)(f->io + 18), 1, false, 0) &
		    VIRTIO_S_NEEDS_RESET);
}

static void test_loop_and_bad_ring(void **state)
{
	struct fx *f = *state;
	modern_init(f, 16);
	/* 0 -> 1 -> 0: a loop ends in an error, not a spin. */
	put_desc(f, RING, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(f, RING, 1, BUF + 16, 16, VRING_DESC_F_NEXT, 0);
	submit(f, 0);
	mod_notify(f);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(used_len(f, 0), 0);
	assert_true(common(f, 0x14, 1, false, 0) & VIRTIO_S_NEEDS_RESET);
	/* Broken: further notifications are ignored until a reset. */
	request(f, 2, 4, 0, 0, 0, false);
	put_desc(f, RING, 2, BUF + 0x100000 - 64 * 3, 16, VRING_DESC_F_NEXT, 4);
	mod_notify(f);
	assert_int_equal(used_idx(f), 1);
	/* Reset, then a ring outside RAM, then an avail index too far. */
	f->avail_idx = 0;
	memset(f->ram + RING, 0, 0x3000);
	common(f, 0x14, 1, true, 0);
	assert_int_equal(common(f, 0x14, 1, false, 0), 0);
	common(f, 0x20, 8, true, RAM - 64);
	common(f, 0x1c, 2, true, 1);
	assert_int_equal(common(f, 0x1c, 2, false, 0), 0);
	assert_true(common(f, 0x14, 1, false, 0) & VIRTIO_S_NEEDS_RESET);
	common(f, 0x14, 1, true, 0);
	common(f, 0x18, 2, true, 100); /* not a power of two */
	common(f, 0x20, 8, true, RING);
	common(f, 0x28, 8, true, RING + 0x1000);
	common(f, 0x30, 8, true, RING + 0x2000);
	common(f, 0x1c, 2, true, 1);
	assert_true(common(f, 0x14, 1, false, 0) & VIRTIO_S_NEEDS_RESET);
	common(f, 0x14, 1, true, 0);
	modern_init(f, 16);
	uint16_t idx = 40;
	memcpy(f->ram + RING + 0x1002, &idx, 2);
	mod_notify(f);
	assert_int_equal(used_idx(f), 0);
	assert_true(common(f, 0x14, 1, false, 0) & VIRTIO_S_NEEDS_RESET);
	/* Legacy: a PFN outside RAM leaves the queue off. */
	pio(f->vm, (uint16_t)(f->io + 18), 1, true, 0);
	pio(f->vm, (uint16_t)(f->io + 8), 4, true, RAM >> 12);
	pio(f->vm, (uint16_t)(f->io + 16), 2, true, 0);
}

static void test_save_restore(void **state)
{
	struct fx *f = *state;
	struct device *d = f->blk;
	uint8_t *a = malloc(d->state_size), *b = malloc(d->state_size);
	uint8_t *bad = malloc(d->state_size);
	legacy_init(f);
	request(f, 0, 0, 0, BUF, 512, true);
	leg_notify(f);
	d->save(d, a);
	/* More use, then back to the saved point. */
	request(f, 3, 0, 1, BUF, 512, true);
	leg_notify(f);
	assert_int_equal(used_idx(f), 2);
	memcpy(bad, a, d->state_size);
	bad[0] ^= 0xff; /* version */
	d->save(d, b);
	assert_int_equal(d->restore(d, bad, d->state_size), ST_ECORRUPT);
	assert_int_equal(d->restore(d, a, d->state_size - 1), ST_ECORRUPT);
	memcpy(bad, a, d->state_size);
	bad[8] ^= 1; /* vendor ID in the config space */
	assert_int_equal(d->restore(d, bad, d->state_size), ST_ECORRUPT);
	uint8_t *c = malloc(d->state_size);
	d->save(d, c);
	assert_memory_equal(b, c, d->state_size); /* refusals changed nothing */
	d->reset(d);
	assert_int_equal(pio(f->vm, (uint16_t)(f->io + 8), 4, false, 0), 0);
	assert_int_equal(d->restore(d, a, d->state_size), ST_OK);
	d->save(d, c);
	assert_memory_equal(a, c, d->state_size);
	/* The restored device takes the second request again. */
	uint16_t back = 1;
	memcpy(f->ram + RING + 0x2002, &back, 2);
	f->ram[BUF + 0x100000 - 64 * 4 + 16] = 0xee;
	leg_notify(f);
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(status_of(f, 3), 0);
	assert_int_equal(f->ram[BUF], pattern(512));
	free(a), free(b), free(c), free(bad);
}

/* The child may not grow: a write to a block it lacks finds no room. */
static void volume_full(struct fx *f, bool full)
{
	f->fs.max_size = full ? memfs_find(&f->fs, "child.vhd")->size + 4096
			      : 64ull << 20;
}

static void test_full_volume_pauses(void **state)
{
	struct fx *f = *state;
	struct device *d = f->blk;
	struct vm *vm = f->vm;
	char reply[256];
	uint8_t *saved = malloc(d->state_size), back[1024];
	vm->dev[vm->ndevs++] = d; /* as vm_add_device does: continue finds it */
	legacy_init(f);
	assert_int_equal(vm_continue(vm, reply, sizeof reply), ST_EINVAL);
	for (unsigned i = 0; i < 1024; i++)
		f->ram[BUF + 0x10000 + i] = (uint8_t)(i * 7 + 1);
	uint64_t child_size = memfs_find(&f->fs, "child.vhd")->size;
	volume_full(f, true);
	request(f, 0, 1, 5000, BUF + 0x10000, 1024, false);
	request(f, 3, 0, 1, BUF, 512, true);
	leg_notify(f);
	/* Nothing completed, no status written, the VM paused and said why. */
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(status_of(f, 0), 0xee);
	assert_int_equal(status_of(f, 3), 0xee);
	assert_false(irq_level[11]);
	assert_int_equal(vm->pause, VM_PAUSED_DISK_FULL);
	assert_non_null(strstr(vm->pause_msg, "disk child.vhd: no space left "
					      "on the boot volume"));
	assert_non_null(strstr(last_log, "vm paused: make room"));
	assert_non_null(strstr(last_log, "then type continue"));
	/* The failed allocation left the leaf as it was. */
	assert_int_equal(memfs_find(&f->fs, "child.vhd")->size, child_size);
	vm_state_text(vm, reply, sizeof reply);
	assert_non_null(strstr(reply, "paused: disk child.vhd"));
	/* A stalled device takes no more (the guest is paused anyway). */
	leg_notify(f);
	assert_int_equal(used_idx(f), 0);
	d->save(d, saved);
	/* Still no room: continue says so and the VM stays paused. */
	unsigned logs = log_count;
	assert_int_equal(vm_continue(vm, reply, sizeof reply), ST_ENOSPC);
	assert_non_null(strstr(reply, "no space left on the boot volume"));
	assert_int_equal(log_count, logs); /* no second pause message */
	assert_int_equal(vm->pause, VM_PAUSED_DISK_FULL);
	assert_int_equal(used_idx(f), 0);
	/* Room made: both requests complete, the write is on the disk. */
	volume_full(f, false);
	assert_int_equal(vm_continue(vm, reply, sizeof reply), ST_OK);
	assert_string_equal(reply, "the VM runs again");
	assert_int_equal(vm->pause, VM_NOT_PAUSED);
	vm_state_text(vm, reply, sizeof reply);
	assert_string_equal(reply, "running");
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(status_of(f, 0), 0);
	assert_int_equal(status_of(f, 3), 0);
	assert_int_equal(f->ram[BUF], pattern(512));
	assert_true(irq_level[11]);
	assert_int_equal(vhd_chain_read(f->disk, 5000 * 512, back, 1024), ST_OK);
	assert_memory_equal(back, f->ram + BUF + 0x10000, 1024);
	/* A state saved while the write waited (a snapshot) still holds it
	 * as available: restored, the device takes it without a notify. */
	f->ram[BUF + 0x100000 - 64 + 16] = 0xee;
	f->ram[BUF + 0x100000 - 64 * 4 + 16] = 0xee;
	assert_int_equal(d->restore(d, saved, d->state_size), ST_OK);
	assert_int_equal(status_of(f, 0), 0xee);
	d->poll(d);
	assert_int_equal(status_of(f, 0), 0);
	assert_int_equal(status_of(f, 3), 0);
	assert_int_equal(used_idx(f), 2);
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_legacy_read_write_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_modern_msix_and_indirect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_and_bad_ring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_save_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_volume_pauses, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
