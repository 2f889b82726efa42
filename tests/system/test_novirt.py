"""A processor with neither VT-x nor AMD-V: the hypervisor says so on its
console and stops (hvrun exits 125) instead of crashing."""
import os

import pytest

from .conftest import guest, hvrun


@pytest.mark.emulator
def test_cpu_without_virtualization_is_refused():
    env = dict(os.environ, HVRUN_QEMU_CPU="max,-svm")
    res = hvrun("amd", guest("cpuid"), "--mem", "64M", timeout=120, env=env)
    assert res.rc == 125, res
    assert "has neither VT-x (VMX) nor AMD-V (SVM)" in res.err, res
    assert "hv: vm stopped: virtualization is not available" in res.err, res
    assert "cpuid:" not in res.out, res
