/* hv_decode.c: unit tests of the MMIO instruction decoder (hv/decode.c).
 * The byte sequences and lengths below were produced by GNU as (--64,
 * --32, .code16) and checked with objdump -d; the comments give the
 * objdump disassembly. */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/cpu_state.h"
#include "hv/decode.h"

/* What is being checked, for failure messages. */
static char ctx[128];
#define CHECK(a, b) do {						\
	unsigned long long a_ = (unsigned long long)(a);		\
	unsigned long long b_ = (unsigned long long)(b);		\
	if (a_ != b_)							\
		fail_msg("%s: %s = 0x%llx, want 0x%llx", ctx, #a, a_, b_); \
} while (0)

#define L INSN_LOAD
#define S INSN_STORE
#define N EXT_NONE
#define Z EXT_ZERO
#define X EXT_SIGN
#define IMM (-1)

struct tc {
	enum cpu_mode mode;
	const char *hex;
	uint8_t len, mem, regsz;
	enum insn_dir dir;
	enum insn_ext ext;
	int reg;
	bool high;
	uint64_t imm;
};

static const struct tc cases[] = {
	/* 64-bit mode */
	{ MODE_64, "88 08", 2, 1, 1, S, N, RCX, 0, 0 },        /* mov [rax],cl */
	{ MODE_64, "89 4b 10", 3, 4, 4, S, N, RCX, 0, 0 },     /* mov [rbx+0x10],ecx */
	{ MODE_64, "89 04 24", 3, 4, 4, S, N, RAX, 0, 0 },     /* mov [rsp],eax */
	{ MODE_64, "89 45 00", 3, 4, 4, S, N, RAX, 0, 0 },     /* mov [rbp+0],eax */
	{ MODE_64, "89 05 78 56 34 12", 6, 4, 4, S, N, RAX, 0, 0 }, /* [rip+d32] */
	{ MODE_64, "48 89 94 98 78 56 34 12", 8, 8, 8, S, N, RDX, 0, 0 },
	/* mov [rax+rbx*4+0x12345678],rdx */
	{ MODE_64, "45 89 08", 3, 4, 4, S, N, R9, 0, 0 },      /* mov [r8],r9d */
	{ MODE_64, "45 88 3c 24", 4, 1, 1, S, N, R15, 0, 0 },  /* mov [r12],r15b */
	{ MODE_64, "88 20", 2, 1, 1, S, N, RAX, 1, 0 },        /* mov [rax],ah */
	{ MODE_64, "40 88 30", 3, 1, 1, S, N, RSI, 0, 0 },     /* mov [rax],sil */
	{ MODE_64, "40 88 20", 3, 1, 1, S, N, RSP, 0, 0 },     /* mov [rax],spl */
	{ MODE_64, "88 38", 2, 1, 1, S, N, RBX, 1, 0 },        /* mov [rax],bh */
	{ MODE_64, "8a 0a", 2, 1, 1, L, N, RCX, 0, 0 },        /* mov cl,[rdx] */
	{ MODE_64, "66 8b 07", 3, 2, 2, L, N, RAX, 0, 0 },     /* mov ax,[rdi] */
	{ MODE_64, "4e 8b 5c d6 f8", 5, 8, 8, L, N, R11, 0, 0 },
	/* mov r11,[rsi+r10*8-0x8] */
	{ MODE_64, "8b 04 25 34 12 00 00", 7, 4, 4, L, N, RAX, 0, 0 }, /* [d32] */
	{ MODE_64, "c6 00 80", 3, 1, 1, S, N, IMM, 0, 0x80 },
	{ MODE_64, "66 c7 00 01 80", 5, 2, 2, S, N, IMM, 0, 0x8001 },
	{ MODE_64, "c7 40 04 01 00 00 80", 7, 4, 4, S, N, IMM, 0, 0x80000001 },
	{ MODE_64, "48 c7 00 fe ff ff ff", 7, 8, 8, S, N, IMM, 0,
	  0xfffffffffffffffeull },                             /* mov qword [rax],-2 */
	{ MODE_64, "48 c7 00 ff ff ff 7f", 7, 8, 8, S, N, IMM, 0, 0x7fffffff },
	{ MODE_64, "0f b6 01", 3, 1, 4, L, Z, RAX, 0, 0 },     /* movzx eax,byte [rcx] */
	{ MODE_64, "0f b7 01", 3, 2, 4, L, Z, RAX, 0, 0 },     /* movzx eax,word [rcx] */
	{ MODE_64, "48 0f be 01", 4, 1, 8, L, X, RAX, 0, 0 },  /* movsx rax,byte [rcx] */
	{ MODE_64, "4c 0f bf 4c 51 40", 6, 2, 8, L, X, R9, 0, 0 },
	/* movsx r9,word [rcx+rdx*2+0x40] */
	{ MODE_64, "66 0f be 09", 4, 1, 2, L, X, RCX, 0, 0 },  /* movsx cx,byte [rcx] */
	{ MODE_64, "45 0f b6 13", 4, 1, 4, L, Z, R10, 0, 0 },  /* movzx r10d,byte [r11] */
	{ MODE_64, "0f b6 20", 3, 1, 4, L, Z, RSP, 0, 0 },     /* movzx esp,byte [rax] */
	{ MODE_64, "64 8a 00", 3, 1, 1, L, N, RAX, 0, 0 },     /* mov al,fs:[rax] */
	{ MODE_64, "65 8b 03", 3, 4, 4, L, N, RAX, 0, 0 },     /* mov eax,gs:[rbx] */
	{ MODE_64, "67 8b 00", 3, 4, 4, L, N, RAX, 0, 0 },     /* mov eax,[eax] */
	{ MODE_64, "a0 88 77 66 55 44 33 22 11", 9, 1, 1, L, N, RAX, 0, 0 },
	{ MODE_64, "a3 88 77 66 55 44 33 22 11", 9, 4, 4, S, N, RAX, 0, 0 },
	{ MODE_64, "48 a1 88 77 66 55 44 33 22 11", 10, 8, 8, L, N, RAX, 0, 0 },
	{ MODE_64, "a2 88 77 66 55 44 33 22 11", 9, 1, 1, S, N, RAX, 0, 0 },
	{ MODE_64, "67 a1 78 56 34 12", 6, 4, 4, L, N, RAX, 0, 0 }, /* addr32 moffs */
	{ MODE_64, "66 a3 78 56 34 12 00 00 00 00", 10, 2, 2, S, N, RAX, 0, 0 },
	{ MODE_64, "66 89 04 6c", 4, 2, 2, S, N, RAX, 0, 0 },  /* mov [rsp+rbp*2],ax */
	{ MODE_64, "41 89 45 00", 4, 4, 4, S, N, RAX, 0, 0 },  /* mov [r13+0],eax */
	{ MODE_64, "41 89 45 10", 4, 4, 4, S, N, RAX, 0, 0 },
	{ MODE_64, "89 84 24 78 56 34 12", 7, 4, 4, S, N, RAX, 0, 0 },
	{ MODE_64, "89 04 ad 00 01 00 00", 7, 4, 4, S, N, RAX, 0, 0 },
	/* mov [rbp*4+0x100],eax: SIB base 5 with mod 0 takes a disp32 */
	{ MODE_64, "66 48 89 08", 4, 8, 8, S, N, RCX, 0, 0 },  /* REX.W beats 66 */
	/* A REX followed by a legacy prefix is ignored (SDM vol. 2, 2.2.1):
	 * objdump: "rex.W" then "mov WORD PTR [rax],cx". */
	{ MODE_64, "48 66 89 08", 4, 2, 2, S, N, RCX, 0, 0 },
	{ MODE_64, "48 64 89 08", 4, 4, 4, S, N, RCX, 0, 0 },
	{ MODE_64, "44 88 20", 3, 1, 1, S, N, R12, 0, 0 },     /* mov [rax],r12b */
	{ MODE_64, "f0 2e 3e 26 36 89 08", 7, 4, 4, S, N, RCX, 0, 0 },
	/* 32-bit mode */
	{ MODE_32, "89 08", 2, 4, 4, S, N, RCX, 0, 0 },        /* mov [eax],ecx */
	{ MODE_32, "66 89 55 fc", 4, 2, 2, S, N, RDX, 0, 0 },  /* mov [ebp-4],dx */
	{ MODE_32, "a0 78 56 34 12", 5, 1, 1, L, N, RAX, 0, 0 },
	{ MODE_32, "a3 78 56 34 12", 5, 4, 4, S, N, RAX, 0, 0 },
	{ MODE_32, "66 a1 34 12 00 00", 6, 2, 2, L, N, RAX, 0, 0 },
	{ MODE_32, "67 a1 34 12", 4, 4, 4, L, N, RAX, 0, 0 },  /* addr16 moffs */
	{ MODE_32, "67 89 00", 3, 4, 4, S, N, RAX, 0, 0 },     /* mov [bx+si],eax */
	{ MODE_32, "67 88 4e 02", 4, 1, 1, S, N, RCX, 0, 0 },  /* mov [bp+2],cl */
	{ MODE_32, "88 2d 34 12 00 00", 6, 1, 1, S, N, RCX, 1, 0 }, /* mov [d32],ch */
	{ MODE_32, "c7 84 f3 00 01 00 00 ef be ad de", 11, 4, 4, S, N, IMM, 0,
	  0xdeadbeef },                              /* no sign extension at 32 */
	{ MODE_32, "66 c7 01 ef be", 5, 2, 2, S, N, IMM, 0, 0xbeef },
	{ MODE_32, "26 c6 07 5a", 4, 1, 1, S, N, IMM, 0, 0x5a },
	{ MODE_32, "0f b7 5c 24 08", 5, 2, 4, L, Z, RBX, 0, 0 },
	{ MODE_32, "0f be 10", 3, 1, 4, L, X, RDX, 0, 0 },
	{ MODE_32, "2e 8b 18", 3, 4, 4, L, N, RBX, 0, 0 },
	{ MODE_32, "8b 3b", 2, 4, 4, L, N, RDI, 0, 0 },
	{ MODE_32, "67 8a 07", 3, 1, 1, L, N, RAX, 0, 0 },     /* mov al,[bx] */
	{ MODE_32, "67 8b 06 34 12", 5, 4, 4, L, N, RAX, 0, 0 }, /* [d16] */
	/* 16-bit mode */
	{ MODE_16, "89 00", 2, 2, 2, S, N, RAX, 0, 0 },        /* mov [bx+si],ax */
	{ MODE_16, "88 0f", 2, 1, 1, S, N, RCX, 0, 0 },        /* mov [bx],cl */
	{ MODE_16, "88 46 00", 3, 1, 1, S, N, RAX, 0, 0 },     /* mov [bp+0],al */
	{ MODE_16, "88 76 00", 3, 1, 1, S, N, RDX, 1, 0 },     /* mov [bp+0],dh */
	{ MODE_16, "a3 34 12", 3, 2, 2, S, N, RAX, 0, 0 },
	{ MODE_16, "89 91 34 12", 4, 2, 2, S, N, RDX, 0, 0 },  /* [bx+di+0x1234] */
	{ MODE_16, "66 89 44 fe", 4, 4, 4, S, N, RAX, 0, 0 },  /* mov [si-2],eax */
	{ MODE_16, "a1 34 12", 3, 2, 2, L, N, RAX, 0, 0 },
	{ MODE_16, "66 a1 78 56", 4, 4, 4, L, N, RAX, 0, 0 },
	{ MODE_16, "67 a1 78 56 34 12", 6, 2, 2, L, N, RAX, 0, 0 },
	{ MODE_16, "8b 06 34 12", 4, 2, 2, L, N, RAX, 0, 0 },  /* mov ax,[0x1234] */
	{ MODE_16, "c7 07 34 12", 4, 2, 2, S, N, IMM, 0, 0x1234 },
	{ MODE_16, "66 c7 07 78 56 34 12", 7, 4, 4, S, N, IMM, 0, 0x12345678 },
	{ MODE_16, "c6 05 12", 3, 1, 1, S, N, IMM, 0, 0x12 },
	{ MODE_16, "67 89 00", 3, 2, 2, S, N, RAX, 0, 0 },     /* mov [eax],ax */
	{ MODE_16, "67 89 4c 58 04", 5, 2, 2, S, N, RCX, 0, 0 },
	{ MODE_16, "0f b6 07", 3, 1, 2, L, Z, RAX, 0, 0 },     /* movzx ax,byte [bx] */
	{ MODE_16, "66 0f bf 07", 4, 2, 4, L, X, RAX, 0, 0 },  /* movsx eax,word [bx] */
	{ MODE_16, "a0 34 12", 3, 1, 1, L, N, RAX, 0, 0 },
};

