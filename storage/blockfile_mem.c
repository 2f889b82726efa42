/* blockfile_mem.c: named in-memory block files and their opener; paths are
 * compared after turning '\\' into '/' and dropping leading "./". */
#include <stdlib.h>
#include <string.h>

#include "storage/blockfile_mem.h"

struct mem_bf {
	struct blockfile bf;
	struct memfs *fs;
	struct memfs_file *f;
	int writable;
};

static const char *skip_dot(const char *p)
{
	while ((p[0] == '.' && (p[1] == '/' || p[1] == '\\')))
		p += 2;
	return p;
}

static int name_eq(const char *a, const char *b)
{
	a = skip_dot(a);
	b = skip_dot(b);
	for (;; a++, b++) {
		char x = *a == '\\' ? '/' : *a, y = *b == '\\' ? '/' : *b;
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

void memfs_init(struct memfs *fs, uint64_t max_size)
{
	memset(fs, 0, sizeof(*fs));
	fs->max_size = max_size;
}

static void file_drop(struct memfs_file *f)
{
	free(f->name);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void memfs_free(struct memfs *fs)
{
	for (unsigned i = 0; i < MEMFS_MAX_FILES; i++)
		file_drop(&fs->files[i]);
}

struct memfs_file *memfs_find(struct memfs *fs, const char *name)
{
	for (unsigned i = 0; i < MEMFS_MAX_FILES; i++)
		if (fs->files[i].name && name_eq(fs->files[i].name, name))
			return &fs->files[i];
	return NULL;
}

static status_t file_reserve(struct memfs *fs, struct memfs_file *f,
			     uint64_t size)
{
	uint64_t cap;
	uint8_t *d;

	if (size > fs->max_size)
		return ST_ENOSPC;
	if (size <= f->cap)
		return ST_OK;
	cap = f->cap ? f->cap : 4096;
	while (cap < size)
		cap *= 2;
	if (cap > fs->max_size)
		cap = fs->max_size;
	d = malloc((size_t)cap);       /* no realloc in the firmware libc */
	if (!d)
		return ST_ENOMEM;
	if (f->cap)
		memcpy(d, f->data, (size_t)f->cap);
	free(f->data);
	memset(d + f->cap, 0, (size_t)(cap - f->cap));
	f->data = d;
	f->cap = cap;
	return ST_OK;
}

static struct memfs_file *file_new(struct memfs *fs, const char *name)
{
	for (unsigned i = 0; i < MEMFS_MAX_FILES; i++) {
		struct memfs_file *f = &fs->files[i];
		if (f->name)
			continue;
		f->name = malloc(strlen(name) + 1);
		if (!f->name)
			return NULL;
		memcpy(f->name, name, strlen(name) + 1);
		return f;
	}
	return NULL;
}

status_t memfs_put(struct memfs *fs, const char *name, const void *data,
		   uint64_t size)
{
	struct memfs_file *f = memfs_find(fs, name);
	status_t st;

	if (!f && !(f = file_new(fs, name)))
		return ST_ENOMEM;
	f->size = 0;
	st = file_reserve(fs, f, size);
	if (st)
		return st;
	if (size)
		memcpy(f->data, data, (size_t)size);
	if (f->cap > size)
		memset(f->data + size, 0, (size_t)(f->cap - size));
	f->size = size;
	return ST_OK;
}

static status_t m_read(struct blockfile *bf, uint64_t off, void *buf,
		       size_t len)
{
	struct mem_bf *m = bf->ctx;

	if (off > m->f->size || len > m->f->size - off)
		return ST_ERANGE;
	memcpy(buf, m->f->data + off, len);
	return ST_OK;
}

static status_t m_resize(struct blockfile *bf, uint64_t size)
{
	struct mem_bf *m = bf->ctx;
	status_t st;

	if (!m->writable)
		return ST_EPERM;
	m->fs->writes++;
	st = file_reserve(m->fs, m->f, size);
	if (st)
		return st;
	if (size < m->f->size)
		memset(m->f->data + size, 0, (size_t)(m->f->size - size));
	m->f->size = size;
	return ST_OK;
}

static status_t m_write(struct blockfile *bf, uint64_t off, const void *buf,
			size_t len)
{
	struct mem_bf *m = bf->ctx;
	status_t st;

	if (!m->writable)
		return ST_EPERM;
	if (off + len < off)
		return ST_ERANGE;
	m->fs->writes++;
	st = file_reserve(m->fs, m->f, off + len);
	if (st)
		return st;
	memcpy(m->f->data + off, buf, len);
	if (off + len > m->f->size)
		m->f->size = off + len;
	return ST_OK;
}

static status_t m_flush(struct blockfile *bf)
{
	((struct mem_bf *)bf->ctx)->fs->flushes++;
	return ST_OK;
}

static status_t m_size(struct blockfile *bf, uint64_t *size)
{
	*size = ((struct mem_bf *)bf->ctx)->f->size;
	return ST_OK;
}

static void m_close(struct blockfile *bf)
{
	struct mem_bf *m = bf->ctx;

	m->f->open_count--;
	free(m);
}

static const struct blockfile_ops mem_ops = {
	.read = m_read, .write = m_write, .flush = m_flush,
	.size = m_size, .resize = m_resize, .close = m_close,
};

static status_t op_open(void *ctx, const char *path, unsigned flags,
			struct blockfile **out)
{
	struct memfs *fs = ctx;
	struct memfs_file *f = memfs_find(fs, path);
	struct mem_bf *m;

	if (f && (flags & BF_CREATE))
		return ST_EEXIST;
	if (!f && !(flags & BF_CREATE))
		return ST_ENOENT;
	if (!f && !(f = file_new(fs, skip_dot(path))))
		return ST_ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ST_ENOMEM;
	m->fs = fs;
	m->f = f;
	m->writable = !!(flags & (BF_RDWR | BF_CREATE));
	m->bf.ops = &mem_ops;
	m->bf.ctx = m;
	f->open_count++;
	*out = &m->bf;
	return ST_OK;
}

static status_t op_remove(void *ctx, const char *path)
{
	struct memfs_file *f = memfs_find(ctx, path);

	if (!f)
		return ST_ENOENT;
	if (f->open_count)
		return ST_EBUSY;
	file_drop(f);
	return ST_OK;
}

static status_t op_list(void *ctx, const char *dir, bf_list_cb cb, void *arg)
{
	struct memfs *fs = ctx;
	status_t st = ST_OK;

	size_t n = strlen(dir);

	/* names are whole paths: list those right inside dir */
	for (unsigned i = 0; i < MEMFS_MAX_FILES && st == ST_OK; i++) {
		const char *name = fs->files[i].name;
		if (!name || (n && (strncmp(name, dir, n) || name[n] != '/')))
			continue;
		name += n ? n + 1 : 0;
		if (!strchr(name, '/'))
			st = cb(arg, name);
	}
	return st;
}

/* Replaces `to` if it exists (a file still open is ST_EBUSY, unlike POSIX,
 * so tests notice a rename over a file they hold). */
static status_t op_rename(void *ctx, const char *from, const char *to)
{
	struct memfs_file *f = memfs_find(ctx, from), *t = memfs_find(ctx, to);
	char *name;

	if (!f)
		return ST_ENOENT;
	if (f == t)
		return ST_OK;
	if (t && t->open_count)
		return ST_EBUSY;
	name = malloc(strlen(skip_dot(to)) + 1);
	if (!name)
		return ST_ENOMEM;
	memcpy(name, skip_dot(to), strlen(skip_dot(to)) + 1);
	if (t)
		file_drop(t);
	free(f->name);
	f->name = name;
	return ST_OK;
}

void memfs_opener(struct memfs *fs, struct bf_opener *op)
{
	op->ctx = fs;
	op->open = op_open;
	op->remove = op_remove;
	op->abspath = NULL;
	op->list = op_list;
	op->rename = op_rename;
}
