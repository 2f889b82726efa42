#!/usr/bin/python3
"""snapshot_pause_bench.py: the pause of `snapshot create` (PAUSE_US in
`snapshot list`) for guests of 64 MiB and 1 GiB, with copy-on-write capture
and with stop-and-copy (hv.cfg snapshot_capture, all memory copied while
paused), all in one run under QEMU TCG (AMD-V). The snap_bench guest
(guest-tests/snap_bench.c) dirties its RAM, takes the snapshot, waits for it
to complete and prints its list line. Each configuration runs BENCH_RUNS
times (default 3), interleaved; the median counts. BENCH_MEM_MIB="64,1024"
(the default) sets the small and the big guest. Prints the ratios:
  1 GiB / 64 MiB cow pause          (goal <= 1.5)
  cow / stop-and-copy pause, 1 GiB  (goal <= 0.01)
Exit status 0 when every run produced a number (a missed goal included)."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The system tests' machine-wide limit of two emulators at a time: a bench
# run waits for a free slot instead of crowding a test batch.
from tests.system.conftest import emulator_slot  # noqa: E402
HVRUN = os.path.join(ROOT, "tools", "hvrun")
MKVOLUME = os.path.join(ROOT, "tools", "mkvolume")
GUEST = os.path.join(ROOT, "build", "guests", "snap_bench.elf")
HV_EFI = os.path.join(ROOT, "build", "hv.efi")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MIB = 1 << 20
SMALL, BIG = (int(m) * MIB for m in
              os.environ.get("BENCH_MEM_MIB", "64,1024").split(","))
# (guest RAM, capture mode, hvrun timeout in seconds)
CONFIGS = [(SMALL, "cow", 300), (SMALL, "stop-and-copy", 300),
           (BIG, "cow", 900), (BIG, "stop-and-copy", 1200)]
GOAL_SIZE_RATIO = 1.5
GOAL_MODE_RATIO = 0.01
WAITED = [0.0]      # seconds spent waiting for emulator slots
LINE = re.compile(r"^snap_bench: line: (\d+) (\S+) (\S+) (\S+) (\d+) (\d+)")


def size(mem):
    return "%d MiB" % (mem >> 20) if mem < 1 << 30 else "%d GiB" % (mem >> 30)


def label(mem, mode):
    return "%s %s" % (size(mem), mode)


def make_volume(path):
    """A fresh boot volume with room for a snapshot of the biggest guest's
    RAM even if it did not compress (hvrun's own volume is sized for the
    files alone). Every run gets the same size, so that only the guest's
    RAM differs between configurations. The image is sparse: only what is
    written takes space."""
    biggest = max(mem for mem, _, _ in CONFIGS)
    subprocess.run([MKVOLUME, "--output", path, "--size",
                    "%dM" % ((2 * biggest + 256 * MIB) >> 20)],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_once(workdir, mem, mode, timeout):
    """One boot; returns (pause_us, bytes, seconds) or raises RuntimeError
    with the run's output. Adds the time spent waiting for an emulator
    slot to WAITED[0]."""
    volume = os.path.join(workdir, "boot.img")
    make_volume(volume)
    cmd = ["/usr/bin/python3", HVRUN, "--cpu", "amd", "--mem", "%dM" % (mem >> 20),
           "--kernel", GUEST, "--volume", volume, "--timeout", str(timeout),
           "--set", "snapshot_capture=" + mode]
    try:
        asked = time.monotonic()
        with emulator_slot():
            start = time.monotonic()
            WAITED[0] += start - asked
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout + 120)
            elapsed = time.monotonic() - start
    finally:
        os.remove(volume)
    out = proc.stdout.decode(errors="replace").replace("\r", "")
    err = proc.stderr.decode(errors="replace").replace("\r", "")
    found = [LINE.match(l) for l in out.splitlines()]
    found = [m for m in found if m]
    if proc.returncode != 0 or not found or found[-1].group(4) != "complete":
        raise RuntimeError("%s: exit status %d\n--- stdout ---\n%s\n--- stderr ---\n%s"
                           % (label(mem, mode), proc.returncode, out[-3000:], err[-3000:]))
    return int(found[-1].group(5)), int(found[-1].group(6)), elapsed


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(results, seconds):
    med = {k: statistics.median(p for p, _, _ in v) for k, v in results.items()}
    print("snapshot create pause under QEMU TCG (AMD-V, NPT), %d runs each, "
          "median counts" % RUNS)
    print("%-22s %12s %12s %14s %9s   %s" % ("guest / capture", "median us", "min us",
                                           "BYTES", "run s", "all pauses (us)"))
    for mem, mode, _ in CONFIGS:
        v = results[(mem, mode)]
        pauses = [p for p, _, _ in v]
        print("%-22s %12d %12d %14d %9.1f   %s" % (
            label(mem, mode), med[(mem, mode)], min(pauses), v[-1][1],
            statistics.median(s for _, _, s in v), " ".join(map(str, pauses))))
    small, big = SMALL, BIG
    size_ratio = med[(big, "cow")] / max(1, med[(small, "cow")])
    mode_ratio = med[(big, "cow")] / max(1, med[(big, "stop-and-copy")])
    small_mode = med[(small, "cow")] / max(1, med[(small, "stop-and-copy")])
    print("ratio cow pause %s / %s: %.3f (goal <= %.2f) %s" % (
        size(big), size(small), size_ratio, GOAL_SIZE_RATIO,
        verdict(size_ratio <= GOAL_SIZE_RATIO)))
    print("ratio cow / stop-and-copy pause at %s: %.4f (goal <= %.2f) %s" % (
        size(big), mode_ratio, GOAL_MODE_RATIO,
        verdict(mode_ratio <= GOAL_MODE_RATIO)))
    print("(for information: cow / stop-and-copy pause at %s: %.4f)" % (
        size(small), small_mode))
    print("bench time %.0f s, of which %.0f s waiting for an emulator slot"
          % (seconds, WAITED[0]))


def main():
    for f in (HV_EFI, GUEST):
        if not os.path.isfile(f):
            print("%s missing: run `make hv guests`" % f, file=sys.stderr)
            return 2
    results = {(mem, mode): [] for mem, mode, _ in CONFIGS}
    start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="snapbench-", dir=os.path.join(ROOT, "build"))
    try:
        # Interleaved, so that a slow phase of the machine touches every
        # configuration alike.
        for i in range(RUNS):
            for mem, mode, timeout in CONFIGS:
                pause, size, secs = run_once(workdir, mem, mode, timeout)
                results[(mem, mode)].append((pause, size, secs))
                print("run %d/%d %-22s pause %9d us, image %d bytes, %.1f s" % (
                    i + 1, RUNS, label(mem, mode), pause, size, secs),
                    file=sys.stderr, flush=True)
    except (RuntimeError, subprocess.SubprocessError) as e:
        print("bench run failed: %s" % e, file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, time.monotonic() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
