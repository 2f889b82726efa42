/* crc32.h: CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the same
 * value zlib's crc32() gives. Used over every captured page and by every
 * snapshot file format. Portable; general registers only, so it also runs
 * in the hypervisor (built with -mgeneral-regs-only). */
#ifndef SNAPSHOT_CRC32_H
#define SNAPSHOT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32():
 * crc32_update(0, buf, len). Fast (slicing-by-8 or similar, >= 1 GB/s on
 * the host) because it runs over every captured page. Chains: the value of
 * a whole buffer equals crc32_update(crc32_update(0, a, n), a + n, rest).
 * Safe to call from several CPUs at once (the tables build once). */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
