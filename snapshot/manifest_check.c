/* manifest_check.c: the rules every snapshot tree obeys, checked after a
 * parse and before a format: ids below next_id and unique, names valid
 * and unique, parents exist, no cycles, `current` exists or is 0. */
#include <string.h>

#include "hv/lib/fmt.h"
#include "snapshot/manifest_int.h"

status_t manifest_err(char *err, size_t errcap, unsigned line,
		      const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !errcap)
		return ST_ECORRUPT;
	if (line)
		n = hv_snprintf(err, errcap, "line %u: ", line);
	if (n < 0 || (size_t)n >= errcap)
		return ST_ECORRUPT;
	va_start(ap, fmt);
	hv_vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
	va_end(ap);
	return ST_ECORRUPT;
}

/* No memchr: the hypervisor's libc lacks it. */
static bool str_fits(const char *s, size_t cap)
{
	for (size_t i = 0; i < cap; i++)
		if (!s[i])
			return true;
	return false;
}

/* Index of the node with this id among the first `below`, or -1. */
static int index_of(const struct manifest *m, uint32_t id, unsigned below)
{
	for (unsigned i = 0; i < below; i++)
		if (m->node[i].id == id)
			return (int)i;
	return -1;
}

static status_t check_node(const struct manifest *m, unsigned i, char *err,
			   size_t cap, unsigned line)
{
	const struct snap_node *n = &m->node[i];

	if (!n->id || n->id >= m->next_id)
		return manifest_err(err, cap, line, "snapshot id %u is not in "
				    "1..next_id-1 (%u)", n->id, m->next_id);
	if (index_of(m, n->id, i) >= 0)
		return manifest_err(err, cap, line, "snapshot id %u appears "
				    "twice", n->id);
	if (n->state != SNAP_CAPTURING && n->state != SNAP_COMPLETE)
		return manifest_err(err, cap, line, "snapshot %u: bad state %u",
				    n->id, n->state);
	if (!str_fits(n->name, SNAP_NAME_MAX) ||
	    (n->name[0] && !snap_name_valid(n->name)))
		return manifest_err(err, cap, line, "snapshot %u: bad name",
				    n->id);
	if (!str_fits(n->disk, SNAP_PATH_MAX) || !snap_path_valid(n->disk))
		return manifest_err(err, cap, line, "snapshot %u: bad disk "
				    "path", n->id);
	for (unsigned j = 0; n->name[0] && j < i; j++)
		if (!strcmp(m->node[j].name, n->name))
			return manifest_err(err, cap, line, "snapshot %u: name "
					    "\"%s\" is taken by snapshot %u",
					    n->id, n->name, m->node[j].id);
	return ST_OK;
}

/* Parents exist and are not the node itself; walking up from any node
 * reaches a root within count steps (else there is a cycle). */
static status_t check_links(const struct manifest *m, unsigned i, char *err,
			    size_t cap, unsigned line)
{
	const struct snap_node *n = &m->node[i];
	uint32_t up = n->parent;
	unsigned steps = 0;

	if (up == n->id)
		return manifest_err(err, cap, line, "snapshot %u is its own "
				    "parent", n->id);
	if (up && index_of(m, up, m->count) < 0)
		return manifest_err(err, cap, line, "snapshot %u: parent %u "
				    "does not exist", n->id, up);
	while (up) {
		int at = index_of(m, up, m->count);
		if (++steps > m->count || at < 0)
			return manifest_err(err, cap, line, "snapshot %u: its "
					    "parents form a cycle", n->id);
		up = m->node[at].parent;
	}
	return ST_OK;
}

status_t manifest_check_lines(const struct manifest *m, char *err,
			      size_t cap, bool with_lines)
{
	status_t st;
#define LINE(l) (with_lines ? (unsigned)(l) : 0u)

	if (!m->next_id)
		return manifest_err(err, cap, LINE(MLINE_NEXT_ID), "next_id is 0");
	if (!m->next_leaf)
		return manifest_err(err, cap, LINE(MLINE_NEXT_LEAF),
				    "next_leaf is 0");
	if (!str_fits(m->base_disk, SNAP_PATH_MAX) ||
	    !snap_path_valid(m->base_disk))
		return manifest_err(err, cap, LINE(MLINE_BASE_DISK),
				    "bad base_disk path");
	if (!str_fits(m->leaf, SNAP_PATH_MAX) || !snap_path_valid(m->leaf))
		return manifest_err(err, cap, LINE(MLINE_LEAF), "bad leaf path");
	if (m->count > SNAP_MAX)
		return manifest_err(err, cap, 0, "more than %u snapshots",
				    SNAP_MAX);
	for (unsigned i = 0; i < m->count; i++)
		if ((st = check_node(m, i, err, cap,
				     LINE(MLINE_FIRST_NODE + i))))
			return st;
	for (unsigned i = 0; i < m->count; i++)
		if ((st = check_links(m, i, err, cap,
				      LINE(MLINE_FIRST_NODE + i))))
			return st;
	if (m->current && index_of(m, m->current, m->count) < 0)
		return manifest_err(err, cap, LINE(MLINE_CURRENT), "current "
				    "snapshot %u does not exist", m->current);
	return ST_OK;
#undef LINE
}
