/* console.c: the host console (console.h): reads a line from the host
 * console, runs the command, until `poweroff`.
 * Environment: service loop with no VM running. */
#include <string.h>
#include "hv/command.h"
#include "hv/console.h"
#include "hv/log.h"
#include "hv/platform.h"

static void read_line(char *buf, size_t cap)
{
	size_t n = 0;
	plat_console_write("hv> ", 4);
	for (;;) {
		int c = plat_console_getc();
		if (c < 0) {
			__asm__ volatile("sti; hlt");
			continue;
		}
		if (c == '\r' || c == '\n') {
			plat_console_write("\r\n", 2);
			break;
		}
		if ((c == 8 || c == 127) && n) {
			n--;
			plat_console_write("\b \b", 3);
		} else if (c >= 32 && c < 127 && n + 1 < cap) {
			char ch = (char)c;
			buf[n++] = ch;
			plat_console_write(&ch, 1);
		}
	}
	buf[n] = 0;
}

/* A command of the shared language (hv/command.h); no VM is running. */
static void run_command(const char *line)
{
	static char reply[4096];
	command_run(NULL, NULL, line, reply, sizeof reply);
	console_print_reply(reply);
}

void console_loop(const struct vm_config *cfg)
{
	char line[128];
	hv_log("console: type help for commands");
	for (;;) {
		read_line(line, sizeof line);
		if (!strcmp(line, "help"))
			hv_log("commands: start (boot the VM again), poweroff, "
			       "and those of the hypercall: help, vm info");
		else if (!strcmp(line, "start"))
			hv_run_vm(cfg);
		else if (!strcmp(line, "poweroff"))
			return;
		else if (line[0])
			run_command(line);
	}
}
