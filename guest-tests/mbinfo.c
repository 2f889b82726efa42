/* mbinfo: checks the multiboot information (Multiboot Specification
 * 0.6.96, section 3.3) as QEMU's -kernel gives it: memory sizes, a memory
 * map with the PC's hole below 1 MiB whose RAM at 1 MiB agrees with
 * mem_upper, a command line that starts with the kernel's own file name, and
 * modules (-initrd). A module that starts with the line
 * "HVTEST-MODULE len=N sum=X" has its N following bytes checked against the
 * 32-bit byte sum X (hex). expect_mods=N on the command line checks the
 * module count. Prints what it found for the host-side test to compare. */
#include "guest.h"

#ifndef GUEST_NAME
#define GUEST_NAME "mbinfo"
#endif

extern uint32_t loader_bss_nonzero;
static struct region map[MAX_REGIONS];

static int in_ram(int n, uint64_t start, uint64_t end)
{
	for (int i = 0; i < n; i++)
		if (map[i].type == 1 && map[i].addr <= start &&
		    end <= map[i].addr + map[i].len)
			return 1;
	return 0;
}

static void check_map(const struct mb_info *mbi, int n)
{
	int low = 0;
	for (int i = 0; i < n; i++) {
		uint64_t s = map[i].addr, e = s + map[i].len;
		printf("mbinfo: mmap 0x%09llx-0x%09llx type %u\n", s, e, map[i].type);
		ASSERTF(map[i].len > 0, "empty mmap entry %d", i);
		if (map[i].type == 1) {
			ASSERTF(e <= 0xa0000 || s >= 0x100000,
				"RAM entry %d covers the 640K-1M hole", i);
			if (s == 0)
				low = 1;
		}
		for (int j = 0; j < i; j++) {
			uint64_t s2 = map[j].addr, e2 = s2 + map[j].len;
			ASSERTF(e <= s2 || e2 <= s, "mmap entries %d and %d overlap", j, i);
		}
	}
	ASSERTF(low, "no RAM entry at address 0");
	for (int i = 0; i < n; i++)
		if (map[i].type == 1 && map[i].addr == 0)
			ASSERTF(mbi->mem_lower == map[i].len >> 10,
				"mem_lower %u KiB, memory map has %llu KiB at 0",
				mbi->mem_lower, map[i].len >> 10);
	printf("mbinfo: mem_lower agrees with the memory map\n");

	/* RAM contiguous from 1 MiB, merging adjacent entries. */
	uint64_t end = 0x100000;
	for (int again = 1; again;) {
		again = 0;
		for (int i = 0; i < n; i++)
			if (map[i].type == 1 && map[i].addr <= end &&
			    map[i].addr + map[i].len > end) {
				end = map[i].addr + map[i].len;
				again = 1;
			}
	}
	printf("mbinfo: RAM from 1 MiB to 0x%llx\n", end);
	ASSERTF(mbi->mem_upper == (end - 0x100000) >> 10,
		"mem_upper %u KiB, memory map has %llu KiB at 1 MiB",
		mbi->mem_upper, (end - 0x100000) >> 10);
	printf("mbinfo: mem_upper agrees with the memory map\n");
	ASSERTF(in_ram(n, (uint32_t)__image_start, (uint32_t)_end),
		"kernel image not inside RAM of the map");
}

static void check_cmdline(const struct mb_info *mbi)
{
	char name[64];
	const char *cmd = mb_cmdline(mbi);
	printf("mbinfo: cmdline '%s'\n", cmd);
	ASSERTF(mbi->flags & MBI_CMDLINE, "no command line (flag 2)");
	mb_kernel_basename(mbi, name, sizeof(name));
	ASSERTF(!strcmp(name, GUEST_NAME ".elf"),
		"command line starts with '%s', not the kernel's name", name);
	while (*cmd == ' ')
		cmd++;
	while (*cmd && *cmd != ' ')
		cmd++;
	if (*cmd == ' ')
		cmd++;
	printf("mbinfo: kernel name ok, args '%s'\n", cmd);
}

