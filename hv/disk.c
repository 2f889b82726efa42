/* disk.c: the VM's disk (disk.h): storage/'s environment on the
 * firmware (opener, clock, random source) with diagnostics sent to the
 * hypervisor log and progress ignored. */
#include "hv/disk.h"
#include "hv/log.h"
#include "hv/plat_storage.h"
#include "storage/vhd_chain.h"

static struct bf_opener opener;
static struct vhd_env env;

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return plat_unix_time();
}

static void env_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	plat_random_bytes(buf, len);
}

static void env_diag(void *ctx, const struct vhd_diag *d)
{
	static const char *const level[] = { "error", "warning", "note" };
	(void)ctx;
	const char *lv = (unsigned)d->level < 3 ? level[d->level] : "?";
	if (d->has_value && d->has_expected)
		hv_log("disk %s: %s: %s: %s (value 0x%llx, expected 0x%llx)", lv,
		       d->file ? d->file : "?", d->field ? d->field : "?", d->msg,
		       (unsigned long long)d->value,
		       (unsigned long long)d->expected);
	else if (d->has_value)
		hv_log("disk %s: %s: %s: %s (value 0x%llx)", lv,
		       d->file ? d->file : "?", d->field ? d->field : "?", d->msg,
		       (unsigned long long)d->value);
	else
		hv_log("disk %s: %s: %s: %s", lv, d->file ? d->file : "?",
		       d->field ? d->field : "?", d->msg);
}

static void env_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx, (void)done, (void)total;
}

const struct vhd_env *hv_vhd_env(void)
{
	if (!env.opener) {
		plat_bf_opener(&opener);
		env = (struct vhd_env){ .opener = &opener, .now = env_now,
					.random = env_random, .diag = env_diag,
					.progress = env_progress };
	}
	return &env;
}

status_t vm_disk_open(const char *path, struct vhd_chain **out)
{
	status_t st = vhd_chain_open(hv_vhd_env(), path, VHD_RDWR, out);
	if (st) {
		hv_log("cannot open disk %s: %s%s", path, status_str(st),
		       st == ST_ENOENT ? " (the file or a parent is missing)" : "");
		return st;
	}
	hv_log("disk %s: %llu MiB, %u layer%s", path,
	       (unsigned long long)((*out)->size >> 20), (*out)->depth,
	       (*out)->depth == 1 ? "" : "s");
	return ST_OK;
}

void vm_disk_close(struct vhd_chain *disk)
{
	vhd_chain_close(disk);
}
