/* snap.c: the snapshot guests' helpers (snap.h): the console hypercall,
 * the snapshot commands with their replies checked, `snapshot list`
 * parsed, and the free-RAM pattern. Everything here keeps its state in
 * guest RAM, so an apply brings it back as it was at the snapshot. */
#include "snap.h"

char hc_reply[HC_REPLY_SIZE];
static int intel;

void hc_init(void)
{
	intel = cpuid(0, 0).ebx == 0x756e6547; /* "Genu" */
}

struct hc_result hc_call(uint32_t fn, const char *cmd, char *reply, uint32_t size)
{
	uint32_t a = fn, d = size;
	if (intel)
		__asm__ volatile("vmcall" : "+a"(a), "+d"(d)
				 : "b"(cmd), "c"(reply) : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(a), "+d"(d)
				 : "b"(cmd), "c"(reply) : "memory");
	return (struct hc_result){ (int32_t)a, d };
}

struct hc_result console(const char *cmd)
{
	return hc_call(HC_CONSOLE, cmd, hc_reply, sizeof hc_reply);
}

/* A decimal number at *s (at least one digit); 0 when there is none. */
static int parse_dec(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == *s)
		return 0;
	*s = p;
	*out = v;
	return 1;
}

int snap_create(const char *name, unsigned *id)
{
	char cmd[64];
	if (name)
		snprintf(cmd, sizeof cmd, "snapshot create %s", name);
	else
		snprintf(cmd, sizeof cmd, "snapshot create");
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == 0 || r.rax == 1, "'%s' -> %d: %s", cmd, r.rax, hc_reply);
	ASSERTF(r.rdx == strlen(hc_reply), "'%s' -> %d with RDX %u, reply '%s'",
		cmd, r.rax, r.rdx, hc_reply);
	const char *p = hc_reply;
	uint64_t v;
	ASSERTF(!strncmp(p, "created snapshot ", 17), "'%s' -> %d, reply '%s'",
		cmd, r.rax, hc_reply);
	p += 17;
	ASSERTF(parse_dec(&p, &v) && !*p, "'%s': no id in '%s'", cmd, hc_reply);
	*id = (unsigned)v;
	return r.rax;
}

/* Splits line at blanks in place; returns the number of words. */
static int split(char *line, char **word, int max)
{
	int n = 0;
	for (;;) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || n == max)
			return n;
		word[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
		if (*line)
			*line++ = 0;
	}
}

/* `row` (the line's first word) names the line in messages. */
static void copy_word(char *dst, size_t size, const char *src, const char *row)
{
	ASSERTF(strlen(src) < size, "snapshot list: '%s' too long on line %s", src, row);
	memcpy(dst, src, strlen(src) + 1);
}

static uint64_t number(const char *word, const char *row)
{
	const char *p = word;
	uint64_t v;
	ASSERTF(parse_dec(&p, &v) && !*p, "snapshot list: '%s' is no number on line %s",
		word, row);
	return v;
}

static void parse_header(char *line)
{
	static const char *const cols[] = { "ID", "PARENT", "NAME", "STATE",
					    "PAUSE_US", "BYTES" };
	char *w[8];
	int n = split(line, w, 8);
	ASSERTF(n == 6, "snapshot list: header has %d columns", n);
	for (int i = 0; i < 6; i++)
		ASSERTF(!strcmp(w[i], cols[i]), "snapshot list: header column %d is '%s'",
			i + 1, w[i]);
}

static void parse_entry(char *line, struct snap_entry *e)
{
	char *w[8];
	int n = split(line, w, 8);
	ASSERTF(n == 6 || (n == 7 && !strcmp(w[6], "*")),
		"snapshot list: line with %d columns", n);
	e->id = (unsigned)number(w[0], w[0]);
	e->parent = strcmp(w[1], "-") ? (int)number(w[1], w[0]) : -1;
	copy_word(e->name, sizeof e->name, w[2], w[0]);
	copy_word(e->state, sizeof e->state, w[3], w[0]);
	ASSERTF(!strcmp(e->state, "capturing") || !strcmp(e->state, "complete"),
		"snapshot list: snapshot %u in state '%s'", e->id, e->state);
	e->pause_us = number(w[4], w[0]);
	e->bytes = number(w[5], w[0]);
	e->current = n == 7;
}

int snap_list(struct snap_entry *e, int max, const char *tag)
{
	struct hc_result r = console("snapshot list");
	ASSERTF(r.rax == 0, "snapshot list -> %d: %s", r.rax, hc_reply);
	ASSERT_EQ(r.rdx, strlen(hc_reply));
	int n = -1;
	for (char *line = hc_reply; *line;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		int more = *end != 0;
		*end = 0;
		if (tag)
			printf("%s: | %s\n", tag, line);
		if (*line && n < 0) {
			parse_header(line);
			n = 0;
		} else if (*line) {
			ASSERTF(n < max, "snapshot list: more than %d snapshots", max);
			parse_entry(line, &e[n++]);
		}
		line = more ? end + 1 : end;
	}
	ASSERTF(n >= 0, "snapshot list: no header line");
	return n;
}

