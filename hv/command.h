/* command.h: the one command language of the hypervisor console, shared
 * by the host console and the guest's hypercall (DESIGN.md section 7).
 * command_run() executes one line and writes the reply text; the words
 * are listed by `help`. */
#ifndef HV_COMMAND_H
#define HV_COMMAND_H
#include <stddef.h>
#include "status.h"

struct vm;
struct cmd_caller;

/* Runs `line` against `vm` (NULL when no VM exists) for `caller` (a
 * vCPU's hypercall, or NULL for the host console; hv/snap.h). The reply
 * is NUL-terminated and cut to fit `cap`; ST_EINVAL for an unknown or
 * malformed command (the reply says why). */
status_t command_run(struct vm *vm, struct cmd_caller *caller,
		     const char *line, char *reply, size_t cap);

#endif
