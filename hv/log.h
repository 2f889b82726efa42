/* log.h: the hypervisor's console output. hv_log() writes one line
 * prefixed "hv: " (the runner's cue to tell our lines from the guest's),
 * starting a new line first if the guest left one open; hv_guest_putc()
 * passes a guest's COM1 byte through unchanged. */
#ifndef HV_LOG_H
#define HV_LOG_H

void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_guest_putc(char c);

#endif
