/* command.c: the console's command table and its commands (command.h).
 * A command is matched on its leading words; the rest of the line is
 * its argument. */
#include <string.h>
#include "hv/command.h"
#include "hv/lib/fmt.h"
#include "hv/vm.h"

struct command {
	const char *words;
	const char *help;
	status_t (*run)(struct vm *vm, const char *arg, char *reply, size_t cap);
};

static status_t cmd_help(struct vm *vm, const char *arg, char *reply,
			 size_t cap);

static status_t cmd_vm_info(struct vm *vm, const char *arg, char *reply,
			    size_t cap)
{
	(void)arg;
	if (!vm) {
		hv_snprintf(reply, cap, "no VM is running");
		return ST_ENOENT;
	}
	hv_snprintf(reply, cap,
		    "vendor %s\nmemory %llu MiB\nvcpus %u\nkernel %s\ndisk %s",
		    vcpu_ops->name, (unsigned long long)(vm->ram_size >> 20),
		    vm->nvcpus, vm->cfg.kernel,
		    vm->cfg.disk[0] ? vm->cfg.disk : "(none)");
	return ST_OK;
}

static const struct command commands[] = {
	{ "help", "lists the commands", cmd_help },
	{ "vm info", "vendor, memory, vCPUs, kernel and disk of the VM",
	  cmd_vm_info },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static status_t cmd_help(struct vm *vm, const char *arg, char *reply,
			 size_t cap)
{
	size_t len = 0;
	(void)vm, (void)arg;
	for (unsigned i = 0; i < NCOMMANDS && len < cap; i++)
		len += (size_t)hv_snprintf(reply + len, cap - len, "%s%-12s %s",
					   i ? "\n" : "", commands[i].words,
					   commands[i].help);
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

status_t command_run(struct vm *vm, const char *line, char *reply, size_t cap)
{
	if (!cap)
		return ST_EINVAL;
	reply[0] = 0;
	for (unsigned i = 0; i < NCOMMANDS; i++) {
		const char *arg = match(line, commands[i].words);
		if (arg)
			return commands[i].run(vm, arg, reply, cap);
	}
	hv_snprintf(reply, cap, "unknown command; try help");
	return ST_EINVAL;
}
