/* fmt.h: a small snprintf for the hypervisor (no floating point).
 * Conversions: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width,
 * and the length modifiers l, ll, z. Always NUL-terminates when cap > 0;
 * returns the length the whole output would have had. */
#ifndef HV_FMT_H
#define HV_FMT_H
#include <stdarg.h>
#include <stddef.h>

int hv_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
