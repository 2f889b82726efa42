/* vhd_format.h: the on-disk structures of Microsoft's "Virtual Hard Disk
 * Image Format Specification" (v1.0): footer, dynamic disk header, parent
 * locators and BAT, with their encoders, decoders and validators. Pure
 * functions on byte buffers; no I/O. */
#ifndef STORAGE_VHD_FORMAT_H
#define STORAGE_VHD_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "storage/vhd_env.h"

#define VHD_SECTOR 512u
#define VHD_FOOTER_SIZE 512u
#define VHD_HEADER_SIZE 1024u
#define VHD_UNUSED 0xFFFFFFFFu            /* BAT entry of an absent block */
#define VHD_NO_OFFSET 0xFFFFFFFFFFFFFFFFull

/* Disk types (spec "Hard Disk Footer Format", Disk Type). */
#define VHD_TYPE_FIXED 2u
#define VHD_TYPE_DYNAMIC 3u
#define VHD_TYPE_DIFF 4u

/* Platform codes of parent locators (spec "Dynamic Disk Header Format"). */
#define VHD_PLAT_NONE 0u
#define VHD_PLAT_W2RU 0x57327275u         /* "W2ru": relative, UTF-16LE */
#define VHD_PLAT_W2KU 0x57326b75u         /* "W2ku": absolute, UTF-16LE */
#define VHD_PLAT_WI2R 0x57693272u         /* deprecated */
#define VHD_PLAT_WI2K 0x5769326bu         /* deprecated */
#define VHD_OS_WI2K 0x5769326bu           /* creator host OS "Wi2k" */

/* Limits this implementation accepts from any file. */
#define VHD_MAX_SIZE (2040ull << 30)      /* spec: 2040 GiB maximum */
#define VHD_MIN_BLOCK 512u
#define VHD_MIN_CREATE_BLOCK 4096u       /* qemu miscounts smaller bitmaps */
#define VHD_MAX_BLOCK (256u << 20)
#define VHD_MAX_BLOCKS (1u << 22)         /* BAT entries we load */
#define VHD_MAX_LOCATOR 4096u             /* bytes of locator data */
#define VHD_DEFAULT_BLOCK (2u << 20)

/* Footer, 512 bytes at the end of every file and, for dynamic and
 * differencing disks, copied at offset 0 (spec "Hard Disk Footer Format"). */
struct vhd_footer {
	uint8_t cookie[8];                /* 0  "conectix" */
	uint32_t features;                /* 8  bit 1 reserved, always set */
	uint32_t version;                 /* 12 0x00010000 */
	uint64_t data_offset;             /* 16 dynamic header, or ~0 */
	uint32_t timestamp;               /* 24 seconds since 2000-01-01 UTC */
	uint8_t creator_app[4];           /* 28 */
	uint32_t creator_version;         /* 32 */
	uint32_t creator_os;              /* 36 */
	uint64_t original_size;           /* 40 */
	uint64_t current_size;            /* 48 */
	uint16_t cylinders;               /* 56 disk geometry */
	uint8_t heads, spt;               /* 58, 59 */
	uint32_t disk_type;               /* 60 */
	uint32_t checksum;                /* 64 */
	uint8_t uid[16];                  /* 68 unique ID */
	uint8_t saved_state;              /* 84; 85..511 reserved, zero */
};

/* One parent locator entry, 24 bytes (spec "Parent Locator Entries"). */
struct vhd_locator {
	uint32_t code;                    /* 0 platform code */
	uint32_t space;                   /* 4 data space (sectors or bytes) */
	uint32_t length;                  /* 8 data length in bytes */
	uint32_t reserved;                /* 12 */
	uint64_t offset;                  /* 16 absolute file offset */
};

/* Dynamic disk header, 1024 bytes at footer.data_offset (spec "Dynamic
 * Disk Header Format"). */
struct vhd_header {
	uint8_t cookie[8];                /* 0 "cxsparse" */
	uint64_t data_offset;             /* 8 unused, ~0 */
	uint64_t table_offset;            /* 16 BAT */
	uint32_t version;                 /* 24 0x00010000 */
	uint32_t max_entries;             /* 28 BAT entries */
	uint32_t block_size;              /* 32 */
	uint32_t checksum;                /* 36 */
	uint8_t parent_uid[16];           /* 40 */
	uint32_t parent_timestamp;        /* 56 */
	uint32_t reserved1;               /* 60 */
	uint16_t parent_name[256];        /* 64 UTF-16BE */
	struct vhd_locator loc[8];        /* 576 */
};                                        /* 768..1023 reserved, zero */

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}
static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}
static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* One's complement of the byte sum, the checksum field taken as zero. */
uint32_t vhd_checksum(const uint8_t *buf, size_t len, size_t csum_off);

void vhd_footer_decode(const uint8_t raw[512], struct vhd_footer *f);
void vhd_footer_encode(struct vhd_footer *f, uint8_t raw[512]);
void vhd_header_decode(const uint8_t raw[1024], struct vhd_header *h);
void vhd_header_encode(struct vhd_header *h, uint8_t raw[1024]);

/* Reports every problem of a footer through r (fields prefixed by where).
 * Returns the number of errors found (warnings do not count). */
unsigned vhd_footer_check(struct vhd_rep *r, const char *where,
			  const uint8_t raw[512], const struct vhd_footer *f);
/* Same for a dynamic header; file_end is where the footer starts. */
unsigned vhd_header_check(struct vhd_rep *r, const uint8_t raw[1024],
			  const struct vhd_header *h,
			  const struct vhd_footer *f, uint64_t file_end);

/* Bytes of the sector bitmap in front of each block (sector-rounded). */
uint32_t vhd_bitmap_bytes(uint32_t block_size);
/* BAT entries a disk of this size needs. */
uint64_t vhd_blocks_needed(uint64_t size, uint32_t block_size);
/* Bytes of locator data: space is sectors when < 512, else bytes (writers
 * disagree; the spec says sectors, Windows and vhd-lib write bytes). */
uint64_t vhd_locator_space(const struct vhd_locator *l);

/* CHS geometry for a size, per the spec's appendix algorithm. */
void vhd_geometry(uint64_t size, uint16_t *cyl, uint8_t *heads, uint8_t *spt);

#endif
