# storage/storage.mk: the VHD library (storage/), the host disk tool
# build/hvdisk (with snapshot/'s manifest reader), its unit tests, the
# fuzz target and the chain benchmark.
# storage/ is portable C: `storage-freestanding-check` compiles it with the
# hypervisor's freestanding flags (it is not linked into hv.efi yet).

STORAGE_SRCS := storage/blockfile_mem.c storage/blockfile_fault.c \
	storage/vhd_env.c storage/vhd_format.c storage/vhd_text.c \
	storage/vhd.c storage/vhd_write.c storage/vhd_create.c \
	storage/vhd_parent.c storage/vhd_chain.c storage/vhd_chain_map.c \
	storage/vhd_image.c storage/vhd_commit.c storage/vhd_check.c \
	storage/vhd_fold.c storage/vhd_fold_step.c storage/vhd_fold_finish.c \
	storage/vhd_fold_journal.c
# Host-only: POSIX files.
STORAGE_HOST_SRCS := $(STORAGE_SRCS) storage/blockfile_posix.c \
	include/status.c
STORAGE_HDRS := $(wildcard storage/*.h) include/status.h
HVDISK_SRCS := tools/hvdisk/main.c tools/hvdisk/cmds.c tools/hvdisk/info.c \
	tools/hvdisk/fold.c tools/hvdisk/tree.c
# The snapshot tree reader for `hvdisk snapshots` and `export DIR ID OUT`.
HVDISK_SNAP_SRCS := $(wildcard snapshot/manifest*.c) snapshot/crc32.c \
	hv/lib/fmt.c
HVDISK_SNAP_HDRS := snapshot/manifest.h snapshot/manifest_int.h \
	snapshot/crc32.h hv/lib/fmt.h

HOST_TOOLS += $(BUILD)/hvdisk
STORAGE_UNIT_NAMES := $(patsubst tests/unit/%.c,%,\
	$(wildcard tests/unit/storage_*.c))
UNIT_TESTS += $(addprefix $(BUILD)/unit/,$(STORAGE_UNIT_NAMES))

.PHONY: storage-freestanding-check bench-storage fuzz-storage
unit: storage-freestanding-check
tools: storage-freestanding-check

$(BUILD)/hvdisk: $(HVDISK_SRCS) $(HVDISK_SNAP_SRCS) $(STORAGE_HOST_SRCS) \
		$(STORAGE_HDRS) $(HVDISK_SNAP_HDRS) tools/hvdisk/hvdisk.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 $(HVDISK_SRCS) $(HVDISK_SNAP_SRCS) \
		$(STORAGE_HOST_SRCS) -o $@

# Unit tests: one cmocka binary per tests/unit/storage_*.c, ASan+UBSan,
# linked with the whole library and tests/unit/storage_util.h helpers.
$(BUILD)/unit/storage_%: tests/unit/storage_%.c $(STORAGE_HOST_SRCS) \
		$(STORAGE_HDRS) $(wildcard tests/unit/storage_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $< $(STORAGE_HOST_SRCS) -o $@ $(UNIT_LIBS)

# Compiles every portable storage file as the hypervisor would.
STORAGE_EFI_OBJS := $(patsubst %.c,$(BUILD)/efi-check/%.o,$(STORAGE_SRCS))
STORAGE_LIBC := calloc free malloc memcmp memcpy memmove memset strchr \
	strcmp strlen strncmp strrchr
storage-freestanding-check: $(STORAGE_EFI_OBJS)
	@undef=$$(nm -u $^ | awk 'NF==2{print $$2}' | sort -u); \
	def=$$(nm --defined-only $^ | awk 'NF==3{print $$3}' | sort -u); \
	bad=$$(comm -23 <(echo "$$undef") <(echo "$$def") | \
		grep -vxF -f <(printf '%s\n' $(STORAGE_LIBC))); \
	if [ -n "$$bad" ]; then echo "storage/ uses functions the" \
		"hypervisor lacks: $$bad"; exit 1; fi
$(BUILD)/efi-check/%.o: %.c $(STORAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

# libFuzzer target: arbitrary bytes opened and read as a VHD chain.
FUZZ_CC := clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -Iinclude -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/fuzz_vhd: tests/fuzz/fuzz_vhd.c $(STORAGE_SRCS) \
		include/status.c $(STORAGE_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/fuzz_vhd.c $(STORAGE_SRCS) \
		include/status.c -o $@
$(BUILD)/fuzz/seeds/.stamp: tests/fuzz/make_seeds.py $(BUILD)/hvdisk
	rm -rf $(dir $@) && $(PYTHON) tests/fuzz/make_seeds.py $(BUILD)/hvdisk \
		$(dir $@) && touch $@
fuzz-storage: $(BUILD)/fuzz/fuzz_vhd $(BUILD)/fuzz/seeds/.stamp
unit: fuzz-storage

# Benchmark: 4 KiB random reads through chains of depth 1, 4, 16 and
# through qemu-io on qcow2 chains of the same depth; prints ratios.
$(BUILD)/bench/vhd_chain_bench: bench/vhd_chain_bench.c \
		$(STORAGE_HOST_SRCS) $(STORAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 bench/vhd_chain_bench.c \
		$(STORAGE_HOST_SRCS) -o $@
bench-storage: $(BUILD)/bench/vhd_chain_bench $(BUILD)/hvdisk
	$(PYTHON) bench/vhd_chain_bench.py
