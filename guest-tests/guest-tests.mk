# guest-tests.mk: the freestanding multiboot v1 test guests (build/guests/
# NAME.elf, 32-bit ELF, loaded at 1 MiB) and the USB boot image. Included by
# the top Makefile, which runs from the repository root.

GUEST_CC := gcc
GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin \
	-fno-delete-null-pointer-checks -fno-asynchronous-unwind-tables \
	-mgeneral-regs-only -Iguest-tests/lib
GUEST_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -Wl,-T,guest-tests/lib/guest.ld

COMMA := ,
GUEST_LIB_SRCS := guest-tests/lib/entry.S guest-tests/lib/lib.c \
	guest-tests/lib/serial.c guest-tests/lib/printf.c \
	guest-tests/lib/multiboot.c
GUEST_LIB_OBJS := $(patsubst guest-tests/%,$(BUILD)/guests/obj/%.o,$(GUEST_LIB_SRCS))
# The same library with the multiboot a.out kludge (header flag 16).
GUEST_LIB_AOUT_OBJS := $(BUILD)/guests/obj/lib/entry-aout.S.o \
	$(filter-out %/entry.S.o,$(GUEST_LIB_OBJS))
# Linked into the snapshot guests only (rule below).
SNAP_LIB_OBJS := $(BUILD)/guests/obj/lib/snap.c.o
# And into the merge guests, with the virtio-blk driver (rule below).
MERGE_LIB_OBJS := $(SNAP_LIB_OBJS) $(BUILD)/guests/obj/lib/vblk.c.o \
	$(BUILD)/guests/obj/lib/merge.c.o

# Guests: one C file each under guest-tests/, linked with the library.
GUEST_NAMES := hello cpuid msr portio hlt ram triple unassigned mbinfo spin \
	virtio_blk paging hypercall snapshot snapshot_disk snapshot_restart \
	snapshot_refuse snapshot_full snapshot_delete merge_write merge_busy \
	merge_now merge_export merge_restart merge_full disk_full disk_stop \
	loader_state cpu_features
GUESTS += $(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_NAMES)) \
	$(BUILD)/guests/mbinfo-aout.elf $(BUILD)/guests/layout.elf
DEFAULT_GUEST := $(BUILD)/guests/hello.elf
# Keep the objects: make would delete them as intermediates.
.SECONDARY: $(patsubst %,$(BUILD)/guests/obj/%.c.o,$(GUEST_NAMES) mbinfo-aout layout) \
	$(GUEST_LIB_OBJS) $(GUEST_LIB_AOUT_OBJS) $(MERGE_LIB_OBJS)

$(BUILD)/guests/obj/%.c.o: guest-tests/%.c guest-tests/lib/guest.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DGUEST_NAME='"$(notdir $(basename $<))"' -c $< -o $@
$(BUILD)/guests/obj/%.S.o: guest-tests/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/obj/lib/entry-aout.S.o: guest-tests/lib/entry.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DMB_AOUT_KLUDGE -c $< -o $@

$(BUILD)/guests/%.elf: $(BUILD)/guests/obj/%.c.o $(GUEST_LIB_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS)

# The snapshot guests, the hypercall guest and bench's snap_bench also link
# lib/snap.c (the hypercall and the snapshot commands, lib/snap.h); a static
# pattern rule, so it wins over the one above.
SNAP_GUESTS := $(patsubst %,$(BUILD)/guests/%.elf,\
	$(filter-out snapshot_disk,$(filter snapshot% hypercall,$(GUEST_NAMES))) \
	snap_bench cpu_features)
$(SNAP_GUESTS): $(BUILD)/guests/%.elf: $(BUILD)/guests/obj/%.c.o $(GUEST_LIB_OBJS) \
		$(SNAP_LIB_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS) $(SNAP_LIB_OBJS)
$(patsubst $(BUILD)/guests/%.elf,$(BUILD)/guests/obj/%.c.o,$(SNAP_GUESTS)) \
	$(SNAP_LIB_OBJS): guest-tests/lib/snap.h

