/* cpuid: checks what CPUID tells a guest of a hypervisor: the hypervisor
 * bit (leaf 1 ECX bit 31), VMX (leaf 1 ECX bit 5) and SVM (0x80000001 ECX
 * bit 2) hidden, and a vendor signature of 12 printable characters at leaf
 * 0x40000000 with EAX >= 0x40000000 (Intel SDM vol. 2A CPUID; AMD APM
 * vol. 3 appendix E). Prints what it found. */
#include "guest.h"

static void regs_str(char *out, uint32_t a, uint32_t b, uint32_t c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
	out[12] = '\0';
}

void guest_main(const struct mb_info *mbi)
{
	(void)mbi;
	char vendor[13], sig[13];
	struct cpuid_regs r = cpuid(0, 0);
	uint32_t max_basic = r.eax;
	regs_str(vendor, r.ebx, r.edx, r.ecx);
	printf("cpuid: vendor '%s', max basic leaf 0x%x\n", vendor, max_basic);
	ASSERT(max_basic >= 1);

	r = cpuid(1, 0);
	printf("cpuid: leaf 1 eax=%08x ebx=%08x ecx=%08x edx=%08x\n",
	       r.eax, r.ebx, r.ecx, r.edx);
	ASSERTF(r.ecx & (1u << 31), "hypervisor bit (leaf 1 ECX[31]) clear");
	ASSERTF(!(r.ecx & (1u << 5)), "VMX (leaf 1 ECX[5]) visible to the guest");
	ASSERTF(r.edx & (1u << 5), "MSR support (leaf 1 EDX[5]) missing");
	ASSERTF(r.edx & (1u << 4), "TSC (leaf 1 EDX[4]) missing");
	printf("cpuid: hypervisor bit set, VMX hidden\n");

	/* The same leaf twice gives the same answer. */
	struct cpuid_regs r2 = cpuid(1, 0);
	ASSERT_EQ(r.eax, r2.eax);
	ASSERT_EQ(r.ecx, r2.ecx);
	ASSERT_EQ(r.edx, r2.edx);

	r = cpuid(0x80000000, 0);
	uint32_t max_ext = r.eax;
	printf("cpuid: max extended leaf 0x%x\n", max_ext);
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		printf("cpuid: leaf 0x80000001 ecx=%08x edx=%08x\n", r.ecx, r.edx);
		ASSERTF(!(r.ecx & (1u << 2)), "SVM (0x80000001 ECX[2]) visible to the guest");
		printf("cpuid: SVM hidden\n");
	}

	r = cpuid(0x40000000, 0);
	regs_str(sig, r.ebx, r.ecx, r.edx);
	for (int i = 0; i < 12; i++)
		if (sig[i] < 0x20 || sig[i] > 0x7e)
			sig[i] = '.';
	printf("cpuid: leaf 0x40000000 eax=%08x signature '%s'\n", r.eax, sig);
	ASSERTF(r.eax >= 0x40000000 && r.eax < 0x40010000,
		"leaf 0x40000000 EAX 0x%08x is no hypervisor leaf range", r.eax);
	for (int i = 0; i < 12; i++)
		ASSERTF(sig[i] != '.' && sig[i] != ' ',
			"signature byte %d is not printable", i);
	printf("cpuid: hypervisor signature ok\n");
}
