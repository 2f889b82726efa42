# acpi.mk: the guest's ACPI tables and the PM and 8042 device models
# (included at the end of hv/hv.mk). The DSDT is compiled by iasl from
# hv/acpi/dsdt.asl into build/gen/dsdt.aml, then into the C array
# build/gen/dsdt_aml.c that is linked into hv.efi (nothing generated is
# committed). Unit tests: build/unit/acpi_tables, build/unit/acpi_devices.

ACPI_GEN := $(BUILD)/gen
ACPI_DSDT_C := $(ACPI_GEN)/dsdt_aml.c

HV_SRCS += hv/acpi.c hv/dev/acpi_pm.c hv/dev/i8042.c $(ACPI_DSDT_C)

# -we: iasl warnings fail the build like compiler warnings do.
$(ACPI_GEN)/dsdt.aml: hv/acpi/dsdt.asl | deps
	@mkdir -p $(dir $@)
	iasl -we -vs -p $(ACPI_GEN)/dsdt $< >$(ACPI_GEN)/dsdt.log 2>&1 || \
		{ cat $(ACPI_GEN)/dsdt.log; rm -f $@; exit 1; }

$(ACPI_DSDT_C): $(ACPI_GEN)/dsdt.aml hv/acpi/aml2c.py
	$(PYTHON) hv/acpi/aml2c.py $< $@

# The generated source compiles with the hypervisor's flags (the top
# Makefile's $(BUILD)/efi/%.o rule would also match; this one is explicit).
$(BUILD)/efi/$(ACPI_GEN)/%.o: $(ACPI_GEN)/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -c $< -o $@

# Host unit tests: the tables walked as an OS would, and the two models.
ACPI_UNIT_DEPS := hv/acpi.h hv/dev/acpi_devices.h tests/unit/fake_mem.h
UNIT_TESTS += $(BUILD)/unit/acpi_tables $(BUILD)/unit/acpi_devices

$(BUILD)/unit/acpi_tables: tests/unit/acpi_tables.c hv/acpi.c $(ACPI_DSDT_C) \
		hv/gmem.c include/status.c $(ACPI_UNIT_DEPS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< hv/acpi.c $(ACPI_DSDT_C) hv/gmem.c \
		include/status.c $(UNIT_LIBS)

ACPI_DEV_SRCS := hv/dev/acpi_pm.c hv/dev/i8042.c hv/bus.c hv/vtimer.c \
	include/status.c
$(BUILD)/unit/acpi_devices: tests/unit/acpi_devices.c $(ACPI_DEV_SRCS) \
		$(ACPI_UNIT_DEPS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(ACPI_DEV_SRCS) $(UNIT_LIBS)
