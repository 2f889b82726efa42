/* snap.h: helpers of the snapshot guests (guest-tests/snapshot*.c), linked
 * into those guests only: the console hypercall (README.md "The console
 * commands and the hypercall"), `snapshot create/list/apply` with their
 * replies checked and parsed, and an address-dependent pattern over all RAM
 * the guest's image does not occupy, which proves that an apply brought
 * memory back exactly. */
#ifndef SNAP_H
#define SNAP_H

#include "guest.h"

#define HC_CONSOLE	1
#define HC_REPLY_SIZE	4096

/* Statuses the hypercall returns in RAX (include/status.h). */
enum { HC_EINVAL = -1, HC_ENOSPC = -4, HC_ENOENT = -5, HC_EEXIST = -8, HC_EBUSY = -9,
       HC_ERANGE = -10, HC_EPERM = -11, HC_EFAULT = -14 };

struct hc_result {
	int32_t rax;
	uint32_t rdx;
};

/* The reply buffer console() and the snap_ helpers use. It lives in guest
 * RAM, so an apply brings back what it held at the snapshot. */
extern char hc_reply[HC_REPLY_SIZE];

/* Detects the vendor (VMCALL or VMMCALL); call before any hypercall. */
void hc_init(void);
/* One hypercall with RAX = fn, RBX = cmd, RCX = reply, RDX = size. */
struct hc_result hc_call(uint32_t fn, const char *cmd, char *reply, uint32_t size);
/* A console command with hc_reply as the reply buffer. */
struct hc_result console(const char *cmd);

/* One line of `snapshot list`. */
struct snap_entry {
	unsigned id;
	int parent;		/* -1 for a root */
	char name[32];		/* "-" when unnamed */
	char state[16];		/* "capturing" or "complete" */
	uint64_t pause_us, bytes;
	int current;		/* the `*` column */
};
#define SNAP_MAX 32

/* `snapshot create NAME` (NAME NULL: unnamed). Returns 0 on the first
 * return and 1 when an apply sent the machine back here; either way the
 * reply must be `created snapshot ID` with RDX its length, and *id is set.
 * Fails the guest on any other result. */
int snap_create(const char *name, unsigned *id);
/* `snapshot list` parsed into e[]; returns the count. Fails the guest on
 * an error or a malformed reply. With a tag, prints each line as
 * "TAG: | LINE" for the host side to read. */
int snap_list(struct snap_entry *e, int max, const char *tag);
/* The entry called `name` (or with decimal id `name`), or NULL. */
const struct snap_entry *snap_find(const struct snap_entry *e, int n,
				   const char *name);
/* The number of entries carrying the `*` marker; *which gets the last. */
int snap_current(const struct snap_entry *e, int n, const struct snap_entry **which);
/* `snapshot apply what`: returns only when the apply failed, with RAX. */
int32_t snap_apply(const char *what);
/* Polls `snapshot list` until `name` is complete (fails the guest when
 * it stays capturing for `tries` polls). */
void snap_wait_complete(const char *name, unsigned tries);

/* The guest's free RAM: every type 1 range of the multiboot memory map
 * below 4 GiB except the image (__image_start.._end). mem_init copies the
 * map; after the first mem_fill, nothing of the loader's (command line,
 * memory map) may be read any more. */
void mem_init(const struct mb_info *mbi);
uint32_t mem_free_kib(void);
/* Fills free RAM: the word at address p holds p ^ seed (lz4 cannot shrink
 * that), except that pages whose number is zero_slot mod 8 hold zeros
 * (zero_slot -1: none), so that zero pages, which a capture may skip, are
 * checked too. */
void mem_fill(uint32_t seed, int zero_slot);
/* Fails the guest at the first word that differs from mem_fill's pattern. */
void mem_verify(uint32_t seed, int zero_slot, const char *what);
/* With on = 1, later fills leave only one page in eight incompressible;
 * the others repeat a 64-byte run that still names the page, so captures
 * are small (snap.c, pattern()). */
void mem_compressible(int on);

#endif
