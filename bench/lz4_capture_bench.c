/* lz4_capture_bench.c: times the snapshot capture path on a raw memory
 * image: every page, in page order, through memimg_writer onto a POSIX
 * file (zero check, crc32, lz4, buffered writes, index, footer, fsync).
 * usage: lz4_capture_bench RAW OUT. The raw image is read into memory
 * first (untimed: it stands for guest RAM). Prints "seconds out_bytes". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/memimg.h"
#include "storage/blockfile_posix.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned char *read_raw(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    n % MEMIMG_PAGE || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* The timed part: create OUT and capture every page into it. */
static status_t capture(const unsigned char *ram, size_t size,
			const char *out, unsigned long long *bytes)
{
	struct memimg_region rg = { 0, size };
	struct memimg_writer *w = NULL;
	struct blockfile *bf;
	status_t st;

	unlink(out);
	if ((st = bf_posix_open(out, BF_CREATE, &bf)))
		return st;
	st = memimg_writer_open(bf, &rg, 1, &w);
	for (size_t i = 0; !st && i < size / MEMIMG_PAGE; i++)
		st = memimg_put_page(w, i, ram + i * MEMIMG_PAGE);
	if (!st)
		st = memimg_writer_finish(w);
	if (!st)
		*bytes = memimg_writer_bytes(w);
	memimg_writer_free(w);
	bf_close(bf);
	return st;
}

int main(int argc, char **argv)
{
	unsigned long long bytes = 0;
	unsigned char *ram;
	size_t size;
	status_t st;
	double t;

	if (argc != 3) {
		fprintf(stderr, "usage: lz4_capture_bench RAW OUT\n");
		return 2;
	}
	if (!(ram = read_raw(argv[1], &size))) {
		fprintf(stderr, "%s: cannot read a page-sized image\n", argv[1]);
		return 2;
	}
	t = now_s();
	st = capture(ram, size, argv[2], &bytes);
	t = now_s() - t;
	free(ram);
	if (st) {
		fprintf(stderr, "capture: %s\n", status_str(st));
		return 1;
	}
	printf("%.6f %llu\n", t, bytes);
	return 0;
}