/* Parses "89 08" into a heap buffer of exactly the bytes given. */
static uint8_t *bytes(const char *hex, size_t *n)
{
	uint8_t *b = malloc(strlen(hex) / 2 + 1);
	assert_non_null(b);
	*n = 0;
	for (const char *p = hex; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		b[(*n)++] = (uint8_t)strtoul((char[]){ p[0], p[1], 0 }, NULL, 16);
		p += 2;
	}
	return b;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tc *t = &cases[i];
		size_t n;
		uint8_t *b = bytes(t->hex, &n);
		struct insn in;
		snprintf(ctx, sizeof ctx, "%d: %s", (int)t->mode, t->hex);
		CHECK(n, t->len);
		CHECK(decode_insn(b, n, t->mode, &in), ST_OK);
		CHECK(in.len, t->len);
		CHECK(in.mem_size, t->mem);
		CHECK(in.reg_size, t->regsz);
		CHECK(in.dir, t->dir);
		CHECK(in.ext, t->ext);
		CHECK(in.reg, t->reg);
		CHECK(in.high_byte, t->high);
		CHECK(in.imm, t->imm);
		free(b);
	}
}

/* Trailing bytes after the instruction do not count. */
static void test_trailing_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tc *t = &cases[i];
		uint8_t buf[32];
		size_t n;
		uint8_t *b = bytes(t->hex, &n);
		memset(buf, 0x90, sizeof buf);
		memcpy(buf, b, n);
		struct insn in;
		CHECK(decode_insn(buf, sizeof buf, t->mode, &in), ST_OK);
		CHECK(in.len, t->len);
		free(b);
	}
}

