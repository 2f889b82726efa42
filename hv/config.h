/* config.h: the VM configuration file (hv.cfg on the boot volume).
 * Lines `key = value`; '#' starts a comment; blank lines are ignored.
 * Keys: kernel, initrd, cmdline, memory (K/M/G suffixes), disk, on_stop
 * (poweroff | console), hypercall_user (yes | no: may guest user mode
 * use the console hypercall), snapshot_capture (cow | stop-and-copy:
 * copy guest memory after or during a snapshot's pause; the second is
 * kept to measure the first against, bench/), merge_share (1-100: the
 * percent of time merges of deleted snapshots' layers get while the
 * guest never halts; default 10). config_parse() reports the first bad
 * line.
 * Portable. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define CONFIG_PATH_MAX 256
#define CONFIG_CMDLINE_MAX 2048
#define CONFIG_MEM_DEFAULT (256ull << 20)
#define CONFIG_MEM_MIN (2ull << 20)
#define CONFIG_MEM_MAX (64ull << 30)

enum on_stop { ON_STOP_CONSOLE, ON_STOP_POWEROFF };

struct vm_config {
	char kernel[CONFIG_PATH_MAX];
	char initrd[CONFIG_PATH_MAX];
	char disk[CONFIG_PATH_MAX];
	char cmdline[CONFIG_CMDLINE_MAX];
	uint64_t memory;
	enum on_stop on_stop;
	bool hypercall_user;
	bool snapshot_stop_and_copy;
	unsigned merge_share;
};
#define CONFIG_MERGE_SHARE_DEFAULT 10

/* Parses `len` bytes of text into *cfg (defaults first). On error,
 * `err` holds "line N: what". */
status_t config_parse(const char *text, size_t len, struct vm_config *cfg,
		      char *err, size_t errlen);
/* "64M" -> 67108864; ST_EINVAL on junk or overflow. */
status_t parse_size(const char *s, uint64_t *out);

#endif
