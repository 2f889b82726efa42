/* plat_console.c: the host console and time. Output goes straight to the
 * machine's COM1 16550 when one answers (so guest bytes pass unchanged),
 * else to the firmware's text console; input comes from the firmware's
 * ConIn (UEFI 2.x, 12.3), with cursor keys turned into ANSI sequences.
 * Time is the TSC, calibrated against the firmware's Stall(). */
#include <efi.h>
#include <efilib.h>
#include "hv/platform.h"
#include "hv/x86.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_SCR 7
#define UART_LSR 5
#define LSR_THRE 0x20

static int have_uart;
static uint64_t tsc_hz, tsc_start;
static char pending_in[8];
static int pending_n, pending_pos;

/* The scratch register (16550 datasheet, SCR) holds what is written only
 * where a UART exists. */
static int uart_probe(void)
{
	outb(COM1 + UART_SCR, 0x5a);
	if (inb(COM1 + UART_SCR) != 0x5a)
		return 0;
	outb(COM1 + UART_SCR, 0xa5);
	return inb(COM1 + UART_SCR) == 0xa5;
}

static void uart_putc(char c)
{
	for (int spin = 0; spin < 100000; spin++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void conout_write(const char *buf, size_t len)
{
	CHAR16 wide[130];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			wide[n++] = L'\r';
		wide[n++] = (CHAR16)(unsigned char)buf[i];
		if (n >= 126 || i + 1 == len) {
			wide[n] = 0;
			uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
			n = 0;
		}
	}
}

void plat_console_write(const char *buf, size_t len)
{
	if (!have_uart) {
		conout_write(buf, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		uart_putc(buf[i]);
}

/* UEFI scan codes (Table 12-2) for the keys a shell needs. */
static int scan_to_ansi(UINT16 scan, char *out)
{
	static const char final[] = { 0, 'A', 'B', 'C', 'D', 'H', 'F' };
	if (scan >= 1 && scan <= 6) {
		out[0] = 0x1b, out[1] = '[', out[2] = final[scan];
		return 3;
	}
	if (scan == 0x17) { /* Esc */
		out[0] = 0x1b;
		return 1;
	}
	return 0;
}

int plat_console_getc(void)
{
	EFI_INPUT_KEY key;
	if (pending_pos < pending_n)
		return (unsigned char)pending_in[pending_pos++];
	if (EFI_ERROR(uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn,
					&key)))
		return -1;
	if (key.UnicodeChar)
		return key.UnicodeChar & 0xff;
	pending_n = scan_to_ansi(key.ScanCode, pending_in);
	pending_pos = 0;
	return pending_n ? (unsigned char)pending_in[pending_pos++] : -1;
}

static void time_init(void)
{
	uint64_t t0 = rdtsc();
	uefi_call_wrapper(BS->Stall, 1, 10000);
	tsc_hz = (rdtsc() - t0) * 100;
	if (!tsc_hz)
		tsc_hz = 1000000000ull;
	tsc_start = rdtsc();
}

uint64_t plat_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t plat_time_us(void)
{
	return (rdtsc() - tsc_start) / (tsc_hz / 1000000 ? tsc_hz / 1000000 : 1);
}

/* The last console line must leave the UART before the machine goes:
 * wait for the transmitter to be empty (LSR.TEMT), then a little longer
 * for whatever carries the serial line (an emulator's socket). */
static void console_drain(void)
{
	for (int spin = 0; have_uart && spin < 1000000; spin++)
		if (inb(COM1 + UART_LSR) & 0x40)
			break;
	uefi_call_wrapper(BS->Stall, 1, 200000);
}

void plat_power_off(void)
{
	console_drain();
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0,
			  NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void plat_file_init(EFI_HANDLE image);

void plat_efi_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	(void)systab;
	have_uart = uart_probe();
	time_init();
	plat_file_init(image);
}
