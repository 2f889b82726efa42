/* snap_merge.c: the merge thread of deleted snapshots' disk layers
 * (DESIGN.md section 6, snapshot/merge.h) and `merge status`/`merge now`.
 * The plan is remade from the layer graph whenever the tree changes; one
 * merge runs at a time, in steps of about one VHD block:
 * - while the vCPU is halted, from the idle loop, step after step until
 *   its next timer;
 * - while it never halts, from the 10 ms poll, for merge_share percent
 *   of the time (a credit of TSC ticks), so every merge finishes.
 * A failure (a full volume) stops the merge with a message; it is begun
 * again 2 s later, copying only what is still missing.
 * Environment: the service loop or a command, all vCPUs outside the
 * guest. */
#include <stdlib.h>
#include <string.h>
#include "hv/disk.h"
#include "hv/hv.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/snap.h"
#include "hv/snap_internal.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "snapshot/tree.h"

#define STEP_BYTES (256u << 10)
#define RETRY_SECONDS 2
#define CREDIT_MAX_MS 50

static status_t host_store(void *ctx)
{
	struct vm *vm = ctx;
	return snap_store(vm->snap);
}

static struct vhd_chain *host_running(void *ctx)
{
	struct vm *vm = ctx;
	return vm->disk;
}

static status_t host_reopen(void *ctx)
{
	struct vm *vm = ctx;
	return snap_disk_swap(vm, vm->snap->m.leaf);
}

static void host_note(void *ctx, const char *msg)
{
	(void)ctx;
	hv_log("snapshot: %s", msg);
}

void snap_merge_host(struct vm *vm, struct merge_host *h)
{
	h->env = hv_vhd_env();
	h->m = &vm->snap->m;
	h->ctx = vm;
	h->store = host_store;
	h->running = host_running;
	h->reopen = host_reopen;
	h->note = host_note;
}

void snap_merge_changed(struct vm *vm)
{
	struct snap_merger *mg = vm->snap ? &vm->snap->merge : NULL;
	if (!mg)
		return;
	merge_free(mg->active);
	mg->active = NULL;
	mg->stale = true;
	mg->retry_tsc = 0;
}

/* Remakes the plan (and drops files nobody needs any more). */
void snap_merge_plan(struct vm *vm)
{
	struct snapshots *s = vm->snap;
	struct snap_merger *mg = &s->merge;
	char err[160];
	mg->stale = false;
	mg->nplan = 0;
	if (s->broken || (!mg->graph && !(mg->graph = malloc(sizeof *mg->graph))))
		return;
	status_t st = layers_build(mg->host.env, &s->m, mg->graph, err,
				   sizeof err);
	if (st) {
		hv_log("snapshot: merges wait: %s", err);
		mg->err = st;
		return;
	}
	/* first: a leftover naming the base would block its commit */
	if (!s->job.active)
		tree_gc(&mg->host, mg->graph);
	unsigned branches; /* `merge status` lists them from the graph */
	mg->nplan = merge_plan(mg->graph, mg->plan, MERGE_PLAN_MAX, &branches);
}

static const char *why(status_t st)
{
	return st == ST_ENOSPC ? "the boot volume is full" : status_str(st);
}

/* One step of the first planned merge; false when there is nothing to
 * do now. */
static bool merge_some(struct vm *vm, uint64_t bytes)
{
	struct snap_merger *mg = &vm->snap->merge;
	bool done = false;
	status_t st;
	if (mg->stale)
		snap_merge_plan(vm);
	if (!mg->nplan || (mg->retry_tsc && rdtsc() < mg->retry_tsc))
		return false;
	if (!mg->active) {
		st = merge_begin(&mg->host, mg->graph, &mg->plan[0], &mg->active);
		if (st)
			goto fail;
		hv_log("snapshot: merging %s into %s", mg->plan[0].layer,
		       mg->plan[0].into);
	}
	if ((st = merge_step(mg->active, bytes, &done)))
		goto fail;
	if (done) {
		hv_log("snapshot: merged %s into %s", mg->plan[0].layer,
		       mg->plan[0].into);
		merge_free(mg->active);
		mg->active = NULL;
		mg->stale = true;
	}
	mg->err = ST_OK;
	mg->retry_tsc = 0;
	return true;
fail:
	hv_log("snapshot: merge of %s stopped: %s; it resumes in %u s",
	       mg->plan[0].layer, why(st), RETRY_SECONDS);
	merge_free(mg->active);
	mg->active = NULL;
	mg->err = st;
	mg->stale = true;   /* the layers may have changed: plan again */
	mg->retry_tsc = rdtsc() + plat_tsc_hz() * RETRY_SECONDS;
	return false;
}

