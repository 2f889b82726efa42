/* storage_chain.c: unit tests of layers and chains on in-memory files:
 * fixed/dynamic/differencing writes against a reference buffer, several
 * block sizes, deep chains, parent lookup order, unique-ID and time-stamp
 * checks, loops, and that parents are never written. */
#include "tests/unit/storage_util.h"
#include "storage/vhd_text.h"

#define MB (1u << 20)

/* Random sector-unaligned writes through the chain, mirrored in ref. */
static void random_writes(struct tenv *t, const char *name, uint8_t *ref,
			  uint64_t size, int n, uint32_t maxlen)
{
	struct vhd_chain *c;
	uint8_t *buf = malloc(maxlen);

	assert_int_equal(vhd_chain_open(&t->env, name, VHD_RDWR, &c), ST_OK);
	for (int i = 0; i < n; i++) {
		uint64_t off = t_rand(&t->seed) % size;
		uint32_t len = 1 + t_rand(&t->seed) % maxlen;
		if (len > size - off)
			len = (uint32_t)(size - off);
		fill_rand(&t->seed, buf, len);
		assert_int_equal(vhd_chain_write(c, off, buf, len), ST_OK);
		memcpy(ref + off, buf, len);
		/* read back part of it at once (map updated in place) */
		uint8_t chk[64];
		uint32_t k = len < 64 ? len : 64;
		assert_int_equal(vhd_chain_read(c, off, chk, k), ST_OK);
		assert_memory_equal(chk, ref + off, k);
	}
	assert_int_equal(vhd_chain_flush(c), ST_OK);
	vhd_chain_close(c);
	free(buf);
}

static void one_disk(uint32_t type, uint64_t size, uint32_t bs)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, size);

	make_disk(t, "d.vhd", type, size, bs);
	chain_expect(t, "d.vhd", ref, size);
	random_writes(t, "d.vhd", ref, size, 40, 70000);
	chain_expect(t, "d.vhd", ref, size);
	assert_int_equal(vhd_check(&t->env, "d.vhd"), ST_OK);
	assert_int_equal(t->errors + t->warnings, 0);
	free(ref);
	tenv_free(t);
}

static void test_fixed(void **s)
{
	(void)s;
	one_disk(VHD_TYPE_FIXED, 3 * MB + 1536, 0);
}

static void test_dynamic_block_sizes(void **s)
{
	(void)s;
	one_disk(VHD_TYPE_DYNAMIC, 4 * MB, 0);
	one_disk(VHD_TYPE_DYNAMIC, 3 * MB + 512, 4096);
	one_disk(VHD_TYPE_DYNAMIC, 5 * MB, 64 * 1024);
	one_disk(VHD_TYPE_DYNAMIC, 9 * MB, 8 * MB);
}

static void test_deep_chain(void **s)
{
	struct tenv *t = tenv_new();
	uint64_t size = 6 * MB;
	uint8_t *ref = calloc(1, size);
	char name[32], prev[32];

	(void)s;
	make_disk(t, "l0.vhd", VHD_TYPE_DYNAMIC, size, 64 * 1024);
	random_writes(t, "l0.vhd", ref, size, 10, 100000);
	strcpy(prev, "l0.vhd");
	for (int d = 1; d < 12; d++) {
		snprintf(name, sizeof(name), "l%d.vhd", d);
		make_child(t, prev, name);
		chain_expect(t, name, ref, size);     /* a new child is empty */
		random_writes(t, name, ref, size, 8, 20000);
		chain_expect(t, name, ref, size);
		strcpy(prev, name);
	}
	/* the same after resolving every unit up front */
	struct vhd_chain *c;
	uint8_t *buf = malloc(size);
	assert_int_equal(vhd_chain_open(&t->env, prev, 0, &c), ST_OK);
	assert_int_equal(c->depth, 12);
	assert_int_equal(vhd_chain_resolve_all(c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 0, buf, size), ST_OK);
	assert_memory_equal(buf, ref, size);
	vhd_chain_close(c);
	assert_int_equal(vhd_check(&t->env, prev), ST_OK);
	assert_int_equal(t->errors + t->warnings, 0);
	free(buf);
	free(ref);
	tenv_free(t);
}

