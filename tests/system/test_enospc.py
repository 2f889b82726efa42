"""A full boot volume pauses the VM instead of failing the guest's disk
writes (README.md "The host console", `continue`), as QEMU's
werror=enospc and Hyper-V's Paused-Critical do: the write that found no
room stays pending, the host console says why, `vm info` says the VM is
paused, `continue` without room says so and stays paused, and after a
`snapshot delete` it resumes; the guest never sees an error and every
write it made is on the disk (read back by hvdisk and by qemu-img)."""
import os
import re
import shutil
import subprocess

import pytest

from .conftest import CPUS, HVRUN, ROOT, emulator_slot, guest
from .test_merge import pattern
from .test_snapshot_full import nearly_full_volume

HVDISK = os.path.join(ROOT, "build", "hvdisk")
ESC = "\x1d"
MIB = 1 << 20
A_BYTES = MIB               # guest-tests/disk_full.c, A_COUNT
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
    subprocess.run([HVDISK, "create", "-b", "256K", disk, "64M"], check=True,
                   stdout=subprocess.PIPE)
    # A small volume (its filler is small too) with 2.5 MiB free: snapshot
    # one's 2 MiB image leaves less than the guest's 1 MiB of writes; once
    # it is deleted the writes fit, and so does the merge of their layer.
    nearly_full_volume(vol, kernel, left_free=5 * MIB // 2, size=48 * MIB)
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


def fill_volume(vol, tmp_path, free):
    """Takes all but `free` bytes of the boot volume with a filler file."""
    from .test_snapshot_full import mtools
    fs = vol + "@@1M"
    have = int(re.search(r"([\d ]+) bytes free", mtools("mdir", "-i", fs, "::"))
               .group(1).replace(" ", ""))
    filler = str(tmp_path / "filler")
    with open(filler, "wb") as f:
        f.truncate(have - free)
    mtools("mcopy", "-i", fs, filler, "::filler")
    os.unlink(filler)


# Run 1 leaves snapshot one on the volume, its image at least NOISE MiB
# (tmpfs holds NOISE MiB that lz4 cannot shrink); the host then leaves
# LEFT MiB free. Run 2 (the VM starts on the same disk leaf) writes DATA
# MiB: they do not fit until one is deleted. Two runs, as what Linux's own
# RAM compresses to is not known in advance. The root file system has
# about 52 MiB free.
NOISE, LEFT, DATA = 64, 16, 40


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", [pytest.param("amd"),
                                 pytest.param("intel", marks=pytest.mark.slow)])
def test_full_volume_pauses_linux(cpu, tmp_path, monkeypatch):
    from . import test_linux
    from .test_linux import PROMPT, run_linux, running_disk

    def take_snapshot(vm):
        vm.boot()
        vm.sh("mkdir -p /ram && mount -t tmpfs -o size=%dm tmpfs /ram && "
              "dd if=/dev/urandom of=/ram/noise bs=1M count=%d 2>/dev/null"
              % (NOISE + 8, NOISE))
        assert "created snapshot 1" in " ".join(vm.sh("hvctl snapshot create one"))
        for _ in range(300):
            if "complete" in " ".join(vm.sh("hvctl snapshot list")):
                break
            vm.sh("sleep 1")
        else:
            raise AssertionError("snapshot one never completed")
        vm.child.sendline("poweroff")
        return vm.wait_exit()

    def fill_disk(vm):
        vm.boot()
        # the source stays in RAM: only /data goes to the full volume
        want = vm.sh("mkdir -p /ram && mount -t tmpfs -o size=%dm tmpfs /ram && "
                     "dd if=/dev/urandom of=/ram/src bs=1M count=%d 2>/dev/null; "
                     "md5sum /ram/src" % (DATA + 8, DATA))[-1].split()[0]
        vm.child.sendline("dd if=/ram/src of=/data bs=1M 2>/dev/null && sync && "
                          "echo written-$?")
        vm.expect(r"hv: disk \S+: no space left on the boot volume")
        vm.expect("hv: vm paused: make room")
        vm.child.send(ESC)
        vm.expect("hv> ")
        vm.child.send("vm info\r")
        vm.expect("hv: state paused: disk ")
        vm.child.send("snapshot delete one\r")
        vm.expect("hv: deleted snapshot 1")
        vm.child.send("continue\r")
        vm.expect("hv: the VM runs again")
        vm.child.send(ESC)
        vm.expect("hv: back to the guest")
        vm.expect("written-0")
        vm.expect(PROMPT)
        vm.sh("sync; echo 3 > /proc/sys/vm/drop_caches")
        assert vm.sh("md5sum /data")[0].split()[0] == want
        assert vm.sh("dmesg | grep -ci 'I/O error\\|EXT4-fs error\\|"
                     "remounting filesystem read-only'; true")[-1] == "0", \
            vm.sh("dmesg | tail -20")
        assert any(re.match(r"/dev/vda on / type ext4 \(rw", l)
                   for l in vm.sh("mount")), "root is not read-write"
        vm.child.sendline("poweroff")
        return vm.wait_exit(), want

    # A small volume (hvrun's would have room for two images of all RAM),
    # so that the filler is small too.
    subprocess.run([os.path.join(ROOT, "tools", "mkvolume"), "--output",
                    str(tmp_path / "volume.img"), "--size", "200M"], check=True,
                   stdout=subprocess.PIPE)
    assert run_linux(cpu, tmp_path, take_snapshot) == 0
    fill_volume(str(tmp_path / "volume.img"), tmp_path, LEFT * MIB)
    # Run 2 boots the disk as run 1 left it (hvrun copied it back), not a
    # fresh copy of root.vhd.
    kept = str(tmp_path / "kept.vhd")
    shutil.copy(str(tmp_path / "root.vhd"), kept)
    real_file = test_linux.linux_file
    monkeypatch.setattr(test_linux, "linux_file",
                        lambda name: kept if name == "root.vhd" else real_file(name))
    status, want = run_linux(cpu, tmp_path, fill_disk)
    assert status == 0
    image, tree = running_disk(str(tmp_path / "volume.img"), tmp_path)
    fsck = subprocess.run(["/sbin/e2fsck", "-fn", image], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    assert fsck.returncode == 0, fsck.stdout + tree
    dump = str(tmp_path / "data")
    subprocess.run(["/sbin/debugfs", "-R", "dump /data " + dump, image], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    md5 = subprocess.run(["md5sum", dump], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout.split()[0]
    assert md5 == want, "the file on the disk is not what the guest wrote"
