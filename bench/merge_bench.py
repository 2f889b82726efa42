#!/usr/bin/python3
"""merge_bench.py: merge throughput on the host, three ways side by side in
one run, on files in one temp dir under build/ (same disk):
  ours     the merge thread's engine (storage/vhd_fold.h) folding the
           middle layer of a VHD chain into the top layer
           (build/bench/merge_bench, bench/merge_bench.c), every flush in,
           up to the switch (the fold complete and durable); the deletion
           of the folded file that follows is timed apart and shown;
  qemu     `qemu-img commit` of the same chain as qcow2;
  copy     `dd conv=fsync` of a file holding the same bytes: the disk's
           limit for reading and writing them once.
The chain: base (dynamic, 256 MiB virtual, BASE_MIB of data) <- middle
(BENCH_MIB MiB, default 64, random bytes in runs of 64 KiB..2 MiB spread
over the disk) <- top (TOP_MIB of small runs, none inside a middle run).

Equivalent work: our fold copies the middle's data into the top (the top
never holds a sector the middle has, so all BENCH_MIB MiB are copied);
`qemu-img commit middle` copies the middle's data into the base, the same
BENCH_MIB MiB (committing the top instead would move only TOP_MIB). Both
then drop the middle's data: qemu-img empties it before it exits; we
delete the file after the switch, off the critical path (the chain no
longer names it; recovery deletes it after a power cut).

Every run starts from fresh copies of the chains, fsync'ed and dropped
from the page cache (posix_fadvise DONTNEED: drop_caches needs more than
root in a container), so reads come from the disk. BENCH_RUNS (default 3)
runs each, interleaved; best and median are printed, the ratios of
both. Prints MiB/s and the ratios
  ours / qemu-img commit (goal >= 1.0)
  ours / plain copy      (goal >= 0.5).
A missed goal still exits 0; a failed run or wrong data exits 1."""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HVDISK = os.path.join(ROOT, "build", "hvdisk")
BENCH = os.path.join(ROOT, "build", "bench", "merge_bench")
MIB = 1 << 20
SIZE = 256 * MIB
GRAIN = 64 << 10            # runs start and end on 64 KiB
MID_MIB = int(os.environ.get("BENCH_MIB", "64"))
TOP_MIB = 4
BASE_MIB = 16
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
GOAL_QEMU = 1.0
GOAL_COPY = 0.5
NAMES = ("base", "mid", "top")


def sh(*args, input=None, cwd=None):
    return subprocess.run(args, input=input, check=True, cwd=cwd,
                          stdout=subprocess.PIPE).stdout