/* A fixed base, and a child with smaller blocks than its parent. */
static void test_mixed_layers(void **s)
{
	struct tenv *t = tenv_new();
	uint64_t size = 4 * MB;
	uint8_t *ref = calloc(1, size);
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, 16384, NULL, "a.vhd" };
	struct vhd *p;

	(void)s;
	make_disk(t, "f.vhd", VHD_TYPE_FIXED, size, 0);
	random_writes(t, "f.vhd", ref, size, 10, 50000);
	make_child(t, "f.vhd", "a.vhd");
	random_writes(t, "a.vhd", ref, size, 10, 50000);
	assert_int_equal(vhd_open(&t->env, "a.vhd", 0, &p), ST_OK);
	o.parent = p;
	assert_int_equal(vhd_create(&t->env, "b.vhd", &o, NULL), ST_OK);
	vhd_close(p);
	random_writes(t, "b.vhd", ref, size, 20, 30000);
	chain_expect(t, "b.vhd", ref, size);
	free(ref);
	tenv_free(t);
}

/* Parents are opened read-only: their bytes never change. */
static void test_parent_untouched(void **s)
{
	struct tenv *t = tenv_new();
	uint8_t *ref = calloc(1, 4 * MB), *before;
	struct memfs_file *f;
	uint64_t n;

	(void)s;
	make_disk(t, "a.vhd", VHD_TYPE_DYNAMIC, 4 * MB, 0);
	random_writes(t, "a.vhd", ref, 4 * MB, 5, 10000);
	make_child(t, "a.vhd", "b.vhd");
	f = memfs_find(&t->fs, "a.vhd");
	n = f->size;
	before = malloc(n);
	memcpy(before, f->data, n);
	random_writes(t, "b.vhd", ref, 4 * MB, 30, 100000);
	f = memfs_find(&t->fs, "a.vhd");
	assert_int_equal(f->size, n);
	assert_memory_equal(f->data, before, n);
	free(before);
	free(ref);
	tenv_free(t);
}

/* Rewrites a file's dynamic header through fn (checksum recomputed). */
static void edit_header(struct tenv *t, const char *name,
			void (*fn)(struct vhd_header *h, void *arg), void *arg)
{
	struct memfs_file *f = memfs_find(&t->fs, name);
	struct vhd_header h;

	vhd_header_decode(f->data + 512, &h);
	fn(&h, arg);
	vhd_header_encode(&h, f->data + 512);
}

static void set_name(struct vhd_header *h, void *arg)
{
	memset(h->parent_name, 0, sizeof(h->parent_name));
	utf8_to_utf16(arg, h->parent_name, 256);
}

static void set_ts(struct vhd_header *h, void *arg)
{
	(void)arg;
	h->parent_timestamp += 1;
}

static void set_uid_to(struct vhd_header *h, void *arg)
{
	memcpy(h->parent_uid, arg, 16);
}

static void rename_file(struct tenv *t, const char *from, const char *to)
{
	struct memfs_file *f = memfs_find(&t->fs, from);

	free(f->name);
	f->name = strdup(to);
}

static status_t open_quiet(struct tenv *t, const char *name)
{
	struct vhd_chain *c;
	status_t st = vhd_chain_open(&t->env, name, 0, &c);

	vhd_chain_close(c);
	return st;
}

