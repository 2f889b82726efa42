/* hvctl.h: the portable half of hvctl (hvctl_text.c): joining argv into
 * one console command and naming the hypercall's negative statuses
 * (README.md "The console commands and the hypercall"). hvctl.c makes the
 * call; tests/unit runs hvctl_test.c against this half on the host. */
#ifndef HVCTL_H
#define HVCTL_H

#include <stddef.h>

/* The hypervisor refuses a command longer than this (status -10). */
#define HVCTL_CMD_MAX 4096

/* Joins words with single spaces into buf (size bytes, NUL-terminated).
 * Returns the length, or -1 when the text would not fit (buf is then
 * left holding a truncated, still terminated, prefix). */
int hvctl_join(char *buf, size_t size, int nwords, char *const words[]);

/* The meaning of a negative status, "unknown status" for any other; -11
 * carries the hint how to allow the call. */
const char *hvctl_meaning(long status);

#endif
