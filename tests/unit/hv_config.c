/* hv_config.c: unit tests of the configuration parser (hv/config.c). */
#include <stdio.h>
#include "tests/unit/fake_mem.h"
#include "hv/config.h"

static status_t parse(const char *text, struct vm_config *cfg, char *err,
		      size_t errlen)
{
	/* Exactly strlen bytes on the heap, so ASan sees any overread. */
	size_t n = strlen(text);
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, text, n);
	err[0] = 0;
	status_t st = config_parse(copy, n, cfg, err, errlen);
	free(copy);
	return st;
}

static void expect_size(const char *s, uint64_t want)
{
	uint64_t v = 0xdead;
	assert_int_equal(parse_size(s, &v), ST_OK);
	assert_int_equal(v, want);
}

static void expect_bad_size(const char *s)
{
	uint64_t v = 0xdead;
	assert_int_equal(parse_size(s, &v), ST_EINVAL);
	assert_int_equal(v, 0xdead);
}

static void test_parse_size(void **state)
{
	(void)state;
	expect_size("0", 0);
	expect_size("4096", 4096);
	expect_size("64K", 64ull << 10);
	expect_size("64k", 64ull << 10);
	expect_size("256M", 256ull << 20);
	expect_size("256m", 256ull << 20);
	expect_size("2G", 2ull << 30);
	expect_size("2g", 2ull << 30);
	expect_size("64MiB", 64ull << 20);
	expect_size("64MB", 64ull << 20);
	expect_size("1GiB", 1ull << 30);
	expect_size("64Mi", 64ull << 20);
	expect_size("8kb", 8192);
	expect_size("512B", 512);
	expect_size("007", 7);
	expect_size("18446744073709551615", UINT64_MAX);
	expect_size("18446744073709551610", UINT64_MAX - 5);
	expect_size("17179869183G", 17179869183ull << 30);
	expect_bad_size("");
	expect_bad_size("M");
	expect_bad_size("-1");
	expect_bad_size("+1");
	expect_bad_size(" 1");
	expect_bad_size("1 ");
	expect_bad_size("12x");
	expect_bad_size("1.5G");
	expect_bad_size("1T");
	expect_bad_size("1MM");
	expect_bad_size("1GiBs");
	expect_bad_size("64i");
	expect_bad_size("64ib");
	expect_bad_size("64Bi");
	expect_bad_size("0x10");
	expect_bad_size("18446744073709551616");
	expect_bad_size("99999999999999999999999");
	expect_bad_size("17179869184G");
	expect_bad_size("18014398509481984K");
}

static void test_full_file(void **state)
{
	(void)state;
	struct vm_config cfg;
	char err[128];
	const char *text =
		"# a VM\n"
		"\n"
		"kernel = /boot/kernel.elf\n"
		"   initrd=\\initrd.img   \n"
		"\tcmdline = console=ttyS0 root=/dev/sda1 quiet # trailing comment\n"
		"memory = 512M\n"
		"disk = disk.vhd\n"
		"on_stop = poweroff\n"
		"   # indented comment\n"
		"  \t \n";
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_OK);
	assert_string_equal(cfg.kernel, "/boot/kernel.elf");
	assert_string_equal(cfg.initrd, "\\initrd.img");
	assert_string_equal(cfg.cmdline, "console=ttyS0 root=/dev/sda1 quiet");
	assert_string_equal(cfg.disk, "disk.vhd");
	assert_int_equal(cfg.memory, 512ull << 20);
	assert_int_equal(cfg.on_stop, ON_STOP_POWEROFF);
}

static void test_defaults_and_crlf(void **state)
{
	(void)state;
	struct vm_config cfg;
	char err[128];
	memset(&cfg, 0xaa, sizeof cfg);
	/* CRLF line ends, no newline at the end. */
	assert_int_equal(parse("kernel = k.elf\r\ncmdline = a b\r\n\r\non_stop = console",
			       &cfg, err, sizeof err), ST_OK);
	assert_string_equal(cfg.kernel, "k.elf");
	assert_string_equal(cfg.cmdline, "a b");
	assert_string_equal(cfg.initrd, "");
	assert_string_equal(cfg.disk, "");
	assert_int_equal(cfg.memory, CONFIG_MEM_DEFAULT);
	assert_int_equal(cfg.on_stop, ON_STOP_CONSOLE);
	/* Later lines win; '=' in the value is kept. */
	assert_int_equal(parse("kernel=a\nkernel=b\ncmdline=x=1 y==2\n", &cfg, err,
			       sizeof err), ST_OK);
	assert_string_equal(cfg.kernel, "b");
	assert_string_equal(cfg.cmdline, "x=1 y==2");
	/* A value may be empty. */
	assert_int_equal(parse("kernel=a\ncmdline=\n", &cfg, err, sizeof err), ST_OK);
	assert_string_equal(cfg.cmdline, "");
	/* Memory bounds are inclusive. */
	assert_int_equal(parse("kernel=a\nmemory=2M\n", &cfg, err, sizeof err), ST_OK);
	assert_int_equal(cfg.memory, CONFIG_MEM_MIN);
	assert_int_equal(parse("kernel=a\nmemory=64G\n", &cfg, err, sizeof err), ST_OK);
	assert_int_equal(cfg.memory, CONFIG_MEM_MAX);
}

