"""A full boot volume pauses the VM instead of failing the guest's disk
writes (README.md "The host console", `continue`), as QEMU's
werror=enospc and Hyper-V's Paused-Critical do: the write that found no
room stays pending, the host console says why, `vm info` says the VM is
paused, `continue` without room says so and stays paused, and after a
`snapshot delete` it resumes; the guest never sees an error and every
write it made is on the disk (read back by hvdisk and by qemu-img)."""
import os
import re
import subprocess

import pytest

from .conftest import CPUS, HVRUN, ROOT, emulator_slot, guest
from .test_merge import pattern
from .test_snapshot_full import nearly_full_volume

HVDISK = os.path.join(ROOT, "build", "hvdisk")
ESC = "\x1d"
MIB = 1 << 20
A_BYTES = 3 * MIB           # guest-tests/disk_full.c, A_COUNT
TIMEOUT = {"amd": 300, "intel": 900}


class Console:
    """tools/hvrun under pexpect: the guest's COM1 and the hypervisor's
    lines on one terminal, typed at like a user would."""

    def __init__(self, cpu, args, log_path):
        import pexpect
        self.log = open(log_path, "w")
        self.child = pexpect.spawn("/usr/bin/python3", [HVRUN, "--cpu", cpu] + args,
                                   cwd=ROOT, encoding="utf-8",
                                   codec_errors="replace", timeout=TIMEOUT[cpu])
        self.child.logfile_read = self.log

    def expect(self, pattern):
        self.child.expect(pattern)
        return self.child.match

    def command(self, line, reply):
        """One line at the hypervisor console; waits for the reply."""
        self.child.send(line + "\r")
        return self.expect(reply)

    def end(self):
        import pexpect
        self.child.expect(pexpect.EOF)
        self.child.close()
        self.log.close()
        return self.child.exitstatus


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_full_volume_pauses_until_continue(cpu, tmp_path):
    kernel = guest("disk_full")
    vol, disk = str(tmp_path / "vol.img"), str(tmp_path / "disk.vhd")
    subprocess.run([HVDISK, "create", "-b", "512K", disk, "64M"], check=True,
                   stdout=subprocess.PIPE)
    # A small volume (its filler is small too) with 7 MiB free: snapshot
    # one's 5 MiB image leaves less than the guest's 3 MiB of writes.
    nearly_full_volume(vol, kernel, left_free=7 * MIB, size=48 * MIB)
    args = ["--mem", "16M", "--kernel", kernel, "--disk", disk, "--volume", vol,
            "--timeout", str(TIMEOUT[cpu])]
    with emulator_slot():
        con = Console(cpu, args, str(tmp_path / "console.log"))
        try:
            con.expect(r"disk_full: snapshot one complete")
            leaf = con.expect(r"hv: disk (\S+): no space left on the boot volume "
                              r"for the guest's write; it waits").group(1)
            con.expect(r"hv: vm paused: make room on the boot volume .*then type "
                       r"continue")
            con.child.send(ESC)
            con.expect("hv> ")
            con.command("vm info", r"hv: state paused: disk %s: no space left"
                        % re.escape(leaf))
            con.command("continue", r"hv: no space left on the boot volume still: "
                        r"the VM stays paused")
            con.command("snapshot delete one", "hv: deleted snapshot 1")
            con.command("continue", "hv: the VM runs again")
            con.child.send(ESC)
            con.expect("disk_full: every write succeeded")
            con.expect("disk_full: the disk reads as written; one is gone; the VM runs")
            con.expect("disk_full: merged into the base, the disk as written")
            con.expect("PASS")
            status = con.end()
        finally:
            if con.child.isalive():
                con.child.terminate(force=True)
    with open(str(tmp_path / "console.log")) as f:
        log = f.read()
    assert status == 0, log
    assert "FAIL" not in log, log
    # hvrun copied the base back; the merge put every write into it.
    subprocess.run([HVDISK, "check", disk], check=True, stdout=subprocess.PIPE)
    want = b"".join(pattern("A", s) for s in range(A_BYTES // 512))
    got = subprocess.run([HVDISK, "read", disk, "0", str(A_BYTES + MIB)], check=True,
                         stdout=subprocess.PIPE).stdout
    assert got[:A_BYTES] == want, "hvdisk reads other bytes"
    assert got[A_BYTES:] == bytes(MIB)
    raw = str(tmp_path / "disk.raw")
    subprocess.run(["qemu-img", "convert", "-f", "vpc", "-O", "raw", disk, raw],
                   check=True)
    with open(raw, "rb") as f:
        assert f.read(A_BYTES) == want, "qemu-img reads other bytes"
        assert f.read(MIB) == bytes(MIB)
