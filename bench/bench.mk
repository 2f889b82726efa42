# bench.mk: benchmarks of bench/ that the top Makefile includes. Every
# bench program is built by `make` (the `benches` target, part of `all`;
# the chain bench's rule lives in storage/storage.mk) and smoke-run with
# tiny sizes by tests/bench/ in `make test`. `make bench-snapshot-pause`
# boots the snap_bench guest under QEMU TCG (AMD-V) and prints the
# snapshot pause ratios; `make bench-merge` and `make bench-merge-guest`
# measure merging (bench/README.md).

GUESTS += $(BUILD)/guests/snap_bench.elf $(BUILD)/guests/merge_io.elf
BENCH_BINS := $(BUILD)/bench/merge_bench $(BUILD)/bench/lz4_capture_bench \
	$(BUILD)/bench/vhd_chain_bench

.PHONY: benches
all: benches
benches: $(BENCH_BINS)

.PHONY: bench-snapshot-pause
bench-snapshot-pause: $(BUILD)/hv.efi $(BUILD)/guests/snap_bench.elf
	$(PYTHON) bench/snapshot_pause_bench.py
# Keep the objects: make would delete them as intermediates.
.SECONDARY: $(BUILD)/guests/obj/snap_bench.c.o $(BUILD)/guests/obj/merge_io.c.o

# `make bench-snapshot`: our capture path against the lz4 CLI. The memory
# image code links the snapshot tree (snapshot/tree.c), which opens VHD
# layers: the whole storage library comes along.
LZ4_BENCH_SRCS := $(SNAPSHOT_FORMAT_SRCS) $(STORAGE_HOST_SRCS) hv/lib/fmt.c
$(BUILD)/bench/lz4_capture_bench: bench/lz4_capture_bench.c \
		$(LZ4_BENCH_SRCS) $(SNAPSHOT_HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 $< $(LZ4_BENCH_SRCS) -o $@ -llz4
.PHONY: bench-snapshot
bench-snapshot: $(BUILD)/bench/lz4_capture_bench
	$(PYTHON) bench/lz4_capture_bench.py

# `make bench-merge`: merge throughput on the host: our fold engine against
# `qemu-img commit` and a plain copy of the same bytes (bench/README.md).
$(BUILD)/bench/merge_bench: bench/merge_bench.c $(STORAGE_HOST_SRCS) \
		$(STORAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 bench/merge_bench.c $(STORAGE_HOST_SRCS) -o $@
.PHONY: bench-merge
bench-merge: $(BUILD)/bench/merge_bench $(BUILD)/hvdisk
	$(PYTHON) bench/merge_bench.py

# `make bench-merge-guest`: the guest's disk throughput under QEMU TCG
# (AMD-V) while a deleted snapshot's layer merges, against the same run
# without the delete (bench/README.md).
.PHONY: bench-merge-guest
bench-merge-guest: $(BUILD)/hv.efi $(BUILD)/guests/merge_io.elf $(BUILD)/hvdisk
	$(PYTHON) bench/merge_guest_bench.py

# `make bench-linux-boot`: the Linux guest's boot to its shell under the
# hypervisor (QEMU TCG, AMD-V) against the same kernel, initrd and disk
# booted directly by QEMU TCG (bench/README.md).
.PHONY: bench-linux-boot
bench-linux-boot: $(BUILD)/hv.efi linux-guest
	$(PYTHON) bench/linux_boot_bench.py
