/* vhd_env.h: what storage/ needs from its caller: the file opener, the
 * clock and random source (firmware services in the hypervisor, libc on the
 * host), and callbacks for diagnostics and progress (storage/ never prints). */
#ifndef STORAGE_VHD_ENV_H
#define STORAGE_VHD_ENV_H

#include <stddef.h>
#include <stdint.h>
#include "storage/blockfile.h"

enum vhd_level { VHD_ERROR = 0, VHD_WARN = 1, VHD_NOTE = 2 };

/* One finding: "file: field: msg (value V, expected E)". */
struct vhd_diag {
	enum vhd_level level;
	const char *file;       /* the path the problem is in */
	const char *field;      /* e.g. "footer.checksum", "bat[12]" */
	const char *msg;
	int has_value, has_expected;
	uint64_t value, expected;
};

struct vhd_env {
	const struct bf_opener *opener;
	void *ctx;                                     /* for the callbacks */
	uint64_t (*now)(void *ctx);                    /* seconds since 1970 UTC */
	void (*random)(void *ctx, uint8_t *buf, size_t len);
	void (*diag)(void *ctx, const struct vhd_diag *d);          /* optional */
	void (*progress)(void *ctx, uint64_t done, uint64_t total); /* optional */
};

/* A report in progress about one file: counts what it emits. */
struct vhd_rep {
	const struct vhd_env *env;
	const char *file;
	unsigned errors, warnings;
};

void vhd_rep_init(struct vhd_rep *r, const struct vhd_env *env,
		  const char *file);
void vhd_rep(struct vhd_rep *r, enum vhd_level lvl, const char *field,
	     const char *msg);
void vhd_rep_v(struct vhd_rep *r, enum vhd_level lvl, const char *field,
	       const char *msg, uint64_t value);
void vhd_rep_ve(struct vhd_rep *r, enum vhd_level lvl, const char *field,
		const char *msg, uint64_t value, uint64_t expected);
void vhd_progress(const struct vhd_env *env, uint64_t done, uint64_t total);



/* "name[idx]" into buf, for fields such as "bat[12]". */
const char *vhd_field_idx(char buf[48], const char *name, uint64_t idx);
#endif
