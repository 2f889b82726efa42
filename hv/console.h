/* console.h: the host console, offered when a VM has stopped and the
 * configuration says on_stop = console. Commands: help, start, poweroff. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H
#include <stdbool.h>
#include "hv/config.h"

struct vm;

void console_loop(const struct vm_config *cfg);
/* The next byte the host console has for the guest's COM1, or -1; the
 * escape key Ctrl-] switches to the hypervisor console and back
 * (hv/console_mux.c). */
int console_input(struct vm *vm);
/* Prints a command's reply a line at a time as `hv: ` lines (the reply
 * is cut into lines in place). */
void console_print_reply(char *reply);
bool hv_run_vm(const struct vm_config *cfg);

#endif
