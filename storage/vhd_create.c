/* vhd_create.c: making new fixed, dynamic and differencing VHD files. The
 * layout is footer copy, dynamic header (512), BAT (1536), parent locator
 * data, then blocks as they are written, then the footer.
 *
 * Size rule: the footer says creator application "win " (as Hyper-V
 * writes), which qemu (block/vpc.c), libvhdi and 7-Zip all take as "the
 * current_size field is the disk size". With any other creator qemu 7.2
 * derives the size from the CHS geometry, which rounds most sizes down.
 * Geometry is still filled in by the spec's algorithm for CHS readers. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd.h"
#include "storage/vhd_text.h"

#define CREATOR_APP "win "
#define CREATOR_VERSION 0x000a0000u

static void make_footer(const struct vhd_env *env, uint32_t type,
			uint64_t size, struct vhd_footer *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->cookie, "conectix", 8);
	f->features = 2;
	f->version = 0x10000;
	f->data_offset = type == VHD_TYPE_FIXED ? VHD_NO_OFFSET : VHD_SECTOR;
	f->timestamp = vhd_now(env);
	memcpy(f->creator_app, CREATOR_APP, 4);
	f->creator_version = CREATOR_VERSION;
	f->creator_os = VHD_OS_WI2K;
	f->original_size = f->current_size = size;
	vhd_geometry(size, &f->cylinders, &f->heads, &f->spt);
	f->disk_type = type;
	if (env->random)
		env->random(env->ctx, f->uid, 16);
	f->uid[6] = (uint8_t)((f->uid[6] & 0x0F) | 0x40);  /* RFC 4122 v4 */
	f->uid[8] = (uint8_t)((f->uid[8] & 0x3F) | 0x80);
}

/* Locator data as UTF-16LE bytes; NULL if the path does not fit. */
static uint8_t *utf16le(const char *s, uint32_t *len)
{
	uint16_t units[VHD_MAX_LOCATOR / 2];
	long n = utf8_to_utf16(s, units, VHD_MAX_LOCATOR / 2);
	uint8_t *b;

	if (n <= 0 || !(b = malloc((size_t)n * 2)))
		return NULL;
	for (long i = 0; i < n; i++) {
		b[2 * i] = (uint8_t)units[i];
		b[2 * i + 1] = (uint8_t)(units[i] >> 8);
	}
	*len = (uint32_t)n * 2;
	return b;
}

struct loc_data {
	uint8_t *data[2];
	uint32_t len[2];
};

/* Relative locator from the child's directory, absolute locator from the
 * opener's absolute form, the header name from the parent's file name. */
status_t vhd_name_parent(const struct vhd_env *env, const char *child_path,
			 const struct vhd *parent, const char *parent_path,
			 struct vhd_header *h, uint8_t *data[2], uint32_t len[2])
{
	const struct bf_opener *op = env->opener;
	char *cabs = NULL, *pabs = NULL, *cdir = NULL, *rel = NULL, *win;

	data[0] = data[1] = NULL;
	memcpy(h->parent_uid, parent->footer.uid, 16);
	h->parent_timestamp = parent->footer.timestamp;
	memset(h->parent_name, 0, sizeof(h->parent_name));
	if (utf8_to_utf16(vp_basename(parent_path), h->parent_name, 256) < 0)
		return ST_EINVAL;
	if (op->abspath && !op->abspath(op->ctx, child_path, &cabs) &&
	    !op->abspath(op->ctx, parent_path, &pabs)) {
		cdir = vp_dirname(cabs);
		rel = cdir ? vp_relative(cdir, pabs) : NULL;
		win = vp_windows(pabs);
		if (win)
			data[1] = utf16le(win, &len[1]);
		free(win);
	} else {
		cdir = vp_dirname(child_path);
		rel = cdir ? vp_relative(cdir, parent_path) : NULL;
	}
	if (rel)
		data[0] = utf16le(rel, &len[0]);
	free(cabs);
	free(pabs);
	free(cdir);
	free(rel);
	return data[0] ? ST_OK : ST_ENOMEM;
}

