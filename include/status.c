/* status.c: names for status codes, for messages. */
#include "status.h"

const char *status_str(status_t st)
{
	switch (st) {
	case ST_OK: return "ok";
	case ST_EINVAL: return "invalid argument";
	case ST_ENOMEM: return "out of memory";
	case ST_EIO: return "I/O error";
	case ST_ENOSPC: return "no space left";
	case ST_ENOENT: return "not found";
	case ST_ECORRUPT: return "corrupt structure";
	case ST_EUNSUPP: return "not supported";
	case ST_EEXIST: return "already exists";
	case ST_EBUSY: return "busy";
	case ST_ERANGE: return "out of range";
	case ST_EPERM: return "not permitted";
	case ST_EMISMATCH: return "identity mismatch";
	case ST_ENODEV: return "no such device";
	case ST_EFAULT: return "bad address";
	}
	return "unknown status";
}
