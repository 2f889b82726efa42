/* blockfile_fault.c: the fault-injecting block file. Pending writes and
 * resizes are kept in order in a list and replayed onto the inner file at
 * each flush; reads see the inner file with the pending list laid over. */
#include <stdlib.h>
#include <string.h>

#include "storage/blockfile_fault.h"

struct pend {
	struct pend *next;
	uint64_t off;         /* write offset, or new size for a resize */
	size_t len;
	int is_resize;
	uint8_t data[];
};

struct fault_bf {
	struct blockfile bf;
	struct fault_domain *d;
	struct blockfile *inner;
	struct pend *head, **tail;
};

static void drop_pending(struct fault_bf *f)
{
	while (f->head) {
		struct pend *p = f->head;
		f->head = p->next;
		free(p);
	}
	f->tail = &f->head;
}

static status_t apply_pending(struct fault_bf *f)
{
	status_t st = ST_OK;

	for (struct pend *p = f->head; p && st == ST_OK; p = p->next)
		st = p->is_resize ? bf_resize(f->inner, p->off)
				  : bf_write(f->inner, p->off, p->data, p->len);
	drop_pending(f);
	return st;
}

static status_t sim_size(struct fault_bf *f, uint64_t *size)
{
	status_t st = bf_size(f->inner, size);

	for (struct pend *p = f->head; p && st == ST_OK; p = p->next) {
		if (p->is_resize)
			*size = p->off;
		else if (p->off + p->len > *size)
			*size = p->off + p->len;
	}
	return st;
}

static status_t fb_size(struct blockfile *bf, uint64_t *size)
{
	struct fault_bf *f = bf->ctx;

	return f->d->cut ? ST_EIO : sim_size(f, size);
}

static status_t fb_read(struct blockfile *bf, uint64_t off, void *buf,
			size_t len)
{
	struct fault_bf *f = bf->ctx;
	uint64_t size, isize, n = 0;
	uint8_t *b = buf;
	status_t st;

	if (f->d->cut)
		return ST_EIO;
	if ((st = sim_size(f, &size)) || (st = bf_size(f->inner, &isize)))
		return st;
	if (off > size || len > size - off)
		return ST_ERANGE;
	if (off < isize)
		n = isize - off < len ? isize - off : len;
	if (n && (st = bf_read(f->inner, off, b, (size_t)n)))
		return st;
	memset(b + n, 0, len - (size_t)n);
	for (struct pend *p = f->head; p; p = p->next) {
		if (p->is_resize) {
			if (p->off < off + len)
				memset(b + (p->off > off ? p->off - off : 0), 0,
				       (size_t)(off + len - (p->off > off ?
							     p->off : off)));
			continue;
		}
		uint64_t s = p->off > off ? p->off : off;
		uint64_t e = p->off + p->len < off + len ? p->off + p->len
							 : off + len;
		if (s < e)
			memcpy(b + (s - off), p->data + (s - p->off),
			       (size_t)(e - s));
	}
	return ST_OK;
}

/* Counts one write or resize; returns ST_EIO if this one cuts the power. */
static status_t tick(struct fault_bf *f)
{
	struct fault_domain *d = f->d;

	if (d->cut)
		return ST_EIO;
	d->ops++;
	if (d->cut_at && d->ops >= d->cut_at) {
		d->cut = 1;
		return ST_EIO;
	}
	return ST_OK;
}

static status_t queue(struct fault_bf *f, uint64_t off, const void *buf,
		      size_t len, int is_resize)
{
	struct pend *p;
	status_t st = tick(f);

	if (st)
		return st;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return ST_ENOMEM;
	p->next = NULL;
	p->off = off;
	p->len = len;
	p->is_resize = is_resize;
	if (len)
		memcpy(p->data, buf, len);
	*f->tail = p;
	f->tail = &p->next;
	return ST_OK;
}

static status_t fb_write(struct blockfile *bf, uint64_t off, const void *buf,
			 size_t len)
{
	return queue(bf->ctx, off, buf, len, 0);
}

static status_t fb_resize(struct blockfile *bf, uint64_t size)
{
	return queue(bf->ctx, size, NULL, 0, 1);
}

static status_t fb_flush(struct blockfile *bf)
{
	struct fault_bf *f = bf->ctx;
	status_t st;

	if (f->d->cut)
		return ST_EIO;
	st = apply_pending(f);
	return st ? st : bf_flush(f->inner);
}

/* A close after the cut keeps the pending writes only in keep mode; a
 * normal close lets them reach the medium, as an OS would. */
static void fb_close(struct blockfile *bf)
{
	struct fault_bf *f = bf->ctx;

	if (!f->d->cut || f->d->keep_pending)
		apply_pending(f);
	drop_pending(f);
	bf_close(f->inner);
	free(f);
}

static const struct blockfile_ops fault_ops = {
	.read = fb_read, .write = fb_write, .flush = fb_flush,
	.size = fb_size, .resize = fb_resize, .close = fb_close,
};

status_t bf_fault_wrap(struct fault_domain *d, struct blockfile *inner,
		       struct blockfile **out)
{
	struct fault_bf *f = calloc(1, sizeof(*f));

	if (!f) {
		bf_close(inner);
		return ST_ENOMEM;
	}
	f->d = d;
	f->inner = inner;
	f->tail = &f->head;
	f->bf.ops = &fault_ops;
	f->bf.ctx = f;
	*out = &f->bf;
	return ST_OK;
}

void fault_domain_init(struct fault_domain *d, const struct bf_opener *inner,
		       unsigned cut_at, int keep_pending)
{
	memset(d, 0, sizeof(*d));
	d->inner = inner;
	d->cut_at = cut_at;
	d->keep_pending = keep_pending;
}

static status_t fo_open(void *ctx, const char *path, unsigned flags,
			struct blockfile **out)
{
	struct fault_domain *d = ctx;
	struct blockfile *inner;
	status_t st;

	if (d->cut)
		return ST_EIO;
	st = d->inner->open(d->inner->ctx, path, flags, &inner);
	return st ? st : bf_fault_wrap(d, inner, out);
}

static status_t fo_remove(void *ctx, const char *path)
{
	struct fault_domain *d = ctx;

	if (d->cut)
		return ST_EIO;
	return d->inner->remove ? d->inner->remove(d->inner->ctx, path)
				: ST_EUNSUPP;
}

static status_t fo_abspath(void *ctx, const char *path, char **out)
{
	struct fault_domain *d = ctx;

	return d->inner->abspath(d->inner->ctx, path, out);
}

static status_t fo_list(void *ctx, const char *dir, bf_list_cb cb, void *arg)
{
	struct fault_domain *d = ctx;

	return d->inner->list(d->inner->ctx, dir, cb, arg);
}

static status_t fo_rename(void *ctx, const char *from, const char *to)
{
	struct fault_domain *d = ctx;

	if (d->cut)
		return ST_EIO;
	return d->inner->rename(d->inner->ctx, from, to);
}

void fault_opener(struct fault_domain *d, struct bf_opener *op)
{
	op->ctx = d;
	op->open = fo_open;
	op->remove = d->inner->remove ? fo_remove : NULL;
	op->abspath = d->inner->abspath ? fo_abspath : NULL;
	op->list = d->inner->list ? fo_list : NULL;
	op->rename = d->inner->rename ? fo_rename : NULL;
}
