/* guest.h: the freestanding test-guest library. A guest defines
 * guest_main(); the library has already set up the GDT, an IDT for the CPU
 * exceptions and COM1 (polled 16550) when it runs, and checks the multiboot
 * magic. guest_main returning means PASS: "PASS" is printed and 0 written to
 * the debug-exit port 0xf4. A failed ASSERT prints "FAIL: file:line: ..." and
 * exits with code 1; an unexpected CPU exception exits with code 2. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_PASS	0
#define EXIT_ASSERT	1
#define EXIT_EXCEPTION	2
#define DEBUG_EXIT_PORT	0xf4
#define COM1		0x3f8

/* Multiboot Specification 0.6.96, section 3.3. */
#define MB_LOADER_MAGIC	0x2BADB002u
#define MBI_MEM		(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MODS	(1u << 3)
#define MBI_MMAP	(1u << 6)
#define MBI_LOADER_NAME	(1u << 9)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start, mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size;		/* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type;		/* 1 = available RAM */
} __attribute__((packed));

/* The memory map, copied out of the loader's buffers by mb_copy_mmap(). */
#define MAX_REGIONS 64
struct region {
	uint64_t addr, len;
	uint32_t type;
};

/* Guest entry point; the library calls it with the loader's information. */
void guest_main(const struct mb_info *mbi);

/* Symbols from guest.ld. */
extern char __image_start[], _end[];

/* Output to COM1. */
void serial_init(void);
void serial_putc(char c);
int serial_getc(void);		/* -1 when nothing has arrived */
void puts_raw(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ends the run: writes code to port 0xf4 (never returns). */
void guest_exit(uint8_t code) __attribute__((noreturn));
void fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define ASSERT(c) do { if (!(c)) fail(__FILE__, __LINE__, "%s", #c); } while (0)
#define ASSERT_EQ(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ != b_) fail(__FILE__, __LINE__, "%s == %s (0x%llx != 0x%llx)", \
			   #a, #b, a_, b_); \
	} while (0)
#define ASSERTF(c, ...) do { if (!(c)) fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* Strings and memory (no libc). */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Multiboot helpers. mb_cmdline() is "" when the loader gave none;
 * mb_arg() finds "name=value" (or a bare "name", value "") in the words
 * after the first (the kernel's name) and copies the value into buf. */
const char *mb_cmdline(const struct mb_info *mbi);
const char *mb_kernel_basename(const struct mb_info *mbi, char *buf, size_t n);
int mb_arg(const struct mb_info *mbi, const char *name, char *buf, size_t n);
int mb_copy_mmap(const struct mb_info *mbi, struct region *r, int max);
int parse_size(const char *s, uint64_t *out);

/* CPU access. */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
/* 0 on success, 0x100 | vector when the instruction faulted. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);
int read32_safe(uint32_t addr, uint32_t *val);

#endif