def place(rng, used, total, min_g, max_g):
    """Runs (offset, length) of total bytes at free 64 KiB grains, each
    min_g..max_g grains long; marks them in used."""
    runs, left = [], total // GRAIN
    while left:
        n = min(left, rng.randint(min_g, max_g))
        g = rng.randrange(0, SIZE // GRAIN - n + 1)
        if any(used[g:g + n]):
            continue
        used[g:g + n] = [True] * n
        runs.append((g * GRAIN, n * GRAIN))
        left -= n
    return sorted(runs)


def plan(rng):
    """Per layer a list of (offset, bytes). The top avoids the middle's
    runs; the base may lie under anything."""
    used = [False] * (SIZE // GRAIN)
    mid = place(rng, used, MID_MIB * MIB, 1, 32)
    top = place(rng, used, TOP_MIB * MIB, 1, 4)
    base = place(rng, [False] * (SIZE // GRAIN), BASE_MIB * MIB, 1, 32)
    return {name: [(o, rng.randbytes(n)) for o, n in runs]
            for name, runs in (("base", base), ("mid", mid), ("top", top))}


def build_vhd(d, layers):
    sh(HVDISK, "create", "base.vhd", str(SIZE), cwd=d)
    sh(HVDISK, "child", "base.vhd", "mid.vhd", cwd=d)
    sh(HVDISK, "child", "mid.vhd", "top.vhd", cwd=d)
    for name in NAMES:
        for off, data in layers[name]:
            sh(HVDISK, "write", name + ".vhd", str(off), input=data, cwd=d)


def build_qcow2(d, layers):
    """Backing files named relative to the image, so copies elsewhere
    work. qemu-io writes each run from a file of its bytes (-s)."""
    sh("qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", str(SIZE),
       cwd=d)
    for child, parent in (("mid", "base"), ("top", "mid")):
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-b",
           parent + ".qcow2", "-F", "qcow2", child + ".qcow2", cwd=d)
    src = os.path.abspath(os.path.join(d, "run.bin"))
    for name in NAMES:
        for off, data in layers[name]:
            open(src, "wb").write(data)
            sh("qemu-io", "-f", "qcow2", "-c", "write -q -s %s %d %d" % (
                src, off, len(data)), name + ".qcow2", cwd=d)
    os.remove(src)


def flat(layers):
    img = bytearray(SIZE)
    for name in NAMES:
        for off, data in layers[name]:
            img[off:off + len(data)] = data
    return bytes(img)


def reads_vhd(d):
    return sh(HVDISK, "read", os.path.join(d, "top.vhd"), "0", str(SIZE))


def reads_qcow2(d):
    raw = os.path.join(d, "flat.raw")
    sh("qemu-img", "convert", "-O", "raw", os.path.join(d, "top.qcow2"), raw)
    data = open(raw, "rb").read()
    os.remove(raw)
    return data


def drop_cache(d):
    """Every file of d on the medium and out of the page cache. The
    sync first: the disk is mounted with discard, and freeing the last
    run's files must not land in the next run's first fsync."""
    os.sync()
    for name in os.listdir(d):
        fd = os.open(os.path.join(d, name), os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def fresh(pristine, run, exts):
    shutil.rmtree(run, ignore_errors=True)
    os.mkdir(run)
    # dense, as on the boot volume (FAT has no holes: a block's unwritten
    # sectors are zeros on the medium). hvdisk on ext4 leaves a hole per
    # unwritten run instead, and unlinking a file of ~100 extents on this
    # discard-mounted disk costs 0.3 s against 0.02 s dense (measured)
    sh("cp", "--sparse=never", *[os.path.join(pristine, name + ext)
                                 for name in NAMES for ext in exts], run)
    drop_cache(run)
    drop_cache(pristine)


def timed(args, cwd):
    t = time.perf_counter()
    out = subprocess.run(args, check=True, cwd=cwd,
                         stdout=subprocess.PIPE).stdout
    return time.perf_counter() - t, out


def run_ours(pristine, run):
    fresh(pristine, run, (".vhd",))
    wall, out = timed([BENCH, "top.vhd"], run)
    secs, blocks, _, _, removing = out.split()
    if int(blocks) < MID_MIB * MIB:       # whole 2 MiB blocks visited
        raise RuntimeError("fold visited only %s bytes" % blocks.decode())
    return float(secs), float(removing)


def run_qemu(pristine, run):
    """The time of the process (qemu-img flushes on close) plus an fsync
    of the base, which is nearly free if it did."""
    fresh(pristine, run, (".qcow2",))
    t = time.perf_counter()
    subprocess.run(["qemu-img", "commit", "-q", "-f", "qcow2", "mid.qcow2"],
                   check=True, cwd=run)
    fd = os.open(os.path.join(run, "base.qcow2"), os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - t


def run_copy(pristine, run):
    shutil.rmtree(run, ignore_errors=True)
    os.mkdir(run)
    drop_cache(pristine)
    secs, _ = timed(["dd", "if=" + os.path.join(pristine, "mid.bin"),
                     "of=copy.bin", "bs=1M", "conv=fsync", "status=none"],
                    run)
    return secs


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    for f in (HVDISK, BENCH):
        if not os.path.isfile(f):
            print("%s missing: run `make bench-merge`" % f, file=sys.stderr)
            return 2
    rng = random.Random(int(os.environ.get("BENCH_SEED", "1")))
    layers = plan(rng)
    expect = flat(layers)
    with tempfile.TemporaryDirectory(
            prefix="mergebench-", dir=os.path.join(ROOT, "build")) as d:
        pristine, run = os.path.join(d, "pristine"), os.path.join(d, "run")
        os.mkdir(pristine)
        build_vhd(pristine, layers)
        build_qcow2(pristine, layers)
        open(os.path.join(pristine, "mid.bin"), "wb").write(
            b"".join(data for _, data in layers["mid"]))
        if reads_vhd(pristine) != expect or reads_qcow2(pristine) != expect:
            print("the chains do not hold the planned data", file=sys.stderr)
            return 1
        times = {"ours": [], "ours+rm": [], "qemu": [], "copy": []}
        for i in range(RUNS):
            secs, removing = run_ours(pristine, run)
            times["ours"].append(secs)
            times["ours+rm"].append(secs + removing)
            if i == 0 and (reads_vhd(run) != expect or
                           os.path.exists(os.path.join(run, "mid.vhd"))):
                print("our merge changed the disk's content or left the "
                      "middle layer", file=sys.stderr)
                return 1
            if i == 0:
                sh(HVDISK, "check", os.path.join(run, "top.vhd"))
            times["qemu"].append(run_qemu(pristine, run))
            if i == 0 and reads_qcow2(run) != expect:
                print("qemu-img commit changed the disk's content",
                      file=sys.stderr)
                return 1
            times["copy"].append(run_copy(pristine, run))
            print("run %d/%d: ours %.3f s, qemu-img commit %.3f s, copy "
                  "%.3f s" % (i + 1, RUNS, times["ours"][-1],
                              times["qemu"][-1], times["copy"][-1]),
                  file=sys.stderr, flush=True)
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    print("merge of %d MiB (runs of 64 KiB..2 MiB over a %d MiB disk), "
          "%d runs, caches dropped" % (MID_MIB, SIZE >> 20, RUNS))
    print("%-30s %8s %8s %8s   %s" % ("", "best s", "median s", "MiB/s",
                                     "all runs (s)"))
    for k, label in (("ours", "ours (vhd_fold, k=1)"),
                     ("ours+rm", "  and deleting mid.vhd after"),
                     ("qemu", "qemu-img commit (qcow2)"),
                     ("copy", "plain copy (dd conv=fsync)")):
        print("%-30s %8.3f %8.3f %8.1f   %s" % (
            label, best[k], med[k], MID_MIB / best[k],
            " ".join("%.3f" % t for t in times[k])))
    for name, goal, other in (("qemu-img-commit", GOAL_QEMU, "qemu"),
                              ("plain-copy", GOAL_COPY, "copy")):
        rb = best[other] / best["ours"]
        rm = med[other] / med["ours"]
        print("ratio merge/%s: best %.2f, median %.2f (goal >= %.1f) %s" % (
            name, rb, rm, goal, verdict(rb >= goal and rm >= goal)))
    print("(for information, with the deletion of the folded file in our "
          "time: best %.2f and %.2f; qemu-img's emptying of mid.qcow2 is in "
          "its time)" % (best["qemu"] / best["ours+rm"],
                         best["copy"] / best["ours+rm"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
