/* virtio_blk: drives the virtio-blk disk at 00:01.0 through its legacy
 * interface (virtio 1.x spec, 4.1.4.8 "Legacy Interfaces"; split
 * virtqueue, 2.7): reads sector 0 (the host put "BASE" there), writes
 * sector 1 ("GUESTWROTE" + a pattern) and flushes; then the malformed
 * requests the device must answer with an error and no harm: a sector
 * past the end, a buffer outside guest RAM, a header of the wrong size,
 * an unknown request type, and finally a descriptor loop, after which
 * the device asks for a reset. The host checks sector 1 with hvdisk. */
#include "guest.h"

enum { REG_FEATURES = 0x00, REG_GUEST_FEATURES = 0x04, REG_QUEUE_PFN = 0x08,
       REG_QUEUE_SIZE = 0x0c, REG_QUEUE_SEL = 0x0e, REG_NOTIFY = 0x10,
       REG_STATUS = 0x12, REG_CONFIG = 0x14 };
enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_NEEDS_RESET = 0x40 };
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_BOGUS = 0x77 };
enum { BLK_OK = 0, BLK_IOERR = 1, BLK_UNSUPP = 2 };
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

/* Descriptor table, then the available ring, then (page aligned) the
 * used ring: the legacy layout for QSIZE entries. */
static uint8_t ring[3 * 4096] __attribute__((aligned(4096)));
static struct desc *const desc = (struct desc *)ring;
static volatile uint16_t *const avail = (volatile uint16_t *)(ring + 4096);
static volatile uint16_t *const used = (volatile uint16_t *)(ring + 8192);
static uint16_t io, next_avail;
static struct req_hdr hdr;
static volatile uint8_t status;
static uint8_t buf[512] __attribute__((aligned(16)));

static uint32_t pci_read(unsigned slot, unsigned off)
{
	outl(0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc));
	return inl(0xcfc);
}

/* Posts descriptor chain `head` and waits for the device to use it. */
static void submit(uint16_t head)
{
	uint16_t seen = used[1];
	avail[2 + next_avail % QSIZE] = head;
	next_avail++;
	__asm__ volatile("" ::: "memory");
	avail[1] = next_avail;
	outw(io + REG_NOTIFY, 0);
	for (unsigned spin = 0; used[1] == seen; spin++)
		ASSERTF(spin < 100000000u, "request never completed");
}

/* header, optional data buffer, status byte; returns the status. */
static int request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
		   int device_writes, uint32_t hdr_len)
{
	hdr = (struct req_hdr){ type, 0, sector };
	status = 0xee;
	unsigned n = 0;
	desc[n] = (struct desc){ (uint32_t)&hdr, hdr_len, D_NEXT, 1 };
	if (len) {
		n++;
		desc[n] = (struct desc){ data, len,
					 (uint16_t)(D_NEXT | (device_writes ? D_WRITE : 0)),
					 (uint16_t)(n + 1) };
	}
	n++;
	desc[n] = (struct desc){ (uint32_t)&status, 1, D_WRITE, 0 };
	submit(0);
	return status;
}

static void init_device(void)
{
	outb(io + REG_STATUS, 0);
	outb(io + REG_STATUS, S_ACK);
	outb(io + REG_STATUS, S_ACK | S_DRIVER);
	printf("virtio_blk: device features %08x\n", inl(io + REG_FEATURES));
	outl(io + REG_GUEST_FEATURES, 0);
	outw(io + REG_QUEUE_SEL, 0);
	ASSERT_EQ(inw(io + REG_QUEUE_SIZE), QSIZE);
	outl(io + REG_QUEUE_PFN, (uint32_t)ring >> 12);
	outb(io + REG_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
}

static void good_requests(uint32_t sectors)
{
	ASSERT_EQ(request(T_IN, 0, (uint32_t)buf, 512, 1, 16), BLK_OK);
	ASSERTF(!memcmp(buf, "BASE", 4), "sector 0 lacks the host's data");
	printf("virtio_blk: sector 0 holds the host's data\n");
	for (unsigned i = 0; i < 512; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	memcpy(buf, "GUESTWROTE", 10);
	ASSERT_EQ(request(T_OUT, 1, (uint32_t)buf, 512, 0, 16), BLK_OK);
	ASSERT_EQ(request(T_FLUSH, 0, 0, 0, 0, 16), BLK_OK);
	memset(buf, 0, sizeof buf);
	ASSERT_EQ(request(T_IN, 1, (uint32_t)buf, 512, 1, 16), BLK_OK);
	ASSERT(!memcmp(buf, "GUESTWROTE", 10) && buf[511] == (uint8_t)(511 * 7 + 3));
	ASSERT_EQ(request(T_IN, sectors - 1, (uint32_t)buf, 512, 1, 16), BLK_OK);
	printf("virtio_blk: wrote, flushed and read back sector 1\n");
}

static void bad_requests(uint32_t sectors)
{
	ASSERT_EQ(request(T_IN, sectors, (uint32_t)buf, 512, 1, 16), BLK_IOERR);
	ASSERT_EQ(request(T_OUT, sectors - 1, (uint32_t)buf, 1024, 0, 16), BLK_IOERR);
	ASSERT_EQ(request(T_IN, 0, 0xfff00000ull, 512, 1, 16), BLK_IOERR);
	ASSERT_EQ(request(T_IN, 0, 0x4000000000ull, 512, 1, 16), BLK_IOERR);
	ASSERT_EQ(request(T_IN, 0, (uint32_t)buf, 512, 1, 8), BLK_IOERR);
	ASSERT_EQ(request(T_BOGUS, 0, 0, 0, 0, 16), BLK_UNSUPP);
	printf("virtio_blk: malformed requests answered with errors\n");
	/* A descriptor that chains to itself: the device must not spin. */
	desc[0] = (struct desc){ (uint32_t)&hdr, 16, D_NEXT, 0 };
	submit(0);
	ASSERT(inb(io + REG_STATUS) & S_NEEDS_RESET);
	printf("virtio_blk: a descriptor loop makes the device ask for a reset\n");
	outb(io + REG_STATUS, 0);
	ASSERT_EQ(inb(io + REG_STATUS), 0);
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	uint32_t id = pci_read(1, 0);
	printf("virtio_blk: 00:01.0 reads %08x\n", id);
	ASSERT_EQ(id, 0x10011af4);
	ASSERT_EQ(pci_read(1, 0x2c) >> 16, 2); /* subsystem: block device */
	io = (uint16_t)(pci_read(1, 0x10) & ~3u);
	init_device();
	uint32_t sectors = inl(io + REG_CONFIG);
	printf("virtio_blk: capacity %u sectors\n", sectors);
	ASSERT(sectors >= 16);
	good_requests(sectors);
	bad_requests(sectors);
}
