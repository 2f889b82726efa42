"""tools/hvrun itself: timeout (124), USB boot, --volume persistence, the
`make image` USB stick, and argument errors."""
import os
import re
import shutil
import subprocess

import pytest

from .conftest import HVRUN, ROOT, guest, hvrun, run_collect


def mdir(img, offset=1 << 20):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    out = subprocess.run(["mdir", "-i", "%s@@%d" % (img, offset), "-b", "-/", "::/"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         check=True).stdout.decode()
    return {line.strip() for line in out.splitlines()}


def mtype(img, path, offset=1 << 20):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    return subprocess.run(["mtype", "-i", "%s@@%d" % (img, offset), "::" + path],
                          stdout=subprocess.PIPE, env=env, check=True).stdout.decode()


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", ["amd", "intel"])
def test_timeout(cpu):
    """A guest that never ends: hvrun gives up after --timeout with 124,
    after the guest has run."""
    limit = {"amd": 25, "intel": 50}[cpu]     # firmware + hypervisor start first
    res = hvrun(cpu, guest("spin"), timeout=limit)
    assert res.rc == 124, res
    assert "spin: spinning forever" in res.out, res
    assert re.search(r"(?m)^hvrun: timeout after %d s" % limit, res.err), res
    assert res.elapsed < limit + 20, res


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", ["amd", "intel"])
def test_usb_boot(cpu):
    res = hvrun(cpu, guest("cpuid"), "--usb", timeout=240)
    assert res.rc == 0, res
    assert "cpuid: hypervisor signature ok" in res.out and "PASS" in res.out, res


@pytest.mark.emulator
def test_volume_persists(tmp_path):
    """--volume IMAGE is created when missing, kept, and reused: files put
    on it survive the next run, which replaces hv.cfg and adds its kernel."""
    vol = str(tmp_path / "state.img")
    res = hvrun("amd", guest("cpuid"), "--volume", vol, timeout=240)
    assert res.rc == 0, res
    assert os.path.isfile(vol)
    files = mdir(vol)
    assert {"::/EFI/BOOT/BOOTX64.EFI", "::/cpuid.elf", "::/hv.cfg"} <= files, files
    marker = tmp_path / "marker.txt"
    marker.write_text("state from run 1\n")
    subprocess.run(["mcopy", "-i", vol + "@@1048576", str(marker), "::/marker.txt"],
                   check=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))

    res = hvrun("amd", guest("mbinfo"), "--volume", vol, "--append", "second",
                timeout=240)
    assert res.rc == 0, res
    assert "mbinfo: kernel name ok, args 'second'" in res.out, res
    files = mdir(vol)
    assert {"::/cpuid.elf", "::/mbinfo.elf", "::/marker.txt"} <= files, files
    assert mtype(vol, "/marker.txt") == "state from run 1\n"
    cfg = mtype(vol, "/hv.cfg")
    assert re.search(r"(?m)^kernel = mbinfo\.elf$", cfg), cfg
    assert re.search(r"(?m)^cmdline = second$", cfg), cfg


@pytest.mark.emulator
def test_usb_image(tmp_path):
    """`make image` writes build/hv-usb.img: GPT, an EFI system partition
    with the hypervisor, hv.cfg and the default guest (the Linux guest with
    its root disk); a copy of it boots as a USB stick."""
    subprocess.run(["make", "-s", "build/hv-usb.img"], cwd=ROOT, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    img = os.path.join(ROOT, "build", "hv-usb.img")
    gpt = subprocess.run(["sgdisk", "-p", img], stdout=subprocess.PIPE, check=True).stdout.decode()
    assert re.search(r"(?m)^\s+1\s+2048\s+\d+\s+.*EF00", gpt), gpt
    files = mdir(img)
    assert {"::/EFI/BOOT/BOOTX64.EFI", "::/vmlinuz", "::/initrd.img", "::/root.vhd",
            "::/hv.cfg"} <= files, files
    cfg = mtype(img, "/hv.cfg")
    assert re.search(r"(?m)^kernel = vmlinuz$", cfg), cfg
    assert re.search(r"(?m)^disk = root\.vhd$", cfg), cfg
    assert re.search(r"(?m)^on_stop = console$", cfg), cfg
    with open(os.path.join(ROOT, "build", "hv.efi"), "rb") as f:
        hv = f.read()
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    efi = subprocess.run(["mtype", "-i", img + "@@1048576", "::/EFI/BOOT/BOOTX64.EFI"],
                         stdout=subprocess.PIPE, env=env, check=True).stdout
    assert efi == hv

    stick = str(tmp_path / "stick.img")
    shutil.copy(img, stick)
    res = hvrun("amd", guest("hello"), "--usb", "--volume", stick, send=b"q",
                wait_for=b"'q' quits", timeout=240)
    assert res.rc == 0, res
    assert "hello: bye" in res.out, res


def test_usage_errors(tmp_path):
    for args, pattern in (([], r"--kernel"),
                          (["--kernel", guest("hello"), "--mem", "lots"], r"bad size"),
                          (["--kernel", guest("hello"), "--cpu", "arm"], r"invalid choice"),
                          (["--kernel", str(tmp_path / "nothing.elf")], r"no such file"),
                          (["--kernel", guest("hello"), "--initrd", str(tmp_path / "x")],
                           r"no such file")):
        res = run_collect(["/usr/bin/python3", HVRUN] + args, timeout=60)
        assert res.rc == 2, (args, res)
        assert re.search(pattern, res.err), (args, res)
        assert res.out == "", (args, res)


def test_missing_hypervisor(tmp_path):
    env = dict(os.environ, HVRUN_HV_EFI=str(tmp_path / "hv.efi"))
    res = run_collect(["/usr/bin/python3", HVRUN, "--kernel", guest("hello")],
                      env=env, timeout=60)
    assert res.rc == 2, res
    assert "hv.efi not found" in res.err, res


@pytest.mark.emulator
def test_interactive_terminal():
    """`make run` style: hvrun on a terminal passes keys to the guest at
    once (no line buffering, no local echo: the guest echoes) and restores
    the terminal afterwards."""
    import pexpect
    from .conftest import HV_EFI, emulator_slot
    assert os.path.isfile(HV_EFI), "%s missing: build it with `make hv`" % HV_EFI
    with emulator_slot():
        child = pexpect.spawn("/usr/bin/python3", [HVRUN, "--cpu", "amd", "--kernel",
                                                   guest("hello"), "--timeout", "120"],
                              cwd=ROOT, timeout=150)
        try:
            child.expect_exact("'q' quits")
            child.send("x")
            child.expect_exact("x")         # echoed by the guest, one key
            child.send("yz\r")
            child.expect_exact("yz")
            child.send("q")
            child.expect_exact("hello: bye")
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert child.exitstatus == 0, child.before
