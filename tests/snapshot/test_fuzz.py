"""Runs the snapshot formats' libFuzzer targets (build/fuzz/fuzz_manifest,
fuzz_statefile, fuzz_memimg; built by `make unit`): the seeds from
seeds.py must all be accepted (a check of the C readers against this
independent Python writer), each target fuzzes for a bounded time
(FUZZ_SECONDS, default 20) and must find nothing, and every saved
regression input replays cleanly."""
import os
import subprocess

import pytest

from .seeds import TARGETS, write_seeds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
BUILD = os.path.join(ROOT, "build")
REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "regressions")
SECONDS = int(os.environ.get("FUZZ_SECONDS", "20"))
MAX_LEN = {"manifest": 65536, "statefile": 16384, "memimg": 65536}


def fuzzer(target):
    path = os.path.join(BUILD, "fuzz", "fuzz_" + target)
    assert os.path.exists(path), "make unit builds " + path
    return path


def run(args, timeout, env=None):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode(errors="replace")


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_seeds_are_accepted(target, tmp_path):
    seeds = write_seeds(target, str(tmp_path / "seeds"))
    env = dict(os.environ, SNAP_FUZZ_EXPECT_VALID="1")
    rc, out = run([fuzzer(target)] + seeds, 120, env)
    assert rc == 0, "a seed was refused:\n" + out[-4000:]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_bounded_run(target, tmp_path):
    seeds = str(tmp_path / "seeds")
    write_seeds(target, seeds)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rc, out = run([fuzzer(target), "-max_total_time=%d" % SECONDS,
                   "-max_len=%d" % MAX_LEN[target], "-timeout=10",
                   "-rss_limit_mb=2048", "-print_final_stats=1",
                   "-artifact_prefix=%s/" % tmp_path, str(corpus), seeds],
                  SECONDS * 3 + 60)
    crashes = [n for n in os.listdir(tmp_path) if n.startswith(
        ("crash-", "timeout-", "leak-", "oom-"))]
    assert rc == 0 and not crashes, (
        "fuzzer found %s; copy it into tests/snapshot/regressions as "
        "%s-NAME\n%s" % (crashes, target, out[-4000:]))
    runs = [l for l in out.splitlines()
            if "stat::number_of_executed_units" in l]
    assert runs and int(runs[0].split(":")[-1]) > 1000, out[-2000:]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_regressions(target):
    files = [os.path.join(REGRESSIONS, n) for n in sorted(os.listdir(
        REGRESSIONS)) if n.startswith(target + "-")]
    if not files:
        pytest.skip("no saved inputs for " + target)
    rc, out = run([fuzzer(target), "-runs=1"] + files, 300)
    assert rc == 0, out[-4000:]
