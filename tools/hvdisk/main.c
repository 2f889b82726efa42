/* main.c: hvdisk, the host tool for VHD files and chains: the host
 * environment for storage/ (POSIX files, clock, /dev/urandom, diagnostics
 * on stderr, progress on a terminal) and the command dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "storage/blockfile_posix.h"
#include "tools/hvdisk/hvdisk.h"

struct vhd_env g_env;
const char *g_cmd = "";
static struct bf_opener g_opener;
static int g_progress_pct = -1;

static uint64_t host_now(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

static void host_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(buf, len, 0);
		if (n <= 0)
			abort();
		buf += n;
		len -= (size_t)n;
	}
}

static void host_diag(void *ctx, const struct vhd_diag *d)
{
	static const char *const lv[] = { "error", "warning", "note" };

	(void)ctx;
	fprintf(stderr, "hvdisk %s: %s: %s: %s: %s", g_cmd, lv[d->level],
		d->file ? d->file : "?", d->field, d->msg);
	if (d->has_value)
		fprintf(stderr, " (value %llu = 0x%llx",
			(unsigned long long)d->value,
			(unsigned long long)d->value);
	if (d->has_value && d->has_expected)
		fprintf(stderr, ", expected %llu = 0x%llx",
			(unsigned long long)d->expected,
			(unsigned long long)d->expected);
	fprintf(stderr, "%s\n", d->has_value ? ")" : "");
}

static void host_progress(void *ctx, uint64_t done, uint64_t total)
{
	int pct = total ? (int)(done * 100 / total) : 100;

	(void)ctx;
	if (!isatty(2) || pct == g_progress_pct)
		return;
	g_progress_pct = pct;
	fprintf(stderr, "\r%s: %3d%%", g_cmd, pct);
	if (done >= total)
		fprintf(stderr, "\n");
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end || end == s || (shift && v > (~0ull >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

int fail(const char *what, status_t st)
{
	fprintf(stderr, "hvdisk %s: %s: %s\n", g_cmd, what, status_str(st));
	return 1;
}

void uid_str(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = 0;
}

const char *type_name(uint32_t type)
{
	switch (type) {
	case VHD_TYPE_FIXED: return "fixed";
	case VHD_TYPE_DYNAMIC: return "dynamic";
	case VHD_TYPE_DIFF: return "differencing";
	}
	return "unknown";
}

int usage(void)
{
	fputs("usage:\n"
	      "  hvdisk create [-t fixed|dynamic] [-b BLOCKSIZE] FILE SIZE\n"
	      "  hvdisk child PARENT FILE\n"
	      "  hvdisk info [--json] FILE\n"
	      "  hvdisk check FILE\n"
	      "  hvdisk read FILE OFFSET LENGTH    (to stdout, through the "
	      "chain)\n"
	      "  hvdisk write FILE OFFSET          (from stdin, into the "
	      "leaf)\n"
	      "  hvdisk convert [-O raw|vhd] SRC DST\n"
	      "  hvdisk commit [-f] FILE\n"
	      "  hvdisk export FILE OUT\n"
	      "  hvdisk export DIR ID|NAME OUT     (a snapshot's disk; DIR ="
	      " volume root)\n"
	      "  hvdisk map FILE\n"
	      "  hvdisk fold LEAF K                (layer K into its child; "
	      "0 = leaf)\n"
	      "  hvdisk snapshots DIR              (the snapshot tree in "
	      "DIR/snapshots/manifest)\n"
	      "Sizes and offsets take K/M/G/T suffixes (powers of 1024).\n",
	      stderr);
	return 2;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{ "create", cmd_create }, { "child", cmd_child },
	{ "info", cmd_info }, { "check", cmd_check }, { "read", cmd_read },
	{ "write", cmd_write }, { "convert", cmd_convert },
	{ "commit", cmd_commit }, { "export", cmd_export },
	{ "map", cmd_map }, { "fold", cmd_fold },
	{ "snapshots", cmd_snapshots },
};

int main(int argc, char **argv)
{
	bf_posix_opener(&g_opener);
	g_env.opener = &g_opener;
	g_env.now = host_now;
	g_env.random = host_random;
	g_env.diag = host_diag;
	g_env.progress = host_progress;
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		g_cmd = argv[1];
		optind = 1;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage();
		return 0;
	}
	fprintf(stderr, "hvdisk: unknown command '%s'\n", argv[1]);
	return usage();
}
