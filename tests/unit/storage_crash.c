/* storage_crash.c: crash-order tests with the fault-injecting block file.
 * A write through a chain and a commit are cut off after every possible
 * write (pending unflushed writes dropped, or all kept); each time the
 * files must still pass check and the disk must read, sector by sector,
 * either the old or the new contents (commit: exactly the old ones). */
#include "tests/unit/storage_util.h"

#define MB (1u << 20)
#define NSNAP MEMFS_MAX_FILES

struct snap {
	int n;
	char *name[NSNAP];
	uint8_t *data[NSNAP];
	uint64_t size[NSNAP];
};

static void snap_take(struct tenv *t, struct snap *s)
{
	s->n = 0;
	for (int i = 0; i < MEMFS_MAX_FILES; i++) {
		struct memfs_file *f = &t->fs.files[i];
		if (!f->name)
			continue;
		s->name[s->n] = strdup(f->name);
		s->data[s->n] = malloc(f->size + 1);
		memcpy(s->data[s->n], f->data, f->size);
		s->size[s->n++] = f->size;
	}
}

static void snap_restore(struct tenv *t, struct snap *s)
{
	memfs_free(&t->fs);
	for (int i = 0; i < s->n; i++)
		assert_int_equal(memfs_put(&t->fs, s->name[i], s->data[i],
					   s->size[i]), ST_OK);
}

static void snap_free(struct snap *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->name[i]);
		free(s->data[i]);
	}
}

static uint8_t *read_all(struct tenv *t, const char *name, uint64_t size)
{
	struct vhd_chain *c;
	uint8_t *b = malloc(size);

	assert_int_equal(vhd_chain_open(&t->env, name, 0, &c), ST_OK);
	assert_int_equal(vhd_chain_read(c, 0, b, size), ST_OK);
	vhd_chain_close(c);
	return b;
}

struct wr {
	uint64_t off;
	uint32_t len;
};

/* New blocks, a bitmap update inside an allocated block, partial
 * sectors, a write spanning two blocks. */
static const struct wr writes[] = {
	{ 5 * MB + 4096, 8192 }, { 100, 1000 }, { 2 * MB - 1024, 4096 },
	{ 5 * MB + 65536, 512 }, { 7 * MB + 77, 3 },
};

