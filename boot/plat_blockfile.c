/* plat_blockfile.c: storage/'s block files and opener on the boot volume
 * through EFI_FILE_PROTOCOL (UEFI 2.x, 13.5: Open, Read, Write,
 * SetPosition, Flush, GetInfo/SetInfo with EFI_FILE_INFO, Delete), plus
 * the wall clock (GetTime, 8.3) and random bytes for vhd_env
 * (hv/plat_storage.h). Writes past the end zero-fill the gap themselves:
 * the protocol leaves a gap's content unspecified. */
#include <stdbool.h>
#include <stdlib.h>
#include <efi.h>
#include <efilib.h>
#include "hv/plat_storage.h"
#include "hv/x86.h"

#define CHUNK (1u << 20)
#define PATH_MAX_CHARS 512

extern EFI_HANDLE LibImageHandle; /* set by InitializeLib (GNU-EFI) */

struct efile {
	struct blockfile bf;
	EFI_FILE_HANDLE fh;
	uint64_t size;
};

static EFI_FILE_HANDLE root;
static const uint8_t zeros[4096];

static status_t efi_st(EFI_STATUS s)
{
	switch (s) {
	case EFI_SUCCESS: return ST_OK;
	case EFI_NOT_FOUND: return ST_ENOENT;
	case EFI_VOLUME_FULL: return ST_ENOSPC;
	case EFI_WRITE_PROTECTED:
	case EFI_ACCESS_DENIED: return ST_EPERM;
	case EFI_OUT_OF_RESOURCES: return ST_ENOMEM;
	default: return ST_EIO;
	}
}

static EFI_FILE_HANDLE volume_root(void)
{
	EFI_LOADED_IMAGE *li = NULL;
	if (root)
		return root;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, LibImageHandle,
					&LoadedImageProtocol, (void **)&li)) ||
	    !li)
		return NULL;
	root = LibOpenRoot(li->DeviceHandle);
	return root;
}

/* "X:\a/./b\..\c" -> L"\a\c" (from the volume root). False when it does
 * not fit or climbs above the root. */
static bool to_efi_path(const char *p, CHAR16 *out, size_t cap)
{
	size_t n = 0;
	if (p[0] && p[1] == ':')
		p += 2;
	out[n++] = L'\\';
	while (*p) {
		const char *s = p;
		while (*p && *p != '/' && *p != '\\')
			p++;
		size_t len = (size_t)(p - s);
		if (*p)
			p++;
		if (!len || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n == 1)
				return false;
			n--; /* drop the trailing separator, then the component */
			while (n > 1 && out[n - 1] != L'\\')
				n--;
			continue;
		}
		if (n + len + 2 > cap)
			return false;
		for (size_t i = 0; i < len; i++)
			out[n++] = (CHAR16)(unsigned char)s[i];
		out[n++] = L'\\';
	}
	if (n > 1)
		n--; /* no trailing separator */
	out[n] = 0;
	return true;
}

static status_t open_handle(const char *path, UINT64 mode,
			    EFI_FILE_HANDLE *fh)
{
	CHAR16 name[PATH_MAX_CHARS];
	EFI_FILE_HANDLE r = volume_root();
	if (!r)
		return ST_EIO;
	if (!to_efi_path(path, name, PATH_MAX_CHARS))
		return ST_EINVAL;
	return efi_st(uefi_call_wrapper(r->Open, 5, r, fh, name, mode, 0));
}

static status_t set_pos(struct efile *f, uint64_t off)
{
	return efi_st(uefi_call_wrapper(f->fh->SetPosition, 2, f->fh, off));
}

static status_t ef_read(struct blockfile *bf, uint64_t off, void *buf,
			size_t len)
{
	struct efile *f = bf->ctx;
	uint8_t *p = buf;
	status_t st;
	if (off > f->size || len > f->size - off)
		return ST_ERANGE;
	if ((st = set_pos(f, off)))
		return st;
	while (len) {
		UINTN n = len < CHUNK ? len : CHUNK, want = n;
		st = efi_st(uefi_call_wrapper(f->fh->Read, 3, f->fh, &n, p));
		if (st || n != want)
			return st ? st : ST_EIO;
		p += n, len -= n;
	}
	return ST_OK;
}

/* Writes at the current position, all of it. */
static status_t put(struct efile *f, const uint8_t *p, uint64_t len)
{
	while (len) {
		UINTN n = len < CHUNK ? len : CHUNK, want = n;
		status_t st = efi_st(uefi_call_wrapper(f->fh->Write, 3, f->fh, &n,
						       (void *)p));
		if (st || n != want)
			return st ? st : ST_EIO;
		p += n, len -= n;
	}
	return ST_OK;
}