static void test_parent_lookup(void **s)
{
	struct tenv *t = tenv_new();
	struct memfs_file *f;
	uint8_t uid[16];

	(void)s;
	make_disk(t, "p.vhd", VHD_TYPE_DYNAMIC, MB, 0);
	make_child(t, "p.vhd", "c.vhd");
	assert_int_equal(open_quiet(t, "c.vhd"), ST_OK);
	assert_int_equal(t->errors + t->warnings, 0);

	/* relative locator broken: the header name finds it */
	rename_file(t, "p.vhd", "q.vhd");
	assert_int_equal(open_quiet(t, "c.vhd"), ST_ENOENT);
	assert_string_equal(t->last_field, "header.parent_locator");
	edit_header(t, "c.vhd", set_name, "q.vhd");
	tenv_clear(t);
	assert_int_equal(open_quiet(t, "c.vhd"), ST_OK);
	assert_int_equal(t->errors, 0);

	/* the relative locator names a disk with another ID: skipped with a
	 * warning, the header name still wins */
	make_disk(t, "p.vhd", VHD_TYPE_DYNAMIC, MB, 0);
	tenv_clear(t);
	assert_int_equal(open_quiet(t, "c.vhd"), ST_OK);
	assert_int_equal(t->errors, 0);
	assert_int_equal(t->warnings, 1);

	/* nothing carries the expected ID: an error */
	f = memfs_find(&t->fs, "p.vhd");
	memcpy(uid, f->data + 68, 16);
	uid[0] ^= 0xff;
	edit_header(t, "c.vhd", set_uid_to, uid);
	tenv_clear(t);
	assert_int_equal(open_quiet(t, "c.vhd"), ST_EMISMATCH);
	assert_string_equal(t->last_field, "header.parent_uid");

	/* time stamp mismatch is only a warning */
	uid[0] ^= 0xff;
	edit_header(t, "c.vhd", set_uid_to, uid);       /* p.vhd's ID */
	edit_header(t, "c.vhd", set_ts, NULL);
	tenv_clear(t);
	assert_int_equal(open_quiet(t, "c.vhd"), ST_OK);
	assert_int_equal(t->errors, 0);
	assert_string_equal(t->last_field, "header.parent_timestamp");
	tenv_free(t);
}

/* A differencing disk that names itself as parent: a loop, not a hang. */
static void test_loop(void **s)
{
	struct tenv *t = tenv_new();
	struct memfs_file *f;
	uint8_t uid[16];

	(void)s;
	make_disk(t, "p.vhd", VHD_TYPE_DYNAMIC, MB, 0);
	make_child(t, "p.vhd", "c.vhd");
	f = memfs_find(&t->fs, "c.vhd");
	memcpy(uid, f->data + 68, 16);
	edit_header(t, "c.vhd", set_uid_to, uid);
	edit_header(t, "c.vhd", set_name, "c.vhd");
	assert_int_equal(open_quiet(t, "c.vhd"), ST_ECORRUPT);
	tenv_free(t);
}

/* Writes past the end or to a read-only chain fail and change nothing. */
static void test_bounds(void **s)
{
	struct tenv *t = tenv_new();
	struct vhd_chain *c;
	uint8_t b[1024] = { 1 };

	(void)s;
	make_disk(t, "d.vhd", VHD_TYPE_DYNAMIC, MB, 0);
	assert_int_equal(vhd_chain_open(&t->env, "d.vhd", VHD_RDWR, &c), ST_OK);
	assert_int_equal(vhd_chain_write(c, MB - 512, b, 1024), ST_ERANGE);
	assert_int_equal(vhd_chain_read(c, MB - 512, b, 1024), ST_ERANGE);
	assert_int_equal(vhd_chain_read(c, ~0ull, b, 2), ST_ERANGE);
	vhd_chain_close(c);
	assert_int_equal(vhd_chain_open(&t->env, "d.vhd", 0, &c), ST_OK);
	assert_int_equal(vhd_chain_write(c, 0, b, 512), ST_EPERM);
	vhd_chain_close(c);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_dynamic_block_sizes),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_mixed_layers),
		cmocka_unit_test(test_parent_untouched),
		cmocka_unit_test(test_parent_lookup),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
