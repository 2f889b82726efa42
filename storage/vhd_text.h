/* vhd_text.h: UTF-8 <-> UTF-16 for parent names and locators, and the path
 * arithmetic of parent locators. Library paths use '/' and accept '\\';
 * locators hold Windows paths ('\\', UTF-16LE). All results are malloc'd. */
#ifndef STORAGE_VHD_TEXT_H
#define STORAGE_VHD_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

/* UTF-8 to UTF-16 code units; returns the count, or -1 if invalid or more
 * than max units. */
long utf8_to_utf16(const char *s, uint16_t *out, size_t max);
/* UTF-16 (stops at NUL or n units) to a new UTF-8 string. */
status_t utf16_to_utf8(const uint16_t *in, size_t n, char **out);

/* Everything before the last separator ("" if none; "/" for the root). */
char *vp_dirname(const char *path);
const char *vp_basename(const char *path);
/* dir joined with a locator path, '\\' made '/', "x/.." and "."
 * segments dropped (lexically: the volumes we serve have no links); an
 * absolute locator ("\\x", "/x", "C:\\x") is returned alone, without
 * its drive letter. */
char *vp_join(const char *dir, const char *loc);
/* Windows relative path (".\\a.vhd", "..\\d\\a.vhd") from directory
 * from_dir to file to; both absolute or both relative to the same place. */
char *vp_relative(const char *from_dir, const char *to);
/* Copy with every '/' made '\\'. */
char *vp_windows(const char *path);
int vp_is_absolute(const char *path);

#endif
