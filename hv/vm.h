/* vm.h: one virtual machine: its configuration, guest RAM and the
 * nested page tables over it, its vCPUs, its devices and why it
 * stopped. Built by vm_create(), entered by vm_run().
 * Environment: the bootstrap processor's service loop. */
#ifndef HV_VM_H
#define HV_VM_H
#include <stdbool.h>
#include <stdint.h>
#include "status.h"
#include "hv/bus.h"
#include "hv/config.h"
#include "hv/dev/device.h"
#include "hv/gmem.h"
#include "hv/npt.h"
#include "hv/vclock.h"
#include "hv/vcpu.h"

#define VM_MAX_VCPUS 1
#define VM_MAX_DEVICES 16
#define VM_MAX_MAP 8
/* Guest RAM above this address moves above 4 GiB (PCI hole). */
#define VM_LOW_RAM_LIMIT 0xc0000000ull
/* The expansion-ROM and BIOS area: guest ROM holding the ACPI tables
 * (hv/acpi.c) and, below them, no option ROMs (zeros). ROM rather than
 * open bus, so that scans for ROM and table signatures (Linux's
 * probe_roms and iBFT search compare memory in place) read it directly. */
#define VM_BIOS_BASE 0xc0000ull
#define VM_BIOS_SIZE 0x40000ull
/* The multiboot loader's GDT, in that ROM below the ACPI tables. */
#define VM_BOOT_GDT 0xeff00u

enum vm_stop { VM_RUNNING, VM_EXIT_CODE, VM_POWER_OFF, VM_RESET, VM_FAULT };

struct vhd_chain;
struct snapshots;

struct vm {
	struct vm_config cfg;
	struct gmem mem;
	struct mem_range map[VM_MAX_MAP];
	unsigned nmap;
	uint8_t *ram;
	uint64_t ram_size;
	struct npt npt;
	struct vcpu vcpu[VM_MAX_VCPUS];
	unsigned nvcpus;
	struct device *dev[VM_MAX_DEVICES];
	unsigned ndevs;
	struct bus bus;
	struct vtimer_set timers;
	struct device *ioapic, *pic; /* interrupt controllers (hv/irq.c) */
	uint64_t rsdp;               /* guest address of the ACPI RSDP */
	struct vhd_chain *disk;      /* the virtio-blk disk, if any */
	struct snapshots *snap;      /* the snapshot tree (hv/snap.h) */
	enum vm_stop stop;
	int exit_code;
	char stop_msg[192];
};

/* Bytes of RAM below VM_LOW_RAM_LIMIT; the rest starts at 4 GiB. */
static inline uint64_t vm_low_ram(const struct vm *vm)
{
	return vm->ram_size < VM_LOW_RAM_LIMIT ? vm->ram_size : VM_LOW_RAM_LIMIT;
}

status_t vm_create(struct vm *vm, const struct vm_config *cfg);
void vm_destroy(struct vm *vm);
/* Flushes and closes every file the VM holds open (the disk chain, the
 * capture in progress, a merge at its step boundary); vm_destroy does
 * it first. Needed before the machine powers off without a destroy. */
void vm_close_files(struct vm *vm);
/* Runs until the VM stops; vm->stop says why. */
void vm_run(struct vm *vm);
/* Asks the VM to stop (first reason wins); safe from exit handlers. */
void vm_stop(struct vm *vm, enum vm_stop why, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Adds a device model to the VM (its ports join the dispatch table). */
status_t vm_add_device(struct vm *vm, struct device *dev);

#endif
