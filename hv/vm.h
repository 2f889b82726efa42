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
/* Why a VM that has not stopped holds every vCPU out of the guest until
 * the host console's `continue` (hv/vm_pause.c). Only the service loop
 * runs meanwhile: the console, the snapshot writer, merges. With SMP each
 * vCPU checks the same field at the freeze rendezvous. */
enum vm_pause { VM_NOT_PAUSED, VM_PAUSED_DISK_FULL };

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
	enum vm_pause pause;         /* VM_NOT_PAUSED while the guest runs */
	char pause_msg[160];         /* what made it pause (vm info) */
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
/* Pauses the VM (a paused VM's first reason stays) and says on the
 * host console why and what to do; safe from exit handlers: the vCPU
 * finishes its exit and is not entered again until vm_continue. */
void vm_pause(struct vm *vm, enum vm_pause why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The console's `continue`: retries what made the VM pause (a disk's
 * pending writes) and, when that works, lets the vCPUs run again. The
 * reply says which; ST_ENOSPC when the volume is still full (the VM stays
 * paused), ST_EINVAL when the VM was not paused. */
status_t vm_continue(struct vm *vm, char *reply, size_t cap);
/* "running", or "paused: " and why (the `vm info` state line). */
void vm_state_text(const struct vm *vm, char *out, size_t cap);
/* Adds a device model to the VM (its ports join the dispatch table). */
status_t vm_add_device(struct vm *vm, struct device *dev);

#endif
