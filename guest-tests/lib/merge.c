/* merge.c: the merge guests' layout, console commands and waiting
 * (merge.h). */
#include "merge.h"

uint64_t layout_n = 256, layout_at;

/* A command-line number into *v; 0 when absent. */
static int arg_number(const struct mb_info *mbi, const char *name, uint64_t *v)
{
	char arg[24];
	if (!mb_arg(mbi, name, arg, sizeof arg))
		return 0;
	ASSERTF(parse_size(arg, v), "%s=%s: not a number", name, arg);
	return 1;
}

void layout_init(const struct mb_info *mbi)
{
	hc_init();
	vblk_init();
	if (arg_number(mbi, "sectors", &layout_n))
		ASSERTF(layout_n && !(layout_n % 64), "sectors=%llu: expected a "
			"multiple of 64", layout_n);
	arg_number(mbi, "at", &layout_at);
	ASSERTF(vblk_capacity() >= layout_at + layout_n * 3 / 2, "the disk has %llu "
		"sectors, the layout needs %llu", vblk_capacity(),
		layout_at + layout_n * 3 / 2);
}

/* s inside [at + lo * N / 8, at + hi * N / 8) */
static int within(uint64_t s, unsigned lo, unsigned hi)
{
	return s >= layout_at + layout_n * lo / 8 && s < layout_at + layout_n * hi / 8;
}

char want_a(uint64_t s)
{
	return within(s, 0, 8) ? 'A' : 0;
}

char want_ab(uint64_t s)
{
	return within(s, 2, 6) ? 'B' : want_a(s);
}

char want_abc(uint64_t s)
{
	return within(s, 5, 9) ? 'C' : want_ab(s);
}

unsigned layout_phase(const struct mb_info *mbi)
{
	char phase[8];
	ASSERTF(mb_arg(mbi, "phase", phase, sizeof phase), "no phase= on the command line");
	ASSERTF(!strcmp(phase, "1") || !strcmp(phase, "2"), "phase=%s: expected 1 or 2",
		phase);
	return (unsigned)(phase[0] - '0');
}

void layout_expect(char (*want)(uint64_t), const char *when)
{
	pattern_expect(layout_at, layout_n * 3 / 2, want, when);
}

void write_b(void)
{
	pattern_write('B', layout_at + layout_n / 4, layout_n / 2);
}

uint64_t c_chunk(void)
{
	return layout_n / 2 / C_CHUNKS;
}

int write_c_chunk(unsigned k)
{
	if (k >= C_CHUNKS)
		return 0;
	pattern_write('C', layout_at + layout_n * 5 / 8 + k * c_chunk(), c_chunk());
	if (k == C_CHUNKS - 1)
		vblk_flush();
	return 1;
}

void snap_delete(unsigned id)
{
	char cmd[40], want[40];
	snprintf(cmd, sizeof cmd, "snapshot delete %u", id);
	snprintf(want, sizeof want, "deleted snapshot %u", id);
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == 0 && !strcmp(hc_reply, want) && r.rdx == strlen(want),
		"'%s' -> %d: %s", cmd, r.rax, hc_reply);
}

unsigned disk_layers(const char *tag)
{
	struct hc_result r = console("vm info");
	ASSERTF(r.rax == 0, "vm info -> %d: %s", r.rax, hc_reply);
	const char *line = hc_reply;
	for (const char *p = hc_reply; *p; p++)
		if (*p == '\n')
			line = p + 1;
	ASSERTF(!strncmp(line, "disk ", 5), "vm info ends with '%s'", line);
	if (tag)
		printf("%s: %s\n", tag, line);
	unsigned n = 1;
	for (const char *p = line; *p; p++)
		n += !strncmp(p, " <- ", 4);
	return n;
}

/* Splits line at blanks in place; returns the number of words. */
static int split(char *line, char **word, int max)
{
	int n = 0;
	for (;;) {
		while (*line == ' ')
			line++;
		if (!*line || n == max)
			return n;
		word[n++] = line;
		while (*line && *line != ' ')
			line++;
		if (*line)
			*line++ = 0;
	}
}

