/* tree.c: hvdisk's commands over a snapshot tree copied off the boot
 * volume; DIR is the volume root (it holds snapshots/manifest).
 *   snapshots DIR           the tree, the running leaf and its chain
 *   export DIR ID|NAME OUT  one snapshot's disk flattened to OUT
 * The manifest's paths (node disks, the running leaf) and the layers'
 * relative parent locators are all relative to the volume root, so the
 * tool chdir()s into DIR: the plain POSIX opener then sees the volume as
 * the hypervisor does, with no wrapper for each opener call, and layer
 * paths print as `vm info` prints them. OUT is made absolute before that.
 * Nothing in DIR changes: the manifest is read through an opener without
 * rename/remove, so manifest_load reads the newest complete tree (a
 * flushed manifest.new included) without finishing the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/manifest.h"
#include "tools/hvdisk/hvdisk.h"

#define MANIFEST_PATH "snapshots/manifest"

/* The snapshot tree of the volume at dir, with the working directory
 * moved there; nonzero (after a message) if there is none or it is
 * damaged. */
static int enter_tree(const char *dir, struct manifest *m)
{
	struct bf_opener ro = *g_env.opener;
	char err[200] = "";
	status_t st;

	if (chdir(dir)) {
		fprintf(stderr, "hvdisk %s: %s: %s\n", g_cmd, dir,
			strerror(errno));
		return 1;
	}
	ro.rename = NULL;
	ro.remove = NULL;
	st = manifest_load(&ro, MANIFEST_PATH, m, err, sizeof(err));
	if (!st)
		return 0;
	if (st == ST_ENOENT)
		fprintf(stderr, "hvdisk %s: %s/%s: not found (DIR must be the "
			"volume root holding the snapshot tree)\n", g_cmd,
			dir, MANIFEST_PATH);
	else
		fprintf(stderr, "hvdisk %s: %s/%s: snapshot tree unreadable: "
			"%s%s%s\n", g_cmd, dir, MANIFEST_PATH, status_str(st),
			err[0] ? ": " : "", err);
	return 1;
}

/* p with "." and "dir/.." steps removed ("snapshots/../disk.vhd" ->
 * "disk.vhd"): storage/ joins a child's directory and its relative
 * locator, we show the volume path that names. Lexical: a tree copied off
 * a FAT stick has no symbolic links. Malloc'd; NULL when out of memory. */
static char *tidy_path(const char *p)
{
	struct { const char *s; size_t n; } *part;
	size_t depth = 0, len = 0, n = strlen(p);
	char *out = malloc(n + 2);
	int abs = *p == '/';

	part = malloc((n + 1) * sizeof(*part));
	if (!out || !part) {
		free(out);
		free(part);
		return NULL;
	}
	while (*p) {
		size_t k = strcspn(p, "/");
		int up = k == 2 && !strncmp(p, "..", 2);

		if (up && depth && !(part[depth - 1].n == 2 &&
				     !strncmp(part[depth - 1].s, "..", 2)))
			depth--;
		else if (k && !(k == 1 && *p == '.'))
			part[depth].s = p, part[depth++].n = k;
		p += k + (p[k] == '/');
	}
	if (abs)
		out[len++] = '/';
	for (size_t i = 0; i < depth; i++) {
		if (i)
			out[len++] = '/';
		memcpy(out + len, part[i].s, part[i].n);
		len += part[i].n;
	}
	if (!len)
		out[len++] = '.';
	out[len] = 0;
	free(part);
	return out;
}

/* "chain: LEAF <- ... <- BASE" for the disk whose leaf is path. */
static int print_chain(const char *dir, const char *path)
{
	struct vhd_chain *c;
	status_t st = vhd_chain_open(&g_env, path, 0, &c);

	if (st) {
		fprintf(stderr, "hvdisk %s: %s/%s: %s\n", g_cmd, dir, path,
			status_str(st));
		return 1;
	}
	printf("chain:");
	for (unsigned i = 0; i < c->depth; i++) {
		char *t = tidy_path(c->layer[i]->path);
		printf("%s%s", i ? " <- " : " ", t ? t : c->layer[i]->path);
		free(t);
	}
	printf("\n");
	vhd_chain_close(c);
	return 0;
}

static void print_node(const struct manifest *m, const struct snap_node *n)
{
	char when[32] = "-";
	time_t t = (time_t)n->created;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (n->parent)
		printf("%u %u", n->id, n->parent);
	else
		printf("%u -", n->id);
	printf(" %s %s %s %s%s\n", n->name[0] ? n->name : "-",
	       n->state == SNAP_COMPLETE ? "complete" : "capturing", when,
	       n->disk[0] ? n->disk : "-", n->id == m->current ? " *" : "");
}

int cmd_snapshots(int argc, char **argv)
{
	static struct manifest m;

	if (argc != 2)
		return usage();
	if (enter_tree(argv[1], &m))
		return 1;
	printf("ID PARENT NAME STATE CREATED DISK\n");
	for (unsigned i = 0; i < m.count; i++)
		print_node(&m, &m.node[i]);
	printf("running leaf: %s\n", m.leaf[0] ? m.leaf : "-");
	if (fflush(stdout))
		return fail("stdout", ST_EIO);
	return m.leaf[0] ? print_chain(argv[1], m.leaf) : 0;
}

/* export DIR ID|NAME OUT: OUT is a host path (relative to where hvdisk
 * was started), the snapshot's disk is node.disk on the volume. */
int cmd_export_tree(const char *dir, const char *which, const char *out)
{
	static struct manifest m;
	const struct bf_opener *op = g_env.opener;
	struct snap_node *n;
	char *abs = NULL;
	status_t st;
	int rc = 1;

	if ((st = op->abspath(op->ctx, out, &abs)))
		return fail(out, st);
	if (enter_tree(dir, &m))
		goto done;
	n = manifest_lookup(&m, which);
	if (!n) {
		fprintf(stderr, "hvdisk %s: %s: no snapshot '%s'\n", g_cmd,
			dir, which);
	} else if (!n->disk[0]) {
		fprintf(stderr, "hvdisk %s: snapshot %u has no disk (its VM "
			"had none)\n", g_cmd, n->id);
	} else if ((st = vhd_export(&g_env, n->disk, abs))) {
		if (st == ST_EEXIST)
			fail(out, st);
		else
			fprintf(stderr, "hvdisk %s: %s/%s: %s\n", g_cmd, dir,
				n->disk, status_str(st));
	} else {
		rc = 0;
	}
done:
	free(abs);
	return rc;
}
