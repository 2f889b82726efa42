"""Runs the libFuzzer target (arbitrary bytes opened, checked, read,
written, committed and exported as a VHD chain) for a bounded time on the
generated seed corpus, and replays every saved regression input."""
import os
import subprocess

from .conftest import BUILD, ROOT

FUZZ = os.path.join(BUILD, "fuzz", "fuzz_vhd")
SEEDS = os.path.join(BUILD, "fuzz", "seeds")
REGRESSIONS = os.path.join(ROOT, "tests", "fuzz", "regressions")
SECONDS = int(os.environ.get("FUZZ_SECONDS", "40"))


def test_fuzz_bounded_run(tmp_path):
    assert os.path.exists(FUZZ), "make unit builds the fuzz target"
    assert len([n for n in os.listdir(SEEDS) if not n.startswith(".")]) >= 4
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    p = subprocess.run(
        [FUZZ, "-max_total_time=%d" % SECONDS, "-max_len=65536",
         "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
         "-artifact_prefix=%s/" % tmp_path, str(corpus), SEEDS],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=SECONDS * 3
        + 60)
    out = p.stdout.decode(errors="replace")
    crashes = [n for n in os.listdir(tmp_path) if n.startswith(
        ("crash-", "timeout-", "leak-", "oom-"))]
    assert p.returncode == 0 and not crashes, (
        "fuzzer found %s; copy it into tests/fuzz/regressions\n%s" %
        (crashes, out[-4000:]))
    runs = [l for l in out.splitlines() if "stat::number_of_executed_units"
            in l]
    assert runs and int(runs[0].split(":")[-1]) > 1000


def test_fuzz_regressions():
    files = [os.path.join(REGRESSIONS, n) for n in sorted(os.listdir(
        REGRESSIONS)) if n != "README"]
    # the seeds themselves always replay too
    files += [os.path.join(SEEDS, n) for n in os.listdir(SEEDS)
              if not n.startswith(".")]
    p = subprocess.run([FUZZ, "-runs=1"] + files, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode == 0, p.stdout.decode(errors="replace")[-4000:]
