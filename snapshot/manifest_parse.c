/* manifest_parse.c: the manifest's text form into a struct manifest. The
 * input is untrusted (a volume anyone can edit): every byte is checked and
 * every error names its line; the tree rules come from manifest_check.c. */
#include <string.h>

#include "hv/lib/fmt.h"
#include "snapshot/crc32.h"
#include "snapshot/manifest_int.h"

/* A snapshot line has 16; the 17th is always refused as unexpected, so
 * splitting stops there. */
#define MAX_TOKENS 17

struct tok {
	const char *s;
	size_t n;
	bool quoted;        /* s/n are the inside of "..." */
};

struct parser {
	const char *p, *end;    /* next line; end of the lines before crc32 */
	unsigned line;          /* number of the line last split */
	struct tok t[MAX_TOKENS];
	unsigned nt;
	char *err;
	size_t errcap;
};

#define FAIL(ps, ...) manifest_err((ps)->err, (ps)->errcap, (ps)->line, \
				   __VA_ARGS__)

/* The next '\n' in [p, end) or NULL (the hypervisor has no memchr). */
static const char *find_eol(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p == '\n')
			return p;
	return NULL;
}

/* Splits the next line into tokens separated by single spaces. */
static status_t split_line(struct parser *ps)
{
	const char *p = ps->p, *eol;

	ps->line++;
	ps->nt = 0;
	if (p >= ps->end)
		return FAIL(ps, "missing line (the file ends early)");
	eol = find_eol(p, ps->end);
	ps->p = eol + 1;
	if (p == eol)
		return FAIL(ps, "empty line");
	while (p < eol) {
		struct tok *t = &ps->t[ps->nt];
		if (ps->nt == MAX_TOKENS)
			break;
		t->quoted = *p == '"';
		t->s = p + t->quoted;
		while (p < eol && *p != ' ' && (p == t->s - 1 || *p != '"'))
			p++;
		t->n = (size_t)(p - t->s);
		if (t->quoted && (p == eol || *p != '"'))
			return FAIL(ps, "unterminated string (strings hold no "
				    "spaces)");
		p += t->quoted;
		if (!t->n && !t->quoted)
			return FAIL(ps, "empty field (two spaces, or a space "
				    "at the end)");
		if (p < eol && *p != ' ')
			return FAIL(ps, "junk after a field");
		ps->nt++;
		if (p < eol && ++p == eol)
			return FAIL(ps, "space at the end of the line");
	}
	return ST_OK;
}

/* A token for a message: at most 40 characters of it. */
static const char *tok_text(const struct tok *t, char out[41])
{
	size_t n = t->n > 40 ? 40 : t->n;

	memcpy(out, t->s, n);
	out[n] = 0;
	return out;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return !t->quoted && t->n == strlen(word) && !memcmp(t->s, word, t->n);
}

static status_t want_key(struct parser *ps, unsigned i, const char *key)
{
	char text[41];

	if (i >= ps->nt)
		return FAIL(ps, "missing '%s'", key);
	if (!tok_is(&ps->t[i], key))
		return FAIL(ps, "expected '%s', found '%s'", key,
			    tok_text(&ps->t[i], text));
	return ST_OK;
}

static status_t want_end(struct parser *ps, unsigned n)
{
	char text[41];

	if (ps->nt > n)
		return FAIL(ps, "unexpected field '%s'",
			    tok_text(&ps->t[n], text));
	return ST_OK;
}

/* Token i: a decimal number (no sign, no leading zero) up to max. */
static status_t get_num(struct parser *ps, unsigned i, const char *key,
			uint64_t max, uint64_t *out)
{
	const struct tok *t = &ps->t[i];
	uint64_t v = 0;

	if (i >= ps->nt)
		return FAIL(ps, "missing the value of '%s'", key);
	if (t->quoted || !t->n || (t->n > 1 && t->s[0] == '0'))
		return FAIL(ps, "'%s' needs a decimal number", key);
	for (size_t k = 0; k < t->n; k++) {
		unsigned d = (unsigned)(t->s[k] - '0');
		if (d > 9)
			return FAIL(ps, "'%s' needs a decimal number", key);
		if (v > (max - d) / 10)
			return FAIL(ps, "'%s' is too large", key);
		v = v * 10 + d;
	}
	*out = v;
	return ST_OK;
}