/* Every strict prefix of a valid instruction is ST_EINVAL and reads no
 * byte past the end (the buffer is exactly that long, for ASan). */
static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tc *t = &cases[i];
		size_t n;
		uint8_t *b = bytes(t->hex, &n);
		for (size_t k = 0; k < n; k++) {
			uint8_t *cut = malloc(k ? k : 1);
			assert_non_null(cut);
			memcpy(cut, b, k);
			struct insn in;
			snprintf(ctx, sizeof ctx, "%s cut at %zu", t->hex, k);
			CHECK(decode_insn(cut, k, t->mode, &in), ST_EINVAL);
			free(cut);
		}
		free(b);
	}
}

static void expect_status(enum cpu_mode mode, const char *hex, status_t st)
{
	size_t n;
	uint8_t *b = bytes(hex, &n);
	struct insn in;
	snprintf(ctx, sizeof ctx, "%s", hex);
	CHECK(decode_insn(b, n, mode, &in), st);
	free(b);
}

static void test_unsupported(void **state)
{
	(void)state;
	expect_status(MODE_64, "90", ST_EUNSUPP);             /* nop */
	expect_status(MODE_64, "0f 05", ST_EUNSUPP);          /* syscall */
	expect_status(MODE_64, "0f b8 00 00", ST_EUNSUPP);
	expect_status(MODE_64, "c6 08 00", ST_EUNSUPP);       /* C6 /1 */
	expect_status(MODE_64, "c7 f8 00 00 00 00", ST_EUNSUPP); /* xbegin */
	expect_status(MODE_64, "c6 f8 00", ST_EUNSUPP);       /* xabort */
	expect_status(MODE_64, "8c 18", ST_EUNSUPP);          /* mov [rax],ds */
	expect_status(MODE_64, "f7 30", ST_EUNSUPP);          /* div dword [rax] */
	expect_status(MODE_64, "ff 10", ST_EUNSUPP);          /* call [rax] */
	expect_status(MODE_64, "0f 6f 00", ST_EUNSUPP);       /* movq mm0,[rax] */
	expect_status(MODE_64, "0f ba 18 01", ST_EUNSUPP);    /* 0F BA /3 */
	expect_status(MODE_64, "01 c8", ST_EUNSUPP);          /* add eax,ecx: no memory */
	expect_status(MODE_32, "63 08", ST_EUNSUPP);          /* arpl */
	expect_status(MODE_32, "c5 08", ST_EUNSUPP);          /* lds */
	/* 0x48 is DEC eax outside 64-bit mode. */
	expect_status(MODE_32, "48 89 08", ST_EUNSUPP);
	expect_status(MODE_16, "40 89 08", ST_EUNSUPP);
	/* Only prefixes, or nothing. */
	expect_status(MODE_64, "", ST_EINVAL);
	expect_status(MODE_64, "66", ST_EINVAL);
	expect_status(MODE_64, "f0 48", ST_EINVAL);
	expect_status(MODE_32, "0f", ST_EINVAL);
}

