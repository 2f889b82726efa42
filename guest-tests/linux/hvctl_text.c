/* hvctl_text.c: argv joining and the status meanings for hvctl (hvctl.h).
 * No system calls here, so the host unit test can link it as it is. The
 * texts follow README.md's list of hypercall statuses. */
#include <string.h>
#include "hvctl.h"

int hvctl_join(char *buf, size_t size, int nwords, char *const words[])
{
	size_t len = 0;
	if (size == 0)
		return -1;
	buf[0] = 0;
	for (int i = 0; i < nwords; i++) {
		size_t n = strlen(words[i]);
		size_t need = n + (i > 0);
		if (len + need >= size)
			return -1;
		if (i > 0)
			buf[len++] = ' ';
		memcpy(buf + len, words[i], n);
		len += n;
		buf[len] = 0;
	}
	return (int)len;
}

static const struct {
	long status;
	const char *text;
} meanings[] = {
	{ -1, "unknown command or bad argument" },
	{ -4, "boot volume full" },
	{ -5, "no such snapshot" },
	{ -6, "damaged snapshot files" },
	{ -8, "name or file exists" },
	{ -10, "command longer than 4096 bytes" },
	/* hvctl runs in user mode, which hv.cfg refuses by default. */
	{ -11, "not allowed: set hypercall_user = yes in hv.cfg" },
	{ -12, "snapshot of another machine" },
	{ -13, "no disk" },
	{ -14, "bad address" },
};

const char *hvctl_meaning(long status)
{
	for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
		if (meanings[i].status == status)
			return meanings[i].text;
	return "unknown status";
}
