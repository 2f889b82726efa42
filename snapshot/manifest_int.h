/* manifest_int.h: what manifest.c, manifest_check.c, manifest_parse.c and
 * manifest_store.c share; not for other users. */
#ifndef SNAPSHOT_MANIFEST_INT_H
#define SNAPSHOT_MANIFEST_INT_H

#include <stdarg.h>

#include "snapshot/manifest.h"

/* Text lines: 1 the version, 2-6 the header keys, then one per node. */
#define MLINE_NEXT_ID 2
#define MLINE_NEXT_LEAF 3
#define MLINE_CURRENT 4
#define MLINE_BASE_DISK 5
#define MLINE_LEAF 6
#define MLINE_FIRST_NODE 7

/* A character allowed inside a quoted string: printable, no space or '"'. */
static inline bool manifest_str_char(char c)
{
	return c > ' ' && c <= '~' && c != '"';
}

/* Writes "line N: " (when line != 0) and the message into err (if any);
 * returns ST_ECORRUPT. */
status_t manifest_err(char *err, size_t errcap, unsigned line,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The tree rules; with_lines names the text line of each complaint.
 * ST_ECORRUPT when broken. */
status_t manifest_check_lines(const struct manifest *m, char *err,
			      size_t errcap, bool with_lines);

#endif
