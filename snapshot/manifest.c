/* manifest.c: the snapshot tree in memory: lookups, add and remove, the
 * consistency rules (manifest_check) and the text form (manifest_format).
 * The parser is manifest_parse.c, the files on a volume manifest_store.c. */
#include <string.h>

#include "hv/lib/fmt.h"
#include "snapshot/crc32.h"
#include "snapshot/manifest.h"
#include "snapshot/manifest_int.h"

bool snap_name_valid(const char *name)
{
	bool all_digits = true;
	size_t n;

	if (!name)
		return false;
	for (n = 0; name[n]; n++) {
		char c = name[n];
		if (n >= SNAP_NAME_MAX - 1)
			return false;
		if (c >= '0' && c <= '9')
			continue;
		all_digits = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n > 0 && !all_digits;
}

bool snap_path_valid(const char *path)
{
	if (!path)
		return false;
	for (size_t n = 0; path[n]; n++)
		if (n >= SNAP_PATH_MAX - 1 || !manifest_str_char(path[n]))
			return false;
	return true;
}

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->next_id = 1;
	m->next_leaf = 1;
}

struct snap_node *manifest_find(struct manifest *m, uint32_t id)
{
	for (unsigned i = 0; id && i < m->count && i < SNAP_MAX; i++)
		if (m->node[i].id == id)
			return &m->node[i];
	return NULL;
}

/* Decimal digits only; false on overflow or anything else. */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

struct snap_node *manifest_lookup(struct manifest *m, const char *id_or_name)
{
	uint32_t id;

	if (!id_or_name || !*id_or_name)
		return NULL;
	if (parse_id(id_or_name, &id))
		return manifest_find(m, id);
	for (unsigned i = 0; i < m->count && i < SNAP_MAX; i++)
		if (!strcmp(m->node[i].name, id_or_name))
			return &m->node[i];
	return NULL;
}

status_t manifest_add(struct manifest *m, uint32_t parent, const char *name,
		      const char *disk, uint64_t created,
		      struct snap_node **out)
{
	struct snap_node *n;

	name = name ? name : "";
	disk = disk ? disk : "";
	if ((*name && !snap_name_valid(name)) || !snap_path_valid(disk))
		return ST_EINVAL;
	if (*name && manifest_lookup(m, name))
		return ST_EEXIST;
	if (parent && !manifest_find(m, parent))
		return ST_ENOENT;
	if (m->count >= SNAP_MAX || m->next_id == UINT32_MAX)
		return ST_ENOSPC;
	n = &m->node[m->count++];
	memset(n, 0, sizeof(*n));
	n->id = m->next_id++;
	n->parent = parent;
	n->state = SNAP_CAPTURING;
	n->created = created;
	memcpy(n->name, name, strlen(name) + 1);
	memcpy(n->disk, disk, strlen(disk) + 1);
	if (out)
		*out = n;
	return ST_OK;
}

status_t manifest_remove(struct manifest *m, uint32_t id)
{
	struct snap_node *n = manifest_find(m, id);
	uint32_t parent;
	unsigned at;

	if (!n)
		return ST_ENOENT;
	parent = n->parent;
	at = (unsigned)(n - m->node);
	memmove(n, n + 1, (m->count - at - 1) * sizeof(*n));
	m->count--;
	memset(&m->node[m->count], 0, sizeof(m->node[0]));
	for (unsigned i = 0; i < m->count; i++)
		if (m->node[i].parent == id)
			m->node[i].parent = parent;
	if (m->current == id)
		m->current = parent;
	return ST_OK;
}

unsigned manifest_children(const struct manifest *m, uint32_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->count && i < SNAP_MAX; i++)
		n += m->node[i].parent == id;
	return n;
}

status_t manifest_check(const struct manifest *m, char *err, size_t errcap)
{
	status_t st = manifest_check_lines(m, err, errcap, false);

	return st ? ST_EINVAL : ST_OK;
}

/* Appends printf output at *len; false once buf is full. */
static bool put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hv_vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return false;
	*len += (size_t)n;
	return true;
}

static bool put_node(char *buf, size_t cap, size_t *len,
		     const struct snap_node *n)
{
	return put(buf, cap, len, "snapshot %u parent %u state %s pause_us %llu"
		   " bytes %llu created %llu name \"%s\" disk \"%s\"\n",
		   n->id, n->parent, n->state == SNAP_COMPLETE ? "complete"
		   : "capturing", (unsigned long long)n->pause_us,
		   (unsigned long long)n->bytes,
		   (unsigned long long)n->created, n->name, n->disk);
}

status_t manifest_format(const struct manifest *m, char *buf, size_t cap,
			 size_t *len)
{
	size_t n = 0;
	bool ok;

	if (manifest_check(m, NULL, 0))
		return ST_EINVAL;
	if (!cap)
		return ST_ENOSPC;
	ok = put(buf, cap, &n, "snapvisor-manifest %u\nnext_id %u\n"
		 "next_leaf %u\ncurrent %u\nbase_disk \"%s\"\nleaf \"%s\"\n",
		 MANIFEST_VERSION, m->next_id, m->next_leaf, m->current,
		 m->base_disk, m->leaf);
	for (unsigned i = 0; ok && i < m->count; i++)
		ok = put_node(buf, cap, &n, &m->node[i]);
	ok = ok && put(buf, cap, &n, "crc32 %08x\n", crc32_update(0, buf, n));
	if (!ok)
		return ST_ENOSPC;
	*len = n;
	return ST_OK;
}
