/* guest.h: the guest's view of its own memory, for emulators that must
 * follow a guest pointer: its execution mode, linear-to-physical
 * translation through its paging with its privilege, and the fetch of
 * the instruction at CS:RIP. */
#ifndef HV_GUEST_H
#define HV_GUEST_H
#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "hv/decode.h"
#include "hv/vcpu.h"

enum cpu_mode guest_mode(struct vcpu *v);
/* The caller's own view: ST_EFAULT with the #PF error code it would get
 * (or ~0 when a page table lies outside RAM); nothing is injected. */
status_t guest_walk(struct vcpu *v, uint64_t linear, unsigned access,
		    uint64_t *gpa, uint32_t *pf);
/* ST_EFAULT after injecting the #PF the access would raise (or, when a
 * page table lies outside RAM, after stopping the VM). `access` takes
 * GW_WRITE / GW_FETCH; the user bit comes from the CPL. */
status_t guest_translate(struct vcpu *v, uint64_t linear, unsigned access,
			 uint64_t *gpa);
/* Copies up to 15 instruction bytes at CS:RIP; returns how many. */
size_t guest_fetch(struct vcpu *v, uint8_t *buf);

#endif
