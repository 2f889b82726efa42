/* hv_command.c: unit tests of the console command language
 * (hv/command.c): matching on whole words, replies cut to fit, unknown
 * commands, `vm info` with and without a VM, the snapshot words
 * reaching hv/snap.h with their argument, and `continue` reaching
 * vm_continue from the host console only (both faked here). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "hv/command.h"
#include "hv/snap.h"
#include "hv/vm.h"

static const struct vcpu_ops fake_ops = { .name = "fakevendor" };
const struct vcpu_ops *vcpu_ops = &fake_ops;

/* Fakes of hv/snap.h: remember the last call. */
static char last_call[64], last_arg[64];
static struct cmd_caller *last_caller;

static status_t fake(const char *what, const char *arg, struct cmd_caller *c,
		     char *reply, size_t cap)
{
	snprintf(last_call, sizeof last_call, "%s", what);
	snprintf(last_arg, sizeof last_arg, "%s", arg ? arg : "");
	last_caller = c;
	snprintf(reply, cap, "%s done", what);
	return ST_OK;
}

status_t snap_create(struct vm *vm, const char *name, struct cmd_caller *c,
		     char *reply, size_t cap)
{
	(void)vm;
	return fake("create", name, c, reply, cap);
}

status_t snap_apply(struct vm *vm, const char *which, struct cmd_caller *c,
		    char *reply, size_t cap)
{
	(void)vm;
	return fake("apply", which, c, reply, cap);
}

status_t snap_delete(struct vm *vm, const char *which, char *reply, size_t cap)
{
	(void)vm;
	return fake("delete", which, NULL, reply, cap);
}

status_t snap_list(struct vm *vm, char *reply, size_t cap)
{
	(void)vm;
	return fake("list", NULL, NULL, reply, cap);
}

status_t snap_export(struct vm *vm, const char *arg, char *reply, size_t cap)
{
	(void)vm;
	return fake("export", arg, NULL, reply, cap);
}

status_t snap_merge_status(struct vm *vm, char *reply, size_t cap)
{
	(void)vm;
	return fake("merge status", NULL, NULL, reply, cap);
}

status_t snap_merge_now(struct vm *vm, char *reply, size_t cap)
{
	(void)vm;
	return fake("merge now", NULL, NULL, reply, cap);
}

/* Fakes of hv/vm_pause.c. */
void vm_state_text(const struct vm *vm, char *out, size_t cap)
{
	snprintf(out, cap, "%s", vm->pause ? "paused: why" : "running");
}

status_t vm_continue(struct vm *vm, char *reply, size_t cap)
{
	(void)vm;
	return fake("continue", NULL, NULL, reply, cap);
}

