/* vhd_format.c: encoding, decoding and validation of the VHD footer and
 * dynamic header (VHD spec sections "Hard Disk Footer Format" and "Dynamic
 * Disk Header Format") and the CHS geometry of the spec's appendix. */
#include <string.h>

#include "storage/vhd_format.h"

uint32_t vhd_checksum(const uint8_t *buf, size_t len, size_t csum_off)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		if (i < csum_off || i >= csum_off + 4)
			sum += buf[i];
	return ~sum;
}

void vhd_footer_decode(const uint8_t raw[512], struct vhd_footer *f)
{
	memcpy(f->cookie, raw, 8);
	f->features = be32(raw + 8);
	f->version = be32(raw + 12);
	f->data_offset = be64(raw + 16);
	f->timestamp = be32(raw + 24);
	memcpy(f->creator_app, raw + 28, 4);
	f->creator_version = be32(raw + 32);
	f->creator_os = be32(raw + 36);
	f->original_size = be64(raw + 40);
	f->current_size = be64(raw + 48);
	f->cylinders = be16(raw + 56);
	f->heads = raw[58];
	f->spt = raw[59];
	f->disk_type = be32(raw + 60);
	f->checksum = be32(raw + 64);
	memcpy(f->uid, raw + 68, 16);
	f->saved_state = raw[84];
}

void vhd_footer_encode(struct vhd_footer *f, uint8_t raw[512])
{
	memset(raw, 0, 512);
	memcpy(raw, f->cookie, 8);
	put32(raw + 8, f->features);
	put32(raw + 12, f->version);
	put64(raw + 16, f->data_offset);
	put32(raw + 24, f->timestamp);
	memcpy(raw + 28, f->creator_app, 4);
	put32(raw + 32, f->creator_version);
	put32(raw + 36, f->creator_os);
	put64(raw + 40, f->original_size);
	put64(raw + 48, f->current_size);
	put16(raw + 56, f->cylinders);
	raw[58] = f->heads;
	raw[59] = f->spt;
	put32(raw + 60, f->disk_type);
	memcpy(raw + 68, f->uid, 16);
	raw[84] = f->saved_state;
	f->checksum = vhd_checksum(raw, 512, 64);
	put32(raw + 64, f->checksum);
}

void vhd_header_decode(const uint8_t raw[1024], struct vhd_header *h)
{
	memcpy(h->cookie, raw, 8);
	h->data_offset = be64(raw + 8);
	h->table_offset = be64(raw + 16);
	h->version = be32(raw + 24);
	h->max_entries = be32(raw + 28);
	h->block_size = be32(raw + 32);
	h->checksum = be32(raw + 36);
	memcpy(h->parent_uid, raw + 40, 16);
	h->parent_timestamp = be32(raw + 56);
	h->reserved1 = be32(raw + 60);
	for (int i = 0; i < 256; i++)
		h->parent_name[i] = be16(raw + 64 + 2 * i);
	for (int i = 0; i < 8; i++) {
		const uint8_t *p = raw + 576 + 24 * i;
		h->loc[i].code = be32(p);
		h->loc[i].space = be32(p + 4);
		h->loc[i].length = be32(p + 8);
		h->loc[i].reserved = be32(p + 12);
		h->loc[i].offset = be64(p + 16);
	}
}

void vhd_header_encode(struct vhd_header *h, uint8_t raw[1024])
{
	memset(raw, 0, 1024);
	memcpy(raw, h->cookie, 8);
	put64(raw + 8, h->data_offset);
	put64(raw + 16, h->table_offset);
	put32(raw + 24, h->version);
	put32(raw + 28, h->max_entries);
	put32(raw + 32, h->block_size);
	memcpy(raw + 40, h->parent_uid, 16);
	put32(raw + 56, h->parent_timestamp);
	put32(raw + 60, h->reserved1);
	for (int i = 0; i < 256; i++)
		put16(raw + 64 + 2 * i, h->parent_name[i]);
	for (int i = 0; i < 8; i++) {
		uint8_t *p = raw + 576 + 24 * i;
		put32(p, h->loc[i].code);
		put32(p + 4, h->loc[i].space);
		put32(p + 8, h->loc[i].length);
		put32(p + 12, h->loc[i].reserved);
		put64(p + 16, h->loc[i].offset);
	}
	h->checksum = vhd_checksum(raw, 1024, 36);
	put32(raw + 36, h->checksum);
}

