# pc.mk: the pc_* test guests (build/guests/pc_NAME.elf from
# guest-tests/pc/NAME.c), which test the hypervisor's PC (APIC, IOAPIC,
# 8259, PIT, RTC, ACPI, reset, PCI, long mode) from inside. They link the
# guest library of guest-tests.mk plus pclib (guest-tests/pc/pclib.h).
# Included at the end of the top Makefile, after guest-tests.mk.

PC_GUEST_NAMES := apic_timer ioapic_uart pic pit_calibrate rtc acpi reset pci \
	longmode mmio_hpet
PC_GUESTS := $(patsubst %,$(BUILD)/guests/pc_%.elf,$(PC_GUEST_NAMES))
PC_LIB_OBJS := $(BUILD)/guests/obj/pc/pclib.c.o $(BUILD)/guests/obj/pc/pc_stubs.S.o
PC_OBJS := $(patsubst %,$(BUILD)/guests/obj/pc/%.c.o,$(PC_GUEST_NAMES))
GUESTS += $(PC_GUESTS)
# `guests:` was read before this fragment: add the prerequisites here too.
guests: $(PC_GUESTS)
.SECONDARY: $(PC_OBJS) $(PC_LIB_OBJS)

$(PC_OBJS) $(BUILD)/guests/obj/pc/pclib.c.o: guest-tests/pc/pclib.h

$(PC_GUESTS): $(BUILD)/guests/pc_%.elf: $(BUILD)/guests/obj/pc/%.c.o \
		$(PC_LIB_OBJS) $(GUEST_LIB_OBJS) guest-tests/lib/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $< $(PC_LIB_OBJS) $(GUEST_LIB_OBJS)
