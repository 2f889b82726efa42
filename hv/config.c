/* config.c: parser of the VM configuration file (config.h). */
#include <string.h>
#include "hv/config.h"
#include "hv/lib/fmt.h"

status_t parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int shift = 0;
	if (*s < '0' || *s > '9')
		return ST_EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		/* Exact: every value up to UINT64_MAX parses. */
		if (v > (UINT64_MAX - d) / 10)
			return ST_EINVAL;
		v = v * 10 + d;
	}
	switch (*s) {
	case 'k': case 'K': shift = 10, s++; break;
	case 'm': case 'M': shift = 20, s++; break;
	case 'g': case 'G': shift = 30, s++; break;
	}
	/* "Mi", "MiB", "MB" and a plain "B"; an 'i' needs a K/M/G before it. */
	if (shift && *s == 'i')
		s++;
	if (*s == 'B' || *s == 'b')
		s++;
	if (*s || (shift && v > (UINT64_MAX >> shift)))
		return ST_EINVAL;
	*out = v << shift;
	return ST_OK;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static status_t copy_value(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return ST_ERANGE;
	memcpy(dst, v, n + 1);
	return ST_OK;
}

static status_t set_key(struct vm_config *cfg, const char *key,
			const char *val, const char **why)
{
	status_t st;
	*why = "value too long";
	if (!strcmp(key, "kernel"))
		return copy_value(cfg->kernel, sizeof cfg->kernel, val);
	if (!strcmp(key, "initrd"))
		return copy_value(cfg->initrd, sizeof cfg->initrd, val);
	if (!strcmp(key, "disk"))
		return copy_value(cfg->disk, sizeof cfg->disk, val);
	if (!strcmp(key, "cmdline"))
		return copy_value(cfg->cmdline, sizeof cfg->cmdline, val);
	if (!strcmp(key, "memory")) {
		*why = "memory must be a size from 2M to 64G, like 256M";
		st = parse_size(val, &cfg->memory);
		if (!st && (cfg->memory < CONFIG_MEM_MIN ||
			    cfg->memory > CONFIG_MEM_MAX))
			st = ST_ERANGE;
		return st;
	}
	if (!strcmp(key, "on_stop")) {
		*why = "on_stop must be poweroff or console";
		if (!strcmp(val, "poweroff"))
			cfg->on_stop = ON_STOP_POWEROFF;
		else if (!strcmp(val, "console"))
			cfg->on_stop = ON_STOP_CONSOLE;
		else
			return ST_EINVAL;
		return ST_OK;
	}
	if (!strcmp(key, "hypercall_user")) {
		*why = "hypercall_user must be yes or no";
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return ST_EINVAL;
		cfg->hypercall_user = !strcmp(val, "yes");
		return ST_OK;
	}
	if (!strcmp(key, "snapshot_capture")) {
		*why = "snapshot_capture must be cow or stop-and-copy";
		if (strcmp(val, "cow") && strcmp(val, "stop-and-copy"))
			return ST_EINVAL;
		cfg->snapshot_stop_and_copy = !strcmp(val, "stop-and-copy");
		return ST_OK;
	}
	if (!strcmp(key, "merge_share")) {
		*why = "merge_share must be a percentage from 1 to 100";
		uint64_t pct;
		if ((st = parse_size(val, &pct)) || !pct || pct > 100)
			return st ? st : ST_ERANGE;
		cfg->merge_share = (unsigned)pct;
		return ST_OK;
	}
	*why = "unknown key";
	return ST_EINVAL;
}

/* Splits one line (NUL-terminated, comment stripped) into key and value
 * in place and applies it. */
static status_t parse_line(struct vm_config *cfg, char *line,
			   const char **why)
{
	char *eq = strchr(line, '='), *key = line, *val, *end;
	while (is_space(*key))
		key++;
	if (!*key)
		return ST_OK;
	*why = "expected key = value";
	if (!eq)
		return ST_EINVAL;
	for (end = eq; end > key && is_space(end[-1]); end--)
		;
	*end = 0;
	for (val = eq + 1; is_space(*val); val++)
		;
	for (end = val + strlen(val); end > val && is_space(end[-1]); end--)
		;
	*end = 0;
	return set_key(cfg, key, val, why);
}

status_t config_parse(const char *text, size_t len, struct vm_config *cfg,
		      char *err, size_t errlen)
{
	char line[CONFIG_CMDLINE_MAX + 64];
	unsigned lineno = 0;
	memset(cfg, 0, sizeof *cfg);
	cfg->memory = CONFIG_MEM_DEFAULT;
	cfg->on_stop = ON_STOP_CONSOLE;
	cfg->merge_share = CONFIG_MERGE_SHARE_DEFAULT;
	for (size_t pos = 0; pos < len;) {
		size_t n = 0;
		const char *why = "";
		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (n + 1 >= sizeof line || !text[pos]) {
				hv_snprintf(err, errlen, "line %u: %s", lineno,
					    text[pos] ? "line too long" : "NUL byte");
				return ST_EINVAL;
			}
			line[n++] = text[pos++];
		}
		pos++;
		line[n] = 0;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		status_t st = parse_line(cfg, line, &why);
		if (st) {
			hv_snprintf(err, errlen, "line %u: %s", lineno, why);
			return st;
		}
	}
	if (!cfg->kernel[0]) {
		hv_snprintf(err, errlen, "no kernel = line");
		return ST_EINVAL;
	}
	return ST_OK;
}
