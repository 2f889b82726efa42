/* snap_state.c: a machine's state as sections of a state file
 * (snapshot/statefile.h): "vm" (shape and clock), per vCPU "cpuN" (the
 * neutral cpu_state plus what the hypervisor keeps for it), "fpuN" (its
 * XSAVE image) and "lapicN", and one "devN.NAME" per device model in
 * creation order. Clocks: device images hold distances (their own
 * save/restore), the LAPIC's count start moves by the time between save
 * and restore, and the guest TSC resumes at its saved value. */
#include <string.h>
#include <stdlib.h>
#include "hv/hv.h"
#include "hv/lapic.h"
#include "hv/lib/fmt.h"
#include "hv/log.h"
#include "hv/snap.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "snapshot/statefile.h"

#define VM_IMAGE_VERSION 1
#define CPU_IMAGE_VERSION 1

struct vm_image {
	uint32_t version, nvcpus;
	uint64_t ram_size;
	uint32_t ndevs, pad;
	uint64_t clock; /* vclock at the save */
};

/* MSRs added after version 1 of the cpu image: a section of its own,
 * "msrN", so that older snapshots (without it) still apply, with these
 * MSRs at their reset value. */
struct msr_image {
	uint64_t tsc_aux;
	uint64_t reserved[3];
};

struct cpu_image {
	uint32_t version, halted;
	uint64_t xcr0, guest_tsc;
	uint64_t msr_store[NR_MSR_STORE];
	struct cpu_state cs;
};

static void tag(char *buf, const char *what, unsigned i, const char *name)
{
	hv_snprintf(buf, SF_TAG_MAX, "%s%u%s%s", what, i, name ? "." : "",
		    name ? name : "");
}

static void save_vcpu(struct sf_writer *w, struct vcpu *v,
		      const struct cmd_caller *c, uint64_t reply_len)
{
	struct cpu_image img;
	struct lapic_state ls;
	char t[SF_TAG_MAX];
	memset(&img, 0, sizeof img);
	img.version = CPU_IMAGE_VERSION;
	vcpu_ops->get_state(v, &img.cs);
	img.halted = v->halted;
	img.xcr0 = v->xcr0;
	img.guest_tsc = rdtsc() + vcpu_reg(v, VR_TSC_OFFSET);
	memcpy(img.msr_store, v->msr_store, sizeof img.msr_store);
	if (c && c->vcpu == v) {
		/* Sent back here, the snapshot's own call returns 1 with the
		 * reply it gave (issue 5: like setjmp). */
		img.cs.gpr[RAX] = 1;
		img.cs.gpr[RDX] = reply_len;
	}
	tag(t, "cpu", v->id, NULL);
	sf_add(w, t, CPU_IMAGE_VERSION, &img, sizeof img);
	struct msr_image mi = { .tsc_aux = v->tsc_aux };
	tag(t, "msr", v->id, NULL);
	sf_add(w, t, 1, &mi, sizeof mi);
	tag(t, "fpu", v->id, NULL);
	sf_add(w, t, 1, v->fpu_area, FPU_AREA_SIZE);
	lapic_save(v->lapic, &ls);
	tag(t, "lapic", v->id, NULL);
	sf_add(w, t, ls.version, &ls, sizeof ls);
}

status_t snap_state_save(struct vm *vm, struct sf_writer *w,
			 const struct cmd_caller *c, uint64_t reply_len)
{
	struct vm_image vi = { VM_IMAGE_VERSION, vm->nvcpus, vm->ram_size,
			       vm->ndevs, 0, vclock_now(vm) };
	char t[SF_TAG_MAX];
	uint8_t *buf = NULL;
	size_t cap = 0;
	sf_add(w, "vm", VM_IMAGE_VERSION, &vi, sizeof vi);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		save_vcpu(w, &vm->vcpu[i], c, reply_len);
	for (unsigned i = 0; i < vm->ndevs; i++) {
		struct device *d = vm->dev[i];
		if (!d->save)
			continue;
		if (d->state_size > cap) {
			uint8_t *nb = realloc(buf, d->state_size);
			if (!nb) {
				free(buf);
				return ST_ENOMEM;
			}
			buf = nb, cap = d->state_size;
		}
		memset(buf, 0, d->state_size);
		d->save(d, buf);
		tag(t, "dev", i, d->name);
		sf_add(w, t, 1, buf, d->state_size);
	}
	free(buf);
	return ST_OK;
}

