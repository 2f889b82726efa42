/* console.h: the host console, offered when a VM has stopped and the
 * configuration says on_stop = console. Commands: help, start, poweroff. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H
#include <stdbool.h>
#include "hv/config.h"

void console_loop(const struct vm_config *cfg);
bool hv_run_vm(const struct vm_config *cfg);

#endif
