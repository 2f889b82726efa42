/* console_mux.c: the host console's input while a VM runs (console.h).
 * Bytes go to the guest's COM1 until the escape key, Ctrl-] (0x1d, as
 * telnet and virsh use it), switches to the hypervisor console: a line
 * of the command language (hv/command.h), answered on the console; the
 * escape key again returns to the guest. Guest output keeps flowing.
 * Environment: the service loop (device polls), a safe point for
 * commands: the vCPU is outside the guest. */
#include <string.h>
#include "hv/command.h"
#include "hv/console.h"
#include "hv/log.h"
#include "hv/platform.h"

#define ESCAPE_KEY 0x1d

static bool in_console;
static char line[256];
static size_t line_len;

static void say(const char *s)
{
	plat_console_write(s, strlen(s));
}

void console_print_reply(char *reply)
{
	for (char *p = reply, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		hv_log("%s", p);
		if (!nl)
			break;
	}
}

static void run_line(struct vm *vm)
{
	static char reply[4096];
	line[line_len] = 0;
	line_len = 0;
	say("\r\n");
	if (line[0]) {
		status_t st = command_run(vm, NULL, line, reply, sizeof reply);
		console_print_reply(reply);
		if (st)
			hv_log("(%s)", status_str(st));
	}
	if (in_console)
		say("hv> ");
}

/* One byte typed at the hypervisor console. */
static void console_key(struct vm *vm, int c)
{
	if (c == '\r' || c == '\n') {
		run_line(vm);
	} else if ((c == 8 || c == 127) && line_len) {
		line_len--;
		say("\b \b");
	} else if (c >= 32 && c < 127 && line_len + 1 < sizeof line) {
		char ch = (char)c;
		line[line_len++] = ch;
		plat_console_write(&ch, 1);
	}
}

/* Guest-bound bytes read from the firmware but not yet taken by the
 * guest's UART (whose FIFO fills when the guest does not read it). */
static uint8_t guest_queue[4096];
static size_t queue_head, queue_len;

void console_poll(struct vm *vm)
{
	int c;
	while ((c = plat_console_getc()) >= 0) {
		if (c == ESCAPE_KEY) {
			in_console = !in_console;
			line_len = 0;
			say(in_console ? "\r\nhv: hypervisor console (Ctrl-] returns "
					 "to the guest; try help)\r\nhv> "
				       : "\r\nhv: back to the guest\r\n");
		} else if (in_console) {
			console_key(vm, c);
		} else if (queue_len < sizeof guest_queue) {
			guest_queue[(queue_head + queue_len++) % sizeof guest_queue] =
				(uint8_t)c;
		} /* else lost, as a UART overrun loses it */
	}
}

int console_input(struct vm *vm)
{
	(void)vm;
	if (!queue_len)
		return -1;
	int c = guest_queue[queue_head];
	queue_head = (queue_head + 1) % sizeof guest_queue;
	queue_len--;
	return c;
}
