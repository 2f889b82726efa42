/* merge_export: `snapshot export`. Two machines:
 *   phase=1  (fresh volume, a disk holding A) snapshot 1, B, snapshot 2,
 *            then C (merge.h), and exports snapshot 1 to export-1.vhd and
 *            snapshot 2 to export-2.vhd; exporting again to an existing
 *            path is refused with -8 (EEXIST), an unknown snapshot with -5
 *            (ENOENT), a missing argument with -1 (EINVAL).
 *   phase=2  a new machine whose disk is export-2.vhd (copied off the
 *            volume by the host) finds one layer holding A and B, no C. */
#include "merge.h"

#define TAG	"merge_export"

static void export_ok(unsigned id, const char *path)
{
	char cmd[64], want[64];
	snprintf(cmd, sizeof cmd, "snapshot export %u %s", id, path);
	snprintf(want, sizeof want, "exported snapshot %u to %s", id, path);
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == 0 && !strcmp(hc_reply, want) && r.rdx == strlen(want),
		"'%s' -> %d: %s", cmd, r.rax, hc_reply);
	printf(TAG ": %s\n", want);
}

static void refused(const char *cmd, int32_t status)
{
	struct hc_result r = console(cmd);
	ASSERTF(r.rax == status, "'%s' -> %d (expected %d): %s", cmd, r.rax, status,
		hc_reply);
}

static void phase1(void)
{
	unsigned ids[2];
	char cmd[64];
	two_snapshots(TAG, ids);
	for (unsigned k = 0; write_c_chunk(k); k++)
		;
	export_ok(ids[0], "export-1.vhd");
	export_ok(ids[1], "export-2.vhd");
	snprintf(cmd, sizeof cmd, "snapshot export %u export-1.vhd", ids[1]);
	refused(cmd, HC_EEXIST);
	refused("snapshot export 999 export-9.vhd", HC_ENOENT);
	refused("snapshot export nosuchname export-9.vhd", HC_ENOENT);
	snprintf(cmd, sizeof cmd, "snapshot export %u", ids[1]);
	refused(cmd, HC_EINVAL);
	refused("snapshot export", HC_EINVAL);
	printf(TAG ": existing path, unknown snapshot and missing arguments refused\n");
	layout_expect(want_abc, "after the exports");
	printf(TAG ": the running disk is as last written\n");
}

static void phase2(void)
{
	unsigned n = disk_layers(TAG);
	ASSERTF(n == 1, "the exported disk has %u layers", n);
	layout_expect(want_ab, "the exported disk");
	printf(TAG ": the exported disk holds snapshot 2's content, not the later writes\n");
}

void guest_main(const struct mb_info *mbi)
{
	layout_init(mbi);
	if (layout_phase(mbi) == 1)
		phase1();
	else
		phase2();
}
