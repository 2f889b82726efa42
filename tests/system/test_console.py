"""The hypervisor console while a VM runs (README.md "The host console"):
Ctrl-] switches the host console from the guest's COM1 to the command
language and back. From there a snapshot of the running default guest is
taken, listed and applied, and the guest goes on echoing afterwards."""
import re

import pytest

from .conftest import CPUS, expect, guest, hvrun

ESC = b"\x1d"


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_console_escape_takes_and_applies_a_snapshot(cpu):
    send = (ESC + b"snapshot create fromhost\rsnapshot list\rvm info\r"
            b"snapshot apply fromhost\rsnapshot apply nosuch\rbogus\r" + ESC +
            b"echo me\rq")
    res = hvrun(cpu, guest("hello"), "--mem", "16M", send=send,
                wait_for=b"'q' quits", timeout=300)
    expect(res, 0, ["echo me", "hello: bye", "PASS"])
    # The hypervisor's own lines reach stderr through hvrun.
    err = res.err.splitlines()
    for line in ["hv: created snapshot 1", "hv: ID PARENT NAME STATE PAUSE_US BYTES",
                 "hv: memory 16 MiB", "hv: applied snapshot 1",
                 "hv: no snapshot 'nosuch'", "hv: unknown command; try help",
                 "hv: back to the guest"]:
        assert line in err, "missing %r in\n%r" % (line, res)
    assert any(re.fullmatch(r"hv: 1 - fromhost (capturing|complete) \d+ \d+ \*", e)
               for e in err), res


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_console_escape_when_the_guest_reads_nothing(cpu):
    """A guest that never reads COM1 (spin) lets its receive FIFO fill up;
    Ctrl-] behind the bytes it left still reaches the hypervisor console,
    which is when a user needs it most (to apply a snapshot)."""
    send = b"x" * 100 + ESC + b"vm info\r" + ESC
    res = hvrun(cpu, guest("spin"), "--mem", "16M", send=send,
                wait_for=b"spinning forever", timeout=90)
    assert res.rc == 124, res
    vendor = "svm" if cpu == "amd" else "vmx"
    assert "hv: vendor %s" % vendor in res.err.splitlines(), res
