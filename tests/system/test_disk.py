"""The guest's disk: a VHD chain made on the host with hvdisk is given to
the virtio_blk guest with `tools/hvrun --disk`; the guest reads the base's
data through the differencing leaf, writes and flushes sector 1 and sends
malformed requests. Afterwards hvdisk on the host must show what the guest
wrote, in the leaf only, with the chain still consistent."""
import hashlib
import os
import subprocess

import pytest

from .conftest import CPUS, ROOT, guest, hvrun
from .test_merge import pattern

HVDISK = os.path.join(ROOT, "build", "hvdisk")


def hvdisk(*args, data=None):
    proc = subprocess.run([HVDISK] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_virtio_blk_on_a_vhd_chain(cpu, tmp_path):
    base, leaf = str(tmp_path / "base.vhd"), str(tmp_path / "leaf.vhd")
    hvdisk("create", base, "8M")
    hvdisk("write", base, "0", data=b"BASE")
    hvdisk("child", base, leaf)
    base_before = digest(base)
    res = hvrun(cpu, guest("virtio_blk"), "--mem", "64M", "--disk", leaf, timeout=240)
    assert res.rc == 0, res
    for line in ["virtio_blk: sector 0 holds the host's data",
                 "virtio_blk: wrote, flushed and read back sector 1",
                 "virtio_blk: malformed requests answered with errors",
                 "virtio_blk: a descriptor loop makes the device ask for a reset",
                 "PASS"]:
        assert line in res.out.splitlines(), res
    assert "hv: disk 'leaf.vhd' on virtio-blk at 00:01.0" in res.err, res
    sector1 = hvdisk("read", leaf, "512", "512")
    assert sector1[:10] == b"GUESTWROTE"
    assert sector1[10:] == bytes((i * 7 + 3) & 0xff for i in range(10, 512))
    assert hvdisk("read", leaf, "0", "4") == b"BASE"
    assert digest(base) == base_before, "the guest's writes reached the base"
    assert hvdisk("read", base, "512", "10") == bytes(10)
    hvdisk("check", leaf)


def test_missing_parent_is_refused(tmp_path):
    """A chain whose parent is gone: hvrun refuses it with a message naming
    the missing file, before any emulator starts; the leaf is unchanged."""
    base, leaf = str(tmp_path / "base.vhd"), str(tmp_path / "leaf.vhd")
    hvdisk("create", base, "8M")
    hvdisk("child", base, leaf)
    os.rename(base, str(tmp_path / "moved.vhd"))
    before = digest(leaf)
    res = hvrun("amd", guest("virtio_blk"), "--mem", "64M", "--disk", leaf, timeout=120)
    assert res.rc == 2, res
    assert "base.vhd" in res.err and "hv: " not in res.err, res
    assert digest(leaf) == before


STOPS = {"exit": (7, "vm exit code 7"),
         "s5": (0, "vm powered off"),
         "triple": (125, "vm stopped: triple fault")}


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("way", sorted(STOPS))
def test_acknowledged_writes_survive_every_stop(cpu, way, tmp_path):
    """The disk_stop guest writes 160 sectors (one run of them in a block it
    allocates) without a flush and stops at once by the debug-exit port, by
    ACPI S5 or by a triple fault, with on_stop = poweroff as hvrun writes
    it: every write is in the VHD afterwards, read by hvdisk and by
    qemu-img, and the VHD checks clean."""
    disk = str(tmp_path / "disk.vhd")
    hvdisk("create", disk, "16M")
    status, said = STOPS[way]
    res = hvrun(cpu, guest("disk_stop"), "--mem", "64M", "--disk", disk,
                "--append", "stop=" + way, timeout=240)
    assert res.rc == status, res
    assert "disk_stop: wrote sectors 0-95 and 16384-16447, no flush; " \
           "stopping by " + way in res.out.splitlines(), res
    assert said in res.err, res
    want = {s: pattern("W", s) for s in list(range(96)) + list(range(16384, 16448))}
    for first, count in ((0, 96), (16384, 64)):
        got = hvdisk("read", disk, str(first * 512), str(count * 512))
        assert got == b"".join(want[s] for s in range(first, first + count)), \
            "hvdisk: sectors %d+%d lost after stop=%s" % (first, count, way)
    raw = str(tmp_path / "disk.raw")
    subprocess.run(["qemu-img", "convert", "-f", "vpc", "-O", "raw", disk, raw], check=True)
    with open(raw, "rb") as f:
        data = f.read()
    for s, sector in want.items():
        assert data[s * 512:(s + 1) * 512] == sector, "qemu-img: sector %d lost" % s
    hvdisk("check", disk)
