/* plat_file.c: files on the boot volume, through the Simple File System
 * protocol of the device the hypervisor was loaded from (UEFI 2.x, 13.4
 * and 13.5). Paths use '/' and are relative to the volume root. */
#include <efi.h>
#include <efilib.h>
#include "hv/platform.h"

static EFI_HANDLE boot_device;

void plat_file_init(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li = NULL;
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
			  (void **)&li);
	boot_device = li ? li->DeviceHandle : NULL;
}

/* Converts "a/b" to L"\\a\\b"; false when it does not fit. */
static int path_to_efi(const char *path, CHAR16 *out, size_t cap)
{
	size_t n = 0;
	if (*path != '/' && n + 1 < cap)
		out[n++] = L'\\';
	for (; *path; path++) {
		if (n + 1 >= cap)
			return 0;
		out[n++] = *path == '/' ? L'\\' : (CHAR16)(unsigned char)*path;
	}
	out[n] = 0;
	return 1;
}

static status_t open_file(const char *path, EFI_FILE_HANDLE *file)
{
	CHAR16 name[512];
	EFI_FILE_HANDLE root;
	if (!boot_device || !path_to_efi(path, name, 512))
		return ST_EINVAL;
	root = LibOpenRoot(boot_device);
	if (!root)
		return ST_EIO;
	EFI_STATUS s = uefi_call_wrapper(root->Open, 5, root, file, name,
					 EFI_FILE_MODE_READ, 0);
	uefi_call_wrapper(root->Close, 1, root);
	if (s == EFI_NOT_FOUND)
		return ST_ENOENT;
	return EFI_ERROR(s) ? ST_EIO : ST_OK;
}

status_t plat_read_file(const char *path, void **data, size_t *size)
{
	EFI_FILE_HANDLE file;
	status_t st = open_file(path, &file);
	if (st)
		return st;
	EFI_FILE_INFO *info = LibFileInfo(file);
	void *buf = NULL;
	UINTN len;
	size_t npages = 0;
	st = ST_EIO;
	if (!info)
		goto out_close;
	len = info->FileSize;
	FreePool(info);
	st = ST_ENOMEM;
	npages = len / PAGE_SIZE + 1;
	buf = plat_alloc_pages(npages);
	if (!buf)
		goto out_close;
	st = ST_EIO;
	if (EFI_ERROR(uefi_call_wrapper(file->Read, 3, file, &len, buf)))
		goto out_free;
	*data = buf;
	*size = len;
	st = ST_OK;
	goto out_close;
out_free:
	plat_free_pages(buf, npages);
out_close:
	uefi_call_wrapper(file->Close, 1, file);
	return st;
}