static status_t get_u32(struct parser *ps, unsigned i, const char *key,
			uint32_t *out)
{
	uint64_t v;
	status_t st = get_num(ps, i, key, UINT32_MAX, &v);

	*out = (uint32_t)v;
	return st;
}

/* Token i: a quoted string that fits cap with its NUL. */
static status_t get_str(struct parser *ps, unsigned i, const char *key,
			char *out, size_t cap)
{
	const struct tok *t = &ps->t[i];

	if (i >= ps->nt)
		return FAIL(ps, "missing the value of '%s'", key);
	if (!t->quoted)
		return FAIL(ps, "'%s' needs a quoted string", key);
	if (t->n >= cap)
		return FAIL(ps, "'%s' is longer than %zu characters", key,
			    cap - 1);
	memcpy(out, t->s, t->n);
	out[t->n] = 0;
	return ST_OK;
}

/* A header line: "key value". */
static status_t header_num(struct parser *ps, const char *key, uint32_t *out)
{
	status_t st = split_line(ps);

	if (!st)
		st = want_key(ps, 0, key);
	if (!st)
		st = get_u32(ps, 1, key, out);
	return st ? st : want_end(ps, 2);
}

static status_t header_str(struct parser *ps, const char *key, char *out)
{
	status_t st = split_line(ps);

	if (!st)
		st = want_key(ps, 0, key);
	if (!st)
		st = get_str(ps, 1, key, out, SNAP_PATH_MAX);
	if (!st && !snap_path_valid(out))
		st = FAIL(ps, "'%s' is not a valid path", key);
	return st ? st : want_end(ps, 2);
}

static status_t node_state(struct parser *ps, unsigned i, uint32_t *out)
{
	if (i < ps->nt && tok_is(&ps->t[i], "complete"))
		*out = SNAP_COMPLETE;
	else if (i < ps->nt && tok_is(&ps->t[i], "capturing"))
		*out = SNAP_CAPTURING;
	else
		return FAIL(ps, "state must be 'complete' or 'capturing'");
	return ST_OK;
}

/* "snapshot ID parent P state S pause_us N bytes N created N name "S"
 * disk "S"": the keys at the even positions, their values after them. */
static status_t node_line(struct parser *ps, struct snap_node *n)
{
	status_t st = split_line(ps);

	if (!st)
		st = want_key(ps, 0, "snapshot");
	if (!st)
		st = get_u32(ps, 1, "snapshot", &n->id);
	if (!st && !(st = want_key(ps, 2, "parent")))
		st = get_u32(ps, 3, "parent", &n->parent);
	if (!st && !(st = want_key(ps, 4, "state")))
		st = node_state(ps, 5, &n->state);
	if (!st && !(st = want_key(ps, 6, "pause_us")))
		st = get_num(ps, 7, "pause_us", UINT64_MAX, &n->pause_us);
	if (!st && !(st = want_key(ps, 8, "bytes")))
		st = get_num(ps, 9, "bytes", UINT64_MAX, &n->bytes);
	if (!st && !(st = want_key(ps, 10, "created")))
		st = get_num(ps, 11, "created", UINT64_MAX, &n->created);
	if (!st && !(st = want_key(ps, 12, "name")))
		st = get_str(ps, 13, "name", n->name, SNAP_NAME_MAX);
	if (!st && n->name[0] && !snap_name_valid(n->name))
		st = FAIL(ps, "bad name \"%s\" (1-%u of A-Z a-z 0-9 . _ -, not "
			  "all digits)", n->name, SNAP_NAME_MAX - 1);
	if (!st && !(st = want_key(ps, 14, "disk")))
		st = get_str(ps, 15, "disk", n->disk, SNAP_PATH_MAX);
	if (!st && !snap_path_valid(n->disk))
		st = FAIL(ps, "'disk' is not a valid path");
	return st ? st : want_end(ps, 16);
}