/* Zero-fills [size, to) so that the file grows to `to`. */
static status_t grow(struct efile *f, uint64_t to)
{
	status_t st;
	if (to <= f->size)
		return ST_OK;
	if ((st = set_pos(f, f->size)))
		return st;
	while (f->size < to) {
		uint64_t n = to - f->size < sizeof zeros ? to - f->size : sizeof zeros;
		if ((st = put(f, zeros, n)))
			return st;
		f->size += n;
	}
	return ST_OK;
}

static status_t ef_write(struct blockfile *bf, uint64_t off, const void *buf,
			 size_t len)
{
	struct efile *f = bf->ctx;
	status_t st;
	if (off + len < off)
		return ST_ERANGE;
	if ((st = grow(f, off)) || (st = set_pos(f, off)) ||
	    (st = put(f, buf, len)))
		return st;
	if (off + len > f->size)
		f->size = off + len;
	return ST_OK;
}

static status_t ef_flush(struct blockfile *bf)
{
	struct efile *f = bf->ctx;
	return efi_st(uefi_call_wrapper(f->fh->Flush, 1, f->fh));
}

static status_t ef_size(struct blockfile *bf, uint64_t *size)
{
	*size = ((struct efile *)bf->ctx)->size;
	return ST_OK;
}

/* Shrinking: SetInfo with the new FileSize. Growing: zeros written. */
static status_t ef_resize(struct blockfile *bf, uint64_t size)
{
	struct efile *f = bf->ctx;
	if (size >= f->size)
		return grow(f, size);
	EFI_FILE_INFO *info = LibFileInfo(f->fh);
	if (!info)
		return ST_EIO;
	info->FileSize = size;
	status_t st = efi_st(uefi_call_wrapper(f->fh->SetInfo, 4, f->fh,
					       &GenericFileInfo, info->Size, info));
	FreePool(info);
	if (!st)
		f->size = size;
	return st;
}

static void ef_close(struct blockfile *bf)
{
	struct efile *f = bf->ctx;
	uefi_call_wrapper(f->fh->Close, 1, f->fh);
	FreePool(f);
}

static const struct blockfile_ops ef_ops = {
	ef_read, ef_write, ef_flush, ef_size, ef_resize, ef_close,
};

/* A regular file's size; directories are refused. */
static status_t file_size(EFI_FILE_HANDLE fh, uint64_t *size)
{
	EFI_FILE_INFO *info = LibFileInfo(fh);
	if (!info)
		return ST_EIO;
	status_t st = (info->Attribute & EFI_FILE_DIRECTORY) ? ST_EINVAL : ST_OK;
	*size = info->FileSize;
	FreePool(info);
	return st;
}

