# pc_devices.mk: the PC timer chips (8254 PIT, MC146818 RTC/CMOS, HPET) in the
# hypervisor image, and their host unit tests against a fake clock and
# fake IRQ lines with the real bus and timer set (included by hv/hv.mk).

HV_SRCS += hv/dev/pit8254.c hv/dev/rtc.c hv/dev/hpet.c

PC_DEV_HDRS := hv/dev/pc_devices.h hv/dev/muldiv.h tests/unit/fake_clock.h
PC_DEV_LIBSRCS := hv/bus.c hv/vtimer.c include/status.c
UNIT_TESTS += $(BUILD)/unit/dev_pit $(BUILD)/unit/dev_rtc $(BUILD)/unit/dev_hpet

$(BUILD)/unit/dev_pit: tests/unit/dev_pit.c hv/dev/pit8254.c \
		$(PC_DEV_LIBSRCS) $(PC_DEV_HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< hv/dev/pit8254.c $(PC_DEV_LIBSRCS) \
		$(UNIT_LIBS)

$(BUILD)/unit/dev_rtc: tests/unit/dev_rtc.c hv/dev/rtc.c \
		$(PC_DEV_LIBSRCS) $(PC_DEV_HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< hv/dev/rtc.c $(PC_DEV_LIBSRCS) \
		$(UNIT_LIBS)

$(BUILD)/unit/dev_hpet: tests/unit/dev_hpet.c hv/dev/hpet.c \
		$(PC_DEV_LIBSRCS) $(PC_DEV_HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< hv/dev/hpet.c $(PC_DEV_LIBSRCS) \
		$(UNIT_LIBS)
