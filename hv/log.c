/* log.c: hv_log and hv_guest_putc over the platform console (log.h). */
#include <stdarg.h>
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/platform.h"

static int guest_line_open;

void hv_guest_putc(char c)
{
	plat_console_write(&c, 1);
	guest_line_open = c != '\n';
}

void hv_log(const char *fmt, ...)
{
	char line[512] = "\nhv: ";
	int skip = guest_line_open ? 0 : 1;
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(line + 5, sizeof line - 6, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 7)
		n = sizeof line - 7;
	line[5 + n] = '\n';
	plat_console_write(line + skip, 5 + n + 1 - skip);
	guest_line_open = 0;
}
