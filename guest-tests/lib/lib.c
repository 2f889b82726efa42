/* lib.c: start-up, exit paths, the CPU exception handler and the string
 * functions of the test-guest library (see guest.h). */
#include "guest.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

/* Pushed by exc_common in entry.S: PUSHAL, vector, error code, then the
 * CPU's EIP, CS, EFLAGS (no privilege change: no ESP/SS). */
struct frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

struct ex_entry {
	uint32_t insn, fixup;
};

extern const uint32_t exc_stubs[32];
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
static struct gate idt[32];

static void idt_init(void)
{
	for (int i = 0; i < 32; i++) {
		idt[i].off_lo = exc_stubs[i] & 0xffff;
		idt[i].off_hi = exc_stubs[i] >> 16;
		idt[i].sel = 0x08;
		idt[i].type = 0x8e;	/* present, DPL 0, 32-bit interrupt gate */
	}
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = {
		sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" :: "m"(d));
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

void exception_handler(struct frame *f)
{
	for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == f->eip) {
			f->eip = e->fixup;
			f->eax = 0x100 | f->vector;
			return;
		}
	}
	const char *name = exc_names[f->vector & 31];
	printf("\nFAIL: unexpected exception %u (%s) error 0x%x at eip 0x%08x\n",
	       f->vector, name ? name : "?", f->error, f->eip);
	printf("  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
	       f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi);
	guest_exit(EXIT_EXCEPTION);
}

void guest_exit(uint8_t code)
{
	outb(DEBUG_EXIT_PORT, code);
	/* Still here: no debug-exit device. Stop as quietly as possible. */
	puts_raw("guest: debug-exit port 0xf4 did not end the run; halting\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

void fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	puts_raw("\n");
	guest_exit(EXIT_ASSERT);
}

void guest_start(uint32_t magic, const struct mb_info *mbi)
{
	serial_init();
	idt_init();
	if (magic != MB_LOADER_MAGIC) {
		printf("FAIL: loader magic 0x%08x, expected 0x%08x\n", magic,
		       MB_LOADER_MAGIC);
		guest_exit(EXIT_ASSERT);
	}
	guest_main(mbi);
	puts_raw("PASS\n");
	guest_exit(EXIT_PASS);
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

void *memset(void *d, int c, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	return r;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
