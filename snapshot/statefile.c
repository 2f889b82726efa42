/* statefile.c: writer and validating reader of the machine-state file
 * (layout in statefile.h). The reader trusts nothing: sf_reader_open
 * walks and checks every section once, so sf_find and sf_section_at can
 * walk again without checks. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hv/lib/fmt.h"
#include "snapshot/crc32.h"
#include "snapshot/le.h"
#include "snapshot/statefile.h"

static const char sf_magic[8] = "SVSTATE1";

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Precondition: the section's len field and data are in place. */
static uint32_t section_crc(const uint8_t *s)
{
	return crc32_update(crc32_update(0, s, 32), s + SF_SECTION_HEADER_SIZE,
			    get_le32(s + 28));
}

void sf_writer_init(struct sf_writer *w)
{
	memset(w, 0, sizeof(*w));
}

/* Room for `more` bytes after len (the header is reserved first). */
static bool reserve(struct sf_writer *w, size_t more)
{
	size_t need, cap;
	uint8_t *nb;

	if (w->err)
		return false;
	if (!w->buf)
		more += SF_HEADER_SIZE;
	need = w->len + more;
	if (need <= w->cap)
		goto reserved;
	for (cap = w->cap ? w->cap : 1024; cap < need; cap *= 2)
		;
	/* malloc, copy, free: the hypervisor has no realloc. */
	if (!(nb = malloc(cap))) {
		w->err = ST_ENOMEM;
		return false;
	}
	if (w->len)
		memcpy(nb, w->buf, w->len);
	free(w->buf);
	w->buf = nb;
	w->cap = cap;
reserved:
	if (!w->len) {
		memset(w->buf, 0, SF_HEADER_SIZE);
		w->len = SF_HEADER_SIZE;
	}
	return true;
}

static bool tag_char(char c)
{
	return c > ' ' && c <= '~';
}

static bool tag_valid(const char *tag)
{
	size_t n = 0;

	if (!tag)
		return false;
	while (tag[n] && n < SF_TAG_MAX)
		if (!tag_char(tag[n++]))
			return false;
	return n > 0 && n < SF_TAG_MAX;
}

void sf_add(struct sf_writer *w, const char *tag, uint32_t version,
	    const void *data, size_t len)
{
	size_t padded = pad8(len);
	uint8_t *p;

	if (!w->err && (!tag_valid(tag) || len > UINT32_MAX ||
			(len && !data)))
		w->err = ST_EINVAL;
	if (!reserve(w, SF_SECTION_HEADER_SIZE + padded))
		return;
	p = w->buf + w->len;
	memset(p, 0, SF_SECTION_HEADER_SIZE + padded);
	memcpy(p, tag, strlen(tag));
	put_le32(p + 24, version);
	put_le32(p + 28, (uint32_t)len);
	if (len)
		memcpy(p + SF_SECTION_HEADER_SIZE, data, len);
	put_le32(p + 32, section_crc(p));
	w->len += SF_SECTION_HEADER_SIZE + padded;
	w->nsections++;
}

status_t sf_writer_finish(struct sf_writer *w, const void **buf, size_t *len)
{
	uint8_t *h;

	if (!reserve(w, 0))
		return w->err;
	h = w->buf;
	memcpy(h, sf_magic, 8);
	put_le32(h + 8, SF_VERSION);
	put_le32(h + 12, w->nsections);
	put_le64(h + 16, w->len);
	put_le32(h + 24, 0);
	put_le32(h + 28, 0);
	put_le32(h + 24, crc32_update(0, h, SF_HEADER_SIZE));
	*buf = w->buf;
	*len = w->len;
	return ST_OK;
}

