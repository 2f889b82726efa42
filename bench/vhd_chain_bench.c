/* vhd_chain_bench.c: times 4 KiB reads through a VHD chain with the
 * storage library. usage: vhd_chain_bench FILE OFFSETS (one byte offset a
 * line). Prints "cold_ns warm_ns" per read: the first pass resolves the
 * block map lazily, the second reads through the cached map. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "storage/blockfile_posix.h"
#include "storage/vhd_chain.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double pass(struct vhd_chain *c, const unsigned long long *off,
		   size_t n, unsigned long long *sum)
{
	static unsigned char buf[4096];
	double t = now_ns();

	for (size_t i = 0; i < n; i++) {
		if (vhd_chain_read(c, off[i], buf, sizeof(buf)))
			exit(2);
		*sum += buf[i % 4096];
	}
	return (now_ns() - t) / n;
}

int main(int argc, char **argv)
{
	struct bf_opener op;
	struct vhd_env env = { &op, NULL, NULL, NULL, NULL, NULL };
	unsigned long long *off = NULL, v, sum = 0;
	size_t n = 0, cap = 0;
	struct vhd_chain *c;
	FILE *f;

	if (argc != 3 || !(f = fopen(argv[2], "r")))
		return 1;
	while (fscanf(f, "%llu", &v) == 1) {
		if (n == cap && !(off = realloc(off, (cap = cap * 2 + 1024) *
						sizeof(*off))))
			return 1;
		off[n++] = v;
	}
	fclose(f);
	bf_posix_opener(&op);
	if (vhd_chain_open(&env, argv[1], 0, &c))
		return 1;
	double cold = pass(c, off, n, &sum);
	double warm = pass(c, off, n, &sum);
	printf("%.1f %.1f %u %llu\n", cold, warm, c->depth, sum & 1);
	vhd_chain_close(c);
	free(off);
	return 0;
}