const struct snap_entry *snap_find(const struct snap_entry *e, int n,
				   const char *name)
{
	const char *p = name;
	uint64_t id;
	int by_id = parse_dec(&p, &id) && !*p;
	for (int i = 0; i < n; i++)
		if (by_id ? e[i].id == id : !strcmp(e[i].name, name))
			return &e[i];
	return NULL;
}

int snap_current(const struct snap_entry *e, int n, const struct snap_entry **which)
{
	int count = 0;
	*which = NULL;
	for (int i = 0; i < n; i++)
		if (e[i].current) {
			count++;
			*which = &e[i];
		}
	return count;
}

int32_t snap_apply(const char *what)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "snapshot apply %s", what);
	return console(cmd).rax;
}

void snap_wait_complete(const char *name, unsigned tries)
{
	static struct snap_entry e[SNAP_MAX];
	for (unsigned t = 0; t < tries; t++) {
		int n = snap_list(e, SNAP_MAX, NULL);
		const struct snap_entry *s = snap_find(e, n, name);
		ASSERTF(s, "snapshot %s is not listed", name);
		if (!strcmp(s->state, "complete"))
			return;
		for (volatile unsigned spin = 0; spin < 1000000; spin++)
			__asm__ volatile("pause");
	}
	fail(__FILE__, __LINE__, "snapshot %s still capturing after %u polls", name, tries);
}

struct range { uint32_t start, end; };
static struct range ranges[2 * MAX_REGIONS];
static int nranges;

static void add(uint64_t start, uint64_t end)
{
	start = (start + 3) & ~3ull;
	end &= ~3ull;
	if (end > 0xfffff000ull)
		end = 0xfffff000ull;
	if (end > start)
		ranges[nranges++] = (struct range){ (uint32_t)start, (uint32_t)end };
}

void mem_init(const struct mb_info *mbi)
{
	static struct region map[MAX_REGIONS];
	int n = mb_copy_mmap(mbi, map, MAX_REGIONS);
	ASSERTF(n > 0, "no multiboot memory map");
	uint64_t img_start = (uint32_t)__image_start, img_end = (uint32_t)_end;
	for (int i = 0; i < n; i++) {
		uint64_t a = map[i].addr, b = map[i].addr + map[i].len;
		if (map[i].type != 1 || a >= 0x100000000ull)
			continue;
		if (b <= img_start || a >= img_end) {
			add(a, b);
		} else {
			add(a, img_start);
			add(img_end, b);
		}
	}
	ASSERTF(nranges > 0, "no free RAM in the memory map");
}

uint32_t mem_free_kib(void)
{
	uint32_t kib = 0;
	for (int i = 0; i < nranges; i++)
		kib += (ranges[i].end - ranges[i].start) >> 10;
	return kib;
}

static int compressible;

void mem_compressible(int on)
{
	compressible = on;
}

/* Pages are told apart by their number mod 8: zero_slot is all zeros; the
 * others hold p ^ seed, which lz4 cannot shrink. With mem_compressible(1),
 * only slot 0 does; the rest repeat a 64-byte run that still names its
 * page (p without bits 6-11), which a capture compresses as it does most
 * real memory (and Bochs stays quick). */
static inline uint32_t pattern(uint32_t p, uint32_t seed, int zero_slot)
{
	uint32_t slot = (p >> 12) & 7;
	if (zero_slot >= 0 && slot == (uint32_t)zero_slot)
		return 0;
	return (compressible && slot ? p & ~0xfc0u : p) ^ seed;
}

void mem_fill(uint32_t seed, int zero_slot)
{
	for (int i = 0; i < nranges; i++)
		for (uint32_t p = ranges[i].start; p < ranges[i].end; p += 4)
			*(volatile uint32_t *)p = pattern(p, seed, zero_slot);
}

void mem_verify(uint32_t seed, int zero_slot, const char *what)
{
	uint32_t first = 0, first_val = 0, bad_pages = 0, last_bad_page = 0;
	for (int i = 0; i < nranges; i++)
		for (uint32_t p = ranges[i].start; p < ranges[i].end; p += 4) {
			uint32_t v = *(volatile uint32_t *)p;
			if (v == pattern(p, seed, zero_slot))
				continue;
			if (!bad_pages) {
				first = p;
				first_val = v;
			}
			/* Count pages, not words, to tell a few torn pages from
			 * memory that was not restored at all. */
			if (!bad_pages || p >> 12 != last_bad_page)
				bad_pages++;
			last_bad_page = p >> 12;
		}
	if (bad_pages)
		fail(__FILE__, __LINE__, "%s: RAM at 0x%08x holds 0x%08x, expected 0x%08x "
		     "(%u pages differ, of %u KiB free RAM)", what, first, first_val,
		     pattern(first, seed, zero_slot), bad_pages, mem_free_kib());
}
