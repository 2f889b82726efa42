/* cmds.c: hvdisk's commands that make or change disks: create, child,
 * check, read, write, convert, commit, export (of a snapshot tree: tree.c).
 * Each validates everything
 * before its first write, so a failed command leaves its inputs as they
 * were. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "storage/blockfile_posix.h"
#include "tools/hvdisk/hvdisk.h"

int cmd_create(int argc, char **argv)
{
	struct vhd_create_opts o = { VHD_TYPE_DYNAMIC, 0, 0, NULL, NULL };
	uint64_t bs = 0;
	status_t st;
	int c;

	while ((c = getopt(argc, argv, "t:b:")) != -1) {
		if (c == 't' && !strcmp(optarg, "fixed"))
			o.type = VHD_TYPE_FIXED;
		else if (c == 't' && !strcmp(optarg, "dynamic"))
			o.type = VHD_TYPE_DYNAMIC;
		else if (c == 'b' && !parse_size(optarg, &bs))
			continue;
		else
			return usage();
	}
	if (argc - optind != 2 || parse_size(argv[optind + 1], &o.size))
		return usage();
	if (bs && (bs < VHD_MIN_CREATE_BLOCK || bs > VHD_MAX_BLOCK ||
		   (bs & (bs - 1))))
		return fail("block size must be a power of two from 4K to "
			    "256M", ST_EINVAL);
	if (o.size % VHD_SECTOR || !o.size || o.size > VHD_MAX_SIZE)
		return fail("size must be a multiple of 512 up to 2040G",
			    ST_ERANGE);
	o.block_size = (uint32_t)bs;
	st = vhd_create(&g_env, argv[optind], &o, NULL);
	return st ? fail(argv[optind], st) : 0;
}

int cmd_child(int argc, char **argv)
{
	struct vhd_create_opts o = { VHD_TYPE_DIFF, 0, 0, NULL, NULL };
	struct vhd_chain *c;
	status_t st;

	if (argc != 3)
		return usage();
	if ((st = vhd_chain_open(&g_env, argv[1], 0, &c)))
		return fail(argv[1], st);
	o.parent = c->layer[0];
	o.parent_path = argv[1];
	o.block_size = vhd_is_fixed(c->layer[0]) ? 0 : c->layer[0]->block_size;
	st = vhd_create(&g_env, argv[2], &o, NULL);
	vhd_chain_close(c);
	return st ? fail(argv[2], st) : 0;
}

int cmd_check(int argc, char **argv)
{
	status_t st;

	if (argc != 2)
		return usage();
	st = vhd_check(&g_env, argv[1]);
	if (st)
		return fail(argv[1], st);
	printf("%s: no problems found\n", argv[1]);
	return 0;
}

int cmd_read(int argc, char **argv)
{
	uint64_t off, len;
	struct vhd_chain *c;
	status_t st;
	uint8_t *buf;

	if (argc != 4 || parse_size(argv[2], &off) || parse_size(argv[3], &len))
		return usage();
	if ((st = vhd_chain_open(&g_env, argv[1], 0, &c)))
		return fail(argv[1], st);
	if (off > c->size || len > c->size - off) {
		vhd_chain_close(c);
		return fail("range is outside the disk", ST_ERANGE);
	}
	buf = malloc(1 << 20);
	st = buf ? ST_OK : ST_ENOMEM;
	while (!st && len) {
		size_t n = len < (1u << 20) ? (size_t)len : (1u << 20);
		st = vhd_chain_read(c, off, buf, n);
		if (!st && fwrite(buf, 1, n, stdout) != n)
			st = ST_EIO;
		off += n;
		len -= n;
	}
	free(buf);
	vhd_chain_close(c);
	if (!st && fflush(stdout))
		st = ST_EIO;
	return st ? fail(argv[1], st) : 0;
}

/* All of stdin, in memory (bounded by the disk size). */
static status_t slurp(uint64_t limit, uint8_t **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap), *nb;

	while (b) {
		size_t r = fread(b + n, 1, cap - n, stdin);
		n += r;
		if (n > limit)
			break;
		if (r == 0)
			break;
		if (n == cap && (nb = realloc(b, cap * 2))) {
			b = nb;
			cap *= 2;
		} else if (n == cap) {
			free(b);
			b = NULL;
		}
	}
	if (!b)
		return ST_ENOMEM;
	if (ferror(stdin) || n > limit) {
		free(b);
		return ferror(stdin) ? ST_EIO : ST_ERANGE;
	}
	*out = b;
	*len = n;
	return ST_OK;
}

