"""Runs every host unit-test binary under build/unit/ (built with ASan and
UBSan by `make unit`); each binary is one pytest test and must exit 0."""
import os
import subprocess
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT = os.path.join(ROOT, "build", "unit")


def unit_binaries():
    if not os.path.isdir(UNIT):
        return []
    return sorted(n for n in os.listdir(UNIT)
                  if os.access(os.path.join(UNIT, n), os.X_OK)
                  and not n.endswith((".o", ".d")))


def test_unit_binaries_exist():
    assert unit_binaries(), "no unit tests built: run `make unit` first"


@pytest.mark.parametrize("name", unit_binaries())
def test_unit(name):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    proc = subprocess.run([os.path.join(UNIT, name)], env=env, cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=600)
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, out
