/* snapshot_disk: a disk write after a snapshot is gone after applying it.
 * Drives the virtio-blk disk at 00:01.0 through its legacy interface
 * (virtio 1.x spec, 4.1.4.8; split virtqueue, 2.7): writes sector 1,
 * creates `disk`, overwrites sector 1 and writes sector 2, applies disk:
 * back at the create, sector 1 holds the first data and sector 2 the
 * base's zeros, and the device goes on from its restored state. Then the
 * same one layer deeper: sector 3 before and after `disk2`, apply disk2.
 * The host made sector 0 "BASE" (tools: build/hvdisk). */
#include "snap.h"

enum { REG_GUEST_FEATURES = 0x04, REG_QUEUE_PFN = 0x08, REG_QUEUE_SIZE = 0x0c,
       REG_QUEUE_SEL = 0x0e, REG_NOTIFY = 0x10, REG_STATUS = 0x12 };
enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4 };
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4 };
enum { D_NEXT = 1, D_WRITE = 2 };
#define QSIZE 256

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
} __attribute__((packed));

struct req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
} __attribute__((packed));

/* The legacy layout for QSIZE entries: descriptors, available ring, then
 * the used ring on the next page. */
static uint8_t ring[3 * 4096] __attribute__((aligned(4096)));
static struct desc *const desc = (struct desc *)ring;
static volatile uint16_t *const avail = (volatile uint16_t *)(ring + 4096);
static volatile uint16_t *const used = (volatile uint16_t *)(ring + 8192);
static uint16_t io, next_avail;
static struct req_hdr hdr;
static volatile uint8_t status;
static uint8_t sector_buf[512] __attribute__((aligned(16)));

static uint32_t pci_read(unsigned slot, unsigned off)
{
	outl(0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc));
	return inl(0xcfc);
}

/* One request (header, optional 512-byte data, status); returns the
 * status byte the device wrote. */
static int request(uint32_t type, uint64_t sector, int with_data)
{
	hdr = (struct req_hdr){ type, 0, sector };
	status = 0xee;
	desc[0] = (struct desc){ (uint32_t)&hdr, sizeof hdr, D_NEXT, 1 };
	desc[1] = (struct desc){ (uint32_t)sector_buf, 512,
				 (uint16_t)(D_NEXT | (type == T_IN ? D_WRITE : 0)), 2 };
	desc[2] = (struct desc){ (uint32_t)&status, 1, D_WRITE, 0 };
	if (!with_data)
		desc[0].next = 2;
	uint16_t seen = used[1];
	avail[2 + next_avail % QSIZE] = 0;
	next_avail++;
	__asm__ volatile("" ::: "memory");
	avail[1] = next_avail;
	outw(io + REG_NOTIFY, 0);
	for (unsigned spin = 0; used[1] == seen; spin++)
		ASSERTF(spin < 200000000u, "request %u on sector %llu never completed",
			type, sector);
	return status;
}

/* Sector `n` holds `text`, then zeros (or only zeros for text NULL). */
static void expect_sector(uint64_t n, const char *text, const char *when)
{
	char head[13];
	memset(sector_buf, 0xcc, sizeof sector_buf);
	ASSERT_EQ(request(T_IN, n, 1), 0);
	size_t len = text ? strlen(text) : 0;
	for (unsigned i = 0; i < 12; i++)
		head[i] = sector_buf[i] >= 0x20 && sector_buf[i] < 0x7f ? (char)sector_buf[i] : '.';
	head[12] = 0;
	ASSERTF(!memcmp(sector_buf, text ? text : "", len),
		"%s: sector %llu starts '%s', expected '%s'", when, n, head, text);
	for (size_t i = len; i < 512; i++)
		ASSERTF(!sector_buf[i], "%s: sector %llu byte %u is 0x%02x", when, n,
			(unsigned)i, sector_buf[i]);
}

static void write_sector(uint64_t n, const char *text)
{
	memset(sector_buf, 0, sizeof sector_buf);
	memcpy(sector_buf, text, strlen(text));
	ASSERT_EQ(request(T_OUT, n, 1), 0);
	ASSERT_EQ(request(T_FLUSH, 0, 0), 0);
}

static void init_device(void)
{
	ASSERT_EQ(pci_read(1, 0), 0x10011af4);
	io = (uint16_t)(pci_read(1, 0x10) & ~3u);
	outb(io + REG_STATUS, 0);
	outb(io + REG_STATUS, S_ACK);
	outb(io + REG_STATUS, S_ACK | S_DRIVER);
	outl(io + REG_GUEST_FEATURES, 0);
	outw(io + REG_QUEUE_SEL, 0);
	ASSERT_EQ(inw(io + REG_QUEUE_SIZE), QSIZE);
	outl(io + REG_QUEUE_PFN, (uint32_t)ring >> 12);
	outb(io + REG_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
}

static void __attribute__((noreturn)) apply(const char *what)
{
	int32_t rax = snap_apply(what);
	fail(__FILE__, __LINE__, "snapshot apply %s returned %d: %s", what, rax, hc_reply);
}

/* Back at `disk`, one layer deeper: sector 3 is written before `disk2`
 * and overwritten after it; applying disk2 brings the first back. */
static void second_layer(void)
{
	unsigned id;
	write_sector(3, "LAYER2-BEFORE");
	if (snap_create("disk2", &id) == 0) {
		write_sector(3, "LAYER2-AFTER");
		expect_sector(3, "LAYER2-AFTER", "after disk2");
		apply("disk2");
	}
	expect_sector(3, "LAYER2-BEFORE", "back at disk2");
	expect_sector(1, "AGAIN", "back at disk2");
	expect_sector(2, NULL, "back at disk2");
	expect_sector(0, "BASE", "back at disk2");
	printf("snapshot_disk: back at disk2: sector 3 as at the snapshot\n");
}

void guest_main(const struct mb_info *mbi)
{
	unsigned id;
	(void)mbi;
	hc_init();
	init_device();
	expect_sector(0, "BASE", "at start");
	write_sector(1, "BEFORE");
	if (snap_create("disk", &id) == 0) {
		write_sector(1, "AFTER");
		write_sector(2, "NEW");
		expect_sector(1, "AFTER", "after the snapshot");
		expect_sector(2, "NEW", "after the snapshot");
		printf("snapshot_disk: wrote sectors 1 and 2 after creating disk\n");
		apply("disk");
	}
	expect_sector(1, "BEFORE", "back at disk");
	expect_sector(2, NULL, "back at disk");
	expect_sector(0, "BASE", "back at disk");
	printf("snapshot_disk: back at disk: the writes after it are gone\n");
	write_sector(1, "AGAIN");
	expect_sector(1, "AGAIN", "after the apply");
	printf("snapshot_disk: the disk takes writes after the apply\n");
	second_layer();
}