static void expect_error(const char *text, status_t st, const char *msg)
{
	struct vm_config cfg;
	char err[128];
	assert_int_equal(parse(text, &cfg, err, sizeof err), st);
	assert_string_equal(err, msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", ST_EINVAL, "no kernel = line");
	expect_error("# only a comment\n\n", ST_EINVAL, "no kernel = line");
	expect_error("memory = 64M\n", ST_EINVAL, "no kernel = line");
	expect_error("kernel =\n", ST_EINVAL, "no kernel = line");
	expect_error("kernel = a\n\n# x\nkernal = b\n", ST_EINVAL,
		     "line 4: unknown key");
	expect_error("kernel = a\r\nfoo\r\n", ST_EINVAL,
		     "line 2: expected key = value");
	expect_error("= value\nkernel = a\n", ST_EINVAL, "line 1: unknown key");
	expect_error("ker nel = a\n", ST_EINVAL, "line 1: unknown key");
	expect_error("KERNEL = a\n", ST_EINVAL, "line 1: unknown key");
	expect_error("kernel = a\nmemory = 1M\n", ST_ERANGE,
		     "line 2: memory must be a size from 2M to 64G, like 256M");
	expect_error("kernel = a\nmemory = 65G\n", ST_ERANGE,
		     "line 2: memory must be a size from 2M to 64G, like 256M");
	expect_error("kernel = a\nmemory = lots\n", ST_EINVAL,
		     "line 2: memory must be a size from 2M to 64G, like 256M");
	expect_error("kernel = a\nmemory =\n", ST_EINVAL,
		     "line 2: memory must be a size from 2M to 64G, like 256M");
	expect_error("on_stop = reboot\nkernel = a\n", ST_EINVAL,
		     "line 1: on_stop must be poweroff or console");
	expect_error("on_stop = Poweroff\nkernel = a\n", ST_EINVAL,
		     "line 1: on_stop must be poweroff or console");
	/* A comment hides the value. */
	expect_error("kernel = a\nmemory = # 64M\n", ST_EINVAL,
		     "line 2: memory must be a size from 2M to 64G, like 256M");
}

static void test_lengths(void **state)
{
	(void)state;
	struct vm_config cfg;
	char err[128];
	char *text = malloc(8192);
	assert_non_null(text);
	/* The longest path fits; one more byte does not. */
	sprintf(text, "kernel = %0*d\n", CONFIG_PATH_MAX - 1, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_OK);
	assert_int_equal(strlen(cfg.kernel), CONFIG_PATH_MAX - 1);
	sprintf(text, "kernel = a\ninitrd = %0*d\n", CONFIG_PATH_MAX, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_ERANGE);
	assert_string_equal(err, "line 2: value too long");
	sprintf(text, "disk = %0*d\n", CONFIG_PATH_MAX, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_ERANGE);
	assert_string_equal(err, "line 1: value too long");
	sprintf(text, "kernel = a\ncmdline = %0*d\n", CONFIG_CMDLINE_MAX - 1, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_OK);
	assert_int_equal(strlen(cfg.cmdline), CONFIG_CMDLINE_MAX - 1);
	sprintf(text, "kernel = a\ncmdline = %0*d\n", CONFIG_CMDLINE_MAX, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_ERANGE);
	assert_string_equal(err, "line 2: value too long");
	/* A line longer than the buffer. */
	sprintf(text, "kernel = a\n\n\n# %0*d\n", 4000, 0);
	assert_int_equal(parse(text, &cfg, err, sizeof err), ST_EINVAL);
	assert_string_equal(err, "line 4: line too long");
	free(text);
	/* A NUL byte inside the text. */
	static const char nul[] = "kernel = a\nx\0y = 1\n";
	assert_int_equal(config_parse(nul, sizeof nul - 1, &cfg, err, sizeof err),
			 ST_EINVAL);
	assert_string_equal(err, "line 2: NUL byte");
	/* Only `len` bytes count, and a tiny error buffer truncates. */
	static const char two[] = "kernel = a\nbogus = 1\n";
	assert_int_equal(config_parse(two, 11, &cfg, err, sizeof err), ST_OK);
	assert_int_equal(config_parse(two, sizeof two - 1, &cfg, err, 7), ST_EINVAL);
	assert_string_equal(err, "line 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults_and_crlf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