static status_t op_open(void *ctx, const char *path, unsigned flags,
			struct blockfile **out)
{
	EFI_FILE_HANDLE fh;
	UINT64 mode = EFI_FILE_MODE_READ;
	status_t st;
	(void)ctx;
	if (flags & BF_CREATE) {
		if (!open_handle(path, EFI_FILE_MODE_READ, &fh)) {
			uefi_call_wrapper(fh->Close, 1, fh);
			return ST_EEXIST;
		}
		mode |= EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE;
	} else if (flags & BF_RDWR) {
		mode |= EFI_FILE_MODE_WRITE;
	}
	if ((st = open_handle(path, mode, &fh)))
		return st;
	struct efile *f = AllocateZeroPool(sizeof *f);
	st = ST_ENOMEM;
	if (!f)
		goto fail_close;
	f->fh = fh;
	if ((st = file_size(fh, &f->size)))
		goto fail_free;
	f->bf = (struct blockfile){ &ef_ops, f };
	*out = &f->bf;
	return ST_OK;
fail_free:
	FreePool(f);
fail_close:
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

static status_t op_remove(void *ctx, const char *path)
{
	EFI_FILE_HANDLE fh;
	(void)ctx;
	status_t st = open_handle(path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE,
				  &fh);
	if (st)
		return st;
	/* Delete closes the handle whatever it returns. */
	EFI_STATUS s = uefi_call_wrapper(fh->Delete, 1, fh);
	return s == EFI_SUCCESS ? ST_OK : ST_EIO;
}

/* The volume-rooted form "/a/b" of path. */
static status_t op_abspath(void *ctx, const char *path, char **out)
{
	CHAR16 name[PATH_MAX_CHARS];
	(void)ctx;
	if (!to_efi_path(path, name, PATH_MAX_CHARS))
		return ST_EINVAL;
	UINTN n = StrLen(name);
	char *s = malloc(n + 1); /* the caller frees it with free() */
	if (!s)
		return ST_ENOMEM;
	for (UINTN i = 0; i < n; i++)
		s[i] = name[i] == L'\\' ? '/' : name[i] < 128 ? (char)name[i] : '?';
	s[n] = 0;
	*out = s;
	return ST_OK;
}

/* One directory entry's name in ASCII ('?' for others); false for "."
 * and "..". */
static bool entry_name(const EFI_FILE_INFO *info, char *buf, size_t cap)
{
	size_t i = 0;
	for (; info->FileName[i] && i + 1 < cap; i++)
		buf[i] = info->FileName[i] < 128 ? (char)info->FileName[i] : '?';
	buf[i] = 0;
	return !(buf[0] == '.' && (!buf[1] || (buf[1] == '.' && !buf[2])));
}

static status_t op_list(void *ctx, const char *dir, bf_list_cb cb, void *arg)
{
	EFI_FILE_HANDLE fh;
	UINTN cap = sizeof(EFI_FILE_INFO) + 512 * sizeof(CHAR16);
	char name[256];
	(void)ctx;
	status_t st = open_handle(dir, EFI_FILE_MODE_READ, &fh);
	if (st)
		return st;
	EFI_FILE_INFO *info = AllocatePool(cap);
	st = ST_ENOMEM;
	if (!info)
		goto out;
	for (;;) {
		UINTN n = cap;
		st = efi_st(uefi_call_wrapper(fh->Read, 3, fh, &n, info));
		if (st || !n)
			break; /* an error, or the end of the directory */
		if (entry_name(info, name, sizeof name) && (st = cb(arg, name)))
			break;
	}
	FreePool(info);
out:
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

/* UEFI 2.x, 13.5.13 (SetInfo): a new FileName renames the file; a name
 * starting with '\\' is from the volume root. FAT refuses to rename onto
 * an existing name, so the target goes first: not atomic, which is why
 * manifest_load() also looks for the ".new" file (snapshot/manifest.h). */
static status_t op_rename(void *ctx, const char *from, const char *to)
{
	CHAR16 name[PATH_MAX_CHARS];
	EFI_FILE_HANDLE fh;
	status_t st;
	if (!to_efi_path(to, name, PATH_MAX_CHARS))
		return ST_EINVAL;
	if ((st = open_handle(from, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE,
			      &fh)))
		return st;
	st = op_remove(ctx, to);
	if (st && st != ST_ENOENT)
		goto out;
	UINTN len = StrLen(name);
	UINTN size = sizeof(EFI_FILE_INFO) + (len + 1) * sizeof(CHAR16);
	EFI_FILE_INFO *old = LibFileInfo(fh), *info = AllocateZeroPool(size);
	st = ST_ENOMEM;
	if (old && info) {
		CopyMem(info, old, sizeof(EFI_FILE_INFO));
		info->Size = size;
		CopyMem(info->FileName, name, (len + 1) * sizeof(CHAR16));
		st = efi_st(uefi_call_wrapper(fh->SetInfo, 4, fh, &GenericFileInfo,
					      size, info));
	}
	if (old)
		FreePool(old);
	if (info)
		FreePool(info);
out:
	uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

status_t plat_mkdir(const char *path)
{
	CHAR16 name[PATH_MAX_CHARS];
	EFI_FILE_HANDLE fh, r = volume_root();
	if (!r)
		return ST_EIO;
	if (!to_efi_path(path, name, PATH_MAX_CHARS))
		return ST_EINVAL;
	status_t st = efi_st(uefi_call_wrapper(
		r->Open, 5, r, &fh, name,
		EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE,
		EFI_FILE_DIRECTORY));
	if (!st)
		uefi_call_wrapper(fh->Close, 1, fh);
	return st;
}

void plat_bf_opener(struct bf_opener *op)
{
	*op = (struct bf_opener){ .ctx = NULL, .open = op_open,
				  .remove = op_remove, .abspath = op_abspath,
				  .list = op_list, .rename = op_rename };
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t plat_unix_time(void)
{
	EFI_TIME t;
	if (EFI_ERROR(uefi_call_wrapper(RT->GetTime, 2, &t, NULL)) ||
	    t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31)
		return 0;
	int64_t s = days_from_civil(t.Year, t.Month, t.Day) * 86400 +
		    t.Hour * 3600 + t.Minute * 60 + t.Second;
	/* UEFI 2.x, 8.3.1: TimeZone is the offset from UTC in minutes
	 * (local = UTC + TimeZone as UEFI 2.7 and later define it). */
	if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE)
		s -= (int64_t)t.TimeZone * 60;
	return s > 0 ? (uint64_t)s : 0;
}

static bool have_rdrand(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(1), "c"(0));
	return c & (1u << 30); /* CPUID.01H:ECX.RDRAND (Intel SDM vol. 2) */
}

static uint64_t next_random(void)
{
	static uint64_t mix;
	static int rdrand = -1;
	if (rdrand < 0)
		rdrand = have_rdrand();
	for (int tries = 0; rdrand && tries < 10; tries++) {
		uint64_t v;
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok)
			return v;
	}
	/* splitmix64 over the TSC. */
	mix += rdtsc() + 0x9e3779b97f4a7c15ull;
	uint64_t z = mix;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void plat_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		uint64_t v = next_random();
		for (int i = 0; i < 8 && len; i++, len--)
			*p++ = (uint8_t)(v >> (8 * i));
	}
}