uint32_t vhd_bitmap_bytes(uint32_t block_size)
{
	uint32_t bytes = (block_size / VHD_SECTOR + 7) / 8;

	return (bytes + VHD_SECTOR - 1) / VHD_SECTOR * VHD_SECTOR;
}

uint64_t vhd_blocks_needed(uint64_t size, uint32_t block_size)
{
	return (size + block_size - 1) / block_size;
}

uint64_t vhd_locator_space(const struct vhd_locator *l)
{
	return l->space < 512 ? (uint64_t)l->space * VHD_SECTOR : l->space;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* where + "." + name into buf (fields are short and fixed). */
static const char *fld(char *buf, const char *where, const char *name)
{
	size_t a = strlen(where), b = strlen(name);

	if (a + b + 2 > 64)
		return name;
	memcpy(buf, where, a);
	buf[a] = '.';
	memcpy(buf + a + 1, name, b + 1);
	return buf;
}

unsigned vhd_footer_check(struct vhd_rep *r, const char *where,
			  const uint8_t raw[512], const struct vhd_footer *f)
{
	unsigned before = r->errors;
	uint32_t sum = vhd_checksum(raw, 512, 64);
	char b[64];

	if (memcmp(f->cookie, "conectix", 8)) {
		vhd_rep(r, VHD_ERROR, fld(b, where, "cookie"),
			"is not \"conectix\" (not a VHD footer)");
		return r->errors - before;
	}
	if (sum != f->checksum)
		vhd_rep_ve(r, VHD_ERROR, fld(b, where, "checksum"),
			   "does not match the contents", f->checksum, sum);
	if (f->version >> 16 != 1)
		vhd_rep_ve(r, VHD_ERROR, fld(b, where, "version"),
			   "unsupported format version", f->version, 0x10000);
	if (!(f->features & 2))
		vhd_rep_v(r, VHD_WARN, fld(b, where, "features"),
			  "reserved bit 1 is not set", f->features);
	if (f->disk_type < VHD_TYPE_FIXED || f->disk_type > VHD_TYPE_DIFF)
		vhd_rep_v(r, VHD_ERROR, fld(b, where, "disk_type"),
			  "is not fixed (2), dynamic (3) or differencing (4)",
			  f->disk_type);
	if (f->current_size % VHD_SECTOR || f->current_size > VHD_MAX_SIZE)
		vhd_rep_v(r, VHD_ERROR, fld(b, where, "current_size"),
			  "is not a multiple of 512 up to 2040 GiB",
			  f->current_size);
	if (f->disk_type != VHD_TYPE_FIXED &&
	    (f->data_offset % VHD_SECTOR || f->data_offset < VHD_SECTOR))
		vhd_rep_v(r, VHD_ERROR, fld(b, where, "data_offset"),
			  "does not point to a dynamic header",
			  f->data_offset);
	if (!all_zero(raw + 85, 427))
		vhd_rep(r, VHD_WARN, fld(b, where, "reserved"),
			"bytes 85..511 are not zero");
	return r->errors - before;
}

static void check_locators(struct vhd_rep *r, const struct vhd_header *h,
			   uint64_t file_end)
{
	static const char *const names[8] = {
		"header.locator[0]", "header.locator[1]", "header.locator[2]",
		"header.locator[3]", "header.locator[4]", "header.locator[5]",
		"header.locator[6]", "header.locator[7]",
	};

	for (int i = 0; i < 8; i++) {
		const struct vhd_locator *l = &h->loc[i];
		if (l->code == VHD_PLAT_NONE)
			continue;
		if (l->length > VHD_MAX_LOCATOR)
			vhd_rep_v(r, VHD_ERROR, names[i],
				  "data length is too large", l->length);
		else if (l->offset > file_end ||
			 l->length > file_end - l->offset)
			vhd_rep_v(r, VHD_ERROR, names[i],
				  "data lies outside the file", l->offset);
		else if (l->length > vhd_locator_space(l))
			vhd_rep_v(r, VHD_WARN, names[i],
				  "data length exceeds its data space",
				  l->length);
		if ((l->code == VHD_PLAT_W2RU || l->code == VHD_PLAT_W2KU) &&
		    l->length % 2)
			vhd_rep_v(r, VHD_ERROR, names[i],
				  "UTF-16 data has an odd length", l->length);
		if (l->reserved)
			vhd_rep_v(r, VHD_WARN, names[i],
				  "reserved field is not zero", l->reserved);
	}
}

unsigned vhd_header_check(struct vhd_rep *r, const uint8_t raw[1024],
			  const struct vhd_header *h,
			  const struct vhd_footer *f, uint64_t file_end)
{
	unsigned before = r->errors;
	uint32_t sum = vhd_checksum(raw, 1024, 36);
	uint64_t need;

	if (memcmp(h->cookie, "cxsparse", 8)) {
		vhd_rep(r, VHD_ERROR, "header.cookie",
			"is not \"cxsparse\" (no dynamic header)");
		return r->errors - before;
	}
	if (sum != h->checksum)
		vhd_rep_ve(r, VHD_ERROR, "header.checksum",
			   "does not match the contents", h->checksum, sum);
	if (h->version != 0x10000)
		vhd_rep_ve(r, VHD_ERROR, "header.version",
			   "unsupported header version", h->version, 0x10000);
	if (h->block_size < VHD_MIN_BLOCK || h->block_size > VHD_MAX_BLOCK ||
	    (h->block_size & (h->block_size - 1))) {
		vhd_rep_v(r, VHD_ERROR, "header.block_size",
			  "is not a power of two from 512 B to 256 MiB",
			  h->block_size);
		return r->errors - before;
	}
	need = vhd_blocks_needed(f->current_size, h->block_size);
	if (need > VHD_MAX_BLOCKS)
		vhd_rep_v(r, VHD_ERROR, "header.block_size",
			  "gives more blocks than supported", need);
	if (h->max_entries < need)
		vhd_rep_ve(r, VHD_ERROR, "header.max_table_entries",
			   "does not cover the disk size", h->max_entries, need);
	else if (h->max_entries != need)
		vhd_rep_ve(r, VHD_WARN, "header.max_table_entries",
			   "is larger than the disk size needs",
			   h->max_entries, need);
	if (h->table_offset > file_end ||
	    (uint64_t)h->max_entries * 4 > file_end - h->table_offset)
		vhd_rep_v(r, VHD_ERROR, "header.table_offset",
			  "BAT lies outside the file", h->table_offset);
	if (h->data_offset != VHD_NO_OFFSET)
		vhd_rep_v(r, VHD_WARN, "header.data_offset",
			  "is not 0xFFFFFFFFFFFFFFFF", h->data_offset);
	if (h->reserved1 || !all_zero(raw + 768, 256))
		vhd_rep(r, VHD_WARN, "header.reserved", "is not zero");
	if (f->disk_type == VHD_TYPE_DIFF)
		check_locators(r, h, file_end);
	return r->errors - before;
}

/* Spec appendix "CHS Calculation". */
void vhd_geometry(uint64_t size, uint16_t *cyl, uint8_t *heads, uint8_t *spt)
{
	uint64_t total = size / VHD_SECTOR, cth;
	uint32_t s, h;

	if (total > 65535ull * 16 * 255)
		total = 65535ull * 16 * 255;
	if (total >= 65535ull * 16 * 63) {
		s = 255;
		h = 16;
		cth = total / s;
	} else {
		s = 17;
		cth = total / s;
		h = (uint32_t)((cth + 1023) / 1024);
		if (h < 4)
			h = 4;
		if (cth >= h * 1024ull || h > 16) {
			s = 31;
			h = 16;
			cth = total / s;
		}
		if (cth >= h * 1024ull) {
			s = 63;
			h = 16;
			cth = total / s;
		}
	}
	*cyl = (uint16_t)(cth / h);
	*heads = (uint8_t)h;
	*spt = (uint8_t)s;
}
