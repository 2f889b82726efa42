/* multiboot.c: reading the multiboot information (Multiboot Specification
 * 0.6.96, section 3.3): command line words and the memory map. */
#include "guest.h"

const char *mb_cmdline(const struct mb_info *mbi)
{
	if (!(mbi->flags & MBI_CMDLINE) || !mbi->cmdline)
		return "";
	return (const char *)mbi->cmdline;
}

const char *mb_kernel_basename(const struct mb_info *mbi, char *buf, size_t n)
{
	const char *s = mb_cmdline(mbi), *base = s;
	size_t len = 0;
	while (*s == ' ')
		s++;
	base = s;
	for (; *s && *s != ' '; s++)
		if (*s == '/' || *s == '\\')
			base = s + 1;
	len = (size_t)(s - base);
	if (len >= n)
		len = n - 1;
	memcpy(buf, base, len);
	buf[len] = '\0';
	return buf;
}

int mb_arg(const struct mb_info *mbi, const char *name, char *buf, size_t n)
{
	const char *s = mb_cmdline(mbi);
	size_t nl = strlen(name);
	while (*s == ' ')
		s++;
	while (*s && *s != ' ')		/* skip the kernel's name */
		s++;
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return 0;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		if (!strncmp(w, name, nl) && (w[nl] == '=' || w + nl == s)) {
			const char *v = w[nl] == '=' ? w + nl + 1 : s;
			size_t len = (size_t)(s - v);
			if (len >= n)
				len = n - 1;
			memcpy(buf, v, len);
			buf[len] = '\0';
			return 1;
		}
	}
}

int mb_copy_mmap(const struct mb_info *mbi, struct region *r, int max)
{
	if (!(mbi->flags & MBI_MMAP))
		return -1;
	int n = 0;
	uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
	while (p < end && n < max) {
		const struct mb_mmap_entry *e = (const void *)p;
		r[n].addr = e->addr;
		r[n].len = e->len;
		r[n].type = e->type;
		n++;
		p += e->size + 4;
	}
	return n;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (s += 2; *s; s++, digits++) {
			int d = *s >= '0' && *s <= '9' ? *s - '0'
				: (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ? (*s | 0x20) - 'a' + 10 : -1;
			if (d < 0)
				break;
			v = v * 16 + d;
		}
	} else {
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			v = v * 10 + (*s - '0');
	}
	if (!digits)
		return 0;
	switch (*s) {
	case 'K': case 'k': v <<= 10; s++; break;
	case 'M': case 'm': v <<= 20; s++; break;
	case 'G': case 'g': v <<= 30; s++; break;
	}
	if (*s)
		return 0;
	*out = v;
	return 1;
}