static void test_continue(void **state)
{
	(void)state;
	static struct vm vm;
	struct cmd_caller caller = { 0 };
	char reply[128];
	strcpy(last_call, "none");
	/* A guest cannot send it: its VM would be paused. */
	assert_int_equal(command_run(&vm, &caller, "continue", reply,
				     sizeof reply), ST_EPERM);
	assert_string_equal(reply, "continue is a host console command");
	assert_string_equal(last_call, "none");
	assert_int_equal(command_run(&vm, NULL, "continue now", reply,
				     sizeof reply), ST_EINVAL);
	assert_string_equal(last_call, "none");
	assert_int_equal(command_run(&vm, NULL, " continue ", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(last_call, "continue");
	assert_string_equal(reply, "continue done");
	char help[2048];
	assert_int_equal(command_run(&vm, NULL, "help", help, sizeof help),
			 ST_OK);
	assert_non_null(strstr(help, "\ncontinue "));
}

static void test_merge_words(void **state)
{
	(void)state;
	static struct vm vm;
	char reply[128];
	assert_int_equal(command_run(&vm, NULL, "snapshot export 2 out.vhd",
				     reply, sizeof reply), ST_OK);
	assert_string_equal(last_call, "export");
	assert_string_equal(last_arg, "2 out.vhd");
	assert_int_equal(command_run(&vm, NULL, " merge  status ", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(reply, "merge status done");
	assert_int_equal(command_run(&vm, NULL, "merge now", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(last_call, "merge now");
	assert_int_equal(command_run(&vm, NULL, "merge now please", reply,
				     sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "merge status x", reply,
				     sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "merge", reply, sizeof reply),
			 ST_EINVAL);
}

static void test_snapshot_words(void **state)
{
	(void)state;
	static struct vm vm;
	struct cmd_caller caller = { 0 };
	char reply[128];
	assert_int_equal(command_run(&vm, &caller, "snapshot create", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(last_call, "create");
	assert_string_equal(last_arg, "");
	assert_ptr_equal(last_caller, &caller);
	assert_int_equal(command_run(&vm, NULL, "  snapshot   create  base-1  ",
				     reply, sizeof reply), ST_OK);
	assert_string_equal(last_arg, "base-1");
	assert_int_equal(command_run(&vm, NULL, "snapshot apply 3", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(last_call, "apply");
	assert_string_equal(last_arg, "3");
	assert_int_equal(command_run(&vm, NULL, "snapshot delete x\n", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(last_call, "delete");
	assert_string_equal(last_arg, "x");
	assert_int_equal(command_run(&vm, NULL, "snapshot list", reply,
				     sizeof reply), ST_OK);
	assert_string_equal(reply, "list done");
	assert_int_equal(command_run(&vm, NULL, "snapshot list all", reply,
				     sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "snapshot", reply, sizeof reply),
			 ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "snapshots list", reply,
				     sizeof reply), ST_EINVAL);
	strcpy(last_call, "none");
	assert_int_equal(command_run(&vm, NULL, "snapshot createx", reply,
				     sizeof reply), ST_EINVAL);
	assert_string_equal(last_call, "none");
}

static void test_help(void **state)
{
	(void)state;
	char reply[512];
	assert_int_equal(command_run(NULL, NULL, "help", reply, sizeof reply), ST_OK);
	assert_non_null(strstr(reply, "vm info"));
	assert_int_equal(command_run(NULL, NULL, "  help  ", reply, sizeof reply), ST_OK);
	assert_int_equal(command_run(NULL, NULL, "helper", reply, sizeof reply), ST_EINVAL);
	assert_non_null(strstr(reply, "unknown command"));
}

static void test_vm_info(void **state)
{
	(void)state;
	static struct vm vm;
	char reply[256];
	assert_int_equal(command_run(NULL, NULL, "vm info", reply, sizeof reply), ST_ENOENT);
	vm.ram_size = 64ull << 20;
	vm.nvcpus = 1;
	strcpy(vm.cfg.kernel, "k.elf");
	strcpy(vm.cfg.disk, "d.vhd");
	assert_int_equal(command_run(&vm, NULL, "vm   info", reply, sizeof reply), ST_OK);
	assert_string_equal(reply, "vendor fakevendor\nmemory 64 MiB\nvcpus 1\n"
				   "kernel k.elf\nstate running\ndisk d.vhd");
	vm.pause = VM_PAUSED_DISK_FULL;
	assert_int_equal(command_run(&vm, NULL, "vm info", reply, sizeof reply),
			 ST_OK);
	assert_non_null(strstr(reply, "\nstate paused: why\ndisk d.vhd"));
	vm.pause = VM_NOT_PAUSED;
	assert_int_equal(command_run(&vm, NULL, "vm info", reply, 8), ST_OK);
	assert_string_equal(reply, "vendor ");
	assert_int_equal(command_run(&vm, NULL, "vm", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "vminfo", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "", reply, sizeof reply), ST_EINVAL);
	assert_int_equal(command_run(&vm, NULL, "help", reply, 0), ST_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_vm_info),
		cmocka_unit_test(test_snapshot_words),
		cmocka_unit_test(test_merge_words),
		cmocka_unit_test(test_continue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
