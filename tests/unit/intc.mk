# intc.mk: unit tests of the interrupt controllers (local APIC, IOAPIC,
# 8259 pair), IRQ/MSI routing, the bus, vtimers and interrupt injection,
# with the clock and the vendor ops faked (tests/unit/intc_fakes.h).
INTC_SRCS := hv/bus.c hv/vtimer.c hv/irq.c hv/intr.c hv/dev/lapic.c \
	hv/dev/lapic_timer.c hv/dev/lapic_access.c hv/dev/ioapic.c \
	hv/dev/pic8259.c include/status.c
INTC_UNIT_NAMES := lapic ioapic pic route
UNIT_TESTS += $(addprefix $(BUILD)/unit/intc_,$(INTC_UNIT_NAMES))

$(addprefix $(BUILD)/unit/intc_,$(INTC_UNIT_NAMES)): $(BUILD)/unit/intc_%: \
		tests/unit/intc_%.c tests/unit/intc_fakes.h $(INTC_SRCS) \
		$(wildcard hv/*.h hv/dev/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(INTC_SRCS) $(UNIT_LIBS)
