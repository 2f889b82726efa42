/* vmx.c: VT-x on one physical CPU (Intel SDM vol. 3, chapter 24): the
 * capability MSRs, IA32_FEATURE_CONTROL, a host GDT with a TSS (VM exit
 * needs a usable host TR, and OVMF runs with TR = 0), and VMXON.
 * Environment: the CPU that will run the vCPU, CPL 0, boot services. */
#include <string.h>
#include "hv/log.h"
#include "hv/platform.h"
#include "hv/x86.h"
#include "vmx/vmx.h"

#define FC_LOCK (1u << 0)
#define FC_VMX_OUTSIDE_SMX (1u << 2)
#define TSS_SIZE 104

struct vmx_caps vmx_caps;
struct dtr vmx_host_gdtr, vmx_host_idtr;

static void read_pair(uint32_t msr, uint32_t out[2])
{
	uint64_t v = rdmsr(msr);
	out[0] = (uint32_t)v;
	out[1] = (uint32_t)(v >> 32);
}

/* With VMX_BASIC bit 55 the TRUE_* MSRs give the real allowed-0 bits
 * (appendix A.2). */
static void read_caps(void)
{
	struct vmx_caps *c = &vmx_caps;
	c->basic = rdmsr(MSR_VMX_BASIC);
	bool true_ctls = (c->basic >> 55) & 1;
	read_pair(true_ctls ? MSR_VMX_TRUE_PIN : MSR_VMX_PIN, c->pin);
	read_pair(true_ctls ? MSR_VMX_TRUE_PROC : MSR_VMX_PROC, c->proc);
	read_pair(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT, c->exit);
	read_pair(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY, c->entry);
	if (c->proc[1] & PROC_SECONDARY) {
		read_pair(MSR_VMX_PROCBASED2, c->proc2);
		if (c->proc2[1] & PROC2_EPT)
			c->ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
	}
	c->misc = rdmsr(MSR_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	hv_log("vmx: basic 0x%llx misc 0x%llx ept/vpid 0x%llx",
	       (unsigned long long)c->basic, (unsigned long long)c->misc,
	       (unsigned long long)c->ept_vpid);
	hv_log("vmx: pin %08x/%08x proc %08x/%08x proc2 %08x/%08x", c->pin[0],
	       c->pin[1], c->proc[0], c->proc[1], c->proc2[0], c->proc2[1]);
	hv_log("vmx: exit %08x/%08x entry %08x/%08x cr0 fixed %llx/%llx "
	       "cr4 fixed %llx/%llx", c->exit[0], c->exit[1], c->entry[0],
	       c->entry[1], (unsigned long long)c->cr0_fixed0,
	       (unsigned long long)c->cr0_fixed1,
	       (unsigned long long)c->cr4_fixed0,
	       (unsigned long long)c->cr4_fixed1);
}

uint32_t vmx_adjust(const uint32_t allowed[2], uint32_t want)
{
	return (want | allowed[0]) & allowed[1];
}

/* SDM vol. 3, 24.7: lock the MSR with VMX allowed if firmware left it
 * unlocked; refuse if it locked VMX off. */
static status_t enable_feature_control(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FC_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FC_LOCK | FC_VMX_OUTSIDE_SMX);
		hv_log("vmx: IA32_FEATURE_CONTROL was unlocked; locked with VMX on");
		return ST_OK;
	}
	if (!(fc & FC_VMX_OUTSIDE_SMX)) {
		hv_log("vmx: disabled by the firmware (IA32_FEATURE_CONTROL 0x%llx)",
		       (unsigned long long)fc);
		return ST_ENODEV;
	}
	return ST_OK;
}

/* Copies the firmware's GDT, appends a 64-bit TSS descriptor (SDM vol.
 * 3, 8.2.3) and loads both; the selectors in use stay valid. */
static status_t install_host_tss(void)
{
	struct dtr old;
	sgdt(&old);
	uint8_t *gdt = plat_alloc_pages(2);
	uint8_t *tss = gdt ? gdt + PAGE_SIZE : NULL;
	if (!gdt || old.limit + 1u + 16 > PAGE_SIZE)
		return ST_ENOMEM;
	memset(gdt, 0, 2 * PAGE_SIZE);
	memcpy(gdt, (void *)(uintptr_t)old.base, old.limit + 1u);
	uint16_t sel = (uint16_t)((old.limit + 1u + 7) & ~7u);
	uint64_t base = (uint64_t)(uintptr_t)tss;
	uint64_t lo = (TSS_SIZE - 1) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		      (((base >> 24) & 0xff) << 56);
	memcpy(gdt + sel, &lo, 8);
	uint64_t hi = base >> 32;
	memcpy(gdt + sel + 8, &hi, 8);
	*(uint16_t *)(tss + 102) = TSS_SIZE; /* no I/O bitmap */
	vmx_host_gdtr = (struct dtr){ (uint16_t)(sel + 15), (uint64_t)(uintptr_t)gdt };
	lgdt(&vmx_host_gdtr);
	__asm__ volatile("ltr %0" : : "r"(sel));
	sidt(&vmx_host_idtr);
	return ST_OK;
}

static status_t check_caps(void)
{
	const struct vmx_caps *c = &vmx_caps;
	if (!(c->proc[1] & PROC_SECONDARY) || !(c->proc2[1] & PROC2_EPT) ||
	    !(c->proc2[1] & PROC2_UNRESTRICTED)) {
		hv_log("vmx: EPT and unrestricted guest are required");
		return ST_ENODEV;
	}
	if (!(c->ept_vpid & (1u << 6)) || !(c->ept_vpid & (1u << 14))) {
		hv_log("vmx: EPT lacks 4-level walks or write-back memory");
		return ST_ENODEV;
	}
	return ST_OK;
}

status_t vmx_cpu_enable(void)
{
	status_t st;
	read_caps();
	if ((st = check_caps()) || (st = enable_feature_control()))
		return st;
	if ((st = install_host_tss()))
		return st;
	uint32_t *region = plat_alloc_pages(1);
	if (!region)
		return ST_ENOMEM;
	memset(region, 0, PAGE_SIZE);
	region[0] = (uint32_t)vmx_caps.basic & 0x7fffffff;
	write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE) &
		  vmx_caps.cr4_fixed1);
	uint64_t pa = (uint64_t)(uintptr_t)region;
	uint8_t fail;
	__asm__ volatile("vmxon %1; setna %0" : "=r"(fail) : "m"(pa) : "cc", "memory");
	if (fail) {
		hv_log("vmx: VMXON failed");
		return ST_ENODEV;
	}
	hv_log("vmx: VMXON done, EPT and unrestricted guest available");
	return ST_OK;
}
