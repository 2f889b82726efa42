/* hvdisk.h: shared pieces of the host disk tool (build/hvdisk): the host
 * environment for storage/, argument helpers and the command entry points.
 * main.c dispatches; cmds.c, info.c, fold.c, tree.c hold the commands. */
#ifndef HVDISK_H
#define HVDISK_H

#include <stdint.h>
#include "storage/vhd_ops.h"

extern struct vhd_env g_env;
extern const char *g_cmd;

/* "64M" -> bytes (K, M, G, T: powers of 1024); -1 on a bad number. */
int parse_size(const char *s, uint64_t *out);
/* Prints "hvdisk CMD: what: status" to stderr; returns 1. */
int fail(const char *what, status_t st);
int usage(void);
void uid_str(const uint8_t uid[16], char out[37]);
const char *type_name(uint32_t type);

int cmd_create(int argc, char **argv);
int cmd_child(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_fold(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
/* The 3-operand `export DIR ID|NAME OUT` (cmd_export passes it on). */
int cmd_export_tree(const char *dir, const char *which, const char *out);

#endif