# snapshot_disk, disk_stop and bench's merge_io: lib/snap.c and the virtio-blk
# driver lib/vblk.c.
VBLK_OBJ := $(BUILD)/guests/obj/lib/vblk.c.o
VBLK_GUESTS := $(BUILD)/guests/snapshot_disk.elf $(BUILD)/guests/merge_io.elf \
	$(BUILD)/guests/disk_stop.elf
$(VBLK_GUESTS): $(BUILD)/guests/%.elf: $(BUILD)/guests/obj/%.c.o \
		$(GUEST_LIB_OBJS) $(SNAP_LIB_OBJS) $(VBLK_OBJ) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS) $(SNAP_LIB_OBJS) \
		$(VBLK_OBJ)
$(patsubst $(BUILD)/guests/%.elf,$(BUILD)/guests/obj/%.c.o,$(VBLK_GUESTS)): \
	guest-tests/lib/snap.h guest-tests/lib/vblk.h

# The merge guests (issue 6) and disk_full also link lib/vblk.c and
# lib/merge.c.
MERGE_GUESTS := $(patsubst %,$(BUILD)/guests/%.elf,$(filter merge_% disk_full,\
	$(GUEST_NAMES)))
$(MERGE_GUESTS): $(BUILD)/guests/%.elf: $(BUILD)/guests/obj/%.c.o $(GUEST_LIB_OBJS) \
		$(MERGE_LIB_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS) $(MERGE_LIB_OBJS)
$(patsubst $(BUILD)/guests/%.elf,$(BUILD)/guests/obj/%.c.o,$(MERGE_GUESTS)) \
	$(MERGE_LIB_OBJS): guest-tests/lib/snap.h guest-tests/lib/vblk.h \
	guest-tests/lib/merge.h

# loader_state: enters at its own raw_start, before the library's GDT.
$(BUILD)/guests/loader_state.elf: $(BUILD)/guests/obj/loader_state.c.o $(GUEST_LIB_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-e,raw_start -o $@ $< $(GUEST_LIB_OBJS)

# mbinfo-aout: the mbinfo guest booted through the a.out kludge addresses.
$(BUILD)/guests/obj/mbinfo-aout.c.o: guest-tests/mbinfo.c guest-tests/lib/guest.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DGUEST_NAME='"mbinfo-aout"' -c $< -o $@
$(BUILD)/guests/mbinfo-aout.elf: $(BUILD)/guests/obj/mbinfo-aout.c.o $(GUEST_LIB_AOUT_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_AOUT_OBJS)

# layout: separate text and data segments, as an ordinary kernel has.
$(BUILD)/guests/layout.elf: $(BUILD)/guests/obj/layout.c.o $(GUEST_LIB_OBJS) guest-tests/lib/layout.ld
	$(GUEST_CC) $(filter-out -Wl$(COMMA)-T$(COMMA)%,$(GUEST_LDFLAGS)) \
		-Wl,-T,guest-tests/lib/layout.ld -o $@ $< $(GUEST_LIB_OBJS)

# The USB stick image: GPT, one EFI system partition with the hypervisor as
# EFI/BOOT/BOOTX64.EFI, hv.cfg (console on stop) and the default guest, the
# Linux guest of linux.mk with its root disk (as `make run` boots it).
$(BUILD)/hv-usb.img: $(BUILD)/hv.efi $(BUILD)/linux/vmlinuz $(BUILD)/linux/initrd.img \
		$(BUILD)/linux/root.vhd tools/mkvolume
	rm -f $@
	tools/mkvolume --output $@ --efi $(BUILD)/hv.efi \
		--kernel $(BUILD)/linux/vmlinuz --initrd $(BUILD)/linux/initrd.img \
		--disk $(BUILD)/linux/root.vhd --cmdline "console=ttyS0 root=/dev/vda quiet" \
		--memory 256M --on-stop console --set hypercall_user=yes
