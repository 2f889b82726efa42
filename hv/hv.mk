# hv.mk: sources of the hypervisor image and the unit tests of the
# portable core (included by the top Makefile).

# The CPUID allow list and the MSR table (audited together by a unit test).
HV_FEATURE_SRCS := hv/cpuid_table.c hv/msr_rules.c
HV_PORTABLE := $(HV_FEATURE_SRCS) hv/npt.c hv/gmem.c hv/config.c hv/multiboot.c hv/linux_boot.c hv/decode.c \
	hv/decode_0f.c hv/decode_alu.c hv/decode_exec.c hv/decode_string.c \
	hv/gwalk.c hv/lib/fmt.c hv/bus.c hv/vtimer.c include/status.c

HV_SRCS += boot/efi_main.c boot/plat_mem.c boot/plat_file.c \
	boot/plat_console.c boot/plat_timer.c boot/plat_timer_isr.S \
	$(HV_PORTABLE) hv/lib/string.c hv/log.c hv/main.c hv/console.c \
	hv/vm.c hv/vm_pause.c hv/vm_mem.c hv/loader.c hv/cpuid.c hv/msr.c hv/exit.c \
	hv/cr.c hv/hypercall.c hv/command.c hv/console_mux.c hv/snap.c hv/snap_create.c \
	hv/snap_apply.c hv/snap_state.c hv/snap_disk.c hv/snap_merge.c hv/snap_export.c hv/mmio.c hv/guest.c hv/string_io.c hv/fpu.c hv/dev/uart16550.c \
	hv/dev/debugexit.c hv/irq.c hv/intr.c hv/vclock.c hv/dev/lapic.c \
	hv/dev/lapic_timer.c hv/dev/lapic_access.c hv/dev/ioapic.c hv/dev/pic8259.c \
	svm/svm.c svm/svm_exit.c svm/svm_entry.S \
	vmx/vmx.c vmx/vmx_vmcs.c vmx/vmx_vcpu.c vmx/vmx_exit.c vmx/vmx_entry.S

HV_UNIT_NAMES := npt gmem multiboot linux_boot config decode decode_alu decode_emu gwalk fmt \
	cpuid_audit
UNIT_TESTS += $(addprefix $(BUILD)/unit/hv_,$(HV_UNIT_NAMES))

$(BUILD)/unit/hv_%: tests/unit/hv_%.c $(HV_PORTABLE) tests/unit/fake_mem.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(HV_PORTABLE) $(UNIT_LIBS)

# Device models with the platform console and vm_stop faked.
HV_DEV_SRCS := hv/dev/uart16550.c hv/dev/debugexit.c hv/bus.c include/status.c
UNIT_TESTS += $(BUILD)/unit/dev_devices
$(BUILD)/unit/dev_devices: tests/unit/dev_devices.c $(HV_DEV_SRCS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(HV_DEV_SRCS) $(UNIT_LIBS)
include hv/acpi/acpi.mk
include hv/dev/pci.mk
include hv/dev/pc_devices.mk
include tests/unit/intc.mk

# The console's command language, with a fake vendor table.
UNIT_TESTS += $(BUILD)/unit/hv_command_lang
$(BUILD)/unit/hv_command_lang: tests/unit/hv_command.c hv/command.c hv/lib/fmt.c include/status.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $^ $(UNIT_LIBS)
