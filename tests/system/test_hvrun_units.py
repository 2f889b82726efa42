"""Host-only tests of the runner's pieces: how hvrun splits the COM1 stream
(firmware noise, "hv: " lines, guest bytes) whatever way it is chunked, and
how mkvolume builds and updates a boot volume, and how big a new volume
is."""
import importlib.machinery
import importlib.util
import io
import os
import re
import struct
import subprocess
import sys

import pytest

from .conftest import HVRUN, MKVOLUME, guest

STREAM = (b"\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\nstarting...hv\r\n"
          b"\x1b[0mhv: hypervisor starting\r\n"
          b"hv: vm starting\r\n"
          b"guest line\r\nhv-lookalike\r\nh\r\n\r\nhv:no space\r\npartial"
          b"\r\nhv: vm exit code 300\r\n")
GUEST = b"guest line\r\nhv-lookalike\r\nh\r\n\r\nhv:no space\r\npartial\r\n"
HV = (b"hv: hypervisor starting\nhv: vm starting\nhv: vm exit code 300\n")


def load_hvrun():
    loader = importlib.machinery.SourceFileLoader("hvrun_mod", HVRUN)
    spec = importlib.util.spec_from_loader("hvrun_mod", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class Capture:
    def __init__(self):
        self.buffer = io.BytesIO()

    def write(self, s):
        self.buffer.write(s.encode())

    def flush(self):
        pass


def route(chunks, monkeypatch):
    mod = load_hvrun()
    out, err = Capture(), Capture()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    r = mod.Router()
    for c in chunks:
        r.feed(c)
    r.eof()
    return out.buffer.getvalue(), err.buffer.getvalue(), r.final


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, len(STREAM)])
def test_router_split(size, monkeypatch):
    chunks = [STREAM[i:i + size] for i in range(0, len(STREAM), size)]
    out, err, final = route(chunks, monkeypatch)
    assert out == GUEST
    assert err == HV
    assert final == 300 & 0xff


@pytest.mark.parametrize("line,code", [(b"hv: vm powered off", 0),
                                       (b"hv: vm stopped: triple fault", 125),
                                       (b"hv: vm exit code 0", 0),
                                       (b"hv: vm exit code 7", 7)])
def test_router_finals(line, code, monkeypatch):
    _, err, final = route([b"junk\r\nhv: up\r\n", line + b"\r\n"], monkeypatch)
    assert final == code
    assert err.endswith(line + b"\n")


def test_router_unfinished_guest_line(monkeypatch):
    """The hypervisor ends an unfinished guest line with a newline before
    its own line; the guest's bytes pass unchanged."""
    out, err, final = route([b"hv: up\r\nprompt> ", b"\r\nhv: vm powered off\r\n"],
                            monkeypatch)
    assert out == b"prompt> \r\n"
    assert final == 0


def mtools_env():
    return dict(os.environ, MTOOLS_SKIP_CHECK="1")


def test_mkvolume(tmp_path):
    img = str(tmp_path / "v.img")
    efi = tmp_path / "fake.efi"
    efi.write_bytes(b"MZ fake")
    mod = tmp_path / "initrd.img"
    mod.write_bytes(b"x" * 5000)
    disk = tmp_path / "disk.vhd"
    disk.write_bytes(b"conectix" + b"\0" * 504)
    subprocess.run([MKVOLUME, "-o", img, "--efi", str(efi), "--kernel", guest("hello"),
                    "--initrd", str(mod), "--cmdline", "a  b=c", "--memory", "64M",
                    "--disk", str(disk)],
                   check=True)
    gpt = subprocess.run(["sgdisk", "-p", img], stdout=subprocess.PIPE, check=True).stdout.decode()
    part = re.search(r"(?m)^\s+1\s+2048\s+(\d+)\s+.*EF00", gpt)
    assert part, gpt
    # The file system ends with its partition, not over the backup GPT
    # (the firmware refuses writes past the partition).
    with open(img, "rb") as f:
        f.seek(1048576)
        bpb = f.read(512)
    sectors, = struct.unpack_from("<I", bpb, 32)
    assert sectors == int(part.group(1)) - 2048 + 1, (sectors, gpt)
    tgt = img + "@@1048576"
    ls = subprocess.run(["mdir", "-i", tgt, "-b", "-/", "::/"], stdout=subprocess.PIPE,
                        env=mtools_env(), check=True).stdout.decode().split()
    assert {"::/EFI/BOOT/BOOTX64.EFI", "::/hello.elf", "::/initrd.img", "::/hv.cfg",
            "::/disk.vhd"} <= set(ls)
    cfg = subprocess.run(["mtype", "-i", tgt, "::/hv.cfg"], stdout=subprocess.PIPE,
                         env=mtools_env(), check=True).stdout.decode()
    keys = dict(re.findall(r"(?m)^(\w+) = (.*)$", cfg))
    assert keys == {"kernel": "hello.elf", "initrd": "initrd.img", "cmdline": "a  b=c",
                    "memory": "64M", "disk": "disk.vhd", "on_stop": "poweroff"}, cfg

    # Updating keeps what is there and replaces what is named.
    efi.write_bytes(b"MZ newer")
    subprocess.run([MKVOLUME, "-o", img, "--efi", str(efi), "--kernel", guest("cpuid"),
                    "--on-stop", "console"], check=True)
    ls = subprocess.run(["mdir", "-i", tgt, "-b", "-/", "::/"], stdout=subprocess.PIPE,
                        env=mtools_env(), check=True).stdout.decode().split()
    assert {"::/hello.elf", "::/initrd.img", "::/cpuid.elf"} <= set(ls)
    got = subprocess.run(["mtype", "-i", tgt, "::/EFI/BOOT/BOOTX64.EFI"],
                         stdout=subprocess.PIPE, env=mtools_env(), check=True).stdout
    assert got == b"MZ newer"
    cfg = subprocess.run(["mtype", "-i", tgt, "::/hv.cfg"], stdout=subprocess.PIPE,
                         env=mtools_env(), check=True).stdout.decode()
    assert "kernel = cpuid.elf\n" in cfg and "on_stop = console\n" in cfg
    assert "initrd" not in cfg


