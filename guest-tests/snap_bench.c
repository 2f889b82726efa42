/* snap_bench: the guest of bench/snapshot_pause_bench.py. Dirties the RAM
 * above 1 MiB (all but its own image) with a non-zero pattern, takes
 * `snapshot create` through the console hypercall, polls `snapshot list`
 * until that snapshot is complete, prints its list line as
 * "snap_bench: line: ID PARENT NAME STATE PAUSE_US BYTES [*]" and exits 0.
 * Needs the hypervisor: on bare QEMU the hypercall is #UD. */
#include "snap.h"

#define PAGE		4096u
#define RANDOM_WORDS	256u	/* per page: 1 KiB that lz4 cannot shrink */
#define POLL_SPINS	(1u << 20)
#define MAX_POLLS	20000u

static struct region map[MAX_REGIONS];

/* One page: a quarter of xorshift noise, the rest one word repeated, so
 * that lz4 has real work and the copy shrinks about as ordinary memory
 * does (a few times, not to nothing). Every word is non-zero: the capture
 * skips zero pages. */
static void dirty_page(uint32_t *w, uint32_t addr)
{
	uint32_t x = addr ^ 0x9e3779b9u, i;
	for (i = 0; i < RANDOM_WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w[i] = x;
	}
	for (; i < PAGE / 4; i++)
		w[i] = addr | 1;
}

static uint64_t dirty_range(uint64_t start, uint64_t end)
{
	uint32_t img_start = (uint32_t)__image_start, img_end = (uint32_t)_end;
	uint64_t n = 0;
	start = (start + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	end &= ~(uint64_t)(PAGE - 1);
	if (start < 0x100000)
		start = 0x100000;
	if (end > 0xfffff000ull)
		end = 0xfffff000ull;
	for (uint64_t a = start; a < end; a += PAGE) {
		if (a >= img_start && a < img_end)
			continue;
		dirty_page((uint32_t *)(uint32_t)a, (uint32_t)a);
		n += PAGE;
	}
	return n;
}

/* Precondition: the memory map is read before anything is overwritten. */
static uint64_t dirty_ram(const struct mb_info *mbi)
{
	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	uint64_t dirtied = 0;
	ASSERTF(n > 0, "no multiboot memory map");
	for (int i = 0; i < n; i++)
		if (map[i].type == 1)
			dirtied += dirty_range(map[i].addr, map[i].addr + map[i].len);
	return dirtied;
}

/* The line of `snapshot list` (in hc_reply) whose first word is id, copied
 * NUL-terminated into line; 0 when there is none. */
static int find_line(const char *id, char *line, size_t cap)
{
	size_t idlen = strlen(id);
	for (const char *p = hc_reply; *p;) {
		const char *eol = p;
		while (*eol && *eol != '\n')
			eol++;
		if ((size_t)(eol - p) > idlen && !strncmp(p, id, idlen) &&
		    p[idlen] == ' ' && (size_t)(eol - p) < cap) {
			memcpy(line, p, eol - p);
			line[eol - p] = 0;
			return 1;
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

/* Word number n (from 0) of a space-separated line, copied into out. */
static void word(const char *line, int n, char *out, size_t cap)
{
	size_t k = 0;
	while (n-- > 0) {
		while (*line && *line != ' ')
			line++;
		while (*line == ' ')
			line++;
	}
	while (line[k] && line[k] != ' ' && k + 1 < cap) {
		out[k] = line[k];
		k++;
	}
	out[k] = 0;
}

static void spin(void)
{
	for (uint32_t i = 0; i < POLL_SPINS; i++)
		__asm__ volatile("pause");
}

void guest_main(const struct mb_info *mbi)
{
	char id[16], line[160], state[16];
	hc_init();
	uint64_t dirtied = dirty_ram(mbi);
	printf("snap_bench: dirtied %llu MiB\n", dirtied >> 20);

	struct hc_result r = console("snapshot create bench");
	ASSERTF(r.rax == 0, "snapshot create -> %d: %s", r.rax, hc_reply);
	printf("snap_bench: %s\n", hc_reply);
	/* "created snapshot ID": the id is the last word. */
	const char *last = hc_reply;
	for (const char *p = hc_reply; *p; p++)
		if (*p == ' ')
			last = p + 1;
	word(last, 0, id, sizeof id);

	for (uint32_t polls = 1;; polls++) {
		r = console("snapshot list");
		ASSERTF(r.rax == 0, "snapshot list -> %d: %s", r.rax, hc_reply);
		ASSERTF(find_line(id, line, sizeof line),
			"snapshot %s not listed:\n%s", id, hc_reply);
		word(line, 3, state, sizeof state);
		if (!strcmp(state, "complete")) {
			printf("snap_bench: %u polls\n", polls);
			break;
		}
		ASSERTF(!strcmp(state, "capturing"), "state %s", state);
		ASSERTF(polls < MAX_POLLS, "still capturing after %u polls", polls);
		spin();
	}
	printf("snap_bench: line: %s\n", line);
}
