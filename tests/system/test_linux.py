"""Debian's Linux kernel as a guest (README.md "The Linux guest"): it boots
to its shell with its ext4 root on a VHD through virtio-blk, `hvctl` takes
a snapshot while a process keeps writing, the host console applies it and
the system runs on with its files as they were, and fsck of the root file
system after power-off finds nothing wrong. Power-off and reboot from
inside Linux end and restart the VM; an initramfs of the test's own boots
with the same kernel and finds its disk.

AMD (QEMU TCG) runs in the default suite; the Intel runs (Bochs, a few
minutes per boot) are marked `slow`: `make test-slow` runs them."""
import glob
import os
import re
import shutil
import subprocess
import time

import pytest

from .conftest import HVRUN, ROOT, emulator_slot

LINUX = os.path.join(ROOT, "build", "linux")
HVDISK = os.path.join(ROOT, "build", "hvdisk")
CMDLINE = "console=ttyS0 root=/dev/vda quiet"
PROMPT = "linux# "
ESC = "\x1d"
# Boot, then every command: generous, as Bochs runs Linux slowly.
TIMEOUT = {"amd": 300, "intel": 1500}
VENDOR_PARAMS = [pytest.param("amd"),
                 pytest.param("intel", marks=pytest.mark.slow)]


def linux_file(name):
    path = os.path.join(LINUX, name)
    assert os.path.isfile(path), "%s missing: run `make linux-guest`" % path
    return path


class Linux:
    """The Linux guest under tools/hvrun, driven through its serial shell
    with pexpect. The disk is a copy of root.vhd; the boot volume is kept
    in tmp_path so that the tree it holds can be checked afterwards."""

    def __init__(self, cpu, tmp_path, initrd=None, disk=True, cmdline=CMDLINE):
        import pexpect
        self.cpu, self.timeout = cpu, TIMEOUT[cpu]
        self.volume = str(tmp_path / "volume.img")
        args = ["--cpu", cpu, "--mem", "256M", "--kernel", linux_file("vmlinuz"),
                "--initrd", initrd or linux_file("initrd.img"), "--append", cmdline,
                "--volume", self.volume, "--set", "hypercall_user=yes",
                "--timeout", str(self.timeout * 3)]
        if disk:
            self.disk = str(tmp_path / "root.vhd")
            shutil.copy(linux_file("root.vhd"), self.disk)
            args += ["--disk", self.disk]
        self.log = open(str(tmp_path / "console.log"), "w")
        self.child = pexpect.spawn("/usr/bin/python3", [HVRUN] + args, cwd=ROOT,
                                   encoding="utf-8", codec_errors="replace",
                                   timeout=self.timeout)
        self.child.logfile_read = self.log

    def expect(self, pattern, timeout=None):
        self.child.expect(pattern, timeout=timeout or self.timeout)
        return self.child.before

    def boot(self):
        self.expect("linux guest: root file system mounted")
        self.expect(PROMPT)

    def sh(self, command):
        """Runs one shell command; returns its output lines (the echo of
        the command and the shell's terminal queries removed)."""
        self.child.sendline(command)
        out = self.expect(PROMPT)
        lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", l).strip()
                 for l in out.replace("\r", "").split("\n")]
        lines = [l for l in lines if l and not l.startswith("hv: ")]
        if lines and lines[0].endswith(command):
            lines = lines[1:]
        return lines

    def console(self, command, reply):
        """A command on the host console (Ctrl-] there and back); returns
        what appeared after the reply (the guest's output goes on)."""
        self.child.send(ESC)
        self.expect("hv> ")
        self.child.send(command + "\r")
        self.expect(reply)
        self.child.send(ESC)
        return self.expect("hv: back to the guest")

    def wait_exit(self):
        import pexpect
        self.child.expect(pexpect.EOF, timeout=self.timeout)
        self.child.close()
        self.log.close()
        return self.child.exitstatus


