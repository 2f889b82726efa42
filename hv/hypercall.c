/* hypercall.c: the guest's way to the console (ABI fixed by issue 5 and
 * README.md): VMCALL (Intel) or VMMCALL (AMD) with RAX = 1, RBX = the
 * command text (NUL-terminated, at most 4096 bytes), RCX = a reply buffer
 * of RDX bytes, all guest-virtual, translated through the guest's paging
 * with the caller's privilege. Returns RAX = 0 or a negative status and
 * RDX = the reply's length (without its NUL). Only CPL 0 may call unless
 * hv.cfg says `hypercall_user = yes`; a refused call changes nothing but
 * RAX. A bad pointer is refused, never a fault injected. */
#include "hv/command.h"
#include "hv/snap.h"
#include "hv/exit.h"
#include "hv/guest.h"
#include "hv/gwalk.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define HC_CONSOLE 1
#define HC_CMD_MAX 4096
#define HC_REPLY_MAX 4096

/* Copies between guest-virtual memory and `buf`, page by page, as the
 * caller could; ST_EFAULT when any byte is not accessible to it. With
 * `buf` NULL it only checks that the caller could. */
static status_t guest_copy(struct vcpu *v, uint64_t va, void *buf, size_t len,
			   bool write)
{
	unsigned access = write ? GW_WRITE : 0;
	uint8_t *p = buf;
	while (len) {
		uint64_t gpa;
		uint32_t pf;
		size_t chunk = 0x1000 - (va & 0xfff);
		if (chunk > len)
			chunk = len;
		if (guest_walk(v, va, access, &gpa, &pf))
			return ST_EFAULT;
		status_t st = !p ? (gmem_peek(&v->vm->mem, gpa, chunk) ? ST_OK : ST_EFAULT)
			      : write ? gmem_write(&v->vm->mem, gpa, p, chunk)
				      : gmem_read(&v->vm->mem, gpa, p, chunk);
		if (st)
			return st;
		va += chunk, len -= chunk;
		if (p)
			p += chunk;
	}
	return ST_OK;
}

/* Reads the NUL-terminated command; ST_ERANGE when it is longer. */
static status_t read_command(struct vcpu *v, uint64_t va, char *cmd)
{
	for (size_t got = 0; got < HC_CMD_MAX;) {
		size_t chunk = 0x1000 - ((va + got) & 0xfff);
		if (chunk > HC_CMD_MAX - got)
			chunk = HC_CMD_MAX - got;
		status_t st = guest_copy(v, va + got, cmd + got, chunk, false);
		if (st)
			return st;
		for (size_t i = got; i < got + chunk; i++)
			if (!cmd[i])
				return ST_OK;
		got += chunk;
	}
	return ST_ERANGE;
}

/* Outside 64-bit mode only the low halves of the registers are the
 * caller's (SDM vol. 1, 3.4.1.1). */
static uint64_t arg(struct vcpu *v, enum gpr r)
{
	return guest_mode(v) == MODE_64 ? v->gpr[r] : (uint32_t)v->gpr[r];
}

/* Reads the command and checks the reply buffer before anything runs,
 * so that a bad buffer refuses the call instead of losing the reply of
 * a command that was done. */
static status_t check_call(struct vcpu *v, char *cmd, uint64_t buf,
			   uint64_t size)
{
	status_t st = read_command(v, arg(v, RBX), cmd);
	if (st)
		return st;
	if (!size)
		return ST_EINVAL;
	size_t cap = size < HC_REPLY_MAX ? (size_t)size : HC_REPLY_MAX;
	return guest_copy(v, buf, NULL, cap, true);
}

struct reply_buf {
	struct vcpu *v;
	uint64_t va;
};

/* The reply goes into the caller's buffer, already checked writable. */
static status_t deliver(struct cmd_caller *c, const char *reply, uint64_t *len)
{
	struct reply_buf *rb = c->ctx;
	size_t n = 0;
	while (reply[n])
		n++;
	*len = n;
	return guest_copy(rb->v, rb->va, (void *)reply, n + 1, true);
}

/* Runs the command; RAX/RDX are set here unless an apply replaced the
 * whole machine (then the snapshot's own registers stand). */
static void console_call(struct vcpu *v)
{
	static char cmd[HC_CMD_MAX], reply[HC_REPLY_MAX];
	uint64_t buf = arg(v, RCX), size = arg(v, RDX), len = 0;
	struct reply_buf rb = { v, buf };
	struct cmd_caller caller = { v, deliver, &rb, false };
	status_t st = check_call(v, cmd, buf, size);
	if (st) {
		v->gpr[RAX] = (uint64_t)(int64_t)st;
		return;
	}
	size_t cap = size < HC_REPLY_MAX ? (size_t)size : HC_REPLY_MAX;
	status_t run = command_run(v->vm, &caller, cmd, reply, cap);
	if (caller.applied)
		return;
	st = deliver(&caller, reply, &len);
	v->gpr[RAX] = (uint64_t)(int64_t)(st ? st : run);
	if (!st)
		v->gpr[RDX] = len;
}


void exit_hypercall(struct vcpu *v)
{
	/* Past the instruction first: a snapshot taken by this call resumes
	 * after it. */
	vcpu_ops->skip_instruction(v);
	if (vcpu_reg(v, VR_CPL) != 0 && !v->vm->cfg.hypercall_user)
		v->gpr[RAX] = (uint64_t)(int64_t)ST_EPERM;
	else if (arg(v, RAX) != HC_CONSOLE)
		v->gpr[RAX] = (uint64_t)(int64_t)ST_EINVAL;
	else
		console_call(v);
}
