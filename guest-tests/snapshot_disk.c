/* snapshot_disk: a disk write after a snapshot is gone after applying it.
 * Drives the virtio-blk disk at 00:01.0 (lib/vblk.c): writes sector 1,
 * creates `disk`, overwrites sector 1 and writes sector 2, applies disk:
 * back at the create, sector 1 holds the first data and sector 2 the
 * base's zeros, and the device goes on from its restored state. Then the
 * same one layer deeper: sector 3 before and after `disk2`, apply disk2.
 * The host made sector 0 "BASE" (tools: build/hvdisk). */
#include "snap.h"
#include "vblk.h"

static uint8_t sector_buf[512] __attribute__((aligned(16)));

/* Sector `n` holds `text`, then zeros (or only zeros for text NULL). */
static void expect_sector(uint64_t n, const char *text, const char *when)
{
	char head[13];
	memset(sector_buf, 0xcc, sizeof sector_buf);
	ASSERT_EQ(vblk_io(0, n, sector_buf, 512), 0);
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
	ASSERT_EQ(vblk_io(1, n, sector_buf, 512), 0);
	vblk_flush();
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
	vblk_init();
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