static void do_writes(const struct vhd_env *env, const uint8_t *newd)
{
	struct vhd_chain *c;

	if (vhd_chain_open(env, "b.vhd", VHD_RDWR, &c))
		return;
	for (unsigned i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (vhd_chain_write(c, writes[i].off, newd + writes[i].off,
				    writes[i].len))
			break;
	vhd_chain_flush(c);
	vhd_chain_close(c);
}

static void expect_old_or_new(const uint8_t *got, const uint8_t *old,
			      const uint8_t *newd, uint64_t size)
{
	for (uint64_t s = 0; s < size; s += 512) {
		if (!memcmp(got + s, old + s, 512) ||
		    !memcmp(got + s, newd + s, 512))
			continue;
		fail_msg("sector %llu is neither old nor new",
			 (unsigned long long)(s / 512));
	}
}

static void crash_writes(int keep)
{
	struct tenv *t = tenv_new();
	uint64_t size = 8 * MB;
	uint8_t *base = malloc(size), *old, *newd;
	struct snap s;
	unsigned cuts = 0;

	make_disk(t, "a.vhd", VHD_TYPE_DYNAMIC, size, 0);
	fill_rand(&t->seed, base, size);
	chain_write(t, "a.vhd", 0, base, 3 * MB);
	make_child(t, "a.vhd", "b.vhd");
	chain_write(t, "b.vhd", 2 * MB, base, 4096);
	old = read_all(t, "b.vhd", size);
	newd = malloc(size);
	memcpy(newd, old, size);
	for (unsigned i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		fill_rand(&t->seed, newd + writes[i].off, writes[i].len);
	snap_take(t, &s);
	for (unsigned n = 1;; n++) {
		struct fault_domain d;
		struct bf_opener fop;
		struct vhd_env env = t->env;

		snap_restore(t, &s);
		fault_domain_init(&d, &t->op, n, keep);
		fault_opener(&d, &fop);
		env.opener = &fop;
		env.diag = NULL;
		do_writes(&env, newd);
		tenv_clear(t);
		assert_int_equal(vhd_check(&t->env, "b.vhd"), ST_OK);
		assert_int_equal(t->errors, 0);
		uint8_t *got = read_all(t, "b.vhd", size);
		expect_old_or_new(got, old, newd, size);
		if (!d.cut)
			assert_memory_equal(got, newd, size);
		free(got);
		if (!d.cut)
			break;
		cuts++;
	}
	assert_true(cuts > 10);         /* every step was cut once */
	snap_free(&s);
	free(base);
	free(old);
	free(newd);
	tenv_free(t);
}

static void test_crash_write_drop(void **st)
{
	(void)st;
	crash_writes(0);
}

static void test_crash_write_keep(void **st)
{
	(void)st;
	crash_writes(1);
}

static void crash_commit(int keep)
{
	struct tenv *t = tenv_new();
	uint64_t size = 8 * MB;
	uint8_t *b = malloc(size), *old;
	struct snap s;
	unsigned cuts = 0;

	fill_rand(&t->seed, b, size);
	make_disk(t, "a.vhd", VHD_TYPE_DYNAMIC, size, 0);
	chain_write(t, "a.vhd", 0, b, 3 * MB);
	make_child(t, "a.vhd", "b.vhd");
	chain_write(t, "b.vhd", 1 * MB + 512, b + 5 * MB, 4096);
	chain_write(t, "b.vhd", 6 * MB, b + 1 * MB, 1 * MB);
	old = read_all(t, "b.vhd", size);
	snap_take(t, &s);
	for (unsigned n = 1;; n++) {
		struct fault_domain d;
		struct bf_opener fop;
		struct vhd_env env = t->env;
		status_t st;

		snap_restore(t, &s);
		fault_domain_init(&d, &t->op, n, keep);
		fault_opener(&d, &fop);
		env.opener = &fop;
		env.diag = NULL;
		st = vhd_commit(&env, "b.vhd", 0);
		assert_true(d.cut || st == ST_OK);
		tenv_clear(t);
		assert_int_equal(vhd_check(&t->env, "b.vhd"), ST_OK);
		uint8_t *got = read_all(t, "b.vhd", size);
		assert_memory_equal(got, old, size);
		free(got);
		if (!d.cut) {
			got = read_all(t, "a.vhd", size);
			assert_memory_equal(got, old, size);
			free(got);
			break;
		}
		cuts++;
	}
	assert_true(cuts > 5);
	snap_free(&s);
	free(b);
	free(old);
	tenv_free(t);
}

static void test_crash_commit_drop(void **st)
{
	(void)st;
	crash_commit(0);
}

static void test_crash_commit_keep(void **st)
{
	(void)st;
	crash_commit(1);
}

/* A full medium in the middle of allocating: the write fails, the file
 * is still valid and holds the old contents. */
static void test_enospc(void **st)
{
	struct tenv *t = tenv_new();
	struct vhd_chain *c;
	uint8_t *b = calloc(1, 4 * MB);

	(void)st;
	make_disk(t, "a.vhd", VHD_TYPE_DYNAMIC, 16 * MB, 0);
	t->fs.max_size = 3 * MB;
	memset(b, 0x5a, 4 * MB);
	assert_int_equal(vhd_chain_open(&t->env, "a.vhd", VHD_RDWR, &c), ST_OK);
	assert_int_equal(vhd_chain_write(c, 0, b, 4 * MB), ST_ENOSPC);
	vhd_chain_close(c);
	t->fs.max_size = 256 * MB;
	tenv_clear(t);
	assert_int_equal(vhd_check(&t->env, "a.vhd"), ST_OK);
	uint8_t *got = read_all(t, "a.vhd", 16 * MB);
	assert_memory_equal(got, b, 2 * MB);            /* first block made it */
	for (uint64_t i = 2 * MB; i < 16 * MB; i++)
		assert_int_equal(got[i], 0);
	free(got);
	free(b);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_write_drop),
		cmocka_unit_test(test_crash_write_keep),
		cmocka_unit_test(test_crash_commit_drop),
		cmocka_unit_test(test_crash_commit_keep),
		cmocka_unit_test(test_enospc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
