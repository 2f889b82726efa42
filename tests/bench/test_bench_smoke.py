"""Smoke runs of every benchmark of bench/ with tiny sizes and one run
each: the bench must exit 0 and print each of its ratio lines with
numbers that parse and are positive. Never a timed assertion (DESIGN.md
section 8): a MISS is fine here, a missing or broken number is not. The
emulator benches boot QEMU TCG (AMD-V) as they are defined to; they take
tests/system/conftest.py's emulator slots themselves, per boot."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
BENCH = os.path.join(ROOT, "bench")
# A positive decimal number, not part of a name like "depth16".
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?")

# name: (script, tiny settings, the start of each ratio line it prints)
BENCHES = {
    "lz4_capture": ("lz4_capture_bench.py",
                    {"BENCH_MIB": "4", "BENCH_RUNS": "1"},
                    ["ratio ours/lz4 (throughput):"]),
    "vhd_chain": ("vhd_chain_bench.py",
                  {"BENCH_DISK_MIB": "16", "BENCH_WRITES": "2",
                   "BENCH_READS": "5000"},
                  ["ratio depth16/depth1 (throughput):",
                   "ratio ours/qemu at depth 16 (throughput):"]),
    "merge": ("merge_bench.py", {"BENCH_MIB": "4", "BENCH_RUNS": "1"},
              ["ratio merge/qemu-img-commit:", "ratio merge/plain-copy:"]),
    # four boots of 32 and 64 MiB guests: about 30 s
    "snapshot_pause": ("snapshot_pause_bench.py",
                       {"BENCH_MEM_MIB": "32,64", "BENCH_RUNS": "1"},
                       ["ratio cow pause 64 MiB / 32 MiB:",
                        "ratio cow / stop-and-copy pause at 64 MiB:"]),
    # two boots, the guest's fixed 24 MiB fill, 1 MiB of workload: ~45 s
    "merge_guest": ("merge_guest_bench.py",
                    {"BENCH_WORK_MIB": "1", "BENCH_RUNS": "1"},
                    ["ratio during-merge/baseline:"]),
    # one Linux boot under the hypervisor, one direct: about 25 s
    "linux_boot": ("linux_boot_bench.py", {"BENCH_RUNS": "1"},
                   ["ratio hypervisor/direct"]),
}


def ratio_numbers(out, start):
    """The numbers of the line that begins with start, up to its goal."""
    lines = [l for l in out.splitlines() if l.startswith(start)]
    assert len(lines) == 1, "no single line %r in:\n%s" % (start, out)
    return [float(n) for n in NUMBER.findall(
        lines[0][len(start):].split("(goal")[0])]


def test_ratio_numbers_parse():
    """The parser itself: names with digits are not numbers, a negative
    one is seen (and would fail the smoke test)."""
    out = ("x\nratio depth16/depth1 (throughput): 2.69 (goal >= 0.90)\n"
           "ratio merge/plain-copy: best 1.14, median -0.50 (goal >= 0.5)\n")
    assert ratio_numbers(out, "ratio depth16/depth1 (throughput):") == [2.69]
    assert ratio_numbers(out, "ratio merge/plain-copy:") == [1.14, -0.5]


@pytest.mark.parametrize("name", sorted(BENCHES))
def test_bench_smoke(name):
    script, settings, ratios = BENCHES[name]
    env = dict(os.environ, **settings)
    proc = subprocess.run([sys.executable, os.path.join(BENCH, script)],
                          cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=1800)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, out[-4000:]
    for start in ratios:
        numbers = ratio_numbers(out, start)
        assert numbers, "no number on %r:\n%s" % (start, out)
        assert all(n > 0 for n in numbers), "%r: %s\n%s" % (
            start, numbers, out)
