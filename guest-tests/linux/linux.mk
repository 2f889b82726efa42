# linux.mk: `make linux-guest`, the Linux test guest in build/linux/:
# vmlinuz and initrd.img (Debian's kernel and busybox, unpacked from .debs
# downloaded at build time into build/linux/debs/ and kept there), root.vhd
# (ext4 root file system as a dynamic VHD) and hvctl (static console
# client, also in root.vhd). Included by the top Makefile.

LINUX := $(BUILD)/linux
LINUX_SRC := guest-tests/linux
LINUX_PY := $(LINUX_SRC)/mkguest.py
LINUX_HVCTL_SRCS := $(LINUX_SRC)/hvctl.c $(LINUX_SRC)/hvctl_text.c

.PHONY: linux-guest
linux-guest: $(LINUX)/vmlinuz $(LINUX)/initrd.img $(LINUX)/root.vhd \
	$(LINUX)/hvctl

# The unpacked packages; the .debs themselves stay cached in debs/.
$(LINUX)/.fetched: $(LINUX_PY) $(LINUX_SRC)/debs.py | deps
	@mkdir -p $(LINUX)
	$(PYTHON) $(LINUX_PY) fetch $(LINUX)
	@touch $@

$(LINUX)/vmlinuz: $(LINUX)/.fetched
	cp $(LINUX)/kernel/boot/vmlinuz-* $@

$(LINUX)/initrd.img: $(LINUX)/.fetched $(LINUX_PY) $(LINUX_SRC)/kmods.py \
		$(LINUX_SRC)/newc.py $(LINUX_SRC)/init $(LINUX_SRC)/modules
	$(PYTHON) $(LINUX_PY) initrd $(LINUX)

$(LINUX)/hvctl: $(LINUX_HVCTL_SRCS) $(LINUX_SRC)/hvctl.h | deps
	@mkdir -p $(dir $@)
	$(CC) -static -O2 $(WARN) -o $@ $(LINUX_HVCTL_SRCS)

$(LINUX)/root.vhd: $(LINUX)/.fetched $(LINUX)/hvctl $(BUILD)/hvdisk \
		$(LINUX_PY) $(addprefix $(LINUX_SRC)/,rcS inittab profile motd)
	$(PYTHON) $(LINUX_PY) root $(LINUX) $(LINUX)/hvctl $(BUILD)/hvdisk

# hvctl's argv join and status texts, on the host with the sanitizers.
UNIT_TESTS += $(BUILD)/unit/linux_hvctl
$(BUILD)/unit/linux_hvctl: $(LINUX_SRC)/hvctl_test.c $(LINUX_SRC)/hvctl_text.c \
		$(LINUX_SRC)/hvctl.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(LINUX_SRC)/hvctl_test.c \
		$(LINUX_SRC)/hvctl_text.c $(UNIT_LIBS)

# Boots the guest in plain QEMU (no hypervisor of ours) on a copy of
# root.vhd: prompt, a write kept across boots, hvctl's refusal, poweroff,
# reboot and the initramfs's rescue shell. About 30 s.
.PHONY: linux-guest-check
linux-guest-check: linux-guest
	$(PYTHON) $(LINUX_SRC)/qemu_check.py $(LINUX)
