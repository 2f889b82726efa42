/* hv_command.c: unit tests of the console command language
 * (hv/command.c): matching on whole words, replies cut to fit, unknown
 * commands, and `vm info` with and without a VM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "hv/command.h"
#include "hv/vm.h"

static const struct vcpu_ops fake_ops = { .name = "fakevendor" };
const struct vcpu_ops *vcpu_ops = &fake_ops;

static void test_help(void **state)
{
	(void)state;
	char reply[512];
	assert_int_equal(command_run(NULL, "help", reply, sizeof reply), ST_OK);
	assert_non_null(strstr(reply, "vm info"));
	assert_int_equal(command_run(NULL, "  help  ", reply, sizeof reply), ST_OK);
	assert_int_equal(command_run(NULL, "helper", reply, sizeof reply), ST_EINVAL);
	assert_non_null(strstr(reply, "unknown command"));
}

static void test_vm_info(void **state)
{
	(void)state;
	static struct vm vm;
	char reply[256];
	assert_int_equal(command_run(NULL, "vm info", reply, sizeof reply), ST_ENOENT);
	vm.ram_size = 64ull << 20;
	vm.nvcpus = 1;
	strcpy(vm.cfg.kernel, "k.elf");
	strcpy(vm.cfg.disk, "d.vhd");
	assert_int_equal(command_run(&vm, "vm   info", reply, sizeof reply), ST_OK);
	assert_string_equal(reply, "vendor fakevendor\nmemory 64 MiB\nvcpus 1\n"
				   "kernel k.elf\ndisk d.vhd");
	assert_int_equal(command_run(&vm, "vm info", reply, 8), ST_OK);
	assert_string_equal(reply, "vendor ");
	assert_int_equal(command_run(&vm, "vm", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, "vminfo", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, "", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, "help", reply, 0), ST_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_vm_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