void sf_writer_free(struct sf_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static status_t bad(char *err, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static status_t bad(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err && errcap) {
		va_start(ap, fmt);
		hv_vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	return ST_ECORRUPT;
}

static status_t check_header(const uint8_t *b, size_t len, char *err,
			     size_t errcap)
{
	uint8_t h[SF_HEADER_SIZE];
	uint32_t version;

	if (len < SF_HEADER_SIZE)
		return bad(err, errcap, "state file: %zu bytes, shorter than "
			   "its header", len);
	if (memcmp(b, sf_magic, 8))
		return bad(err, errcap, "not a state file (bad magic)");
	version = get_le32(b + 8);
	if (version > SF_VERSION) {
		bad(err, errcap, "state file version %u is newer than this "
		    "build's (%u)", version, SF_VERSION);
		return ST_EUNSUPP;
	}
	memcpy(h, b, sizeof(h));
	put_le32(h + 24, 0);
	if (crc32_update(0, h, sizeof(h)) != get_le32(b + 24))
		return bad(err, errcap, "state file: header crc mismatch");
	if (version != SF_VERSION || get_le32(b + 28))
		return bad(err, errcap, "state file: bad version or reserved "
			   "field");
	if (get_le64(b + 16) != len)
		return bad(err, errcap, "state file: header says %llu bytes, "
			   "file has %zu", (unsigned long long)get_le64(b + 16),
			   len);
	return ST_OK;
}

/* Section i at *off: header, tag, data crc and zero padding. */
static status_t check_section(const uint8_t *b, size_t len, unsigned i,
			      size_t *off, char *err, size_t errcap)
{
	const uint8_t *s = b + *off;
	size_t n, dlen, padded;

	if (len - *off < SF_SECTION_HEADER_SIZE)
		return bad(err, errcap, "section %u: cut short", i);
	for (n = 0; n < SF_TAG_MAX && s[n]; n++)
		if (!tag_char((char)s[n]))
			return bad(err, errcap, "section %u: bad tag", i);
	if (n == 0 || n == SF_TAG_MAX)
		return bad(err, errcap, "section %u: tag empty or not "
			   "terminated", i);
	for (; n < SF_TAG_MAX; n++)
		if (s[n])
			return bad(err, errcap, "section %u: junk after the tag",
				   i);
	if (get_le32(s + 36))
		return bad(err, errcap, "section %u (%s): reserved field set",
			   i, (const char *)s);
	dlen = get_le32(s + 28);
	padded = pad8(dlen);
	if (padded > len - *off - SF_SECTION_HEADER_SIZE)
		return bad(err, errcap, "section %u (%s): %zu data bytes run "
			   "past the end", i, (const char *)s, dlen);
	if (section_crc(s) != get_le32(s + 32))
		return bad(err, errcap, "section %u (%s): crc mismatch", i,
			   (const char *)s);
	s += SF_SECTION_HEADER_SIZE;
	for (n = dlen; n < padded; n++)
		if (s[n])
			return bad(err, errcap, "section %u: padding not zero",
				   i);
	*off += SF_SECTION_HEADER_SIZE + padded;
	return ST_OK;
}

status_t sf_reader_open(struct sf_reader *r, const void *buf, size_t len,
			char *err, size_t errcap)
{
	const uint8_t *b = buf;
	size_t off = SF_HEADER_SIZE;
	unsigned nsections;
	status_t st;

	memset(r, 0, sizeof(*r));
	if (err && errcap)
		err[0] = 0;
	if ((st = check_header(b, len, err, errcap)))
		return st;
	nsections = get_le32(b + 12);
	for (unsigned i = 0; i < nsections; i++)
		if ((st = check_section(b, len, i, &off, err, errcap)))
			return st;
	if (off != len)
		return bad(err, errcap, "state file: %zu bytes after the last "
			   "section", len - off);
	r->buf = b;
	r->len = len;
	r->nsections = nsections;
	return ST_OK;
}

status_t sf_section_at(const struct sf_reader *r, unsigned i,
		       struct sf_section *out)
{
	size_t off = SF_HEADER_SIZE;

	if (i >= r->nsections)
		return ST_ENOENT;
	for (;;) {
		const uint8_t *s = r->buf + off;
		uint32_t len = get_le32(s + 28);
		if (!i--) {
			memcpy(out->tag, s, SF_TAG_MAX);
			out->version = get_le32(s + 24);
			out->len = len;
			out->data = s + SF_SECTION_HEADER_SIZE;
			return ST_OK;
		}
		off += SF_SECTION_HEADER_SIZE + pad8(len);
	}
}

status_t sf_find(const struct sf_reader *r, const char *tag,
		 struct sf_section *out)
{
	for (unsigned i = 0; i < r->nsections; i++) {
		if (sf_section_at(r, i, out))
			break;
		if (!strncmp(out->tag, tag, SF_TAG_MAX))
			return ST_OK;
	}
	return ST_ENOENT;
}
