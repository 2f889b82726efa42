/* vhd_text.c: UTF-8/UTF-16 conversion and locator path arithmetic (see
 * vhd_text.h). */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_text.h"

static long put_unit(uint16_t *out, size_t max, size_t n, uint32_t cp)
{
	if (cp >= 0x10000) {
		if (n + 2 > max)
			return -1;
		cp -= 0x10000;
		out[n] = (uint16_t)(0xD800 | cp >> 10);
		out[n + 1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
		return 2;
	}
	if (n + 1 > max)
		return -1;
	out[n] = (uint16_t)cp;
	return 1;
}

long utf8_to_utf16(const char *s, uint16_t *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		int extra;
		long k;
		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return -1;
			cp = cp << 6 | (*p & 0x3F);
		}
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
			return -1;
		k = put_unit(out, max, n, cp);
		if (k < 0)
			return -1;
		n += (size_t)k;
	}
	return (long)n;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

status_t utf16_to_utf8(const uint16_t *in, size_t n, char **out)
{
	char *s = malloc(n * 3 + 1), *o = s;

	if (!s)
		return ST_ENOMEM;
	for (size_t i = 0; i < n && in[i]; i++) {
		uint32_t cp = in[i];
		if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n &&
		    in[i + 1] >= 0xDC00 && in[i + 1] < 0xE000) {
			cp = 0x10000 + ((cp - 0xD800) << 10) +
			     (in[i + 1] - 0xDC00u);
			i++;
		} else if (cp >= 0xD800 && cp < 0xE000) {
			free(s);
			return ST_ECORRUPT;
		}
		o += put_utf8(o, cp);
	}
	*o = 0;
	*out = s;
	return ST_OK;
}

static int is_sep(char c)
{
	return c == '/' || c == '\\';
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

const char *vp_basename(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (is_sep(*p))
			b = p + 1;
	return b;
}

char *vp_dirname(const char *path)
{
	const char *b = vp_basename(path);
	size_t n = (size_t)(b - path);

	if (n == 0)
		return dup_n("", 0);
	if (n == 1)
		return dup_n(path, 1);
	return dup_n(path, n - 1);
}

int vp_is_absolute(const char *p)
{
	return is_sep(p[0]) ||
	       (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':');
}

static void to_slash(char *p)
{
	for (; *p; p++)
		if (*p == '\\')
			*p = '/';
}

/* Drops "x/.." pairs (x not "..") and "." segments in place, so a
 * parent found as "snapshots/../disk.vhd" is named "disk.vhd". */
static void collapse(char *r)
{
	char *out = r, *in = r;
	int abs = r[0] == '/';
	if (abs)
		in++, out++;
	while (*in) {
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t n = (size_t)(in - seg);
		int last = !*in;
		if (*in)
			in++;
		if (n == 1 && seg[0] == '.' && !last)
			continue;
		char *prev = out > r + abs ? out - 1 : NULL; /* its '/' */
		if (n == 2 && seg[0] == '.' && seg[1] == '.' && prev) {
			char *ps = prev;
			while (ps > r + abs && ps[-1] != '/')
				ps--;
			if (!(prev - ps == 2 && ps[0] == '.' && ps[1] == '.')) {
				out = ps;
				continue;
			}
		}
		memmove(out, seg, n);
		out += n;
		if (!last)
			*out++ = '/';
	}
	*out = 0;
}

char *vp_join(const char *dir, const char *loc)
{
	size_t a = strlen(dir), b;
	char *r;

	if (vp_is_absolute(loc)) {
		if (loc[1] == ':')
			loc += 2;
		r = dup_n(loc, strlen(loc));
		if (r)
			to_slash(r);
		return r;
	}
	while (loc[0] == '.' && is_sep(loc[1]))
		loc += 2;
	b = strlen(loc);
	if (a == 0)
		r = dup_n(loc, b);
	else {
		int sep = !is_sep(dir[a - 1]);
		r = malloc(a + sep + b + 1);
		if (r) {
			memcpy(r, dir, a);
			if (sep)
				r[a] = '/';
			memcpy(r + a + sep, loc, b + 1);
		}
	}
	if (r) {
		to_slash(r);
		collapse(r);
	}
	return r;
}

char *vp_windows(const char *path)
{
	char *r = dup_n(path, strlen(path));

	for (char *p = r; p && *p; p++)
		if (*p == '/')
			*p = '\\';
	return r;
}

/* Length of the next component at p (p not at a separator). */
static size_t comp_len(const char *p)
{
	size_t n = 0;

	while (p[n] && !is_sep(p[n]))
		n++;
	return n;
}

static const char *skip_seps(const char *p)
{
	while (is_sep(*p) || (p[0] == '.' && (is_sep(p[1]) || !p[1])))
		p += p[0] == '.' && p[1] ? 2 : 1;
	return p;
}

char *vp_relative(const char *from_dir, const char *to)
{
	const char *a = skip_seps(from_dir), *b = skip_seps(to);
	size_t ups = 0, len;
	char *r, *o;

	/* drop the common leading components */
	for (;;) {
		size_t la = comp_len(a), lb = comp_len(b);
		if (!la || la != lb || memcmp(a, b, la) || !b[lb])
			break;
		a = skip_seps(a + la);
		b = skip_seps(b + lb);
	}
	for (const char *p = a; *p; p = skip_seps(p + comp_len(p)))
		ups++;
	len = 2 + ups * 3 + strlen(b) + 1;
	r = o = malloc(len);
	if (!r)
		return NULL;
	if (!ups) {
		memcpy(o, ".\\", 2);
		o += 2;
	}
	for (size_t i = 0; i < ups; i++, o += 3)
		memcpy(o, "..\\", 3);
	memcpy(o, b, strlen(b) + 1);
	for (; *o; o++)
		if (*o == '/')
			*o = '\\';
	return r;
}
