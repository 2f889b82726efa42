/* printf.c: a small printf for the guests: flags '-' and '0', a width,
 * the l/ll/z length modifiers and the conversions d i u x X p s c %. */
#include "guest.h"

struct sink {
	char *buf;		/* NULL: write to COM1 */
	size_t size, len;
};

static void put(struct sink *s, char c)
{
	if (!s->buf)
		serial_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

/* 64-bit by 32-bit division with 32-bit instructions only (no libgcc). */
static uint32_t divmod64(uint64_t *n, uint32_t d)
{
	uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
	uint32_t qhi = hi / d, r = hi % d, qlo;
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	*n = ((uint64_t)qhi << 32) | qlo;
	return r;
}

static void put_num(struct sink *s, uint64_t v, unsigned base, int upper,
		    int neg, int width, char pad, int left)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do
		tmp[n++] = digits[divmod64(&v, base)];
	while (v);
	if (neg)
		tmp[n++] = '-';
	if (neg && pad == '0') {	/* sign before the zeros */
		put(s, '-');
		n--;
		width--;
	}
	if (!left)
		for (int i = n; i < width; i++)
			put(s, pad);
	while (n)
		put(s, tmp[--n]);
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(s, *fmt);
			continue;
		}
		fmt++;
		int left = 0, width = 0, lng = 0;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng += *fmt == 'l' ? 1 : 0;
			fmt++;
		}
		size_t start = s->len;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
			put_num(s, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, 0,
				v < 0, width, left ? ' ' : pad, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
			put_num(s, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width,
				left ? ' ' : pad, left);
			break;
		}
		case 'p':
			put(s, '0');
			put(s, 'x');
			put_num(s, (uintptr_t)va_arg(ap, void *), 16, 0, 0, 8, '0', 0);
			break;
		case 'c':
			put(s, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int n = (int)strlen(str);
			if (!left)
				for (int i = n; i < width; i++)
					put(s, ' ');
			while (*str)
				put(s, *str++);
			break;
		}
		case '%':
			put(s, '%');
			break;
		case '\0':
			return (int)s->len;
		default:
			put(s, '%');
			put(s, *fmt);
			break;
		}
		if (left)
			while ((int)(s->len - start) < width)
				put(s, ' ');
	}
	return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s = { 0, 0, 0 };
	return format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct sink s = { buf, size, 0 };
	va_list ap;
	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}