static status_t write_dynamic(const struct vhd_env *env, struct blockfile *bf,
			      const char *path, const struct vhd_create_opts *o,
			      const uint8_t footer[512])
{
	uint32_t bs = o->block_size ? o->block_size : VHD_DEFAULT_BLOCK;
	uint32_t nblocks = (uint32_t)vhd_blocks_needed(o->size, bs);
	uint64_t bat_bytes = ((uint64_t)nblocks * 4 + 511) & ~511ull;
	uint64_t pos = 1536 + bat_bytes;
	struct loc_data ld = { { NULL, NULL }, { 0, 0 } };
	static const uint32_t codes[2] = { VHD_PLAT_W2RU, VHD_PLAT_W2KU };
	uint8_t raw[VHD_HEADER_SIZE], *bat = NULL;
	struct vhd_header h;
	status_t st;
	int nloc = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.cookie, "cxsparse", 8);
	h.data_offset = VHD_NO_OFFSET;
	h.table_offset = 1536;
	h.version = 0x10000;
	h.max_entries = nblocks;
	h.block_size = bs;
	if (o->type == VHD_TYPE_DIFF &&
	    (st = vhd_name_parent(env, path, o->parent, o->parent_path, &h,
				     ld.data, ld.len)))
		goto out;
	for (int i = 0; i < 2; i++) {
		uint32_t space = (ld.len[i] + 511) & ~511u;
		if (!ld.data[i])
			continue;
		h.loc[nloc].code = codes[i];
		h.loc[nloc].space = space;   /* bytes, as Windows writes */
		h.loc[nloc].length = ld.len[i];
		h.loc[nloc].offset = pos;
		if ((st = bf_write(bf, pos, ld.data[i], ld.len[i])))
			goto out;
		pos += space;
		nloc++;
	}
	vhd_header_encode(&h, raw);
	st = ST_ENOMEM;
	if (!(bat = malloc(bat_bytes)))
		goto out;
	memset(bat, 0xFF, bat_bytes);
	if ((st = bf_write(bf, 0, footer, 512)) ||
	    (st = bf_write(bf, 512, raw, VHD_HEADER_SIZE)) ||
	    (st = bf_write(bf, 1536, bat, bat_bytes)) ||
	    (st = bf_flush(bf)) ||
	    (st = bf_write(bf, pos, footer, 512)))
		goto out;
	st = bf_flush(bf);
out:
	free(bat);
	free(ld.data[0]);
	free(ld.data[1]);
	return st;
}

static status_t check_opts(const struct vhd_create_opts *o)
{
	uint32_t bs = o->block_size ? o->block_size : VHD_DEFAULT_BLOCK;

	if (o->type < VHD_TYPE_FIXED || o->type > VHD_TYPE_DIFF)
		return ST_EINVAL;
	if ((o->type == VHD_TYPE_DIFF) != !!o->parent)
		return ST_EINVAL;
	if (o->type == VHD_TYPE_DIFF && !o->parent_path)
		return ST_EINVAL;
	if (!o->size || o->size % VHD_SECTOR || o->size > VHD_MAX_SIZE)
		return ST_ERANGE;
	if (bs < VHD_MIN_CREATE_BLOCK || bs > VHD_MAX_BLOCK || (bs & (bs - 1)) ||
	    vhd_blocks_needed(o->size, bs) > VHD_MAX_BLOCKS)
		return ST_EINVAL;
	return ST_OK;
}

status_t vhd_create(const struct vhd_env *env, const char *path,
		    const struct vhd_create_opts *in, struct vhd **out)
{
	const struct bf_opener *op = env->opener;
	struct vhd_create_opts o = *in;
	struct blockfile *bf;
	struct vhd_footer f;
	uint8_t raw[512];
	status_t st;

	if (o.parent)
		o.size = o.parent->size;
	if ((st = check_opts(&o)))
		return st;
	if ((st = op->open(op->ctx, path, BF_CREATE, &bf)))
		return st;
	make_footer(env, o.type, o.size, &f);
	vhd_footer_encode(&f, raw);
	if (o.type == VHD_TYPE_FIXED) {
		st = bf_resize(bf, o.size);
		if (!st)
			st = bf_write(bf, o.size, raw, 512);
		if (!st)
			st = bf_flush(bf);
	} else {
		st = write_dynamic(env, bf, path, &o, raw);
	}
	bf_close(bf);
	if (!st && out)
		st = vhd_open(env, path, VHD_RDWR, out);
	if (st && op->remove)
		op->remove(op->ctx, path);
	return st;
}
