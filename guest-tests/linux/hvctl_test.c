/* hvctl_test.c: host unit test of hvctl's portable half (hvctl_text.c):
 * the argv join at and over the 4096-byte limit, and the status texts
 * the README promises. Built as build/unit/linux_hvctl (linux.mk). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "hvctl.h"

static void test_join(void **state)
{
	(void)state;
	char buf[64];
	char *words[] = { "snapshot", "create", "before-upgrade" };
	assert_int_equal(hvctl_join(buf, sizeof buf, 3, words), 30);
	assert_string_equal(buf, "snapshot create before-upgrade");
	assert_int_equal(hvctl_join(buf, sizeof buf, 1, words), 8);
	assert_string_equal(buf, "snapshot");
	assert_int_equal(hvctl_join(buf, sizeof buf, 0, words), 0);
	assert_string_equal(buf, "");
}

static void test_join_limit(void **state)
{
	(void)state;
	static char buf[HVCTL_CMD_MAX], big[HVCTL_CMD_MAX + 1];
	char *words[] = { big, "x" };
	/* 4095 characters and the NUL fill the buffer exactly. */
	memset(big, 'a', HVCTL_CMD_MAX - 1);
	assert_int_equal(hvctl_join(buf, sizeof buf, 1, words), HVCTL_CMD_MAX - 1);
	assert_int_equal(hvctl_join(buf, sizeof buf, 2, words), -1);
	assert_int_equal(buf[sizeof buf - 1], 0);
	big[HVCTL_CMD_MAX - 1] = 'a';
	assert_int_equal(hvctl_join(buf, sizeof buf, 1, words), -1);
	assert_int_equal(hvctl_join(buf, 0, 1, words), -1);
	char small[4];
	char *two[] = { "ab", "c" };
	assert_int_equal(hvctl_join(small, sizeof small, 2, two), -1);
	assert_string_equal(small, "ab");
}

static void test_meanings(void **state)
{
	(void)state;
	assert_string_equal(hvctl_meaning(-1), "unknown command or bad argument");
	assert_string_equal(hvctl_meaning(-5), "no such snapshot");
	assert_non_null(strstr(hvctl_meaning(-11), "hypercall_user = yes"));
	assert_string_equal(hvctl_meaning(-14), "bad address");
	assert_string_equal(hvctl_meaning(-2), "unknown status");
	assert_string_equal(hvctl_meaning(0), "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_limit),
		cmocka_unit_test(test_meanings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
