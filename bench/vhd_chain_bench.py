#!/usr/bin/python3
"""vhd_chain_bench.py: 4 KiB random reads through VHD chains of depth 1, 4
and 16 holding the same data (storage library, bench/vhd_chain_bench.c),
and the same reads through qemu-io on qcow2 chains of the same depths.
Prints per-read times and the ratios, all from one run:
  depth-N / depth-1 throughput of our chains (goal: >= 0.9 at depth 16)
  ours / qemu throughput at each depth (goal: >= 1).
qemu-io reads its commands from stdin; its start-up cost is removed by
timing two command counts and taking the slope. BENCH_READS (default
40000), BENCH_DISK_MIB (default 256) and BENCH_WRITES (writes per layer
group, default 24) shrink it (tests/bench/ smoke-runs it tiny)."""
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HVDISK = os.path.join(ROOT, "build", "hvdisk")
BENCH = os.path.join(ROOT, "build", "bench", "vhd_chain_bench")
SIZE = int(os.environ.get("BENCH_DISK_MIB", "256")) << 20
LAYERS = 16
READS = int(os.environ.get("BENCH_READS", "40000"))
WRITES = int(os.environ.get("BENCH_WRITES", "24"))


def sh(*args, input=None):
    return subprocess.run(args, input=input, check=True,
                          stdout=subprocess.PIPE).stdout


def plan(rng):
    """16 groups of writes (offset, length, pattern byte)."""
    groups = []
    for _ in range(LAYERS):
        g = []
        for _ in range(WRITES):
            length = rng.randrange(1, min(64, SIZE >> 14)) * 4096
            off = rng.randrange(0, (SIZE - length) // 512) * 512
            g.append((off, length, rng.randrange(1, 256)))
        groups.append(g)
    return groups


def build_vhd(d, depth, groups):
    per = LAYERS // depth
    prev = None
    for i in range(depth):
        path = os.path.join(d, "v%d-%d.vhd" % (depth, i))
        if prev:
            sh(HVDISK, "child", prev, path)
        else:
            sh(HVDISK, "create", path, str(SIZE))
        for g in groups[i * per:(i + 1) * per]:
            for off, length, pat in g:
                sh(HVDISK, "write", path, str(off),
                   input=bytes([pat]) * length)
        prev = path
    return prev


def build_qcow2(d, depth, groups):
    per = LAYERS // depth
    prev = None
    for i in range(depth):
        path = os.path.join(d, "q%d-%d.qcow2" % (depth, i))
        if prev:
            sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", prev, "-F",
               "qcow2", path)
        else:
            sh("qemu-img", "create", "-q", "-f", "qcow2", path, str(SIZE))
        cmds = []
        for g in groups[i * per:(i + 1) * per]:
            for off, length, pat in g:
                cmds += ["-c", "write -q -P %d %d %d" % (pat, off, length)]
        sh("qemu-io", "-f", "qcow2", *cmds, path)
        prev = path
    return prev


def ours(top, offfile):
    out = sh(BENCH, top, offfile).split()
    return float(out[0]), float(out[1])


def qemu(top, offsets):
    def run(n):
        cmds = "".join("read -q %d 4k\n" % o for o in offsets[:n]).encode()
        t = time.perf_counter()
        subprocess.run(["qemu-io", "-f", "qcow2", top], input=cmds,
                       check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t
    run(len(offsets))                       # warm the page cache
    small, big = len(offsets) // 10, len(offsets)
    best = min((run(big) - run(small)) for _ in range(2))
    return best / (big - small) * 1e9


def main():
    rng = random.Random(int(os.environ.get("BENCH_SEED", "1")))
    groups = plan(rng)
    offsets = [rng.randrange(0, SIZE // 4096) * 4096 for _ in range(READS)]
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "build")) as d:
        offfile = os.path.join(d, "offsets")
        open(offfile, "w").write("\n".join(map(str, offsets)) + "\n")
        res = {}
        flat = None
        for depth in (1, 4, 16):
            v = build_vhd(d, depth, groups)
            q = build_qcow2(d, depth, groups)
            a = sh(HVDISK, "read", v, "0", str(SIZE))
            flat = flat or a
            raw = os.path.join(d, "q.raw")
            sh("qemu-img", "convert", "-O", "raw", q, raw)
            same = a == flat == open(raw, "rb").read()
            os.remove(raw)
            if not same:
                print("depth %d: chains do not hold the same data" % depth)
                return 1
            ours(v, offfile)                 # warm the page cache
            cold, warm = ours(v, offfile)
            res[depth] = (cold, warm, qemu(q, offsets))
    print("4 KiB random reads, %d reads, %d MiB disk, same data at every "
          "depth" % (READS, SIZE >> 20))
    print("depth  ours-cold ns  ours-warm ns  qemu-qcow2 ns  "
          "ours/depth1  ours/qemu")
    for depth, (cold, warm, q) in res.items():
        print("%5d  %12.0f  %12.0f  %13.0f  %11.2f  %9.2f" % (
            depth, cold, warm, q, res[1][1] / warm, q / warm))
    print("ratio depth16/depth1 (throughput): %.2f (goal >= 0.90)" %
          (res[1][1] / res[16][1]))
    print("ratio ours/qemu at depth 16 (throughput): %.2f (goal >= 1.00)" %
          (res[16][2] / res[16][1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
