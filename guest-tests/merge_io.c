/* merge_io: the guest of bench/merge_guest_bench.py: its disk throughput
 * while the hypervisor merges a deleted snapshot's layer, or, with
 * "mode=baseline" on the command line, the same run without the delete.
 * Drives the virtio-blk disk at 00:01.0 (lib/vblk.c), one 64 KiB request
 * at a time:
 *   snapshot create (1); FILL_MIB written (they land in leaf-1);
 *   snapshot create (2); 1 MiB written (into leaf-2);
 *   mode=delete: `snapshot delete 1`, which queues the commit of leaf-1
 *   into the base disk (with "delete=2": `snapshot delete 2`, which
 *   queues the stream of leaf-1 into the running leaf-2); `merge status`
 *   printed;
 *   the timed workload (TSC): "work=MIB" (default 16, at most 16: the
 *   written area ends below 64 MiB) written and as much read back from
 *   the filled area, alternating 64 KiB requests;
 *   `merge status` printed again: is the merge still pending?
 * and prints "merge_io: result: MODE BYTES TICKS TSC_HZ PENDING". Then
 * (delete mode) `merge now` and a check of the filled area, so a merge
 * that broke the disk fails the run. Each snapshot is waited for until
 * complete before going on, so no capture overlaps the workload. */
#include "snap.h"
#include "vblk.h"

#define CHUNK		(64u << 10)
#define SPC		(CHUNK / 512)		/* sectors per chunk */
#define MIB		(1u << 20)
#define FILL_MIB	24u
#define EXTRA_SECTOR	((32ull * MIB) / 512)	/* the 1 MiB after snapshot 2 */
#define WORK_SECTOR	((40ull * MIB) / 512)	/* the workload's writes */
#define WORK_MIB	16u	/* default of "work=MIB" */
#define POLLS		200000u

static uint8_t buf[CHUNK] __attribute__((aligned(4096)));

/* Each sector starts with its number and a tag, the rest a pattern of
 * both (not zeros: a merge must copy real data). */
static void stamp(uint64_t sector, uint32_t tag)
{
	for (unsigned s = 0; s < SPC; s++) {
		uint32_t *w = (uint32_t *)(buf + s * 512);
		w[0] = (uint32_t)(sector + s);
		w[1] = tag;
		for (unsigned i = 2; i < 128; i++)
			w[i] = (uint32_t)(sector + s) * 2654435761u ^ tag ^ i;
	}
}

static void write_chunk(uint64_t sector, uint32_t tag)
{
	stamp(sector, tag);
	ASSERT_EQ(vblk_io(1, sector, buf, CHUNK), 0);
}

/* Reads a chunk; checks the first words of each sector only (the guest
 * runs under TCG: a full compare would weigh on the timing). */
static void read_chunk(uint64_t sector, uint32_t tag)
{
	ASSERT_EQ(vblk_io(0, sector, buf, CHUNK), 0);
	for (unsigned s = 0; s < SPC; s++) {
		const uint32_t *w = (const uint32_t *)(buf + s * 512);
		ASSERTF(w[0] == (uint32_t)(sector + s) && w[1] == tag,
			"sector %llu holds %08x %08x, expected %08x %08x",
			sector + s, w[0], w[1], (uint32_t)(sector + s), tag);
	}
}

static void write_range(uint64_t sector, uint32_t mib, uint32_t tag)
{
	for (uint32_t i = 0; i < mib * (MIB / CHUNK); i++)
		write_chunk(sector + (uint64_t)i * SPC, tag);
	vblk_flush();
}

static unsigned snapshot(const char *name)
{
	unsigned id;
	ASSERT_EQ(snap_create(name, &id), 0);
	snap_wait_complete(name, POLLS);
	return id;
}

/* Prints `merge status` line by line; true if a merge is pending. */
static int merge_status(const char *when)
{
	struct hc_result r = console("merge status");
	ASSERTF(r.rax == 0, "merge status -> %d: %s", r.rax, hc_reply);
	int pending = strncmp(hc_reply, "no merges pending", 17) != 0;
	for (char *line = hc_reply; *line;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		int more = *end != 0;
		*end = 0;
		printf("merge_io: %s: | %s\n", when, line);
		line = more ? end + 1 : end;
	}
	return pending;
}

/* TSC ticks per second against PIT channel 2 (gate via port 0x61,
 * mode 0, 50 ms). */
static uint64_t tsc_hz(void)
{
	const uint16_t count = 59659;	/* 50 ms at 1.193182 MHz */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);		/* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	return (rdtsc() - t0) * 20;
}

/* The timed workload: alternating 64 KiB writes (a fresh area) and reads
 * (the filled area, whose layer the merge is copying). */
static uint64_t workload(uint32_t mib, uint64_t *bytes)
{
	uint32_t n = mib * (MIB / CHUNK);
	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		write_chunk(WORK_SECTOR + (uint64_t)i * SPC, 3);
		read_chunk((uint64_t)(i * 37u % (FILL_MIB * (MIB / CHUNK))) * SPC, 1);
	}
	vblk_flush();
	*bytes = 2ull * n * CHUNK;
	return rdtsc() - t0;
}

void guest_main(const struct mb_info *mbi)
{
	char mode[16] = "delete", work[16] = "", del[8] = "1";
	uint64_t bytes, ticks, hz, work_mib = WORK_MIB;
	unsigned id[2];

	mb_arg(mbi, "mode", mode, sizeof mode);
	ASSERTF(!strcmp(mode, "delete") || !strcmp(mode, "baseline"),
		"mode=%s: expected delete or baseline", mode);
	if (mb_arg(mbi, "work", work, sizeof work))
		ASSERTF(parse_size(work, &work_mib) && work_mib && work_mib <= 16,
			"work=%s: expected 1..16 (MiB)", work);
	mb_arg(mbi, "delete", del, sizeof del);
	ASSERTF(!strcmp(del, "1") || !strcmp(del, "2"), "delete=%s: expected 1 or 2",
		del);
	hc_init();
	vblk_init();
	hz = tsc_hz();
	id[0] = snapshot("one");
	write_range(0, FILL_MIB, 1);
	id[1] = snapshot("two");
	write_range(EXTRA_SECTOR, 1, 2);
	printf("merge_io: filled %u MiB, two snapshots\n", FILL_MIB);
	if (!strcmp(mode, "delete")) {
		char cmd[32];
		snprintf(cmd, sizeof cmd, "snapshot delete %u", id[del[0] - '1']);
		struct hc_result r = console(cmd);
		ASSERTF(r.rax == 0, "%s -> %d: %s", cmd, r.rax, hc_reply);
	}
	merge_status("before");
	ticks = workload((uint32_t)work_mib, &bytes);
	int pending = merge_status("after");
	printf("merge_io: result: %s %llu %llu %llu %s\n", mode, bytes, ticks, hz,
	       pending ? "pending" : "done");
	if (!strcmp(mode, "delete")) {
		struct hc_result r = console("merge now");
		ASSERTF(r.rax == 0, "merge now -> %d: %s", r.rax, hc_reply);
		printf("merge_io: merge now: %s\n", hc_reply);
		ASSERT(!merge_status("end"));
	}
	for (uint32_t i = 0; i < FILL_MIB * (MIB / CHUNK); i += 7)
		read_chunk((uint64_t)i * SPC, 1);
	printf("merge_io: the filled area reads back\n");
}
