/* console.h: the host console, offered when a VM has stopped and the
 * configuration says on_stop = console. Commands: help, start, poweroff. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H
#include <stdbool.h>
#include "hv/config.h"

struct vm;

void console_loop(const struct vm_config *cfg);
/* The next byte typed for the guest's COM1, from the queue console_poll
 * fills, or -1; the escape key Ctrl-] switches to the hypervisor console
 * and back (hv/console_mux.c). */
int console_input(struct vm *vm);
/* Reads what the host console has typed: the escape key and the
 * hypervisor console's lines are handled at once, guest bytes queue
 * (4 KiB) for console_input. Call it even when the guest takes no
 * input, so that Ctrl-] always works. */
void console_poll(struct vm *vm);
/* Prints a command's reply a line at a time as `hv: ` lines (the reply
 * is cut into lines in place). */
void console_print_reply(char *reply);
bool hv_run_vm(const struct vm_config *cfg);

#endif
