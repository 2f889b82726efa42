# snapshot/snapshot.mk: the snapshot formats (snapshot/: manifest, state
# file, memory image, crc32) and the capture engine, linked into hv.efi;
# their cmocka unit tests, the freestanding check, the libFuzzer targets
# (tests/snapshot/test_fuzz.py runs them); bench/bench.mk builds
# `make bench-snapshot` from SNAPSHOT_FORMAT_SRCS.

SNAPSHOT_SRCS := $(wildcard snapshot/*.c)
HV_SRCS += $(SNAPSHOT_SRCS)
SNAPSHOT_HDRS := $(wildcard snapshot/*.h) $(STORAGE_HDRS) hv/lib/fmt.h
# Host builds: the snapshot sources, the storage library (block files
# including POSIX ones) and the hypervisor's snprintf.
SNAPSHOT_HOST_SRCS := $(SNAPSHOT_SRCS) $(STORAGE_HOST_SRCS) hv/lib/fmt.c
# The format code alone (no capture engine), for the fuzzers and the bench.
SNAPSHOT_FORMAT_SRCS := $(filter-out snapshot/capture.c,$(SNAPSHOT_SRCS))

.PHONY: snapshot-freestanding-check fuzz-snapshot
unit: snapshot-freestanding-check fuzz-snapshot

# Unit tests: one cmocka binary per tests/unit/snap_*.c, ASan+UBSan.
SNAPSHOT_UNIT_NAMES := $(patsubst tests/unit/%.c,%,\
	$(wildcard tests/unit/snap_*.c))
UNIT_TESTS += $(addprefix $(BUILD)/unit/,$(SNAPSHOT_UNIT_NAMES))
$(BUILD)/unit/snap_%: tests/unit/snap_%.c $(SNAPSHOT_HOST_SRCS) \
		$(SNAPSHOT_HDRS) $(wildcard tests/unit/snap_*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $< $(SNAPSHOT_HOST_SRCS) -o $@ $(UNIT_LIBS) -llz4

# Every snapshot source compiled as the hypervisor would; the only outside
# names allowed are storage's libc subset, lz4, hv_snprintf and storage.
SNAPSHOT_EFI_OBJS := $(patsubst %.c,$(BUILD)/efi-check/%.o,$(SNAPSHOT_SRCS))
$(SNAPSHOT_EFI_OBJS): $(SNAPSHOT_HDRS)
SNAPSHOT_ALLOWED := $(STORAGE_LIBC) LZ4_compress_default \
	LZ4_decompress_safe LZ4_compressBound hv_snprintf hv_vsnprintf \
	status_str
snapshot-freestanding-check: $(SNAPSHOT_EFI_OBJS) $(STORAGE_EFI_OBJS)
	@undef=$$(nm -u $(SNAPSHOT_EFI_OBJS) | awk 'NF==2{print $$2}' | \
		sort -u); \
	def=$$(nm --defined-only $^ | awk 'NF==3{print $$3}' | sort -u); \
	bad=$$(comm -23 <(echo "$$undef") <(echo "$$def") | \
		grep -vxF -f <(printf '%s\n' $(SNAPSHOT_ALLOWED))); \
	if [ -n "$$bad" ]; then echo "snapshot/ uses functions the" \
		"hypervisor lacks: $$bad"; exit 1; fi

# libFuzzer targets (clang, FUZZ_FLAGS from storage.mk) over in-memory
# files; seeds come from tests/snapshot/seeds.py at test time.
SNAPSHOT_FUZZ := $(addprefix $(BUILD)/fuzz/fuzz_,manifest statefile memimg)
SNAPSHOT_FUZZ_SRCS := $(SNAPSHOT_FORMAT_SRCS) $(STORAGE_SRCS) \
	include/status.c hv/lib/fmt.c
$(SNAPSHOT_FUZZ): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c \
		$(SNAPSHOT_FUZZ_SRCS) $(SNAPSHOT_HDRS) | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< $(SNAPSHOT_FUZZ_SRCS) -o $@ -llz4
fuzz-snapshot: $(SNAPSHOT_FUZZ)
