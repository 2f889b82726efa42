#!/usr/bin/python3
"""linux_boot_bench.py: how long the Linux guest (build/linux/: Debian's
kernel, the initramfs, the ext4 root in a VHD) takes to reach its shell
under the hypervisor in QEMU TCG (AMD-V, nested paging), beside the same
kernel, initrd, disk and command line booted directly by QEMU TCG
(`-kernel`, the disk on virtio-blk, format=vpc), measured in the same run.

Under the hypervisor the time counts from the hypervisor's "hv: starting
VM" line (the VM's power-on; UEFI firmware and the hypervisor's own start
come before it and have no counterpart in a direct boot) to the prompt
`linux# `; the direct boot counts from QEMU's start (its SeaBIOS is part
of it) to the same prompt. BENCH_RUNS (default 3) runs of each,
interleaved; the medians count. Prints both, and the ratio
hypervisor/direct (goal: under 3) with PASS/MISS; a MISS still exits 0,
a failed boot exits 1 with its output."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.system.conftest import emulator_slot  # noqa: E402
LINUX = os.path.join(ROOT, "build", "linux")
HVRUN = os.path.join(ROOT, "tools", "hvrun")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CMDLINE = "console=ttyS0 root=/dev/vda quiet"
PROMPT = b"linux# "
GOAL = 3.0
TIMEOUT = 600


def timed(cmd, start_marker):
    """Runs cmd until the prompt; returns seconds from start_marker (bytes
    on its output, or None for the process's start) to the prompt."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    buf = b""
    began = start if start_marker is None else None
    try:
        while time.monotonic() - start < TIMEOUT:
            data = os.read(proc.stdout.fileno(), 4096)
            if not data:
                break
            buf += data
            if began is None and start_marker in buf:
                began = time.monotonic()
            if began is not None and PROMPT in buf[buf.find(start_marker or b""):]:
                return time.monotonic() - began
        sys.stdout.write(buf.decode(errors="replace"))
        raise SystemExit("linux_boot_bench: no prompt from %s" % cmd[0])
    finally:
        proc.kill()
        proc.wait()


def under_hv(disk):
    return timed(["/usr/bin/python3", HVRUN, "--cpu", "amd", "--mem", "256M",
                  "--kernel", os.path.join(LINUX, "vmlinuz"),
                  "--initrd", os.path.join(LINUX, "initrd.img"),
                  "--disk", disk, "--append", CMDLINE,
                  "--timeout", str(TIMEOUT)], b"hv: starting VM")


def direct(disk):
    return timed(["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "256",
                  "-kernel", os.path.join(LINUX, "vmlinuz"),
                  "-initrd", os.path.join(LINUX, "initrd.img"), "-append", CMDLINE,
                  "-drive", "file=%s,if=virtio,format=vpc" % disk,
                  "-display", "none", "-monitor", "none", "-serial", "stdio",
                  "-no-reboot"], None)


def main():
    for f in ("vmlinuz", "initrd.img", "root.vhd"):
        if not os.path.isfile(os.path.join(LINUX, f)):
            raise SystemExit("linux_boot_bench: build/linux/%s missing: "
                             "run `make linux-guest`" % f)
    hv_times, direct_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RUNS):
            for name, boot, times in (("hypervisor", under_hv, hv_times),
                                      ("direct", direct, direct_times)):
                disk = os.path.join(tmp, "root-%s-%d.vhd" % (name, i))
                shutil.copy(os.path.join(LINUX, "root.vhd"), disk)
                with emulator_slot():
                    times.append(boot(disk))
                print("run %d %-10s %6.2f s" % (i + 1, name, times[-1]), flush=True)
    hv, dr = statistics.median(hv_times), statistics.median(direct_times)
    ratio = hv / dr
    print("linux boot to shell: hypervisor %.2f s (VM start to prompt), "
          "direct QEMU TCG %.2f s (start to prompt)" % (hv, dr))
    print("ratio hypervisor/direct %.2f (goal < %.1f): %s"
          % (ratio, GOAL, "PASS" if ratio < GOAL else "MISS"))


if __name__ == "__main__":
    main()