bool snap_merge_pending(const struct vm *vm)
{
	const struct snap_merger *mg = vm->snap ? &vm->snap->merge : NULL;
	return mg && !vm->snap->broken && (mg->stale || mg->nplan) &&
	       !(mg->retry_tsc && rdtsc() < mg->retry_tsc);
}

void snap_merge_idle(struct vm *vm, uint64_t until)
{
	while (snap_merge_pending(vm) && rdtsc() < until)
		if (!merge_some(vm, STEP_BYTES))
			break;
}

void snap_merge_busy(struct vm *vm)
{
	struct snap_merger *mg = &vm->snap->merge;
	uint64_t now = rdtsc(), max = plat_tsc_hz() / 1000 * CREDIT_MAX_MS;
	unsigned share = vm->cfg.merge_share ? vm->cfg.merge_share
					     : CONFIG_MERGE_SHARE_DEFAULT;
	if (!snap_merge_pending(vm)) {
		/* no credit saved up while there is nothing to merge: a
		 * delete must not buy a burst that stalls the guest */
		mg->last_tsc = 0;
		mg->credit = 0;
		return;
	}
	if (mg->last_tsc)
		mg->credit += (int64_t)((now - mg->last_tsc) * share / 100);
	mg->last_tsc = now;
	if (mg->credit > (int64_t)max)
		mg->credit = (int64_t)max;
	while (mg->credit > 0 && snap_merge_pending(vm)) {
		uint64_t t0 = rdtsc();
		bool ran = merge_some(vm, STEP_BYTES);
		mg->credit -= (int64_t)(rdtsc() - t0);
		if (!ran)
			break;
	}
}

status_t snap_merge_now(struct vm *vm, char *reply, size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	struct snap_merger *mg = st ? NULL : &vm->snap->merge;
	unsigned merged = 0;
	if (st)
		return st;
	snap_finish(vm); /* garbage collection waits for captures */
	mg->retry_tsc = 0;
	/* each merge removes a layer: the bound only guards against a
	 * plan that would not shrink */
	for (unsigned round = 0; round < LAYERS_MAX; round++) {
		if (mg->stale)
			snap_merge_plan(vm);
		if (!mg->nplan)
			break;
		if (!merge_some(vm, UINT64_MAX)) {
			mg->retry_tsc = 0;
			hv_snprintf(reply, cap, "merge stopped: %s", why(mg->err));
			return mg->err ? mg->err : ST_EIO;
		}
		merged += mg->active == NULL;
	}
	hv_snprintf(reply, cap, "merged %u layers", merged);
	return ST_OK;
}

status_t snap_merge_status(struct vm *vm, char *reply, size_t cap)
{
	status_t st = snap_usable(vm, reply, cap);
	struct snap_merger *mg = st ? NULL : &vm->snap->merge;
	size_t len;
	if (st)
		return st;
	if (mg->stale && !mg->active)
		snap_merge_plan(vm);
	len = (size_t)hv_snprintf(reply, cap, mg->nplan ?
				  "LAYER INTO DONE LEFT STATE" :
				  "no merges pending");
	for (unsigned i = 0; i < mg->nplan && len < cap; i++) {
		uint64_t done = 0, total = mg->plan[i].bytes;
		const char *state = "queued";
		if (!i && mg->active) {
			merge_progress(mg->active, &done, &total);
			state = "running";
		} else if (!i && mg->err) {
			state = "stopped";
		}
		len += (size_t)hv_snprintf(reply + len, cap - len,
					   "\n%s %s %llu %llu %s",
					   mg->plan[i].layer, mg->plan[i].into,
					   (unsigned long long)done,
					   (unsigned long long)(total - done),
					   state);
	}
	for (unsigned i = 0; mg->graph && i < mg->graph->n && len < cap; i++) {
		const struct layer *l = &mg->graph->l[i];
		if (!l->owner && l->children > 1)
			len += (size_t)hv_snprintf(
				reply + len, cap - len,
				"\nkept %s: branch point of %u layers", l->path,
				l->children);
	}
	return ST_OK;
}

void snap_merge_free(struct vm *vm)
{
	struct snap_merger *mg = &vm->snap->merge;
	merge_free(mg->active);
	mg->active = NULL;
	free(mg->graph);
	mg->graph = NULL;
}
