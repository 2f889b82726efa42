/* command.c: the console's command table and its commands (command.h).
 * A command is matched on its leading words; the rest of the line is
 * its argument. The snapshot words call hv/snap.h. `continue` is the
 * host console's alone: a guest cannot send it, as its VM is paused. */
#include <string.h>
#include "hv/command.h"
#include "hv/lib/fmt.h"
#include "hv/snap.h"
#include "hv/vm.h"
#include "storage/vhd_chain.h"

struct command {
	const char *words;
	const char *args; /* for help */
	const char *help;
	bool no_arg; /* refuse anything after the words */
	status_t (*run)(struct vm *vm, struct cmd_caller *c, const char *arg,
			char *reply, size_t cap);
};

static status_t cmd_help(struct vm *vm, struct cmd_caller *c, const char *arg,
			 char *reply, size_t cap);

/* "disk LEAF <- PARENT <- ... <- BASE", or the configured name. */
static size_t disk_chain(const struct vm *vm, char *out, size_t cap)
{
	size_t len = (size_t)hv_snprintf(out, cap, "disk");
	if (!vm->disk)
		return len + (size_t)hv_snprintf(out + len, cap - len, " %s",
						 vm->cfg.disk[0] ? vm->cfg.disk
								 : "(none)");
	for (unsigned i = 0; i < vm->disk->depth && len < cap; i++)
		len += (size_t)hv_snprintf(out + len, cap - len, "%s%s",
					   i ? " <- " : " ",
					   vm->disk->layer[i]->path);
	return len;
}

static status_t cmd_vm_info(struct vm *vm, struct cmd_caller *c,
			    const char *arg, char *reply, size_t cap)
{
	(void)arg, (void)c;
	if (!vm) {
		hv_snprintf(reply, cap, "no VM is running");
		return ST_ENOENT;
	}
	char state[192];
	vm_state_text(vm, state, sizeof state);
	size_t len = (size_t)hv_snprintf(
		reply, cap, "vendor %s\nmemory %llu MiB\nvcpus %u\nkernel %s\n"
		"state %s\n", vcpu_ops->name,
		(unsigned long long)(vm->ram_size >> 20), vm->nvcpus,
		vm->cfg.kernel, state);
	if (len < cap)
		disk_chain(vm, reply + len, cap - len);
	return ST_OK;
}

static status_t cmd_create(struct vm *vm, struct cmd_caller *c,
			   const char *arg, char *reply, size_t cap)
{
	return snap_create(vm, arg, c, reply, cap);
}

static status_t cmd_list(struct vm *vm, struct cmd_caller *c, const char *arg,
			 char *reply, size_t cap)
{
	(void)c, (void)arg;
	return snap_list(vm, reply, cap);
}

static status_t cmd_apply(struct vm *vm, struct cmd_caller *c,
			  const char *arg, char *reply, size_t cap)
{
	return snap_apply(vm, arg, c, reply, cap);
}

static status_t cmd_delete(struct vm *vm, struct cmd_caller *c,
			   const char *arg, char *reply, size_t cap)
{
	(void)c;
	return snap_delete(vm, arg, reply, cap);
}

static status_t cmd_export(struct vm *vm, struct cmd_caller *c,
			   const char *arg, char *reply, size_t cap)
{
	(void)c;
	return snap_export(vm, arg, reply, cap);
}

static status_t cmd_merge_status(struct vm *vm, struct cmd_caller *c,
				 const char *arg, char *reply, size_t cap)
{
	(void)c, (void)arg;
	return snap_merge_status(vm, reply, cap);
}

static status_t cmd_merge_now(struct vm *vm, struct cmd_caller *c,
			      const char *arg, char *reply, size_t cap)
{
	(void)c, (void)arg;
	return snap_merge_now(vm, reply, cap);
}

static status_t cmd_continue(struct vm *vm, struct cmd_caller *c,
			     const char *arg, char *reply, size_t cap)
{
	(void)arg;
	if (c) {
		hv_snprintf(reply, cap, "continue is a host console command");
		return ST_EPERM;
	}
	return vm_continue(vm, reply, cap);
}

static const struct command commands[] = {
	{ "snapshot create", "[NAME]", "freezes the machine; replies its id",
	  false, cmd_create },
	{ "snapshot list", "", "the tree; * marks where the machine is",
	  true, cmd_list },
	{ "snapshot apply", "ID|NAME", "sends the machine back to a snapshot",
	  false, cmd_apply },
	{ "snapshot delete", "ID|NAME", "removes a snapshot; its disk layer "
	  "merges away", false, cmd_delete },
	{ "snapshot export", "ID|NAME PATH", "its disk as one VHD on the "
	  "boot volume", false, cmd_export },
	{ "merge status", "", "pending merges: layers, bytes done and left",
	  true, cmd_merge_status },
	{ "merge now", "", "runs every pending merge to the end",
	  true, cmd_merge_now },
	{ "vm info", "", "vendor, memory, vCPUs, kernel, state, disk chain",
	  false, cmd_vm_info },
	{ "continue", "", "resumes a paused VM (host console only)",
	  true, cmd_continue },
	{ "help", "", "lists the commands", false, cmd_help },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static status_t cmd_help(struct vm *vm, struct cmd_caller *c, const char *arg,
			 char *reply, size_t cap)
{
	size_t len = 0;
	(void)vm, (void)arg, (void)c;
	for (unsigned i = 0; i < NCOMMANDS && len < cap; i++) {
		char words[40];
		hv_snprintf(words, sizeof words, "%s %s", commands[i].words,
			    commands[i].args);
		len += (size_t)hv_snprintf(reply + len, cap - len, "%s%-25s %s",
					   i ? "\n" : "", words, commands[i].help);
	}
	return ST_OK;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The line after `words` (separated by spaces), or NULL if it does not
 * start with them. */
static const char *match(const char *line, const char *words)
{
	while (*words) {
		while (is_space(*line))
			line++;
		size_t n = strchr(words, ' ') ? (size_t)(strchr(words, ' ') - words)
					      : strlen(words);
		if (strncmp(line, words, n) || (line[n] && !is_space(line[n])))
			return NULL;
		line += n, words += n;
		while (*words == ' ')
			words++;
	}
	while (is_space(*line))
		line++;
	return line;
}

status_t command_run(struct vm *vm, struct cmd_caller *caller,
		     const char *line, char *reply, size_t cap)
{
	char text[4097];
	size_t n = strlen(line);
	if (!cap)
		return ST_EINVAL;
	reply[0] = 0;
	if (n >= sizeof text)
		return hv_snprintf(reply, cap, "command too long"), ST_ERANGE;
	while (n && is_space(line[n - 1]))
		n--;
	memcpy(text, line, n);
	text[n] = 0;
	line = text;
	for (unsigned i = 0; i < NCOMMANDS; i++) {
		const char *arg = match(line, commands[i].words);
		if (arg && arg[0] && commands[i].no_arg)
			return hv_snprintf(reply, cap, "%s takes no argument",
					   commands[i].words), ST_EINVAL;
		if (arg)
			return commands[i].run(vm, caller, arg, reply, cap);
	}
	hv_snprintf(reply, cap, "unknown command; try help");
	return ST_EINVAL;
}