static uint64_t number(const char *w)
{
	uint64_t v = 0;
	const char *p = w;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	ASSERTF(p != w && !*p, "merge status: '%s' is no number", w);
	return v;
}

/* One line of the table (after the header). */
static void parse_line(char *line, struct merge_stat *m)
{
	char *w[6];
	if (!strncmp(line, "kept ", 5))
		return;
	int n = split(line, w, 6);
	ASSERTF(n == 5, "merge status: a line with %d words", n);
	m->pending++;
	m->done += number(w[2]);
	m->left += number(w[3]);
	ASSERTF(strcmp(w[4], "stopped"), "merge status: %s stopped", w[0]);
	ASSERTF(!strcmp(w[4], "running") || !strcmp(w[4], "queued"),
		"merge status: state '%s'", w[4]);
	m->running += !strcmp(w[4], "running");
}

static void parse_header(char *line)
{
	static const char *const cols[] = { "LAYER", "INTO", "DONE", "LEFT", "STATE" };
	char *w[6];
	int n = split(line, w, 6);
	ASSERTF(n == 5, "merge status: header has %d words", n);
	for (int i = 0; i < 5; i++)
		ASSERTF(!strcmp(w[i], cols[i]), "merge status: header word %d is '%s'",
			i + 1, w[i]);
}

static char last_reply[HC_REPLY_SIZE];

const char *merge_status_reply(void)
{
	return last_reply;
}

void print_reply(const char *tag, const char *text)
{
	for (const char *p = text; *p;) {
		printf("%s: | ", tag);
		while (*p && *p != '\n')
			serial_putc(*p++);
		serial_putc('\n');
		p += *p == '\n';
	}
}

void merge_status(struct merge_stat *m, const char *tag)
{
	struct hc_result r = console("merge status");
	ASSERTF(r.rax == 0, "merge status -> %d: %s", r.rax, hc_reply);
	ASSERT_EQ(r.rdx, strlen(hc_reply));
	memcpy(last_reply, hc_reply, r.rdx + 1);
	if (tag)
		print_reply(tag, last_reply);
	*m = (struct merge_stat){ 0, 0, 0, 0 };
	int idle = !strncmp(hc_reply, "no merges pending", 17) &&
		   (!hc_reply[17] || hc_reply[17] == '\n');
	for (char *line = hc_reply, *end; *line; line = end) {
		for (end = line; *end && *end != '\n'; end++)
			;
		int more = *end != 0;
		*end = 0;
		if (line == hc_reply && !idle)
			parse_header(line);
		else if (line != hc_reply)
			ASSERTF(!idle || !strncmp(line, "kept ", 5),
				"merge status: '%s' after 'no merges pending'", line);
		if (line != hc_reply && !idle)
			parse_line(line, m);
		end += more;
	}
	ASSERTF(idle || m->pending, "merge status: a table without merges");
}

void busy(uint32_t n)
{
	for (volatile uint32_t i = 0; i < n; i++)
		;
}

unsigned merge_wait(const char *tag, uint32_t spin, unsigned max_polls)
{
	struct merge_stat m;
	unsigned seen = 0;
	for (unsigned poll = 0; poll < max_polls; poll++) {
		merge_status(&m, poll % 64 ? NULL : tag);
		if (!m.pending) {
			if (tag && poll % 64) /* the last reply too */
				print_reply(tag, merge_status_reply());
			return seen;
		}
		seen++;
		busy(spin);
	}
	fail(__FILE__, __LINE__, "merges still pending after %u polls (%llu bytes left)",
	     max_polls, m.left);
}

void two_snapshots(const char *tag, unsigned ids[2])
{
	ASSERTF(disk_layers(NULL) == 1, "the disk has snapshots already");
	ASSERTF(snap_create(NULL, &ids[0]) == 0, "the first snapshot was applied");
	write_b();
	ASSERTF(snap_create(NULL, &ids[1]) == 0, "the second snapshot was applied");
	unsigned n = disk_layers(tag);
	ASSERTF(n == 3, "%u disk layers after two snapshots", n);
	layout_expect(want_ab, "after two snapshots");
}