static status_t find(const struct sf_reader *r, const char *what, unsigned i,
		     const char *name, size_t len, struct sf_section *s)
{
	char t[SF_TAG_MAX];
	tag(t, what, i, name);
	status_t st = sf_find(r, t, s);
	if (!st && s->len != len)
		st = ST_ECORRUPT;
	return st;
}

status_t snap_state_check(struct vm *vm, const struct sf_reader *r,
			  char *why, size_t cap)
{
	struct sf_section s;
	struct vm_image vi;
	if (sf_find(r, "vm", &s) == ST_OK && s.len == sizeof vi)
		memcpy(&vi, s.data, sizeof vi);
	else
		return hv_snprintf(why, cap, "no machine record"), ST_ECORRUPT;
	if (vi.version != VM_IMAGE_VERSION)
		return hv_snprintf(why, cap, "machine record version %u",
				   vi.version), ST_EUNSUPP;
	if (vi.nvcpus != vm->nvcpus || vi.ram_size != vm->ram_size ||
	    vi.ndevs != vm->ndevs)
		return hv_snprintf(why, cap, "it is of another machine (%u vCPUs, "
				   "%llu MiB, %u devices; this VM has %u, %llu "
				   "MiB, %u)", vi.nvcpus,
				   (unsigned long long)(vi.ram_size >> 20),
				   vi.ndevs, vm->nvcpus,
				   (unsigned long long)(vm->ram_size >> 20),
				   vm->ndevs), ST_EMISMATCH;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (find(r, "cpu", i, NULL, sizeof(struct cpu_image), &s) ||
		    find(r, "fpu", i, NULL, FPU_AREA_SIZE, &s) ||
		    find(r, "lapic", i, NULL, sizeof(struct lapic_state), &s) ||
		    find(r, "msr", i, NULL, sizeof(struct msr_image), &s) ==
			    ST_ECORRUPT)
			return hv_snprintf(why, cap, "vCPU %u is missing", i),
			       ST_ECORRUPT;
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (vm->dev[i]->save &&
		    find(r, "dev", i, vm->dev[i]->name, vm->dev[i]->state_size, &s))
			return hv_snprintf(why, cap, "device %s is missing or of "
					   "another size", vm->dev[i]->name),
			       ST_EMISMATCH;
	return ST_OK;
}

static status_t restore_vcpu(struct vcpu *v, const struct sf_reader *r,
			     uint64_t moved)
{
	struct sf_section s;
	struct cpu_image img;
	struct lapic_state ls;
	find(r, "cpu", v->id, NULL, sizeof img, &s);
	memcpy(&img, s.data, sizeof img);
	if (img.version != CPU_IMAGE_VERSION)
		return ST_EUNSUPP;
	vcpu_ops->set_state(v, &img.cs);
	v->halted = img.halted != 0;
	v->xcr0 = img.xcr0;
	memcpy(v->msr_store, img.msr_store, sizeof v->msr_store);
	struct msr_image mi = { 0 };
	if (!find(r, "msr", v->id, NULL, sizeof mi, &s))
		memcpy(&mi, s.data, sizeof mi);
	v->tsc_aux = mi.tsc_aux;
	vcpu_set_reg(v, VR_TSC_OFFSET, img.guest_tsc - rdtsc());
	find(r, "fpu", v->id, NULL, FPU_AREA_SIZE, &s);
	memcpy(v->fpu_area, s.data, FPU_AREA_SIZE);
	find(r, "lapic", v->id, NULL, sizeof ls, &s);
	memcpy(&ls, s.data, sizeof ls);
	ls.timer_start += moved;
	return lapic_restore(v->lapic, &ls);
}

status_t snap_state_restore(struct vm *vm, const struct sf_reader *r)
{
	struct sf_section s;
	struct vm_image vi;
	status_t st;
	sf_find(r, "vm", &s);
	memcpy(&vi, s.data, sizeof vi);
	uint64_t moved = vclock_now(vm) - vi.clock;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if ((st = restore_vcpu(&vm->vcpu[i], r, moved)))
			return st;
	for (unsigned i = 0; i < vm->ndevs; i++) {
		struct device *d = vm->dev[i];
		if (!d->restore)
			continue;
		find(r, "dev", i, d->name, d->state_size, &s);
		if ((st = d->restore(d, s.data, s.len))) {
			hv_log("snapshot: device %s refuses its saved state: %s",
			       d->name, status_str(st));
			return st;
		}
	}
	return ST_OK;
}