int cmd_write(int argc, char **argv)
{
	struct vhd_chain *c;
	uint8_t *buf = NULL;
	uint64_t off;
	size_t len = 0;
	status_t st;

	if (argc != 3 || parse_size(argv[2], &off))
		return usage();
	if ((st = vhd_chain_open(&g_env, argv[1], VHD_RDWR, &c)))
		return fail(argv[1], st);
	if (off > c->size)
		st = ST_ERANGE;
	else
		st = slurp(c->size - off, &buf, &len);
	if (st) {
		vhd_chain_close(c);
		return fail("data from stdin does not fit the disk at that "
			    "offset", st);
	}
	st = vhd_chain_write(c, off, buf, len);
	if (!st)
		st = vhd_chain_flush(c);
	free(buf);
	vhd_chain_close(c);
	return st ? fail(argv[1], st) : 0;
}

/* A VHD has "conectix" in its last sector (or, dynamic, its first). */
static int looks_like_vhd(const char *path)
{
	struct blockfile *bf;
	uint8_t s[512];
	uint64_t size;
	int yes = 0;

	if (bf_posix_open(path, BF_RDONLY, &bf))
		return 0;
	if (!bf_size(bf, &size) && size >= 512 &&
	    ((!bf_read(bf, size - 512, s, 512) && !memcmp(s, "conectix", 8)) ||
	     (!bf_read(bf, 0, s, 512) && !memcmp(s, "conectix", 8))))
		yes = 1;
	bf_close(bf);
	return yes;
}

static int ends_with_vhd(const char *p)
{
	size_t n = strlen(p);

	return (n > 4 && !strcasecmp(p + n - 4, ".vhd")) ||
	       (n > 5 && !strcasecmp(p + n - 5, ".avhd"));
}

int cmd_convert(int argc, char **argv)
{
	struct vhd_chain *c = NULL;
	struct blockfile *bf = NULL;
	struct vhd_source src;
	const char *fmt = NULL;
	int o, in_vhd;
	status_t st;

	while ((o = getopt(argc, argv, "O:")) != -1) {
		if (o != 'O' || (strcmp(optarg, "raw") && strcmp(optarg, "vhd")))
			return usage();
		fmt = optarg;
	}
	if (argc - optind != 2)
		return usage();
	const char *in = argv[optind], *out = argv[optind + 1];
	in_vhd = looks_like_vhd(in) || ends_with_vhd(in);
	if (!fmt)
		fmt = ends_with_vhd(out) ? "vhd" : in_vhd ? "raw" : "vhd";
	if (in_vhd) {
		if ((st = vhd_chain_open(&g_env, in, 0, &c)))
			return fail(in, st);
		vhd_source_chain(c, &src);
	} else {
		if ((st = bf_posix_open(in, BF_RDONLY, &bf)) ||
		    (st = vhd_source_raw(bf, &src)))
			goto out;
		if (!src.size) {
			st = ST_EINVAL;
			goto out;
		}
	}
	if (!strcmp(fmt, "vhd"))
		st = vhd_write_dynamic(&g_env, &src, out,
				       c && !vhd_is_fixed(c->layer[0]) ?
				       c->layer[0]->block_size : 0);
	else
		st = vhd_write_raw(&g_env, &src, out);
out:
	vhd_chain_close(c);
	bf_close(bf);
	return st ? fail(st == ST_EEXIST ? out : in, st) : 0;
}

int cmd_commit(int argc, char **argv)
{
	unsigned flags = 0;
	status_t st;
	int o;

	while ((o = getopt(argc, argv, "f")) != -1) {
		if (o != 'f')
			return usage();
		flags |= VHD_COMMIT_FORCE;
	}
	if (argc - optind != 1)
		return usage();
	st = vhd_commit(&g_env, argv[optind], flags);
	return st ? fail(argv[optind], st) : 0;
}

/* export FILE OUT, or export DIR ID|NAME OUT (a snapshot tree, tree.c). */
int cmd_export(int argc, char **argv)
{
	status_t st;

	if (argc == 4)
		return cmd_export_tree(argv[1], argv[2], argv[3]);
	if (argc != 3)
		return usage();
	st = vhd_export(&g_env, argv[1], argv[2]);
	return st ? fail(st == ST_EEXIST ? argv[2] : argv[1], st) : 0;
}
