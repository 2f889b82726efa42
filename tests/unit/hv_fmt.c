/* hv_fmt.c: unit tests of hv_snprintf (hv/lib/fmt.c), checked against
 * the host's snprintf where the two must agree. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/lib/fmt.h"

/* Formats with both and compares text and return value. */
#define SAME(...) do {							\
	char want_[128], got_[128];					\
	int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);		\
	memset(got_, 0x7f, sizeof got_);				\
	int gn_ = hv_snprintf(got_, sizeof got_, __VA_ARGS__);		\
	assert_string_equal(got_, want_);				\
	assert_int_equal(gn_, wn_);					\
} while (0)

static void expect(const char *want, int n, const char *got)
{
	assert_string_equal(got, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_integers(void **state)
{
	(void)state;
	SAME("%d", 0);
	SAME("%d|%i", -1, 42);
	SAME("%d", INT_MAX);
	SAME("%d", INT_MIN);
	SAME("%u", 4000000000u);
	SAME("%u", UINT_MAX);
	SAME("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	SAME("%x", 0u);
	SAME("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0x123456789abcdefUL);
	SAME("%lld", (long long)INT64_MIN);
	SAME("%lld", (long long)INT64_MAX);
	SAME("%llu %llx", (unsigned long long)UINT64_MAX,
	     (unsigned long long)UINT64_MAX);
	SAME("%zu %zx", (size_t)SIZE_MAX, (size_t)4096);
	SAME("%llX", 0xabcdef0123ull);
	/* An int argument is int even when negative through %x. */
	SAME("%x", (unsigned)-2);
}

static void test_widths_flags(void **state)
{
	(void)state;
	SAME("[%5d]", 42);
	SAME("[%-5d]", 42);
	SAME("[%05d]", 42);
	SAME("[%05d]", -42);
	SAME("[%5d]", -42);
	SAME("[%-5d]", -42);
	SAME("[%08x]", 0xbeefu);
	SAME("[%016llx]", 0x1234ull);
	SAME("[%2d]", 12345);
	SAME("[%10s]", "abc");
	SAME("[%-10s]", "abc");
	SAME("[%2s]", "abcdef");
	SAME("[%3c][%-3c]", 'x', 'y');
	SAME("[%c]", 'A');
	SAME("[%%]x%%");
	SAME("[%20lld]", (long long)INT64_MIN);
	SAME("[%021lld]", (long long)INT64_MIN);
	SAME("[%-3u|%03u]", 7u, 7u);
}

static void test_pointers_strings(void **state)
{
	(void)state;
	char buf[64];
	int n = hv_snprintf(buf, sizeof buf, "%p", (void *)0x1234);
	expect("0x1234", n, buf);
	n = hv_snprintf(buf, sizeof buf, "%p", (void *)0);
	expect("0x0", n, buf);
	n = hv_snprintf(buf, sizeof buf, "[%10p]", (void *)0xabc);
	expect("[     0xabc]", n, buf);
	n = hv_snprintf(buf, sizeof buf, "%p", (void *)UINTPTR_MAX);
	expect("0xffffffffffffffff", n, buf);
	const char *volatile null = NULL;
	n = hv_snprintf(buf, sizeof buf, "<%s>", null);
	expect("<(null)>", n, buf);
	SAME("%s%s%s", "", "a", "");
	SAME("plain text, no conversions");
	SAME("%s=%d %s", "x", 1, "done");
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 0x7f, sizeof buf);
	int n = hv_snprintf(buf, 5, "%s", "abcdefgh");
	assert_int_equal(n, 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(buf[5], 0x7f);
	memset(buf, 0x7f, sizeof buf);
	n = hv_snprintf(buf, 1, "%d", 12345);
	assert_int_equal(n, 5);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 0x7f);
	/* cap 0: nothing written, not even to a NULL buffer. */
	n = hv_snprintf(NULL, 0, "%s-%d", "abc", -7);
	assert_int_equal(n, 6);
	/* Exactly fits, and one short. */
	n = hv_snprintf(buf, 4, "abc");
	expect("abc", n, buf);
	n = hv_snprintf(buf, 3, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "ab");
	/* Truncation inside padding. */
	n = hv_snprintf(buf, sizeof buf, "%10d", 5);
	assert_int_equal(n, 10);
	assert_string_equal(buf, "       ");
	n = hv_snprintf(buf, sizeof buf, "%-10d|", -5);
	assert_int_equal(n, 11);
	assert_string_equal(buf, "-5     ");
}

/* hv_vsnprintf through a wrapper without the format attribute, for
 * formats the compiler would rightly warn about. */
static int vfmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

static void test_odd_formats(void **state)
{
	(void)state;
	char buf[32];
	/* A '%' at the very end is dropped, not read past. */
	int n = vfmt(buf, sizeof buf, "ab%");
	expect("ab", n, buf);
	/* An unknown conversion is copied through. */
	n = vfmt(buf, sizeof buf, "%q|%y");
	expect("%q|%y", n, buf);
	/* '-' wins over '0'. */
	n = vfmt(buf, sizeof buf, "[%-05d][%0-5d]", 42, -3);
	expect("[42   ][-3   ]", n, buf);
	/* %s and %c never pad with zeros. */
	n = vfmt(buf, sizeof buf, "[%05s][%03c]", "ab", 'z');
	expect("[   ab][  z]", n, buf);
}

static void test_vsnprintf(void **state)
{
	(void)state;
	char buf[32];
	int n = vfmt(buf, sizeof buf, "%d-%s-%lu", 7, "x", 99ul);
	expect("7-x-99", n, buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_widths_flags),
		cmocka_unit_test(test_pointers_strings),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_odd_formats),
		cmocka_unit_test(test_vsnprintf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
