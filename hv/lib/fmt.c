/* fmt.c: hv_snprintf and hv_vsnprintf (see fmt.h). Portable. */
#include <stdint.h>
#include "hv/lib/fmt.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       int left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;
	if (!left && pad == '0' && n && (*s == '-')) {
		put(o, *s++);
		n--;
	}
	for (; !left && fill > 0; fill--)
		put(o, pad);
	while (n--)
		put(o, *s++);
	for (; left && fill > 0; fill--)
		put(o, ' ');
}

static size_t format_number(char *tmp, uint64_t v, unsigned base, int upper,
			    int negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, len = 0;
	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (negative)
		tmp[len++] = '-';
	while (n)
		tmp[len++] = rev[--n];
	return len;
}

static uint64_t take_unsigned(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, unsigned long long);
	if (lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t take_signed(va_list *ap, int lng)
{
	if (lng >= 2)
		return va_arg(*ap, long long);
	if (lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

int hv_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap_in)
{
	struct out o = { buf, cap, 0 };
	va_list ap;
	va_copy(ap, ap_in);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		int left = 0, width = 0, lng = 0;
		char pad = ' ', tmp[32];
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++)
			*fmt == '-' ? (left = 1) : (pad = '0');
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng += *fmt == 'z' ? 2 : 1;
		size_t n;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = take_signed(&ap, lng);
			n = format_number(tmp, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, 0,
					  v < 0);
			put_padded(&o, tmp, n, width, left, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			n = format_number(tmp, take_unsigned(&ap, lng),
					  *fmt == 'u' ? 10 : 16, *fmt == 'X', 0);
			put_padded(&o, tmp, n, width, left, pad);
			break;
		case 'p':
			tmp[0] = '0', tmp[1] = 'x';
			n = 2 + format_number(tmp + 2, (uintptr_t)va_arg(ap, void *), 16,
					      0, 0);
			put_padded(&o, tmp, n, width, left, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t len = 0;
			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			put_padded(&o, s, len, width, left, ' ');
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			if (!*fmt)
				goto done;
			put(&o, '%');
			put(&o, *fmt);
		}
	}
done:
	va_end(ap);
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = 0;
	return (int)o.len;
}

int hv_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
