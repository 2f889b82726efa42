/* status.h: the one status type every part returns (hv, vmx, svm, boot,
 * storage, snapshot, tools). Portable: no firmware or hypervisor includes.
 * Functions return ST_OK (0) or a negative code; status_str() names it.
 * Error paths unwind with goto and pass the first failure up unchanged. */
#ifndef STATUS_H
#define STATUS_H

typedef enum status {
	ST_OK = 0,
	ST_EINVAL = -1,      /* bad argument or malformed input */
	ST_ENOMEM = -2,      /* out of memory */
	ST_EIO = -3,         /* the medium failed a read, write or flush */
	ST_ENOSPC = -4,      /* the medium is full */
	ST_ENOENT = -5,      /* a file or object is missing */
	ST_ECORRUPT = -6,    /* on-disk structure fails its checks */
	ST_EUNSUPP = -7,     /* valid but not supported by this build */
	ST_EEXIST = -8,      /* would overwrite something that exists */
	ST_EBUSY = -9,       /* in use (a parent with other children, ...) */
	ST_ERANGE = -10,     /* offset or size outside the object */
	ST_EPERM = -11,      /* not allowed (read-only layer, guest CPL) */
	ST_EMISMATCH = -12,  /* identities disagree (parent unique ID) */
	ST_ENODEV = -13,     /* hardware feature absent */
	ST_EFAULT = -14,     /* guest address not mapped */
} status_t;

const char *status_str(status_t st);

#endif
