/* vblk.c: the merge guests' virtio-blk driver and sector patterns
 * (vblk.h). One request is in flight at a time: descriptors 0 (header),
 * 1 (data) and 2 (status), the guest spinning on the used ring's index
 * until the device has taken it. */
#include "vblk.h"

enum { REG_GUEST_FEATURES = 0x04, REG_QUEUE_PFN = 0x08, REG_QUEUE_SIZE = 0x0c,
       REG_QUEUE_SEL = 0x0e, REG_NOTIFY = 0x10, REG_STATUS = 0x12,
       REG_CONFIG = 0x14 };
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
static uint8_t buf[VBLK_MAX_SECTORS * VBLK_SECTOR] __attribute__((aligned(16)));

static uint32_t pci_read(unsigned slot, unsigned off)
{
	outl(0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc));
	return inl(0xcfc);
}

/* One request (header, `len` data bytes at data or none, status);
 * returns the status byte the device wrote. */
static int request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	hdr = (struct req_hdr){ type, 0, sector };
	status = 0xee;
	desc[0] = (struct desc){ (uint32_t)&hdr, sizeof hdr, D_NEXT, 1 };
	desc[1] = (struct desc){ (uint32_t)data, len,
				 (uint16_t)(D_NEXT | (type == T_IN ? D_WRITE : 0)), 2 };
	desc[2] = (struct desc){ (uint32_t)&status, 1, D_WRITE, 0 };
	if (!len)
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

void vblk_init(void)
{
	ASSERTF(pci_read(1, 0) == 0x10011af4, "no virtio-blk at 00:01.0 (id 0x%08x)",
		pci_read(1, 0));
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

uint64_t vblk_capacity(void)
{
	return inl(io + REG_CONFIG) | (uint64_t)inl(io + REG_CONFIG + 4) << 32;
}

void vblk_read(uint64_t sector, void *dst, unsigned n)
{
	ASSERTF(n && n <= VBLK_MAX_SECTORS, "vblk_read of %u sectors", n);
	int st = request(T_IN, sector, dst, n * VBLK_SECTOR);
	ASSERTF(st == 0, "reading %u sectors at %llu: status %d", n, sector, st);
}

void vblk_write(uint64_t sector, const void *src, unsigned n)
{
	ASSERTF(n && n <= VBLK_MAX_SECTORS, "vblk_write of %u sectors", n);
	int st = request(T_OUT, sector, (void *)src, n * VBLK_SECTOR);
	ASSERTF(st == 0, "writing %u sectors at %llu: status %d", n, sector, st);
}

int vblk_io(int write, uint64_t sector, void *data, uint32_t len)
{
	return request(write ? T_OUT : T_IN, sector, data, len);
}

int vblk_try_write(uint64_t sector, const void *src, unsigned n)
{
	ASSERTF(n && n <= VBLK_MAX_SECTORS, "vblk_write of %u sectors", n);
	return request(T_OUT, sector, (void *)src, n * VBLK_SECTOR);
}

void vblk_flush(void)
{
	int st = request(T_FLUSH, 0, NULL, 0);
	ASSERTF(st == 0, "flush: status %d", st);
}

/* Word i of sector s under tag t; test_merge.py's pattern() is the same. */
static uint32_t word(char t, uint64_t s, uint32_t i)
{
	uint32_t x = (uint32_t)s * 0x9e3779b1u ^ (uint32_t)(uint8_t)t * 0x85ebca77u;
	x ^= i * 0xc2b2ae3du;
	return x ^ x >> 15;
}

#define HEAD 32

void pattern_fill(uint8_t *b, char tag, uint64_t sector)
{
	memset(b, 0, HEAD);
	snprintf((char *)b, HEAD, "merge %c %llu", tag, sector);
	for (uint32_t i = HEAD / 4; i < VBLK_SECTOR / 4; i++)
		((uint32_t *)b)[i] = word(tag, sector, i);
}

char pattern_which(const uint8_t *b, uint64_t sector)
{
	static uint8_t want[VBLK_SECTOR];
	unsigned i;
	for (i = 0; i < VBLK_SECTOR && !b[i]; i++)
		;
	if (i == VBLK_SECTOR)
		return 0;
	if (strncmp((const char *)b, "merge ", 6) || !b[6])
		return '?';
	pattern_fill(want, (char)b[6], sector);
	return memcmp(b, want, VBLK_SECTOR) ? '?' : (char)b[6];
}

void pattern_write(char tag, uint64_t first, uint64_t count)
{
	while (count) {
		unsigned n = count < VBLK_MAX_SECTORS ? (unsigned)count : VBLK_MAX_SECTORS;
		for (unsigned i = 0; i < n; i++)
			pattern_fill(buf + i * VBLK_SECTOR, tag, first + i);
		vblk_write(first, buf, n);
		first += n;
		count -= n;
	}
}

/* A tag for messages: the letter, or "zeros" / "something else". */
static const char *tag_name(char t, char *text)
{
	if (!t)
		return "zeros";
	if (t == '?')
		return "something else";
	text[0] = t;
	text[1] = 0;
	return text;
}

void pattern_expect(uint64_t first, uint64_t count, char (*want)(uint64_t),
		    const char *when)
{
	char a[2], b[2];
	while (count) {
		unsigned n = count < VBLK_MAX_SECTORS ? (unsigned)count : VBLK_MAX_SECTORS;
		vblk_read(first, buf, n);
		for (unsigned i = 0; i < n; i++) {
			char got = pattern_which(buf + i * VBLK_SECTOR, first + i);
			char exp = want(first + i);
			ASSERTF(got == exp, "%s: sector %llu holds %s, expected %s", when,
				first + i, tag_name(got, a), tag_name(exp, b));
		}
		first += n;
		count -= n;
	}
}