/* At most 15 bytes (SDM vol. 2, 2.3.11). */
static void test_max_length(void **state)
{
	(void)state;
	uint8_t b[32];
	struct insn in;
	memset(b, 0x66, sizeof b);
	b[13] = 0x89, b[14] = 0x08;
	CHECK(decode_insn(b, 15, MODE_64, &in), ST_OK);
	CHECK(in.len, 15);
	CHECK(in.mem_size, 2);
	b[13] = 0x66, b[14] = 0x89, b[15] = 0x08;
	CHECK(decode_insn(b, 16, MODE_64, &in), ST_EINVAL);
	/* Prefixes only, many of them. */
	memset(b, 0x2e, sizeof b);
	CHECK(decode_insn(b, sizeof b, MODE_32, &in), ST_EINVAL);
}

struct mc {
	enum cpu_mode mode;
	const char *hex;
	uint64_t old, value, want;
};

static const struct mc merges[] = {
	/* mov eax,[..]: a 32-bit result zeroes bits 63:32 */
	{ MODE_64, "8b 00", 0x1111222233334444ull, 0x89abcdefull, 0x89abcdefull },
	/* mov ax,[..]: bits 63:16 stay; value bits above 16 ignored */
	{ MODE_64, "66 8b 00", 0x1111222233334444ull, 0xffffabcdull,
	  0x111122223333abcdull },
	/* mov al / mov ah */
	{ MODE_64, "8a 00", 0x1111222233334444ull, 0xfedcbaull, 0x11112222333344baull },
	{ MODE_64, "8a 20", 0x1111222233334444ull, 0xfedcbaull, 0x111122223333ba44ull },
	/* with REX, 20 is spl: low byte of rsp */
	{ MODE_64, "40 8a 20", 0x1111222233334444ull, 0xba, 0x11112222333344baull },
	{ MODE_64, "48 8b 00", 0x1111222233334444ull, 0x8000000000000001ull,
	  0x8000000000000001ull },
	/* movzx eax,byte / movsx eax,byte */
	{ MODE_64, "0f b6 00", ~0ull, 0x80, 0x80 },
	{ MODE_64, "0f be 00", ~0ull, 0x80, 0xffffff80ull },
	{ MODE_64, "0f be 00", ~0ull, 0x17f, 0x7f },
	/* movsx rax,word / movzx rax,word (REX.W) */
	{ MODE_64, "48 0f bf 00", 0, 0x8000, 0xffffffffffff8000ull },
	{ MODE_64, "48 0f b7 00", ~0ull, 0x18000, 0x8000 },
	{ MODE_64, "48 0f be 00", 0, 0x7f, 0x7f },
	/* movsx ax,byte / movzx ax,byte: merge 16 bits */
	{ MODE_64, "66 0f be 00", 0x1111222233334444ull, 0xff, 0x111122223333ffffull },
	{ MODE_64, "66 0f b6 00", 0x1111222233334444ull, 0xff, 0x11112222333300ffull },
	/* movsx eax,word */
	{ MODE_32, "0f bf 00", 0xffffffff00000000ull, 0xfffe, 0xfffffffeull },
	/* 16-bit mode: mov ax / mov eax (66) */
	{ MODE_16, "8b 07", 0xaaaabbbbccccddddull, 0x1234, 0xaaaabbbbcccc1234ull },
	{ MODE_16, "66 8b 07", 0xaaaabbbbccccddddull, 0x12345678, 0x12345678 },
	/* mov bh,[..] in 16-bit mode */
	{ MODE_16, "8a 3f", 0xaaaabbbbccccddddull, 0x12, 0xaaaabbbbcccc12ddull },
};