def run_linux(cpu, tmp_path, scenario, **kw):
    with emulator_slot():
        vm = Linux(cpu, tmp_path, **kw)
        try:
            return scenario(vm)
        finally:
            if vm.child.isalive():
                vm.child.terminate(force=True)


def extract_volume(volume, dest):
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["mcopy", "-s", "-n", "-i", volume + "@@1M", "::/*", dest],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return dest


def running_disk(volume, tmp_path):
    """The running disk's chain on the boot volume, flattened to a raw
    image: (path of the raw image, the chain's text)."""
    files = extract_volume(volume, str(tmp_path / "files"))
    out = subprocess.run([HVDISK, "snapshots", files], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    leaf = re.search(r"^running leaf: (\S+)$", out, re.M).group(1)
    raw = str(tmp_path / "root.raw")
    subprocess.run([HVDISK, "convert", "-O", "raw", os.path.join(files, leaf), raw],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return raw, out


def debugfs_cat(image, path):
    proc = subprocess.run(["/sbin/debugfs", "-R", "cat " + path, image],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    return proc.stdout


WRITER = ("sh -c 'i=0; while :; do i=$((i+1)); echo $i > /counter; sync; "
          "sleep 0.2; done' >/dev/null 2>&1 &")


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", VENDOR_PARAMS)
def test_snapshot_of_a_running_linux(cpu, tmp_path):
    def scenario(vm):
        vm.boot()
        assert any(re.match(r"/dev/vda on / type ext4 \(rw", l)
                   for l in vm.sh("mount")), "root is not the VHD"
        vm.sh("echo before > /kept; echo gone > /changed; sync")
        vm.sh(WRITER)
        vm.sh("sleep 1")
        reply = vm.sh("hvctl snapshot create running")
        assert "created snapshot 1" in reply, reply
        at_snapshot = int(vm.sh("cat /counter")[0])
        vm.sh("echo after > /changed; echo new > /new; sync; sleep 1")
        later = int(vm.sh("cat /counter")[0])
        assert later > at_snapshot, "the writer stopped"
        assert re.match(r"1 - running (capturing|complete) \d+ \d+ \*",
                        vm.sh("hvctl snapshot list")[1])
        # Back in time from the host: the guest wakes up inside the same
        # hvctl call, which now says so.
        # The guest's lines may come before or after the console's last.
        seen = vm.console("snapshot apply running", "applied snapshot 1")
        resumed = "hvctl: resumed from this snapshot"
        if resumed not in seen:
            vm.expect(resumed)
            vm.expect(PROMPT)
        elif PROMPT not in seen.split(resumed, 1)[1]:
            vm.expect(PROMPT)
        assert vm.sh("cat /kept /changed") == ["before", "gone"]
        assert "No such file" in " ".join(vm.sh("ls /new"))
        first = int(vm.sh("cat /counter")[0])
        assert first <= later, "counter %d is not from the snapshot" % first
        vm.sh("sleep 1")
        assert int(vm.sh("cat /counter")[0]) > first, "the writer did not go on"
        vm.sh("echo final > /final; sync")
        vm.child.sendline("poweroff")
        return vm.wait_exit()
    assert run_linux(cpu, tmp_path, scenario) == 0
    image, tree = running_disk(str(tmp_path / "volume.img"), tmp_path)
    fsck = subprocess.run(["/sbin/e2fsck", "-fn", image], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    assert fsck.returncode == 0, fsck.stdout + tree
    assert debugfs_cat(image, "/changed") == "gone\n"
    assert debugfs_cat(image, "/final") == "final\n"
    assert debugfs_cat(image, "/new") == ""


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", VENDOR_PARAMS)
def test_linux_reboot_and_poweroff(cpu, tmp_path):
    """`reboot` restarts the VM from its configuration (the disk keeps what
    was written); `poweroff` ends it with status 0."""
    def scenario(vm):
        vm.boot()
        vm.sh("echo %s > /boot-mark; sync" % cpu)
        vm.child.sendline("reboot")
        vm.expect("hv: vm reset")
        vm.boot()
        assert vm.sh("cat /boot-mark") == [cpu]
        vm.child.sendline("poweroff")
        return vm.wait_exit()
    assert run_linux(cpu, tmp_path, scenario) == 0
    disk = str(tmp_path / "root.vhd")
    raw = str(tmp_path / "root.raw")
    subprocess.run([HVDISK, "convert", "-O", "raw", disk, raw], check=True)
    assert debugfs_cat(raw, "/boot-mark") == cpu + "\n"


OWN_MARK, OWN_SECTOR = "OWN-INIT-WROTE-THIS", 131000


def own_initramfs(tmp_path):
    """An initramfs unlike the project's: made by cpio(1) from a directory,
    with busybox, the virtio modules of Debian's kernel package and an init
    script of its own that looks for the disk and powers off."""
    tree = tmp_path / "initramfs"
    for d in ("bin", "proc", "sys", "dev", "mods"):
        (tree / d).mkdir(parents=True)
    shutil.copy(os.path.join(LINUX, "busybox", "bin", "busybox"), str(tree / "bin"))
    kmods = glob.glob(os.path.join(LINUX, "kernel", "lib", "modules", "*", "kernel"))[0]
    order = ["virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
             "virtio_pci", "virtio_blk"]
    for m in order:
        found = glob.glob(os.path.join(kmods, "drivers", "*", "*", m + ".ko")) + \
            glob.glob(os.path.join(kmods, "drivers", "*", m + ".ko"))
        shutil.copy(found[0], str(tree / "mods"))
    (tree / "init").write_text(
        "#!/bin/busybox sh\n/bin/busybox --install -s /bin\n"
        "mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev\n"
        "for m in %s; do insmod /mods/$m.ko; done\n"
        "for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/block/vda ] && break; sleep 1; done\n"
        "echo \"own-init: vda has $(cat /sys/block/vda/size) sectors\"\n"
        # Acknowledged by the disk (O_DIRECT), never flushed: the stop
        # must keep it (issue "Guests we did not write", finding 1).
        "printf %s > /w; dd if=/w of=/dev/vda bs=512 seek=%d count=1 conv=sync "
        "oflag=direct 2>/dev/null && echo own-init: wrote sector %d\n"
        "poweroff -f\n" % (" ".join(order), OWN_MARK, OWN_SECTOR, OWN_SECTOR))
    (tree / "init").chmod(0o755)
    out = str(tmp_path / "own.cpio.gz")
    subprocess.run("find . | cpio -o -H newc 2>/dev/null | gzip -9 > %s" % out,
                   shell=True, cwd=str(tree), check=True)
    return out


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", VENDOR_PARAMS)
def test_own_initramfs_finds_the_disk_and_powers_off(cpu, tmp_path):
    initrd = own_initramfs(tmp_path)

    def scenario(vm):
        vm.expect(r"own-init: vda has 131072 sectors")
        vm.expect(r"own-init: wrote sector %d" % OWN_SECTOR)
        return vm.wait_exit()
    assert run_linux(cpu, tmp_path, scenario, initrd=initrd,
                     cmdline="console=ttyS0 quiet") == 0
    disk = str(tmp_path / "root.vhd")
    got = subprocess.run([HVDISK, "read", disk, str(OWN_SECTOR * 512), "512"], check=True,
                         stdout=subprocess.PIPE).stdout
    assert got == OWN_MARK.encode().ljust(512, b"\0"), "the write before poweroff -f is lost"
    raw = str(tmp_path / "root.raw")
    subprocess.run(["qemu-img", "convert", "-f", "vpc", "-O", "raw", disk, raw], check=True)
    with open(raw, "rb") as f:
        f.seek(OWN_SECTOR * 512)
        assert f.read(512) == got
