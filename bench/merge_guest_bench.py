#!/usr/bin/python3
"""merge_guest_bench.py: the guest's disk throughput while the hypervisor
merges a deleted snapshot's layer, against the same run without the
delete, under QEMU TCG (AMD-V, nested paging). The merge_io guest
(guest-tests/merge_io.c) boots on a fresh 64 MiB dynamic VHD, takes
snapshot 1, fills 24 MiB (into leaf-1), takes snapshot 2, writes 1 MiB,
then `snapshot delete 1` (mode=delete: the commit of leaf-1 into the base
disk is queued; BENCH_DELETE=2 deletes snapshot 2 instead: leaf-1 is
streamed into the running leaf-2 by storage/vhd_fold.h) or nothing
(mode=baseline), and times (TSC) a workload of BENCH_WORK_MIB (default 16)
MiB of 64 KiB writes and as much of 64 KiB reads of the filled area,
alternating. `merge status` after the workload tells whether the merge
was still pending: only then did it overlap the whole workload (the bytes
it merged meanwhile are printed). The guest never halts (it polls the
used ring), so the merge runs in the hypervisor's busy-time share
(merge_share, default 10).

BENCH_RUNS (default 3) runs per mode, interleaved; the median counts.
Prints both throughputs and the ratio delete/baseline (goal >= 0.7), with
PASS/MISS; a MISS, or a merge that finished before the workload did
(printed), still exits 0; a failed run exits 1 with its output."""
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
from tests.system.conftest import emulator_slot  # noqa: E402
HVRUN = os.path.join(ROOT, "tools", "hvrun")
HVDISK = os.path.join(ROOT, "build", "hvdisk")
GUEST = os.path.join(ROOT, "build", "guests", "merge_io.elf")
HV_EFI = os.path.join(ROOT, "build", "hv.efi")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WORK_MIB = int(os.environ.get("BENCH_WORK_MIB", "16"))
# 1: commit leaf-1 into the base (the default); 2: stream leaf-1 into the
# running leaf-2 (storage/vhd_fold.h).
DELETE = os.environ.get("BENCH_DELETE", "1")
MEM = "64M"
TIMEOUT = 900
MODES = ("baseline", "delete")
GOAL = 0.7
WAITED = [0.0]      # seconds spent waiting for emulator slots
RESULT = re.compile(r"^merge_io: result: (\S+) (\d+) (\d+) (\d+) (\S+)")
# A pending merge's line of `merge status`: LAYER INTO DONE LEFT STATE.
STATUS = re.compile(r"^merge_io: (before|after): \| \S+ \S+ (\d+) (\d+) \S+$")


def run_once(workdir, mode):
    """One boot on a fresh disk; returns (bytes, ticks, tsc_hz, pending,
    seconds, bytes merged during the workload) or raises RuntimeError with
    the run's output."""
    disk = os.path.join(workdir, "base.vhd")
    if os.path.exists(disk):
        os.remove(disk)
    subprocess.run([HVDISK, "create", disk, "64M"], check=True,
                   stdout=subprocess.DEVNULL)
    cmd = ["/usr/bin/python3", HVRUN, "--cpu", "amd", "--mem", MEM,
           "--kernel", GUEST, "--disk", disk, "--timeout", str(TIMEOUT),
           "--append", "mode=%s work=%d delete=%s" % (mode, WORK_MIB, DELETE)]
    asked = time.monotonic()
    with emulator_slot():
        start = time.monotonic()
        WAITED[0] += start - asked
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT + 120)
        elapsed = time.monotonic() - start
    out = proc.stdout.decode(errors="replace").replace("\r", "")
    err = proc.stderr.decode(errors="replace").replace("\r", "")
    found = [m for m in map(RESULT.match, out.splitlines()) if m]
    if proc.returncode != 0 or len(found) != 1 or found[0].group(1) != mode:
        raise RuntimeError("%s: exit status %d\n--- stdout ---\n%s\n"
                           "--- stderr ---\n%s" % (mode, proc.returncode,
                                                   out[-3000:], err[-3000:]))
    m = found[0]
    done = {s.group(1): int(s.group(2))
            for s in map(STATUS.match, out.splitlines()) if s}
    return (int(m.group(2)), int(m.group(3)), int(m.group(4)),
            m.group(5) == "pending", elapsed,
            done.get("after", 0) - done.get("before", 0))


def mib_s(r):
    nbytes, ticks, hz = r[0], r[1], r[2]
    return nbytes / (1 << 20) / (ticks / hz)


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(results, seconds):
    med = {m: statistics.median(mib_s(r) for r in results[m]) for m in MODES}
    print("guest disk throughput under QEMU TCG (AMD-V, NPT), %d MiB written "
          "+ %d MiB read in 64 KiB requests, %d runs each, median counts; "
          "merging: %s" % (WORK_MIB, WORK_MIB, RUNS, "the stream of leaf-1 "
                           "into the running leaf-2 (delete 2)" if DELETE ==
                           "2" else "the commit of leaf-1 into the base "
                           "(delete 1)"))
    print("%-10s %12s   %s" % ("mode", "MiB/s", "all runs (MiB/s)"))
    for m in MODES:
        print("%-10s %12.2f   %s" % (m, med[m], " ".join(
            "%.2f" % mib_s(r) for r in results[m])))
    print("merged during the workload (MiB): %s" % " ".join(
        "%.1f" % (r[5] / (1 << 20)) for r in results["delete"]))
    pend = [r[3] for r in results["delete"]]
    print("merge still pending when the workload ended: %d of %d runs%s" % (
        sum(pend), len(pend), "" if all(pend) else
        " (a merge that ended early overlapped only part of the workload)"))
    ratio = med["delete"] / med["baseline"]
    print("ratio during-merge/baseline: %.2f (goal >= %.1f) %s" % (
        ratio, GOAL, verdict(ratio >= GOAL)))
    print("bench time %.0f s, of which %.0f s waiting for an emulator slot"
          % (seconds, WAITED[0]))


def main():
    for f in (HV_EFI, GUEST, HVDISK):
        if not os.path.isfile(f):
            print("%s missing: run `make bench-merge-guest`" % f,
                  file=sys.stderr)
            return 2
    results = {m: [] for m in MODES}
    start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="mergeguest-",
                               dir=os.path.join(ROOT, "build"))
    try:
        for i in range(RUNS):
            for mode in MODES:
                r = run_once(workdir, mode)
                results[mode].append(r)
                print("run %d/%d %-8s %7.2f MiB/s, merge %s, %.1f s" % (
                    i + 1, RUNS, mode, mib_s(r),
                    "pending" if r[3] else "done", r[4]),
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