static void test_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof merges / sizeof merges[0]; i++) {
		const struct mc *m = &merges[i];
		size_t n;
		uint8_t *b = bytes(m->hex, &n);
		struct insn in;
		snprintf(ctx, sizeof ctx, "%s", m->hex);
		CHECK(decode_insn(b, n, m->mode, &in), ST_OK);
		CHECK(insn_merge_reg(&in, m->old, m->value), m->want);
		free(b);
	}
}

struct pc {
	enum cpu_mode mode;
	const char *hex;
	uint8_t len;
	int seg;
	uint8_t addr;
	bool rep;
};

static const struct pc prefixes[] = {
	{ MODE_64, "a4", 0, -1, 8, 0 },
	{ MODE_64, "26 a4", 1, SEG_ES, 8, 0 },
	{ MODE_64, "2e a4", 1, SEG_CS, 8, 0 },
	{ MODE_64, "36 a4", 1, SEG_SS, 8, 0 },
	{ MODE_64, "3e a4", 1, SEG_DS, 8, 0 },
	{ MODE_64, "64 a4", 1, SEG_FS, 8, 0 },
	{ MODE_64, "65 a4", 1, SEG_GS, 8, 0 },
	{ MODE_64, "f3 a4", 1, -1, 8, 1 },
	{ MODE_64, "f2 a6", 1, -1, 8, 1 },
	{ MODE_64, "f3 67 a4", 2, -1, 4, 1 },
	{ MODE_64, "66 f3 48 a5", 3, -1, 8, 1 },
	{ MODE_64, "f0 65 67 66 a5", 4, SEG_GS, 4, 0 },
	{ MODE_32, "a4", 0, -1, 4, 0 },
	{ MODE_32, "67 a4", 1, -1, 2, 0 },
	{ MODE_32, "f3 26 a5", 2, SEG_ES, 4, 1 },
	{ MODE_32, "48 a5", 0, -1, 4, 0 },           /* DEC, not REX */
	{ MODE_16, "a4", 0, -1, 2, 0 },
	{ MODE_16, "67 f3 a4", 2, -1, 4, 1 },
	{ MODE_16, "36 a5", 1, SEG_SS, 2, 0 },
	{ MODE_64, "", 0, -1, 8, 0 },
	{ MODE_64, "66 66", 2, -1, 8, 0 },
};

