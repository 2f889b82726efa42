"""The VHD library against independent readers and writers: qemu-img and
qemu-io (fixed and dynamic VHD only: qemu ignores a differencing disk's
parent), 7-Zip (flattens whole chains, strict checksums), libvhdi's
vhdiinfo/vhdimount (chains only with 4 KiB aligned writes: libvhdi's own
bug) and vhd-lib from npm. Files they make, we read; files we make, they
read, with the same bytes and the same size."""
import json
import os
import subprocess
import tempfile

import pytest

from .conftest import MB, hvdisk, rand_bytes, run


def qemu_size(path):
    out = run("qemu-img", "info", "--output=json", "-f", "vpc", path)
    return json.loads(out.stdout)["virtual-size"]


def qemu_raw(path, tmp, fmt="vpc"):
    out = os.path.join(tmp, "qemu-%d.raw" % len(os.listdir(tmp)))
    run("qemu-img", "convert", "-f", fmt, "-O", "raw", path, out)
    return open(out, "rb").read()


def hv_raw(path, tmp):
    out = os.path.join(tmp, "hv-%d.raw" % len(os.listdir(tmp)))
    hvdisk("convert", "-O", "raw", path, out)
    return open(out, "rb").read()


def sevenzip_raw(path):
    p = run("7zz", "x", "-tvhd", "-so", path)
    return p.stdout


def vhdi_raw(path, tmp):
    mnt = tempfile.mkdtemp(dir=tmp)
    run("vhdimount", path, mnt)
    try:
        # one file per layer, base first: the last one is the whole chain
        names = sorted(os.listdir(mnt), key=lambda n: int(n[4:]))
        return open(os.path.join(mnt, names[-1]), "rb").read()
    finally:
        subprocess.run(["umount", mnt])


def vhdi_size(path):
    out = run("vhdiinfo", path).stdout.decode()
    line = [l for l in out.splitlines() if "Media size" in l][0]
    return int(line.split("(")[1].split()[0])


