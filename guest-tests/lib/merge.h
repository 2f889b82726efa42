/* merge.h: helpers of the merge guests (guest-tests/merge_*.c), linked
 * with snap.c and vblk.c: the disk layout they write, the console
 * commands of issue 6 (`snapshot delete`, `merge status`, `vm info`'s disk
 * chain) with their replies checked and parsed, and busy waiting that never
 * halts the vCPU. */
#ifndef MERGE_H
#define MERGE_H

#include "snap.h"
#include "vblk.h"

/* The layout, for N = the command line's `sectors=N` (default 256, a
 * multiple of 64) from sector AT = `at=AT` (default 0) on:
 *   A  AT + [0, N)         in the base disk before the run (the host
 *                          writes it: tests/system/test_merge.py)
 *   B  AT + [N/4, 3N/4)    written after the first snapshot: the layer
 *                          the merges take when that snapshot is deleted
 *   C  AT + [5N/8, 9N/8)   written after the second one, in C_CHUNKS chunks
 * so C covers part of B, part of A only, and sectors that were zeros. The
 * host picks AT so that B spans VHD blocks as it wants. */
extern uint64_t layout_n, layout_at;
#define C_CHUNKS 16
/* Reads sectors= and at=, starts the hypercall and the disk; checks that the disk
 * holds the whole layout. */
void layout_init(const struct mb_info *mbi);
/* The command line's `phase=1` or `phase=2` (guests the test runs twice
 * on one volume); fails the guest on anything else. */
unsigned layout_phase(const struct mb_info *mbi);
char want_a(uint64_t sector);
char want_ab(uint64_t sector);
char want_abc(uint64_t sector);
/* Checks every sector of AT + [0, 3N/2) against want. */
void layout_expect(char (*want)(uint64_t), const char *when);
void write_b(void);
/* Writes C's chunk k (0-based, N/32 sectors); returns 0 when there is no
 * chunk k. */
int write_c_chunk(unsigned k);
/* The sectors of one chunk of C, N/32. */
uint64_t c_chunk(void);

/* `snapshot delete ID` with the reply `deleted snapshot ID`. */
void snap_delete(unsigned id);
/* The layers in `vm info`'s last line, `disk LEAF <- ... <- BASE`; the
 * line is printed as "TAG: disk ..." (tag NULL: not printed). */
unsigned disk_layers(const char *tag);

/* `merge status`, parsed: pending merges (lines in the table; `kept`
 * lines do not count) and their bytes. Fails the guest on an error, a
 * malformed reply or a stopped merge. With a tag, prints each line as
 * "TAG: | LINE". */
struct merge_stat {
	unsigned pending, running;
	uint64_t done, left;
};
void merge_status(struct merge_stat *m, const char *tag);
/* The last reply merge_status got, as it came. */
const char *merge_status_reply(void);
/* Prints each line of text as "TAG: | LINE". The hypervisor's log lines
 * break a guest line they come in the middle of: a guest prints what the
 * host parses while no merge runs. */
void print_reply(const char *tag, const char *text);
/* Spins n iterations, no `hlt`. */
void busy(uint32_t n);
/* Polls `merge status` until nothing is pending, spinning `spin` between
 * polls; fails after max_polls. Prints the first reply, every 64th and
 * the last as "TAG: | ...". Returns how many polls saw a merge pending. */
unsigned merge_wait(const char *tag, uint32_t spin, unsigned max_polls);

/* The common start on a base disk holding A: snapshot 1, B, snapshot 2
 * (both must return 0); the disk chain grows from 1 to 3 layers, which
 * read A and B. ids get both ids. */
void two_snapshots(const char *tag, unsigned ids[2]);

#endif