static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		const struct pc *p = &prefixes[i];
		size_t n;
		uint8_t *b = bytes(p->hex, &n);
		struct insn_prefixes out;
		memset(&out, 0xcc, sizeof out);
		snprintf(ctx, sizeof ctx, "%d: %s", (int)p->mode, p->hex);
		decode_prefixes(b, n, p->mode, &out);
		CHECK(out.len, p->len);
		CHECK(out.seg, p->seg);
		CHECK(out.addr_size, p->addr);
		CHECK(out.rep, p->rep);
		free(b);
	}
	/* No more than 15 prefix bytes are looked at. */
	uint8_t many[40];
	struct insn_prefixes out;
	memset(many, 0x66, sizeof many);
	decode_prefixes(many, sizeof many, MODE_64, &out);
	CHECK(out.len, 15);
}


/* The read-modify-write, string, stack and vector forms (kind, operation,
 * memory size, register operand or IMM, direction, immediate). */
struct oc {
	enum cpu_mode mode;
	const char *hex;
	uint8_t len;
	enum insn_kind kind;
	enum alu_op alu;
	uint8_t mem;
	int reg;
	enum insn_dir dir;
	uint64_t imm;
};

#define A(k) K_##k
static const struct oc ops[] = {
	{ MODE_64, "48 83 08 01", 4, A(ALU), ALU_OR, 8, IMM, S, 1 },   /* orq $1,(%rax) */
	{ MODE_64, "01 4b 10", 3, A(ALU), ALU_ADD, 4, RCX, S, 0 },
	{ MODE_64, "02 22", 2, A(ALU), ALU_ADD, 1, RAX, L, 0 },        /* add (%rdx),%ah */
	{ MODE_64, "66 81 16 34 12", 5, A(ALU), ALU_ADC, 2, IMM, S, 0x1234 },
	{ MODE_64, "48 83 5c 8c 08 fe", 6, A(ALU), ALU_SBB, 8, IMM, S,
	  0xfffffffffffffffeull },                     /* sbbq $-2,8(%rsp,%rcx,4) */
	{ MODE_64, "81 25 00 00 00 00 00 00 ff ff", 10, A(ALU), ALU_AND, 4, IMM, S,
	  0xffff0000 },                                /* andl $..,0(%rip) */
	{ MODE_64, "64 80 28 05", 4, A(ALU), ALU_SUB, 1, IMM, S, 5 },
	{ MODE_64, "4d 31 0a", 3, A(ALU), ALU_XOR, 8, R9, S, 0 },
	{ MODE_64, "44 3b 38", 3, A(ALU), ALU_CMP, 4, R15, L, 0 },
	{ MODE_64, "f6 00 80", 3, A(ALU), ALU_TEST, 1, IMM, S, 0x80 },
	{ MODE_64, "48 85 17", 3, A(ALU), ALU_TEST, 8, RDX, S, 0 },
	{ MODE_64, "f0 ff 00", 3, A(UNARY), ALU_INC, 4, IMM, L, 0 },
	{ MODE_64, "66 ff 0b", 3, A(UNARY), ALU_DEC, 2, IMM, L, 0 },
	{ MODE_64, "48 f7 11", 3, A(UNARY), ALU_NOT, 8, IMM, S, 0 },
	{ MODE_64, "f6 1a", 2, A(UNARY), ALU_NEG, 1, IMM, S, 0 },
	{ MODE_64, "87 03", 2, A(XCHG), ALU_TEST, 4, RAX, S, 0 },
	{ MODE_64, "f0 4c 0f b1 00", 5, A(CMPXCHG), 0, 8, R8, L, 0 },
	{ MODE_64, "0f b0 39", 3, A(CMPXCHG), 0, 1, RBX, L, 0 },       /* %bh */
	{ MODE_64, "0f ba 20 05", 4, A(BT), ALU_BT, 4, IMM, L, 5 },
	{ MODE_64, "48 0f ab 08", 4, A(BT), ALU_BTS, 8, RCX, L, 0 },
	{ MODE_64, "66 f0 0f ba 30 0f", 6, A(BT), ALU_BTR, 2, IMM, L, 15 },
	{ MODE_64, "0f bb 50 04", 4, A(BT), ALU_BTC, 4, RDX, L, 0 },
	{ MODE_64, "f3 a4", 2, A(MOVS), 0, 1, RAX, S, 0 },
	{ MODE_64, "48 a5", 2, A(MOVS), 0, 8, RAX, S, 0 },
	{ MODE_64, "f3 ab", 2, A(STOS), 0, 4, RAX, S, 0 },
	{ MODE_64, "66 ad", 2, A(LODS), 0, 2, RAX, L, 0 },
	{ MODE_64, "ff 30", 2, A(PUSH), 0, 8, IMM, L, 0 },
	{ MODE_64, "8f 40 08", 3, A(POP), 0, 8, IMM, L, 0 },
	{ MODE_64, "66 ff 30", 3, A(PUSH), 0, 2, IMM, L, 0 },
	{ MODE_64, "48 63 10", 3, A(MOV), 0, 4, RDX, L, 0 },           /* movslq */
	{ MODE_64, "66 44 0f 6f 08", 5, A(VMOV), 0, 16, 9, L, 0 },     /* movdqa */
	{ MODE_64, "f3 0f 7f 18", 4, A(VMOV), 0, 16, 3, S, 0 },        /* movdqu */
	{ MODE_64, "0f 28 08", 3, A(VMOV), 0, 16, 1, L, 0 },           /* movaps */
	{ MODE_64, "44 0f 11 78 10", 5, A(VMOV), 0, 16, 15, S, 0 },    /* movups */
	{ MODE_64, "66 0f 6e 10", 4, A(VMOV), 0, 4, 2, L, 0 },         /* movd */
	{ MODE_64, "f3 0f 7e 20", 4, A(VMOV), 0, 8, 4, L, 0 },         /* movq */
	{ MODE_64, "66 0f d6 28", 4, A(VMOV), 0, 8, 5, S, 0 },
	{ MODE_64, "66 0f 7e 30", 4, A(VMOV), 0, 4, 6, S, 0 },
	{ MODE_64, "66 48 0f 7e 30", 5, A(VMOV), 0, 8, 6, S, 0 },      /* movq r/m64 */
	{ MODE_64, "c5 fe 6f 18", 4, A(VMOV), 0, 32, 3, L, 0 },        /* vmovdqu ymm */
	{ MODE_64, "c5 7a 7f 20", 4, A(VMOV), 0, 16, 12, S, 0 },
	{ MODE_64, "c5 fd 7f 08", 4, A(VMOV), 0, 32, 1, S, 0 },        /* vmovdqa */
	{ MODE_64, "c5 f8 10 38", 4, A(VMOV), 0, 16, 7, L, 0 },        /* vmovups */
	{ MODE_64, "c4 41 7c 11 01", 5, A(VMOV), 0, 32, 8, S, 0 },
	{ MODE_64, "66 0f e7 08", 4, A(VMOV), 0, 16, 1, S, 0 },        /* movntdq */
	{ MODE_32, "83 08 01", 3, A(ALU), ALU_OR, 4, IMM, S, 1 },
	{ MODE_32, "66 83 08 ff", 4, A(ALU), ALU_OR, 2, IMM, S, 0xffff },
	{ MODE_32, "c5 fe 6f 18", 4, A(VMOV), 0, 32, 3, L, 0 },
	{ MODE_32, "ff 30", 2, A(PUSH), 0, 4, IMM, L, 0 },
	{ MODE_32, "66 8f 00", 3, A(POP), 0, 2, IMM, L, 0 },
	{ MODE_32, "67 f3 a5", 3, A(MOVS), 0, 4, RAX, S, 0 },
	{ MODE_16, "83 0f 01", 3, A(ALU), ALU_OR, 2, IMM, S, 1 },      /* or [bx],1 */
	{ MODE_16, "66 0f ab 07", 4, A(BT), ALU_BTS, 4, RAX, L, 0 },
};