def test_mkvolume_rejects_name_clash(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "k.elf").write_bytes(b"1")
    (b / "k.elf").write_bytes(b"2")
    res = subprocess.run([MKVOLUME, "-o", str(tmp_path / "v.img"), "--kernel",
                          str(a / "k.elf"), "--initrd", str(b / "k.elf")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert res.returncode == 1
    assert b"same name" in res.stderr


def volume_config(img):
    tgt = img + "@@1048576"
    return subprocess.run(["mtype", "-i", tgt, "::/hv.cfg"], stdout=subprocess.PIPE,
                          env=mtools_env(), check=True).stdout.decode()


def test_hvrun_set_adds_config_lines(tmp_path):
    """hvrun --set KEY=VALUE (repeatable) reaches the volume's hv.cfg as
    `KEY = VALUE` lines after the ones hvrun's own options write."""
    mod = load_hvrun()
    efi = tmp_path / "fake.efi"
    efi.write_bytes(b"MZ fake")
    img = str(tmp_path / "v.img")
    args = mod.argparse.Namespace(kernel=guest("hello"), mem=64 << 20, append=None,
                                  initrd=None, disk=None, volume_size=None,
                                  set=["snapshot_capture=stop-and-copy",
                                       " hypercall_user = yes "])
    mod.build_volume(args, img, str(efi))
    cfg = volume_config(img)
    assert cfg.endswith("on_stop = poweroff\nsnapshot_capture = stop-and-copy\n"
                        "hypercall_user = yes\n"), cfg
    assert "memory = 64M\n" in cfg


def test_volume_sizes(tmp_path):
    """A new volume has room for two images of all RAM (2 x RAM + 64 MiB
    beyond the files), --volume-size sets it exactly, an existing one
    keeps its size, and mkvolume refuses a size the files cannot fit."""
    mod = load_hvrun()
    efi = tmp_path / "fake.efi"
    efi.write_bytes(b"MZ fake")

    def build(name, mem, volume_size=None):
        img = str(tmp_path / name)
        args = mod.argparse.Namespace(kernel=guest("hello"), mem=mem, append=None,
                                      initrd=None, disk=None, set=[],
                                      volume_size=volume_size)
        mod.build_volume(args, img, str(efi))
        return img
    big = build("big.img", 512 << 20)
    assert os.path.getsize(big) >= (2 * 512 + 64) << 20
    assert os.path.getsize(big) < (2 * 512 + 80) << 20
    assert os.path.getsize(build("small-ram.img", 16 << 20)) == 128 << 20
    small = build("small.img", 512 << 20, volume_size=48 << 20)
    assert os.path.getsize(small) == 48 << 20
    assert os.stat(small).st_blocks * 512 < 8 << 20, "not sparse"
    build("small.img", 16 << 20, volume_size=64 << 20)   # exists: kept
    assert os.path.getsize(small) == 48 << 20
    res = subprocess.run([MKVOLUME, "-o", str(tmp_path / "tiny.img"), "--kernel",
                          guest("hello"), "--size", "20M"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    assert res.returncode == 1 and b"needs at least 40 MiB" in res.stdout, res.stdout


@pytest.mark.parametrize("setting,why", [("noequals", b"KEY=VALUE"),
                                         ("1key=x", b"KEY=VALUE"),
                                         ("memory=1G", b"use the option"),
                                         ("a=b # c", b"without '#'"),
                                         ("a=", b"not empty")])
def test_set_refused(setting, why, tmp_path):
    """A malformed --set, or one for a key with its own option, stops
    hvrun (exit 2) before any emulator starts, and mkvolume (exit 1)."""
    efi = tmp_path / "fake.efi"
    efi.write_bytes(b"MZ fake")
    res = subprocess.run([MKVOLUME, "-o", str(tmp_path / "v.img"), "--kernel",
                          guest("hello"), "--set", setting],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert res.returncode == 1 and why in res.stderr, res
    assert not (tmp_path / "v.img").exists()
    res = subprocess.run([sys.executable, HVRUN, "--kernel", guest("hello"),
                          "--set", setting], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         env=dict(os.environ, HVRUN_HV_EFI=str(efi)))
    assert res.returncode == 2 and b"--set" in res.stderr, res
