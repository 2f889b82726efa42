"""The PC of the issue "A PC for real guests" tested from inside by the pc_*
guests (guest-tests/pc/), under the hypervisor on both vendors and, as a
reference that validates the guests themselves, under plain `qemu-system-x86_64
-kernel` (SeaBIOS's tables and QEMU 7.2's devices; the guests read addresses
from ACPI/CPUID, and the command line names the few documented differences:
apic_reset=soft, pit_gate=free, open_bus=zero). Each hypervisor case gives
hvrun's arguments, what to send on COM1 once a prompt appeared, the exit
status and the lines expected on stdout and stderr."""
import os
import re
import subprocess
import threading
import time

import pytest

from .conftest import (CPUS, HV_EFI, HVRUN, ROOT, Result, emulator_slot, expect, guest, hvrun,
                       qemu_plain)

PASS = 0
QEMU_PASS = (0 << 1) | 1

MMIO_HPET_LINES = [
    "mmio_hpet: HPET table, base 0xfed00000",
    "mmio_hpet: 20 read-modify-write forms agree with RAM, flags included",
    "mmio_hpet: rep movs both ways and in both directions, stos, lods ok",
    "mmio_hpet: push and pop of a device register ok",
    "mmio_hpet: SSE movdqu, movd and movq with the device ok",
    re.compile(r"mmio_hpet: HPET vendor 0x8086, 3 timers, period 10000000 fs, "
               r"64-bit 1, legacy 1"),
    "mmio_hpet: counter rate within 10% of the advertised period",
    "mmio_hpet: periodic interrupts",
    "mmio_hpet: level interrupt, status bit cleared by writing 1",
    "mmio_hpet: legacy replacement routes timer 0 to IRQ 0"]

# name: (hvrun args, (wait_for, send) or None, exit status, stdout lines,
#        stderr regexes)
CASES = {
    "apic_timer": ([], None, PASS, [
        "apic_timer: xapic one-shot ok",
        "apic_timer: xapic current count runs down at the APIC bus rate",
        "apic_timer: xapic periodic rate ok",
        "apic_timer: xapic TSC-deadline ok",
        "apic_timer: xapic TPR masks a priority class",
        "apic_timer: xapic self-IPI, ISR and EOI ok",
        "apic_timer: xapic INIT and SIPI to APIC ID 1 ok",
        "apic_timer: disable and re-enable through IA32_APIC_BASE: reset state",
        "apic_timer: x2apic one-shot ok",
        "apic_timer: x2apic periodic rate ok",
        "apic_timer: x2apic TSC-deadline ok",
        "apic_timer: x2apic TPR masks a priority class",
        "apic_timer: x2apic self-IPI, ISR and EOI ok",
        "apic_timer: x2apic SELF IPI MSR ok",
        "apic_timer: x2apic INIT and SIPI to APIC ID 1 ok",
        "apic_timer: x2apic done, back in xapic mode", "PASS"], []),
    "ioapic_uart": ([], (b"send a byte", b"z"), PASS, [
        "ioapic_uart: IOAPIC at 0xfec00000, id 1, version 0x20, 24 pins",
        "ioapic_uart: redirection entries masked at start, read back ok",
        "ioapic_uart: IRQ 0 is GSI 2",
        "ioapic_uart: PIT ticks on pin 2 ok, none when masked",
        re.compile(r"ioapic_uart: UART interrupt, IIR 0x[cC]?[0-9a-f]?[4c], received 'z'"),
        "PASS"], []),
    "pic": ([], None, PASS, [
        re.compile(r"pic: ELCR 0x[0-9a-f]{4}"), "pic: ELCR bit 5 writable",
        "pic: IRQ 0 through the 8259 and LINT0, ISR set in the handler",
        "pic: in-service IRQ 0 blocks until EOI", "PASS"], []),
    "pit_calibrate": ([], None, PASS, [
        "pit_calibrate: gate stops and starts channel 2",
        "pit_calibrate: PIT calibration within 5% of CPUID",
        "pit_calibrate: PM timer at port 0x608, 32 bits",
        "pit_calibrate: PM timer rate within 5% of 3.579545 MHz", "PASS"], []),
    "rtc": ([], None, PASS, [
        re.compile(r"rtc: BCD 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d"),
        re.compile(r"rtc: binary 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d"),
        "rtc: update-ended flag set, cleared by reading C",
        "rtc: NMI mask bit accepted", "rtc: NVRAM keeps values", "PASS"], []),
    "acpi": ([], None, 0, [
        "acpi: RSDP at 0xf0000, revision 2, OEM 'SNAPVS'",
        "acpi: XSDT ok, same 3 tables as the RSDT", "acpi: X_DSDT agrees",
        "acpi: reset register space 1 address 0xcf9 value 6",
        "acpi: MADT: 1 local APIC, 1 IOAPIC at 0xfec00000, IRQ0->GSI2 yes",
        "acpi: powering off: PM1a_CNT 0x604, SLP_TYP 5"],
        [r"(?m)^hv: vm powered off$"]),
    "pci": ([], None, PASS, [
        "pci: 0xcf8 reads back",
        re.compile(r"pci: 00:00\.0 [0-9a-f]{4}:[0-9a-f]{4} class 06[0-9a-f]{4}"),
        re.compile(r"pci: absent functions read all ones \(00:[0-9a-f]{2}\.0, bus 1\)"),
        "PASS"], []),
    "longmode": ([], None, PASS, [
        "longmode: 64-bit CPUID ok", "longmode: 64-bit RDMSR EFER 0x500 (LMA)",
        "longmode: 64-bit arithmetic ok",
        re.compile(r"longmode: 64-bit xAPIC read, version 0x[0-9a-f]+"),
        "longmode: 64-bit read of 0xe0000000: 0xffffffff",
        "longmode: exit from 64-bit mode", "PASS"], []),
    "mmio_hpet": ([], None, PASS, MMIO_HPET_LINES + [
        "mmio_hpet: AVX not tried (needs CPUID AVX and avx=1)",
        "mmio_hpet: one-shot interrupt through IOAPIC pin 23", "PASS"], []),
}


