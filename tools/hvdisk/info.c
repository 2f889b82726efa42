/* info.c: hvdisk's read-only reports: info (text or --json) about a file
 * and its chain, and map (which layer holds each block). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_text.h"
#include "tools/hvdisk/hvdisk.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static uint32_t allocated(const struct vhd *v)
{
	uint32_t n = 0;

	for (uint32_t i = 0; !vhd_is_fixed(v) && i < v->nblocks; i++)
		n += v->bat[i] != VHD_UNUSED;
	return n;
}

static void creator(const struct vhd *v, char out[5])
{
	for (int i = 0; i < 4; i++) {
		uint8_t c = v->footer.creator_app[i];
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	out[4] = 0;
}

static void layer_json(const struct vhd *v)
{
	char uid[37], app[5], *pname = NULL;
	uint64_t fsize = v->footer_off + VHD_FOOTER_SIZE;

	uid_str(v->footer.uid, uid);
	creator(v, app);
	printf("{\"file\": ");
	json_str(v->path);
	printf(", \"type\": \"%s\", \"virtual_size\": %llu, "
	       "\"file_size\": %llu, \"unique_id\": \"%s\", "
	       "\"timestamp\": %u, \"creator_app\": ", type_name(v->footer.
	       disk_type), (unsigned long long)v->size,
	       (unsigned long long)fsize, uid, v->footer.timestamp);
	json_str(app);
	printf(", \"creator_version\": %u, \"geometry\": [%u, %u, %u]",
	       v->footer.creator_version, v->footer.cylinders, v->footer.heads,
	       v->footer.spt);
	if (!vhd_is_fixed(v))
		printf(", \"block_size\": %u, \"blocks\": %u, "
		       "\"allocated_blocks\": %u", v->block_size, v->nblocks,
		       allocated(v));
	if (vhd_is_diff(v)) {
		uid_str(v->header.parent_uid, uid);
		printf(", \"parent_unique_id\": \"%s\", "
		       "\"parent_timestamp\": %u, \"parent_name\": ", uid,
		       v->header.parent_timestamp);
		if (utf16_to_utf8(v->header.parent_name, 256, &pname))
			pname = NULL;
		json_str(pname ? pname : "");
		free(pname);
	}
	printf("}");
}

static void layer_text(const struct vhd *v, const char *indent)
{
	char uid[37], app[5], *pname = NULL;

	uid_str(v->footer.uid, uid);
	creator(v, app);
	printf("%sfile: %s\n%stype: %s\n%svirtual size: %llu\n", indent,
	       v->path, indent, type_name(v->footer.disk_type), indent,
	       (unsigned long long)v->size);
	printf("%sfile size: %llu\n%sunique id: %s\n%screator: \"%s\" "
	       "%u.%u\n", indent, (unsigned long long)(v->footer_off + 512),
	       indent, uid, indent, app, v->footer.creator_version >> 16,
	       v->footer.creator_version & 0xffff);
	if (!vhd_is_fixed(v))
		printf("%sblock size: %u\n%sallocated blocks: %u of %u\n",
		       indent, v->block_size, indent, allocated(v),
		       v->nblocks);
	if (vhd_is_diff(v)) {
		uid_str(v->header.parent_uid, uid);
		if (utf16_to_utf8(v->header.parent_name, 256, &pname))
			pname = NULL;
		printf("%sparent: %s (unique id %s)\n", indent,
		       pname ? pname : "", uid);
		free(pname);
	}
}

int cmd_info(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[1], "--json");
	struct vhd_chain *c;
	status_t st;

	if (argc != 2 + json)
		return usage();
	if ((st = vhd_chain_open(&g_env, argv[argc - 1], 0, &c)))
		return fail(argv[argc - 1], st);
	if (json) {
		printf("{\"format\": \"vhd\", \"virtual_size\": %llu, "
		       "\"depth\": %u, \"chain\": [",
		       (unsigned long long)c->size, c->depth);
		for (unsigned i = 0; i < c->depth; i++) {
			printf(i ? ", " : "");
			layer_json(c->layer[i]);
		}
		printf("]}\n");
	} else {
		layer_text(c->layer[0], "");
		printf("chain depth: %u\n", c->depth);
		for (unsigned i = 1; i < c->depth; i++) {
			printf("layer %u:\n", i);
			layer_text(c->layer[i], "  ");
		}
	}
	vhd_chain_close(c);
	return 0;
}

int cmd_map(int argc, char **argv)
{
	struct vhd_chain *c;
	status_t st = ST_OK;

	if (argc != 2)
		return usage();
	if ((st = vhd_chain_open(&g_env, argv[1], 0, &c)))
		return fail(argv[1], st);
	printf("# unit %u bytes, %u units; layers:", c->unit, c->nunits);
	for (unsigned i = 0; i < c->depth; i++)
		printf(" %u=%s", i, c->layer[i]->path);
	printf("\n");
	for (uint32_t u = 0; !st && u < c->nunits; u++) {
		struct vhd_unit *e = &c->map[u];
		if ((st = vhd_chain_resolve(c, u)))
			break;
		printf("%u ", u);
		if (e->kind == VHD_U_ZERO)
			printf("-\n");
		else if (e->kind == VHD_U_FULL)
			printf("%u\n", e->layer);
		else {
			for (uint32_t r = 0; r < e->nruns; r++) {
				if (e->u.runs[r].layer == VHD_LAYER_NONE)
					printf("%s%u:-", r ? "," : "",
					       e->u.runs[r].start);
				else
					printf("%s%u:%u", r ? "," : "",
					       e->u.runs[r].start,
					       e->u.runs[r].layer);
			}
			printf("\n");
		}
	}
	vhd_chain_close(c);
	return st ? fail(argv[1], st) : 0;
}
