/* snap_export.c: `snapshot export ID|NAME PATH` (DESIGN.md section 6):
 * the snapshot's disk layer and its parents, flattened into a standalone
 * dynamic VHD on the boot volume (storage/vhd_ops.h: written beside as
 * PATH.part and renamed when complete, so a power cut never leaves a
 * half file under PATH). The guest waits while it is written.
 * Environment: a command, all vCPUs outside the guest. */
#include <string.h>
#include "hv/disk.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/snap_internal.h"
#include "hv/vm.h"
#include "snapshot/layers.h"
#include "storage/vhd_ops.h"

/* Splits "WHICH PATH" into which (SNAP_NAME_MAX) and path. */
static bool split(const char *arg, char *which, char *path)
{
	const char *sp = strchr(arg, ' ');
	size_t n = sp ? (size_t)(sp - arg) : 0;
	if (!sp || !n || n >= SNAP_NAME_MAX)
		return false;
	memcpy(which, arg, n);
	which[n] = 0;
	while (*sp == ' ')
		sp++;
	if (strlen(sp) >= SNAP_PATH_MAX || !snap_path_valid(sp) || !sp[0])
		return false;
	memcpy(path, sp, strlen(sp) + 1);
	return true;
}

status_t snap_export(struct vm *vm, const char *arg, char *reply, size_t cap)
{
	char which[SNAP_NAME_MAX], path[SNAP_PATH_MAX];
	status_t st = snap_usable(vm, reply, cap);
	struct snap_node *n;
	if (st)
		return st;
	if (!split(arg, which, path)) {
		hv_snprintf(reply, cap, "usage: snapshot export ID|NAME PATH "
			    "(a path on the boot volume)");
		return ST_EINVAL;
	}
	char norm[SNAP_PATH_MAX];
	if (!layers_norm(path, norm) ||
	    !strncmp(norm, SNAP_DIR "/", sizeof SNAP_DIR)) {
		/* the tree's directory: its garbage collection would take it */
		hv_snprintf(reply, cap, "export to a path outside %s/", SNAP_DIR);
		return ST_EINVAL;
	}
	if (!(n = snap_find(vm->snap, which, reply, cap)))
		return ST_ENOENT;
	if (!n->disk[0]) {
		hv_snprintf(reply, cap, "snapshot %u has no disk", n->id);
		return ST_ENODEV;
	}
	st = vhd_export(hv_vhd_env(), n->disk, path);
	if (st == ST_EEXIST)
		hv_snprintf(reply, cap, "%s exists", path);
	else if (st)
		hv_snprintf(reply, cap, "cannot export snapshot %u: %s%s", n->id,
			    status_str(st),
			    st == ST_ENOSPC ? " (the boot volume is full)" : "");
	else
		hv_snprintf(reply, cap, "exported snapshot %u to %s", n->id, path);
	hv_log("snapshot: %s", reply);
	return st;
}
