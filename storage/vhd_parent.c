/* vhd_parent.c: finding a differencing disk's parent (VHD spec "Parent
 * Locator Entries", "Parent Unicode Name"): the W2ru (relative) locator,
 * then W2ku (absolute), then the header's UTF-16BE name, each taken
 * relative to the child's directory unless absolute. The first candidate
 * that exists and carries the expected unique ID wins. */
#include <stdlib.h>
#include <string.h>

#include "storage/vhd_chain.h"
#include "storage/vhd_text.h"

/* Locator i's path as UTF-8 (NULL if absent or unreadable). */
static char *locator_path(struct vhd *v, uint32_t code)
{
	for (int i = 0; i < 8; i++) {
		const struct vhd_locator *l = &v->header.loc[i];
		uint16_t units[VHD_MAX_LOCATOR / 2];
		uint8_t raw[VHD_MAX_LOCATOR];
		char *s = NULL;

		if (l->code != code || !l->length || l->length % 2 ||
		    l->length > VHD_MAX_LOCATOR || l->offset > v->footer_off ||
		    l->length > v->footer_off - l->offset)
			continue;
		if (bf_read(v->bf, l->offset, raw, l->length))
			continue;
		for (uint32_t k = 0; k < l->length / 2; k++)
			units[k] = (uint16_t)(raw[2 * k] | raw[2 * k + 1] << 8);
		if (utf16_to_utf8(units, l->length / 2, &s) == ST_OK && *s)
			return s;
		free(s);
	}
	return NULL;
}

static char *header_name(struct vhd *v)
{
	char *s = NULL;

	if (utf16_to_utf8(v->header.parent_name, 256, &s) == ST_OK && *s)
		return s;
	free(s);
	return NULL;
}

/* Opens candidate loc (relative to the child's directory). ST_ENOENT: try
 * the next one; ST_EMISMATCH: exists, wrong unique ID. */
static status_t try_candidate(const struct vhd_env *env, struct vhd *child,
			      const char *loc, struct vhd **out)
{
	char *dir = vp_dirname(child->path), *path;
	struct vhd_rep r;
	struct vhd *p;
	status_t st;

	path = dir ? vp_join(dir, loc) : NULL;
	free(dir);
	if (!path)
		return ST_ENOMEM;
	st = vhd_open(env, path, 0, &p);
	free(path);
	if (st)
		return st;
	vhd_rep_init(&r, env, child->path);
	if (memcmp(p->footer.uid, child->header.parent_uid, 16)) {
		vhd_rep(&r, VHD_WARN, "header.parent_uid",
			"a file the parent locator names has another "
			"unique ID");
		vhd_close(p);
		return ST_EMISMATCH;
	}
	if (p->footer.timestamp != child->header.parent_timestamp)
		vhd_rep_ve(&r, VHD_WARN, "header.parent_timestamp",
			   "differs from the parent's time stamp",
			   child->header.parent_timestamp,
			   p->footer.timestamp);
	*out = p;
	return ST_OK;
}

/* "no parent file found: tried A (relative locator), B (...)" naming each
 * path looked for, so the user learns which file is missing. */
static void report_missing(struct vhd_rep *r, char *cand[3])
{
	static const char *const how[3] = { " (relative locator)",
					     " (absolute locator)",
					     " (parent name)" };
	static const char head[] = "no parent file found; tried ";
	size_t len = sizeof head;
	for (int i = 0; i < 3; i++)
		len += (cand[i] ? strlen(cand[i]) : 0) + strlen(how[i]) + 2;
	char *msg = malloc(len), *p = msg;
	if (!msg) {
		vhd_rep(r, VHD_ERROR, "header.parent_locator", head);
		return;
	}
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	for (int i = 0; i < 3; i++) {
		if (!cand[i])
			continue;
		if (p != msg + sizeof head - 1)
			*p++ = ',', *p++ = ' ';
		memcpy(p, cand[i], strlen(cand[i]));
		p += strlen(cand[i]);
		memcpy(p, how[i], strlen(how[i]));
		p += strlen(how[i]);
	}
	*p = 0;
	vhd_rep(r, VHD_ERROR, "header.parent_locator", msg);
	free(msg);
}

status_t vhd_find_parent(const struct vhd_env *env, struct vhd *child,
			 struct vhd **out)
{
	char *cand[3];
	status_t st = ST_ENOENT, res = ST_ENOENT;
	struct vhd_rep r;

	cand[0] = locator_path(child, VHD_PLAT_W2RU);
	cand[1] = locator_path(child, VHD_PLAT_W2KU);
	cand[2] = header_name(child);
	for (int i = 0; i < 3; i++) {
		if (!cand[i] || (i && cand[0] && !strcmp(cand[i], cand[0])))
			continue;
		st = try_candidate(env, child, cand[i], out);
		if (st == ST_OK || (st != ST_ENOENT && st != ST_EMISMATCH))
			break;
		if (st == ST_EMISMATCH)
			res = st;
		st = res;
	}
	vhd_rep_init(&r, env, child->path);
	if (st == ST_ENOENT)
		report_missing(&r, cand);
	else if (st == ST_EMISMATCH)
		vhd_rep(&r, VHD_ERROR, "header.parent_uid",
			"no parent file with the expected unique ID");
	for (int i = 0; i < 3; i++)
		free(cand[i]);
	return st;
}

status_t vhd_parent_paths(struct vhd *child, char *out[3])
{
	char *dir = vp_dirname(child->path);
	status_t st = dir ? ST_OK : ST_ENOMEM;

	out[0] = locator_path(child, VHD_PLAT_W2RU);
	out[1] = locator_path(child, VHD_PLAT_W2KU);
	out[2] = header_name(child);
	for (int i = 0; i < 3; i++) {
		char *rel = out[i];
		if (!rel)
			continue;
		out[i] = dir ? vp_join(dir, rel) : NULL;
		if (!out[i])
			st = ST_ENOMEM;
		free(rel);
	}
	free(dir);
	return st;
}
