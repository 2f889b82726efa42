/* storage_util.h: helpers shared by the storage unit tests: an env over an
 * in-memory file system with a fixed clock, a deterministic random source
 * and a diagnostics recorder, and a reference-buffer comparison. */
#ifndef TESTS_STORAGE_UTIL_H
#define TESTS_STORAGE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/blockfile_mem.h"
#include "storage/blockfile_fault.h"
#include "storage/vhd_ops.h"

struct tenv {
	struct memfs fs;
	struct bf_opener op;
	struct vhd_env env;
	uint64_t clock;
	uint32_t seed;
	unsigned errors, warnings;
	char last_field[64];
	char last_file[128];
	int verbose;
};

static inline uint32_t t_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static uint64_t t_now(void *ctx)
{
	return ((struct tenv *)ctx)->clock;
}

static void t_random(void *ctx, uint8_t *buf, size_t len)
{
	struct tenv *t = ctx;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)t_rand(&t->seed);
}

static void t_diag(void *ctx, const struct vhd_diag *d)
{
	struct tenv *t = ctx;

	if (d->level == VHD_ERROR)
		t->errors++;
	if (d->level == VHD_WARN)
		t->warnings++;
	if (d->level != VHD_NOTE) {
		snprintf(t->last_field, sizeof(t->last_field), "%s", d->field);
		snprintf(t->last_file, sizeof(t->last_file), "%s",
			 d->file ? d->file : "");
	}
	if (t->verbose)
		fprintf(stderr, "diag %d %s %s %s\n", d->level, d->file,
			d->field, d->msg);
}

static inline struct tenv *tenv_new(void)
{
	struct tenv *t = calloc(1, sizeof(*t));

	memfs_init(&t->fs, 256ull << 20);
	memfs_opener(&t->fs, &t->op);
	t->env.opener = &t->op;
	t->env.ctx = t;
	t->env.now = t_now;
	t->env.random = t_random;
	t->env.diag = t_diag;
	t->clock = 1700000000;
	t->seed = 42;
	return t;
}

static inline void tenv_free(struct tenv *t)
{
	memfs_free(&t->fs);
	free(t);
}

static inline void tenv_clear(struct tenv *t)
{
	t->errors = t->warnings = 0;
	t->last_field[0] = t->last_file[0] = 0;
}

static inline void fill_rand(uint32_t *seed, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)t_rand(seed);
}

static inline void make_disk(struct tenv *t, const char *name, uint32_t type,
			     uint64_t size, uint32_t bs)
{
	struct vhd_create_opts o = { type, size, bs, NULL, NULL };

	assert_int_equal(vhd_create(&t->env, name, &o, NULL), ST_OK);
}

static inline void make_child(struct tenv *t, const char *parent,
			      const char *name)
{
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, 0, NULL, parent };
	struct vhd *p;

	assert_int_equal(vhd_open(&t->env, parent, 0, &p), ST_OK);
	o.parent = p;
	o.block_size = vhd_is_fixed(p) ? 0 : p->block_size;
	assert_int_equal(vhd_create(&t->env, name, &o, NULL), ST_OK);
	vhd_close(p);
}

static inline void chain_write(struct tenv *t, const char *name,
			       uint64_t off, const void *buf, size_t len)
{
	struct vhd_chain *c;

	assert_int_equal(vhd_chain_open(&t->env, name, VHD_RDWR, &c), ST_OK);
	assert_int_equal(vhd_chain_write(c, off, buf, len), ST_OK);
	assert_int_equal(vhd_chain_flush(c), ST_OK);
	vhd_chain_close(c);
}

/* The whole disk through the chain equals ref. */
static inline void chain_expect(struct tenv *t, const char *name,
				const uint8_t *ref, uint64_t size)
{
	struct vhd_chain *c;
	uint8_t *buf = malloc(size);

	assert_int_equal(vhd_chain_open(&t->env, name, 0, &c), ST_OK);
	assert_int_equal(c->size, size);
	assert_int_equal(vhd_chain_read(c, 0, buf, size), ST_OK);
	assert_memory_equal(buf, ref, size);
	vhd_chain_close(c);
	free(buf);
}

#endif
