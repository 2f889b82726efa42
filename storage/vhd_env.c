/* vhd_env.c: emitting diagnostics and progress through the caller's
 * callbacks. */
#include <string.h>

#include "storage/vhd_env.h"

void vhd_rep_init(struct vhd_rep *r, const struct vhd_env *env,
		  const char *file)
{
	memset(r, 0, sizeof(*r));
	r->env = env;
	r->file = file;
}

static void emit(struct vhd_rep *r, const struct vhd_diag *d)
{
	if (d->level == VHD_ERROR)
		r->errors++;
	else if (d->level == VHD_WARN)
		r->warnings++;
	if (r->env && r->env->diag)
		r->env->diag(r->env->ctx, d);
}

void vhd_rep_ve(struct vhd_rep *r, enum vhd_level lvl, const char *field,
		const char *msg, uint64_t value, uint64_t expected)
{
	struct vhd_diag d = { lvl, r->file, field, msg, 1, 1, value, expected };

	emit(r, &d);
}

void vhd_rep_v(struct vhd_rep *r, enum vhd_level lvl, const char *field,
	       const char *msg, uint64_t value)
{
	struct vhd_diag d = { lvl, r->file, field, msg, 1, 0, value, 0 };

	emit(r, &d);
}

void vhd_rep(struct vhd_rep *r, enum vhd_level lvl, const char *field,
	     const char *msg)
{
	struct vhd_diag d = { lvl, r->file, field, msg, 0, 0, 0, 0 };

	emit(r, &d);
}

void vhd_progress(const struct vhd_env *env, uint64_t done, uint64_t total)
{
	if (env->progress)
		env->progress(env->ctx, done, total);
}

const char *vhd_field_idx(char buf[48], const char *name, uint64_t idx)
{
	char num[24];
	size_t n = strlen(name), k = 0;

	if (n > 20)
		n = 20;
	do {
		num[k++] = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx);
	memcpy(buf, name, n);
	buf[n++] = '[';
	while (k)
		buf[n++] = num[--k];
	buf[n++] = ']';
	buf[n] = 0;
	return buf;
}