static void test_ops(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const struct oc *t = &ops[i];
		size_t n;
		uint8_t *b = bytes(t->hex, &n);
		struct insn in;
		snprintf(ctx, sizeof ctx, "%d: %s", (int)t->mode, t->hex);
		CHECK(n, t->len);
		CHECK(decode_insn(b, n, t->mode, &in), ST_OK);
		CHECK(in.len, t->len);
		CHECK(in.kind, t->kind);
		if (t->kind == K_ALU || t->kind == K_UNARY || t->kind == K_BT)
			CHECK(in.alu, t->alu);
		CHECK(in.mem_size, t->mem);
		if (t->kind != K_UNARY && t->kind != K_PUSH && t->kind != K_POP)
			CHECK(in.reg, t->reg);
		if (t->kind == K_MOV || t->kind == K_ALU || t->kind == K_VMOV ||
		    t->kind == K_LODS)
			CHECK(in.dir, t->dir);
		if (t->reg == IMM && t->kind != K_UNARY && t->kind != K_PUSH &&
		    t->kind != K_POP)
			CHECK(in.imm, t->imm);
		for (size_t k = 0; k < n; k++) { /* every cut is incomplete */
			snprintf(ctx, sizeof ctx, "%s cut at %zu", t->hex, k);
			CHECK(decode_insn(b, k, t->mode, &in), ST_EINVAL);
		}
		free(b);
	}
	/* Prefixes the emulator needs. */
	size_t n;
	uint8_t *b = bytes("f0 65 67 f3 a4", &n);
	struct insn in;
	CHECK(decode_insn(b, n, MODE_64, &in), ST_OK);
	CHECK(in.seg, SEG_GS);
	CHECK(in.addr_size, 4);
	CHECK(in.rep, 1);
	CHECK(in.lock, 1);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
