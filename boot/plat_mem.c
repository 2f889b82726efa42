/* plat_mem.c: pages and the heap on UEFI boot services (UEFI 2.x, 7.2
 * AllocatePages / AllocatePool). The heap serves malloc/calloc/free for
 * the hypervisor and the libraries linked into it (lz4, storage/). */
#include <stdlib.h>
#include <efi.h>
#include <efilib.h>
#include "hv/platform.h"

void *plat_alloc_pages(size_t npages)
{
	EFI_PHYSICAL_ADDRESS pa = 0;
	EFI_STATUS s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
					 EfiLoaderData, npages, &pa);
	return EFI_ERROR(s) ? NULL : (void *)(uintptr_t)pa;
}

void plat_free_pages(void *p, size_t npages)
{
	if (p)
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(uintptr_t)p,
				  npages);
}

/* Over-allocates by the alignment, then gives back head and tail. */
void *plat_alloc_pages_aligned(size_t npages, uint64_t align)
{
	size_t extra = align > PAGE_SIZE ? align / PAGE_SIZE : 0;
	uint8_t *raw = plat_alloc_pages(npages + extra);
	if (!raw || !extra)
		return raw;
	uint64_t start = ((uint64_t)(uintptr_t)raw + align - 1) & ~(align - 1);
	size_t head = (start - (uint64_t)(uintptr_t)raw) / PAGE_SIZE;
	if (head)
		plat_free_pages(raw, head);
	if (extra - head)
		plat_free_pages((void *)(uintptr_t)(start + npages * PAGE_SIZE),
				extra - head);
	return (void *)(uintptr_t)start;
}

/* Each block starts with its size (for realloc), 16 bytes so that the
 * pool's 8-byte alignment is kept. */
#define HEAP_HEADER 16

void *malloc(size_t n)
{
	uint8_t *p = NULL;
	if (n > (size_t)-1 - HEAP_HEADER ||
	    EFI_ERROR(uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData,
					n + HEAP_HEADER, (void **)&p)))
		return NULL;
	*(size_t *)p = n;
	return p + HEAP_HEADER;
}

void *realloc(void *old, size_t n)
{
	if (!old)
		return malloc(n);
	size_t had = *(size_t *)((uint8_t *)old - HEAP_HEADER);
	void *p = malloc(n);
	if (p) {
		CopyMem(p, old, had < n ? had : n);
		free(old);
	}
	return p;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	void *p = malloc(n * size);
	if (p)
		SetMem(p, n * size, 0);
	return p;
}

void free(void *p)
{
	if (p)
		uefi_call_wrapper(BS->FreePool, 1, (uint8_t *)p - HEAP_HEADER);
}