static uint32_t hexval(const char *s, const char **endp)
{
	uint32_t v = 0;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
			: (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ? (*s | 0x20) - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v * 16 + (uint32_t)d;
	}
	*endp = s;
	return v;
}

static void check_module(int n, int i, const struct mb_module *m, const struct mb_info *mbi)
{
	uint32_t s = m->mod_start, e = m->mod_end;
	const char *str = m->string ? (const char *)m->string : "";
	printf("mbinfo: module %d 0x%08x-0x%08x (%u bytes) '%s'\n", i, s, e, e - s, str);
	ASSERTF(e >= s, "module %d ends before it starts", i);
	ASSERTF((s & 0xfff) == 0, "module %d not page aligned (header flag 0)", i);
	ASSERTF(in_ram(n, s, e), "module %d outside RAM", i);
	ASSERTF(e <= (uint32_t)__image_start || s >= (uint32_t)_end,
		"module %d overlaps the kernel image", i);
	ASSERTF(e <= (uint32_t)mbi || s >= (uint32_t)mbi + sizeof(*mbi),
		"module %d overlaps the multiboot information", i);
	static const char magic[] = "HVTEST-MODULE len=";
	const char *p = (const char *)s;
	if (e - s < sizeof(magic) || memcmp(p, magic, sizeof(magic) - 1))
		return;
	const char *q;
	uint32_t len = hexval(p + sizeof(magic) - 1, &q);
	ASSERTF(!strncmp(q, " sum=", 5), "module %d: bad test header", i);
	uint32_t want = hexval(q + 5, &q);
	ASSERTF(*q == '\n', "module %d: bad test header", i);
	const uint8_t *data = (const uint8_t *)q + 1;
	ASSERTF((uint32_t)data + len == e, "module %d: %u data bytes, header says %u",
		i, e - (uint32_t)data, len);
	uint32_t sum = 0;
	for (uint32_t k = 0; k < len; k++)
		sum += data[k];
	ASSERTF(sum == want, "module %d: byte sum 0x%x, header says 0x%x", i, sum, want);
	printf("mbinfo: module %d content verified (%u bytes)\n", i, len);
}

void guest_main(const struct mb_info *mbi)
{
	printf("mbinfo: info at %p flags 0x%x\n", (const void *)mbi, mbi->flags);
	ASSERTF(mbi->flags & MBI_MEM, "no mem_lower/mem_upper (flag 0)");
	ASSERTF(mbi->flags & MBI_MMAP, "no memory map (flag 6)");
	printf("mbinfo: mem_lower %u KiB, mem_upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
	ASSERTF(mbi->mem_lower >= 512 && mbi->mem_lower <= 640,
		"mem_lower %u KiB is no PC's conventional memory", mbi->mem_lower);
	ASSERTF(!loader_bss_nonzero, "the loader left bss non-zero");
	if (mbi->flags & MBI_LOADER_NAME)
		printf("mbinfo: boot loader '%s'\n", (const char *)mbi->boot_loader_name);

	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	ASSERTF(n >= 2, "memory map has %d entries", n);
	check_map(mbi, n);
	check_cmdline(mbi);

	uint32_t mods = mbi->flags & MBI_MODS ? mbi->mods_count : 0;
	printf("mbinfo: %u modules\n", mods);
	const struct mb_module *m = (const void *)mbi->mods_addr;
	for (uint32_t i = 0; i < mods; i++)
		check_module(n, (int)i, &m[i], mbi);
	char want[12];
	uint64_t v;
	if (mb_arg(mbi, "expect_mods", want, sizeof(want))) {
		ASSERTF(parse_size(want, &v), "bad expect_mods");
		ASSERT_EQ(mods, v);
	}
}
