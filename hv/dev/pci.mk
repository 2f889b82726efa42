# hv/dev/pci.mk: the PCI host bridge, virtio-blk, the VM's disk on the
# firmware file protocol and the storage/ files the hypervisor links;
# unit tests build/unit/pci_* and build/unit/virtio_* (included by hv.mk).

PCI_SRCS := hv/dev/pci_host.c hv/dev/pci_fn.c hv/dev/pci_irq.c
VIRTIO_SRCS := hv/dev/virtio_ring.c hv/dev/virtio_pci.c hv/dev/virtio_blk.c
# The part of storage/ that opening and using a chain needs.
HV_STORAGE_SRCS := storage/vhd_env.c storage/vhd_format.c storage/vhd_text.c \
	storage/vhd.c storage/vhd_write.c storage/vhd_parent.c \
	storage/vhd_chain.c storage/vhd_chain_map.c storage/vhd_fold.c \
	storage/vhd_fold_step.c storage/vhd_fold_finish.c \
	storage/vhd_fold_journal.c
# filter-out: other fragments may list the same storage files.
HV_SRCS += $(filter-out $(HV_SRCS),$(PCI_SRCS) $(VIRTIO_SRCS) hv/disk.c \
	boot/plat_blockfile.c $(HV_STORAGE_SRCS) storage/vhd_create.c \
	storage/vhd_image.c storage/vhd_commit.c)

# Host tests: real gmem, bus and storage (memory and POSIX files);
# vm_stop, hv_log, irq_set and irq_msi are faked in tests/unit/pci_fakes.h.
PCI_TEST_SRCS := $(PCI_SRCS) $(VIRTIO_SRCS) hv/bus.c hv/gmem.c \
	hv/vm_pause.c hv/lib/fmt.c \
	include/status.c $(HV_STORAGE_SRCS) storage/blockfile_mem.c \
	storage/blockfile_posix.c storage/vhd_create.c
PCI_UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/pci_*.c \
	tests/unit/virtio_*.c))
UNIT_TESTS += $(addprefix $(BUILD)/unit/,$(PCI_UNIT_NAMES))

$(BUILD)/unit/pci_%: tests/unit/pci_%.c $(PCI_TEST_SRCS) \
		$(wildcard tests/unit/pci_*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(PCI_TEST_SRCS) $(UNIT_LIBS)
$(BUILD)/unit/virtio_%: tests/unit/virtio_%.c $(PCI_TEST_SRCS) \
		$(wildcard tests/unit/pci_*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(PCI_TEST_SRCS) $(UNIT_LIBS)
