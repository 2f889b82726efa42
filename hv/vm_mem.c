/* vm_mem.c: a VM's RAM: the PC memory map (e820 style), the host block
 * behind it (2 MiB aligned, so nested paging can use 2 MiB leaves), and
 * the nested page tables. 640 KiB to 1 MiB stays a hole as on a PC.
 * Environment: service loop, boot services (page allocation). */
#include <string.h>
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/vm.h"

static void *pt_alloc(void *ctx, uint64_t *pa)
{
	(void)ctx;
	void *p = plat_alloc_pages(1);
	if (p) {
		memset(p, 0, PAGE_SIZE);
		*pa = (uint64_t)(uintptr_t)p;
	}
	return p;
}

static void pt_free(void *ctx, void *page)
{
	(void)ctx;
	plat_free_pages(page, 1);
}

static void *pt_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void add_range(struct vm *vm, uint64_t base, uint64_t size,
		      uint32_t type)
{
	vm->map[vm->nmap++] = (struct mem_range){ base, size, type };
}

/* A PC's map: 640 KiB of conventional memory (there is no BIOS, so no
 * EBDA; mem_lower is 640 as QEMU reports it), the ROM area 0xC0000-
 * 0xFFFFF reserved (it holds the ACPI tables, read-only to the guest), RAM from 1 MiB, and what does not fit below 3 GiB above 4 GiB. */
static void build_map(struct vm *vm)
{
	uint64_t low = vm_low_ram(vm);
	vm->nmap = 0;
	add_range(vm, 0, 0xa0000, MEM_RAM);
	add_range(vm, VM_BIOS_BASE, VM_BIOS_SIZE, MEM_RESERVED);
	add_range(vm, 0x100000, low - 0x100000, MEM_RAM);
	if (vm->ram_size > low)
		add_range(vm, 1ull << 32, vm->ram_size - low, MEM_RAM);
}

static unsigned region_perms(const struct gmem_region *r);

static status_t map_ram(struct vm *vm)
{
	uint64_t low = vm_low_ram(vm);
	status_t st;
	if ((st = gmem_add(&vm->mem, 0, 0xa0000, vm->ram)) ||
	    (st = gmem_add(&vm->mem, VM_BIOS_BASE, VM_BIOS_SIZE,
			   vm->ram + VM_BIOS_BASE)) ||
	    (st = gmem_add(&vm->mem, 0x100000, low - 0x100000,
			   vm->ram + 0x100000)))
		return st;
	if (vm->ram_size > low &&
	    (st = gmem_add(&vm->mem, 1ull << 32, vm->ram_size - low,
			   vm->ram + low)))
		return st;
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct gmem_region *r = &vm->mem.region[i];
		st = npt_map(&vm->npt, r->gpa, (uint64_t)(uintptr_t)r->hva, r->size,
			     region_perms(r));
		if (st)
			return st;
	}
	return ST_OK;
}

/* The guest's own permissions on region r: the BIOS area is ROM. */
static unsigned region_perms(const struct gmem_region *r)
{
	return r->gpa == VM_BIOS_BASE ? NPT_R | NPT_X : NPT_RWX;
}

void vm_mem_protect(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct gmem_region *r = &vm->mem.region[i];
		npt_protect(&vm->npt, r->gpa, r->size, region_perms(r) & ~NPT_W);
	}
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_ops->flush_npt(&vm->vcpu[i]);
}

/* Raising permissions needs no TLB flush: a stale read-only entry
 * faults once more and the processor drops it (SDM vol. 3, 29.4.3.1; APM
 * vol. 2, 15.25.10). */
void vm_mem_unprotect(struct vm *vm, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct gmem_region *r = &vm->mem.region[i];
		uint64_t lo = gpa > r->gpa ? gpa : r->gpa;
		uint64_t hi = gpa + size < r->gpa + r->size ? gpa + size
							    : r->gpa + r->size;
		if (lo < hi)
			npt_protect(&vm->npt, lo, hi - lo, region_perms(r));
	}
}

status_t vm_mem_create(struct vm *vm, uint64_t size)
{
	struct npt_alloc alloc = { pt_alloc, pt_free, pt_virt, NULL };
	status_t st;
	vm->ram_size = (size + NPT_2M - 1) & ~(NPT_2M - 1);
	vm->ram = plat_alloc_pages_aligned(vm->ram_size / PAGE_SIZE, NPT_2M);
	if (!vm->ram) {
		hv_log("cannot allocate %llu MiB of guest RAM",
		       (unsigned long long)(vm->ram_size >> 20));
		return ST_ENOMEM;
	}
	memset(vm->ram, 0, vm->ram_size);
	build_map(vm);
	st = npt_init(&vm->npt, vcpu_ops->npt_format, &alloc);
	if (!st)
		st = map_ram(vm);
	if (st)
		hv_log("cannot build nested page tables: %s", status_str(st));
	return st;
}

void vm_mem_destroy(struct vm *vm)
{
	npt_destroy(&vm->npt);
	if (vm->ram)
		plat_free_pages(vm->ram, vm->ram_size / PAGE_SIZE);
	vm->ram = NULL;
}
