/* blockfile_posix.h: block files and an opener on POSIX files, for the host
 * tools and tests (never built into the hypervisor). */
#ifndef STORAGE_BLOCKFILE_POSIX_H
#define STORAGE_BLOCKFILE_POSIX_H

#include "storage/blockfile.h"

status_t bf_posix_open(const char *path, unsigned flags,
		       struct blockfile **out);
/* An opener whose paths are POSIX paths ('\\' is taken as '/'). */
void bf_posix_opener(struct bf_opener *op);

#endif
