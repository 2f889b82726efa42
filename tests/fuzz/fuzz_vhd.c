/* fuzz_vhd.c: libFuzzer target: arbitrary bytes opened, checked, read,
 * written and committed as a VHD chain of up to three in-memory files.
 * Input: one byte N (files, 1..3), then N times a 4-byte little-endian
 * length and that many bytes; file i is "f<i>.vhd", f0 the leaf (seeds
 * from make_seeds.py chain f2 <- f1 <- f0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/blockfile_mem.h"
#include "storage/vhd_ops.h"

static uint64_t f_now(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

static void f_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5a, len);
}

static void exercise(struct vhd_env *env)
{
	static uint8_t buf[1 << 18];
	struct vhd_chain *c;

	vhd_check(env, "f0.vhd");
	if (vhd_chain_open(env, "f0.vhd", VHD_RDWR, &c))
		return;
	uint64_t n = c->size < sizeof(buf) ? c->size : sizeof(buf);
	vhd_chain_read(c, 0, buf, (size_t)n);
	vhd_chain_read(c, c->size - n, buf, (size_t)n);
	vhd_chain_read(c, c->size / 2 + 777, buf, 3000);
	memset(buf, 0xa5, 9000);
	if (vhd_chain_write(c, 1000, buf, 9000) == ST_OK) {
		vhd_chain_read(c, 0, buf, 12000);
		vhd_chain_resolve_all(c);
	}
	vhd_chain_close(c);
	vhd_commit(env, "f0.vhd", VHD_COMMIT_FORCE);
	vhd_export(env, "f0.vhd", "out.vhd");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memfs fs;
	struct bf_opener op;
	struct vhd_env env = { &op, NULL, f_now, f_random, NULL, NULL };
	char name[8] = "f0.vhd";

	if (size < 1)
		return 0;
	unsigned nfiles = data[0] % 3 + 1;
	data++;
	size--;
	memfs_init(&fs, 8u << 20);
	memfs_opener(&fs, &op);
	for (unsigned i = 0; i < nfiles && size >= 4; i++) {
		uint32_t len = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
			       (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		data += 4;
		size -= 4;
		if (len > size)
			len = (uint32_t)size;
		name[1] = (char)('0' + i);
		memfs_put(&fs, name, data, len);
		data += len;
		size -= len;
	}
	exercise(&env);
	memfs_free(&fs);
	return 0;
}