/* Line 1: "snapvisor-manifest N"; a newer N is ST_EUNSUPP. */
static status_t version_line(struct parser *ps)
{
	static const char magic[] = "snapvisor-manifest ";
	size_t n = sizeof(magic) - 1;
	uint64_t v = 0;
	status_t st;

	ps->line = 1;
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, magic, n))
		return FAIL(ps, "not a snapvisor manifest");
	ps->line = 0;
	if ((st = split_line(ps)) || (st = get_num(ps, 1, "version",
						   UINT32_MAX, &v)))
		return st;
	if (v > MANIFEST_VERSION) {
		FAIL(ps, "manifest version %u is newer than this build's (%u)",
		     (unsigned)v, MANIFEST_VERSION);
		return ST_EUNSUPP;
	}
	if (v != MANIFEST_VERSION)
		return FAIL(ps, "bad manifest version %u", (unsigned)v);
	return want_end(ps, 2);
}

/* Every byte printable or '\n', the last line "crc32 xxxxxxxx\n" matching
 * the bytes before it. Sets ps->end to the start of the crc32 line. */
static status_t check_crc(struct parser *ps, const char *buf, size_t len)
{
	unsigned lines = 0;
	size_t start = 0;
	uint32_t want = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			lines++;
			if (i + 1 < len)
				start = i + 1;
		} else if (buf[i] < ' ' || buf[i] > '~') {
			ps->line = lines + 1;
			return FAIL(ps, "a control or non-ASCII byte");
		}
	}
	ps->line = lines;
	if (!len || buf[len - 1] != '\n')
		return FAIL(ps, "the file does not end with a crc32 line");
	if (len - start != 15 || memcmp(buf + start, "crc32 ", 6))
		return FAIL(ps, "the last line is not 'crc32 xxxxxxxx'");
	for (size_t i = start + 6; i < start + 14; i++) {
		char c = buf[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
		if (d > 15)
			return FAIL(ps, "crc32 needs 8 lowercase hex digits");
		want = want << 4 | d;
	}
	if (crc32_update(0, buf, start) != want)
		return FAIL(ps, "crc32 mismatch: the file was changed or cut");
	ps->end = buf + start;
	ps->line = 0;
	return ST_OK;
}

status_t manifest_parse(const void *buf, size_t len, struct manifest *m,
			char *err, size_t errcap)
{
	struct parser ps;
	status_t st;

	memset(m, 0, sizeof(*m));
	if (err && errcap)
		err[0] = 0;
	if (!buf || !len)
		return manifest_err(err, errcap, 0, "empty file");
	if (len > MANIFEST_TEXT_MAX)
		return manifest_err(err, errcap, 0, "larger than %u bytes",
				    MANIFEST_TEXT_MAX);
	/* The version first: a newer format may not end the same way. */
	if (!find_eol(buf, (const char *)buf + len))
		return manifest_err(err, errcap, 1, "not a snapvisor manifest");
	ps = (struct parser){ .p = buf, .end = (const char *)buf + len,
			      .err = err, .errcap = errcap };
	if ((st = version_line(&ps)))
		return st;
	ps = (struct parser){ .p = buf, .err = err, .errcap = errcap };
	if ((st = check_crc(&ps, buf, len)))
		return st;
	ps.p = find_eol(buf, ps.end) + 1;
	ps.line = 1;
	if ((st = header_num(&ps, "next_id", &m->next_id)) ||
	    (st = header_num(&ps, "next_leaf", &m->next_leaf)) ||
	    (st = header_num(&ps, "current", &m->current)) ||
	    (st = header_str(&ps, "base_disk", m->base_disk)) ||
	    (st = header_str(&ps, "leaf", m->leaf)))
		return st;
	while (ps.p < ps.end) {
		if (m->count == SNAP_MAX)
			return manifest_err(err, errcap, ps.line + 1, "more "
					    "than %u snapshots", SNAP_MAX);
		if ((st = node_line(&ps, &m->node[m->count++])))
			return st;
	}
	return manifest_check_lines(m, err, errcap, true);
}