check = expect


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_pc_guest(name, cpu):
    args, dialog, status, lines, errs = CASES[name]
    wait_for, send = dialog if dialog else (None, None)
    res = hvrun(cpu, guest("pc_" + name), *args, send=send, wait_for=wait_for,
                timeout=600)
    check(res, status, lines, errs)


class Dialog:
    """A run that answers prompts: each step waits until its prompt has
    appeared `count` times on stdout, then writes its bytes to stdin."""

    def __init__(self, cmd, timeout):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=ROOT)
        self.out, self.err = b"", b""
        self.cond = threading.Condition()
        self.deadline = time.monotonic() + timeout
        self.threads = [threading.Thread(target=self._pump, args=(s, n), daemon=True)
                        for s, n in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for t in self.threads:
            t.start()

    def _pump(self, stream, name):
        while True:
            data = os.read(stream.fileno(), 4096)
            with self.cond:
                if data:
                    setattr(self, name, getattr(self, name) + data)
                else:
                    setattr(self, name + "_eof", True)
                self.cond.notify_all()
            if not data:
                return

    def answer(self, prompt, count, data):
        with self.cond:
            while self.out.count(prompt) < count and not getattr(self, "out_eof", False):
                left = self.deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 1))
            if self.out.count(prompt) < count:
                return False
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return True

    def finish(self):
        start = time.monotonic()
        try:
            rc = self.proc.wait(max(1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for t in self.threads:
            t.join(10)

        def text(b):
            return b.decode(errors="replace").replace("\r\n", "\n")
        return Result(rc, text(self.out), text(self.err), time.monotonic() - start)


PROMPT = b"reset: boot, send c, k or q"


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_pc_reset(cpu):
    """Boot 1 resets through 0xCF9, boot 2 through the keyboard controller,
    boot 3 ends with PASS: three prompts, two `hv: vm reset` lines."""
    assert os.path.isfile(HV_EFI), "%s missing: build it with `make hv`" % HV_EFI
    cmd = ["/usr/bin/python3", HVRUN, "--cpu", cpu, "--kernel", guest("pc_reset"),
           "--timeout", "600"]
    with emulator_slot():
        d = Dialog(cmd, 660)
        for n, key in ((1, b"c"), (2, b"k"), (3, b"q")):
            if not d.answer(PROMPT, n, key):
                break
        res = d.finish()
    check(res, PASS, ["reset: through 0xcf9", "reset: through the keyboard controller",
                      "PASS"])
    assert res.out.count("reset: boot, send c, k or q") == 3, res
    assert len(re.findall(r"(?m)^hv: vm reset", res.err)) == 2, res


# Plain QEMU: (guest, -append text, extra QEMU args, (wait_for, send), status,
# lines).
REFERENCE = {
    "apic_timer": ("apic_reset=soft", [], None, QEMU_PASS,
                   ["apic_timer: xapic TPR masks a priority class",
                    "apic_timer: xapic self-IPI, ISR and EOI ok",
                    "apic_timer: xapic INIT and SIPI to APIC ID 1 ok", "PASS"]),
    "ioapic_uart": ("", [], (b"send a byte", b"z"), QEMU_PASS,
                    ["ioapic_uart: PIT ticks on pin 2 ok, none when masked", "PASS"]),
    "pic": ("", [], None, QEMU_PASS,
            ["pic: in-service IRQ 0 blocks until EOI", "PASS"]),
    "pit_calibrate": ("pit_gate=free", [], None, QEMU_PASS,
                      ["pit_calibrate: PM timer rate within 25% of 3.579545 MHz", "PASS"]),
    "rtc": ("", [], None, QEMU_PASS,
            ["rtc: update-ended flag set, cleared by reading C", "PASS"]),
    # QEMU's \_S5 is SLP_TYP 0; power-off ends QEMU with status 0.
    "acpi": ("", [], None, 0,
             ["acpi: MADT: 1 local APIC, 1 IOAPIC at 0xfec00000, IRQ0->GSI2 yes",
              "acpi: powering off: PM1a_CNT 0x604, SLP_TYP 0"]),
    # QEMU's pc machine routes HPET timers to GSI 2 only; -cpu max for AVX.
    "mmio_hpet": ("avx=1", ["-cpu", "max,-svm"], None, QEMU_PASS, MMIO_HPET_LINES + [
        "mmio_hpet: AVX vmovdqu/vmovups 128 and 256 bits with the device ok",
        "mmio_hpet: one-shot interrupt through IOAPIC pin 2", "PASS"]),
    "longmode": ("open_bus=zero", [], None, QEMU_PASS,
                 ["longmode: 64-bit arithmetic ok", "longmode: exit from 64-bit mode",
                  "PASS"]),
}


@pytest.mark.emulator
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_pc_guest_under_plain_qemu(name):
    append, args, dialog, status, lines = REFERENCE[name]
    wait_for, send = dialog if dialog else (None, None)
    if append:
        args = ["-append", append] + args
    res = qemu_plain(guest("pc_" + name), *args, send=send, wait_for=wait_for)
    check(res, status, lines)
    if status != QEMU_PASS:
        assert "FAIL" not in res.out and "PASS" not in res.out, res


@pytest.mark.emulator
def test_pc_pci_under_plain_qemu(tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(1 << 20))
    res = qemu_plain(guest("pc_pci"), "-append", "expect_virtio=1",
                     "-drive", "file=%s,format=raw,if=none,id=d0" % disk,
                     "-device", "virtio-blk-pci,drive=d0")
    check(res, QEMU_PASS, ["pci: 00:00.0 8086:1237 class 060000",
                           re.compile(r"pci: MSI-X at 0x[0-9a-f]+, \d+ vectors, .*"),
                           "PASS"])


@pytest.mark.emulator
@pytest.mark.parametrize("key,line", [(b"c", "reset: through 0xcf9"),
                                      (b"k", "reset: through the keyboard controller")])
def test_pc_reset_under_plain_qemu(key, line):
    """-no-reboot: the reset ends QEMU with status 0."""
    res = qemu_plain(guest("pc_reset"), send=key, wait_for=PROMPT)
    check(res, 0, [line])
    assert "FAIL" not in res.out and "PASS" not in res.out, res


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_pc_pci_with_virtio_blk(cpu, tmp_path):
    """With --disk the bus holds the virtio-blk function: its BARs size,
    MSI-X is in its capability list and its table answers through the BAR."""
    disk = str(tmp_path / "disk.vhd")
    subprocess.run([os.path.join(ROOT, "build", "hvdisk"), "create", disk, "8M"],
                   check=True, stdout=subprocess.DEVNULL)
    res = hvrun(cpu, guest("pc_pci"), "--disk", disk, "--append", "expect_virtio=1",
                timeout=600)
    check(res, PASS, [
        "pci: 00:01.0 1af4:1001 class 010000",
        re.compile(r"pci: BAR0 I/O at 0x[0-9a-f]+, \d+ bytes"),
        re.compile(r"pci: MSI-X at 0x[0-9a-f]+, \d+ vectors, table in BAR\d at 0x[0-9a-f]+"),
        "pci: MSI-X entry 0 vector control 0x1, data reads back 0x4567",
        "pci: host bridge 00:00.0 class 06, 1 virtio devices", "PASS"])
