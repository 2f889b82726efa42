/* disk.h: opening the VM's disk, a VHD chain on the boot volume, with
 * the firmware opener and an environment whose diagnostics go to the
 * hypervisor log (hv/disk.c). */
#ifndef HV_DISK_H
#define HV_DISK_H
#include "status.h"

struct vhd_chain;
struct vhd_env;

/* Opens path (leaf read-write, parents read-only) and logs every problem
 * storage/ reports (file, field, value) plus one summary line. */
status_t vm_disk_open(const char *path, struct vhd_chain **out);
void vm_disk_close(struct vhd_chain *disk);
/* The environment storage/ runs in inside the hypervisor. */
const struct vhd_env *hv_vhd_env(void);

#endif