def random_writes(rng, size, n, maxlen, align=1):
    """[(offset, data)] with offsets/lengths multiples of align."""
    out = []
    for _ in range(n):
        length = max(align, rng.randrange(1, maxlen) // align * align)
        off = rng.randrange(0, size - length) // align * align
        out.append((off, rand_bytes(rng, length)))
    return out


def apply(ref, writes):
    for off, data in writes:
        ref[off:off + len(data)] = data


def hv_write(path, writes):
    for off, data in writes:
        hvdisk("write", path, str(off), input=data)


@pytest.mark.parametrize("subformat", ["dynamic", "fixed"])
def test_qemu_written_disk_reads_the_same(tmp_path, rng, subformat):
    """A VHD made by qemu-img and written by qemu-io, with data nobody
    prepared: hvdisk convert -O raw equals qemu-img convert -O raw."""
    tmp = str(tmp_path)
    size = rng.randrange(20, 70) * MB + rng.randrange(0, 64) * 512
    disk = os.path.join(tmp, "q.vhd")
    run("qemu-img", "create", "-f", "vpc", "-o", "subformat=" + subformat,
        disk, str(size))
    size = qemu_size(disk)          # qemu rounds to its CHS geometry
    cmds = []
    for _ in range(25):
        length = rng.randrange(1, 300000)
        off = rng.randrange(0, size - length)
        cmds += ["-c", "write -P %d %d %d" % (rng.randrange(1, 256), off,
                                              length)]
    run("qemu-io", "-f", "vpc", *cmds, disk)
    info = json.loads(hvdisk("info", "--json", disk).stdout)
    assert info["virtual_size"] == size
    hvdisk("check", disk)
    ours = hv_raw(disk, tmp)
    assert len(ours) == size
    assert ours == qemu_raw(disk, tmp)
    assert hvdisk("read", disk, "0", str(size)).stdout == ours


@pytest.mark.parametrize("kind,block", [("dynamic", None), ("dynamic", "4K"),
                                        ("dynamic", "512K"),
                                        ("dynamic", "16M"), ("fixed", None)])
def test_our_disk_reads_the_same_everywhere(tmp_path, rng, kind, block):
    """Our fixed/dynamic files (odd sizes, several block sizes) read at the
    same size and with the same bytes in qemu, 7-Zip and libvhdi."""
    tmp = str(tmp_path)
    size = rng.randrange(5, 40) * MB + rng.randrange(1, 2000) * 512
    disk = os.path.join(tmp, "d.vhd")
    args = ["create", "-t", kind] + (["-b", block] if block else [])
    hvdisk(*args, disk, str(size))
    ref = bytearray(size)
    writes = random_writes(rng, size, 12, 200000)
    hv_write(disk, writes)
    apply(ref, writes)
    ref = bytes(ref)
    assert qemu_size(disk) == size
    assert vhdi_size(disk) == size
    assert qemu_raw(disk, tmp) == ref
    assert sevenzip_raw(disk) == ref
    assert vhdi_raw(disk, tmp) == ref


def build_chain(tmp, rng, align):
    """base.vhd <- mid.vhd <- top.vhd written with hvdisk child/write."""
    size = rng.randrange(16, 48) * MB
    ref = bytearray(size)
    paths = [os.path.join(tmp, n) for n in ("base.vhd", "mid.vhd",
                                             "top.vhd")]
    hvdisk("create", paths[0], str(size))
    for i, p in enumerate(paths):
        if i:
            hvdisk("child", paths[i - 1], p)
        writes = random_writes(rng, size, 10, 3 * MB // 2, align)
        hv_write(p, writes)
        apply(ref, writes)
    return paths, bytes(ref)


def test_chain_7zip_qemu_export(tmp_path, rng):
    """A three-level chain flattens in 7-Zip to the bytes of hvdisk convert;
    hvdisk export of it is read by qemu-img with the same bytes."""
    tmp = str(tmp_path)
    paths, ref = build_chain(tmp, rng, 1)
    top = paths[-1]
    hvdisk("check", top)
    flat = hv_raw(top, tmp)
    assert flat == ref
    assert sevenzip_raw(top) == flat
    out = os.path.join(tmp, "export.vhd")
    hvdisk("export", top, out)
    assert json.loads(hvdisk("info", "--json", out).stdout)["depth"] == 1
    assert qemu_size(out) == len(ref)
    assert qemu_raw(out, tmp) == flat
    assert sevenzip_raw(out) == flat


def test_chain_libvhdi(tmp_path, rng):
    """libvhdi follows our parent links (4 KiB aligned writes: libvhdi
    misreads partial 4 KiB pages of a chain, a bug of its own)."""
    tmp = str(tmp_path)
    paths, ref = build_chain(tmp, rng, 4096)
    info = run("vhdiinfo", paths[-1]).stdout.decode()
    assert "Differential" in info and "mid.vhd" in info
    assert vhdi_raw(paths[-1], tmp) == ref
    assert sevenzip_raw(paths[-1]) == ref


def test_chain_in_other_directories(tmp_path, rng):
    """Parent found by the relative locator across directories, and by
    the absolute locator when the relative one no longer fits."""
    tmp = str(tmp_path)
    os.makedirs(os.path.join(tmp, "a"))
    os.makedirs(os.path.join(tmp, "b", "c"))
    base = os.path.join(tmp, "a", "base.vhd")
    top = os.path.join(tmp, "b", "c", "top.vhd")
    hvdisk("create", base, "8M")
    hvdisk("write", base, "1000", input=b"x" * 5000)
    hvdisk("child", base, top)
    hvdisk("write", top, "3000", input=b"y" * 100)
    ref = bytearray(8 * MB)
    ref[1000:6000] = b"x" * 5000
    ref[3000:3100] = b"y" * 100
    assert hvdisk("read", top, "0", "8M").stdout == ref
    moved = os.path.join(tmp, "moved.vhd")
    os.rename(top, moved)            # relative locator now points nowhere
    assert hvdisk("read", moved, "0", "8M").stdout == ref


def test_vhdlib_child_reads_the_same(tmp_path, rng, vhdlib):
    """A differencing disk made and written by vhd-lib over our base."""
    tmp = str(tmp_path)
    size = 12 * MB
    base = os.path.join(tmp, "base.vhd")
    child = os.path.join(tmp, "child.vhd")
    hvdisk("create", base, str(size))
    ref = bytearray(size)
    writes = random_writes(rng, size, 8, MB, 1)
    hv_write(base, writes)
    apply(ref, writes)
    theirs = random_writes(rng, size, 8, 300000, 512)
    wfile = os.path.join(tmp, "writes.json")
    with open(wfile, "w") as f:
        json.dump([[o, d.hex()] for o, d in theirs], f)
    run("node", os.path.join(os.path.dirname(__file__), "vhdlib_child.js"),
        vhdlib, base, child, size, wfile)
    apply(ref, theirs)
    info = json.loads(hvdisk("info", "--json", child).stdout)
    assert info["depth"] == 2
    assert info["chain"][0]["type"] == "differencing"
    assert hvdisk("read", child, "0", str(size)).stdout == ref
    assert sevenzip_raw(child) == ref
    # and we write on top of it
    top = os.path.join(tmp, "top.vhd")
    hvdisk("child", child, top)
    more = random_writes(rng, size, 5, 100000, 1)
    hv_write(top, more)
    apply(ref, more)
    assert hv_raw(top, tmp) == ref
    assert sevenzip_raw(top) == ref


def test_convert_raw_roundtrip(tmp_path, rng):
    """raw -> VHD (read by qemu and 7-Zip) -> raw, an odd-sized raw file
    padded to whole sectors."""
    tmp = str(tmp_path)
    size = 7 * MB + 300
    data = bytearray(size)
    for off, d in random_writes(rng, size, 6, MB, 1):
        data[off:off + len(d)] = d
    raw = os.path.join(tmp, "in.img")
    open(raw, "wb").write(data)
    vhd = os.path.join(tmp, "out.vhd")
    hvdisk("convert", "-O", "vhd", raw, vhd)
    padded = bytes(data) + bytes(-size % 512)
    assert qemu_raw(vhd, tmp) == padded
    assert sevenzip_raw(vhd) == padded
    back = os.path.join(tmp, "back.img")
    hvdisk("convert", vhd, back)
    assert open(back, "rb").read() == padded
