# Makefile: builds the hypervisor (build/hv.efi), host tools, test guests and
# unit tests. Each part adds its files through its own .mk fragment:
#   HV_SRCS     sources linked into hv.efi
#   UNIT_TESTS  host unit-test binaries (build/unit/NAME), run by pytest
#   HOST_TOOLS  host programs under build/
#   GUESTS      test guests under build/guests/
# `make` installs missing Debian packages first (tools/install-deps).

BUILD := build
PYTHON := /usr/bin/python3
SHELL := /bin/bash

WARN := -Wall -Wextra -Werror
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -I.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_CFLAGS := $(HOST_CFLAGS) $(SAN)
UNIT_LIBS := -lcmocka

EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -I. -ffreestanding -fpic \
	-fshort-wchar -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-strict-aliasing -fno-builtin -maccumulate-outgoing-args \
	-DGNU_EFI_USE_MS_ABI -DHV_FREESTANDING
# Only boot/ sees the firmware headers (DESIGN.md section 2).
EFI_BOOT_CFLAGS := $(EFI_CFLAGS) -I$(EFI_INC) -I$(EFI_INC)/x86_64
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T linker.ld \
	-L$(EFI_LIB)

HV_SRCS :=
UNIT_TESTS :=
HOST_TOOLS :=
GUESTS :=

.PHONY: all deps test test-slow unit run image clean
all: deps hv tools guests unit linux-guest

deps:
	@tools/install-deps

include hv/hv.mk
-include storage/storage.mk
-include snapshot/snapshot.mk
-include bench/bench.mk
-include guest-tests/guest-tests.mk
-include guest-tests/linux/linux.mk

hv: $(BUILD)/hv.efi
tools: $(HOST_TOOLS)
guests: $(GUESTS)
unit: $(UNIT_TESTS)

HV_OBJS := $(patsubst %.c,$(BUILD)/efi/%.o,$(filter %.c,$(HV_SRCS))) \
	$(patsubst %.S,$(BUILD)/efi/%.o,$(filter %.S,$(HV_SRCS)))

$(BUILD)/efi/boot/%.o: boot/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(EFI_BOOT_CFLAGS) -MMD -c $< -o $@
$(BUILD)/efi/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -c $< -o $@
$(BUILD)/efi/%.o: %.S | deps
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -c $< -o $@

$(BUILD)/hv.so: $(HV_OBJS) linker.ld
	ld $(EFI_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(HV_OBJS) \
		/usr/lib/x86_64-linux-gnu/liblz4.a -lefi -lgnuefi \
		$(shell $(CC) -print-libgcc-file-name) -o $@
	@if nm -u $@ | grep -q .; then echo "undefined symbols:"; nm -u $@; \
		rm -f $@; exit 1; fi

$(BUILD)/hv.efi: $(BUILD)/hv.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

test: all
	$(PYTHON) -m pytest -n 2 -p no:cacheprovider -m "not slow" tests

# The tests marked slow (Linux under Bochs: several minutes each).
test-slow: all
	$(PYTHON) -m pytest -n 2 -p no:cacheprovider -m slow tests

# The default guest: Debian's Linux on an ext4 root in a VHD (linux.mk).
# Its disk persists in build/linux/run-root.vhd; the boot volume (with
# any snapshots) is fresh on each run.
LINUX_CMDLINE := console=ttyS0 root=/dev/vda quiet
run: all
	@test -f $(BUILD)/linux/run-root.vhd || cp $(BUILD)/linux/root.vhd $(BUILD)/linux/run-root.vhd
	tools/hvrun --cpu amd --mem 256M --timeout 86400 --kernel $(BUILD)/linux/vmlinuz \
		--initrd $(BUILD)/linux/initrd.img --disk $(BUILD)/linux/run-root.vhd \
		--append "$(LINUX_CMDLINE)" --set hypercall_user=yes

image: all $(BUILD)/hv-usb.img

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
-include guest-tests/pc/pc.mk
