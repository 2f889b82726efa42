"""hvdisk's command line: corrupted files make every command fail with a
clear message and stay byte-for-byte unchanged; bad arguments fail without
touching anything; commit keeps the data and refuses to invalidate a
sibling; map and info report the chain; `snapshots` and `export DIR ID
OUT` read a snapshot tree copied off the boot volume, leave it unchanged,
and the export is a standalone VHD qemu-img and libvhdi read alike."""
import hashlib
import json
import os
import shutil
import time
import zlib

import pytest

from .conftest import MB, hvdisk, rand_bytes, run

COMMANDS = [
    ["info", "{f}"], ["info", "--json", "{f}"], ["check", "{f}"],
    ["read", "{f}", "0", "4K"], ["write", "{f}", "0"], ["map", "{f}"],
    ["convert", "-O", "raw", "{f}", "{d}/out.raw"],
    ["convert", "-O", "vhd", "{f}", "{d}/out.vhd"],
    ["export", "{f}", "{d}/exp.vhd"], ["commit", "{f}"],
    ["child", "{f}", "{d}/kid.vhd"],
]


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def make_chain(d):
    base, top = os.path.join(d, "base.vhd"), os.path.join(d, "top.vhd")
    hvdisk("create", base, "8M")
    hvdisk("write", base, "1000", input=b"b" * 70000)
    hvdisk("child", base, top)
    hvdisk("write", top, "5000", input=b"t" * 3000)
    return base, top


def corrupt(path, offset, what):
    with open(path, "r+b") as f:
        f.seek(offset, 0 if offset >= 0 else 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x40]))
    return what


@pytest.mark.parametrize("where,field", [
    (-512 + 30, "footer.checksum"),        # end footer
    (30, "footer_copy"),                   # its copy at offset 0
    (512 + 40, "header.checksum"),         # dynamic header
    (-512 + 1, "footer.cookie"),
])
@pytest.mark.parametrize("target", ["top", "base"])
def test_corrupt_file_every_command_fails(tmp_path, where, field, target):
    d = str(tmp_path)
    base, top = make_chain(d)
    victim = top if target == "top" else base
    corrupt(victim, where, field)
    before = {p: digest(p) for p in (base, top)}
    for cmd in COMMANDS:
        args = [a.format(f=top, d=d) for a in cmd]
        p = hvdisk(*args, check=False, input=b"zzzz")
        err = p.stderr.decode()
        assert p.returncode != 0, (cmd, err)
        assert os.path.basename(victim) in err and field in err, (cmd, err)
        assert {q: digest(q) for q in (base, top)} == before, cmd
    assert sorted(os.listdir(d)) == ["base.vhd", "top.vhd"]


def test_bad_arguments_change_nothing(tmp_path):
    d = str(tmp_path)
    base, top = make_chain(d)
    before = {p: digest(p) for p in (base, top)}
    bad = [["write", top, "8M"], ["write", top, "8M-1"],
           ["read", top, "7M", "2M"], ["create", os.path.join(d, "x.vhd"),
                                       "1000"],
           ["create", "-b", "3K", os.path.join(d, "x.vhd"), "1M"],
           ["create", base, "1M"], ["child", base, top],
           ["export", top, base], ["convert", top, base],
           ["frobnicate"], ["read", top, "0x", "1"]]
    for cmd in bad:
        p = hvdisk(*cmd, check=False, input=b"x" * 2000)
        assert p.returncode != 0, cmd
        assert p.stderr, cmd
    # a write that runs past the end changes nothing either
    p = hvdisk("write", top, str(8 * MB - 100), check=False,
               input=b"x" * 200)
    assert p.returncode != 0
    assert {q: digest(q) for q in (base, top)} == before
    assert sorted(os.listdir(d)) == ["base.vhd", "top.vhd"]


def test_sizes_and_info(tmp_path):
    d = str(tmp_path)
    f = os.path.join(d, "s.vhd")
    hvdisk("create", "-b", "512K", f, "1G")
    info = json.loads(hvdisk("info", "--json", f).stdout)
    assert info["virtual_size"] == 1 << 30
    assert info["chain"][0]["block_size"] == 512 << 10
    assert info["chain"][0]["creator_app"] == "win "
    hvdisk("write", f, "1M", input=b"q" * 10)
    assert hvdisk("read", f, "1M", "10").stdout == b"q" * 10
    assert hvdisk("read", f, "0x100000", "10").stdout == b"q" * 10


def test_commit_and_map(tmp_path):
    d = str(tmp_path)
    base, top = make_chain(d)
    want = hvdisk("read", top, "0", "8M").stdout
    lines = hvdisk("map", top).stdout.decode().splitlines()
    assert lines[0].startswith("# unit 2097152")
    assert lines[1] == "0 0:1,9:0,16:1"   # sectors 0-8 base, 9-15 top, base
    assert lines[2] == "1 -"
    sib = os.path.join(d, "sib.vhd")
    hvdisk("child", base, sib)
    before = digest(base)
    p = hvdisk("commit", top, check=False)
    assert p.returncode != 0 and "sib.vhd" in p.stderr.decode()
    assert digest(base) == before
    os.remove(sib)
    hvdisk("commit", top)
    assert hvdisk("read", top, "0", "8M").stdout == want
    assert hvdisk("read", base, "0", "8M").stdout == want
    assert hvdisk("map", top).stdout.decode().splitlines()[1] == "0 1"
    hvdisk("check", top)


def test_fold_middle_layer(tmp_path):
    """`hvdisk fold LEAF 1`: the middle layer of base <- mid <- leaf goes
    into the leaf; the chain is one layer shorter and reads the same, and
    the folded file and its journal are gone."""
    d = str(tmp_path)
    base, mid = make_chain(d)
    leaf = os.path.join(d, "leaf.vhd")
    hvdisk("child", mid, leaf)
    hvdisk("write", leaf, "5001", input=b"l" * 512)
    want = hvdisk("read", leaf, "0", "8M").stdout
    hvdisk("fold", leaf, "1")
    assert not os.path.exists(mid) and not os.path.exists(leaf + ".fold")
    assert hvdisk("read", leaf, "0", "8M").stdout == want
    info = json.loads(hvdisk("info", "--json", leaf).stdout)
    assert [os.path.basename(l["file"]) for l in info["chain"]] == \
        ["leaf.vhd", "base.vhd"], info
    hvdisk("check", leaf)
    p = hvdisk("fold", leaf, "1", check=False)   # now the base: refused
    assert p.returncode != 0
    assert hvdisk("read", leaf, "0", "8M").stdout == want


# A snapshot tree as the hypervisor leaves it on the boot volume (snapshot/
# manifest.h): snapshot 1 "first" froze disk.vhd, 2 froze leaf-1 (its
# child), the machine went back to 1 (leaf-2 was dropped) and snapshot 3
# "branch" froze leaf-3 (disk.vhd's second child); leaf-4 runs below 3.
TREE_NODES = [  # id, parent, name, created, disk
    (1, 0, "first", 1790000000, "disk.vhd"),
    (2, 1, "", 1790000100, "snapshots/leaf-1.avhd"),
    (3, 1, "branch", 1790000200, "snapshots/leaf-3.avhd"),
]
TREE_LEAF = "snapshots/leaf-4.avhd"


def manifest_text(nodes, current, leaf, crc=None):
    """The manifest's text form; crc32 is zlib's CRC-32 (the same
    polynomial, 0xEDB88320 reflected, as snapshot/crc32.c)."""
    lines = ["snapvisor-manifest 1", "next_id %d" % (len(nodes) + 1),
             "next_leaf 5", "current %d" % current, 'base_disk "disk.vhd"',
             'leaf "%s"' % leaf]
    for i, p, name, created, disk in nodes:
        lines.append('snapshot %d parent %d state complete pause_us 800 '
                     'bytes 4096 created %d name "%s" disk "%s"'
                     % (i, p, created, name, disk))
    body = "".join(l + "\n" for l in lines).encode()
    return body + b"crc32 %08x\n" % (zlib.crc32(body) if crc is None
                                    else crc)


def make_tree(d, rng):
    """DIR (the volume root) with disks written by hvdisk and a manifest;
    returns DIR and each snapshot's disk content by id ('run': leaf-4)."""
    vol = os.path.join(d, "vol")
    os.makedirs(os.path.join(vol, "snapshots"))
    path = lambda rel: os.path.join(vol, rel)   # noqa: E731
    size = 8 * MB

    def put(rel, ref, off, data):
        hvdisk("write", path(rel), str(off), input=data)
        ref[off:off + len(data)] = data

    def child(parent_rel, rel):
        hvdisk("child", path(parent_rel), path(rel))

    base = bytearray(size)
    hvdisk("create", "-b", "512K", path("disk.vhd"), str(size))
    put("disk.vhd", base, 0, rand_bytes(rng, 3 * MB))
    put("disk.vhd", base, 6 * MB + 123, rand_bytes(rng, 70000))
    one = bytearray(base)           # leaf-1 over disk.vhd
    child("disk.vhd", "snapshots/leaf-1.avhd")
    put("snapshots/leaf-1.avhd", one, 512 * 1024 - 700, rand_bytes(rng, 5000))
    put("snapshots/leaf-1.avhd", one, 2 * MB, bytes(MB))      # zeroes data
    put("snapshots/leaf-1.avhd", one, 5 * MB + 9, rand_bytes(rng, 300000))
    child("snapshots/leaf-1.avhd", "snapshots/leaf-2.avhd")    # dropped
    os.remove(path("snapshots/leaf-2.avhd"))
    three = bytearray(base)         # leaf-3 over disk.vhd: the branch
    child("disk.vhd", "snapshots/leaf-3.avhd")
    put("snapshots/leaf-3.avhd", three, 100, rand_bytes(rng, 1000))
    put("snapshots/leaf-3.avhd", three, 6 * MB, rand_bytes(rng, 40000))
    running = bytearray(three)
    child("snapshots/leaf-3.avhd", TREE_LEAF)
    put(TREE_LEAF, running, 50, rand_bytes(rng, 200))
    with open(path("snapshots/manifest"), "wb") as f:
        f.write(manifest_text(TREE_NODES, 3, TREE_LEAF))
    return vol, {1: bytes(base), 2: bytes(one), 3: bytes(three),
                 "run": bytes(running)}


def tree_digests(vol):
    out = {}
    for root, _, files in os.walk(vol):
        for f in files:
            out[os.path.join(root, f)] = digest(os.path.join(root, f))
    return out


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_snapshots_lists_the_tree(tmp_path, rng):
    """`hvdisk snapshots DIR`: the nodes, the running leaf and its chain
    (parent paths as volume paths), nothing in DIR changed."""
    vol, _ = make_tree(str(tmp_path), rng)
    before = tree_digests(vol)
    out = hvdisk("snapshots", vol).stdout.decode().splitlines()
    assert out == [
        "ID PARENT NAME STATE CREATED DISK",
        "1 - first complete %s disk.vhd" % utc(1790000000),
        "2 1 - complete %s snapshots/leaf-1.avhd" % utc(1790000100),
        "3 1 branch complete %s snapshots/leaf-3.avhd *" % utc(1790000200),
        "running leaf: snapshots/leaf-4.avhd",
        "chain: snapshots/leaf-4.avhd <- snapshots/leaf-3.avhd <- disk.vhd",
    ], out
    assert tree_digests(vol) == before


def qemu_check_export(out, want, tmp):
    """out is a standalone dynamic VHD with want's bytes, for qemu-img
    (info and compare against a raw file of want) and libvhdi."""
    info = json.loads(run("qemu-img", "info", "--output=json", "-f", "vpc",
                          out).stdout)
    assert info["format"] == "vpc" and info["virtual-size"] == len(want)
    raw = os.path.join(tmp, "want.raw")
    with open(raw, "wb") as f:
        f.write(want)
    p = run("qemu-img", "compare", "-f", "vpc", "-F", "raw", out, raw,
            check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    if shutil.which("vhdiinfo"):
        text = run("vhdiinfo", out).stdout.decode()
        assert "Dynamic" in text and "(%d bytes)" % len(want) in text, text


def test_export_snapshot_from_tree(tmp_path, rng):
    """`hvdisk export DIR 2 OUT` flattens snapshot 2's chain (leaf-1 <-
    disk.vhd) into OUT (relative to the caller, not DIR); by name too;
    qemu-img and libvhdi read the result; DIR stays unchanged."""
    d = str(tmp_path)
    vol, refs = make_tree(d, rng)
    before = tree_digests(vol)
    hvdisk("export", vol, "2", "out.vhd", cwd=d)
    hvdisk("export", vol, "branch", os.path.join(d, "b.vhd"))
    hvdisk("export", vol, "1", os.path.join(d, "one.vhd"))
    assert sorted(os.listdir(d)) == ["b.vhd", "one.vhd", "out.vhd", "vol"]
    for name, want in (("out.vhd", refs[2]), ("b.vhd", refs[3]),
                       ("one.vhd", refs[1])):
        out = os.path.join(d, name)
        info = json.loads(hvdisk("info", "--json", out).stdout)
        assert info["depth"] == 1 and info["chain"][0]["type"] == \
            "dynamic", info
        hvdisk("check", out)
        assert hvdisk("read", out, "0", "8M").stdout == want
        qemu_check_export(out, want, d)
    # the chain itself reads the same through the old two-operand form
    hvdisk("export", os.path.join(vol, "snapshots/leaf-1.avhd"),
           os.path.join(d, "two.vhd"))
    assert hvdisk("read", os.path.join(d, "two.vhd"), "0", "8M").stdout \
        == refs[2]
    assert tree_digests(vol) == before


def test_export_snapshot_errors(tmp_path, rng):
    """Unknown snapshot, existing OUT, a snapshot without a disk, a
    damaged or missing manifest: exit 1 with a message, nothing made or
    changed; a stale OUT.part is replaced."""
    d = str(tmp_path)
    vol, refs = make_tree(d, rng)
    out = os.path.join(d, "out.vhd")
    before = tree_digests(vol)
    for which, msg in (("9", "no snapshot '9'"),
                       ("nosuch", "no snapshot 'nosuch'")):
        p = hvdisk("export", vol, which, out, check=False)
        assert p.returncode == 1 and msg in p.stderr.decode(), p.stderr
    with open(out, "wb") as f:
        f.write(b"mine")
    p = hvdisk("export", vol, "2", out, check=False)
    assert p.returncode == 1 and "exists" in p.stderr.decode()
    assert open(out, "rb").read() == b"mine"
    os.remove(out)
    with open(out + ".part", "wb") as f:
        f.write(b"left by a power cut")
    hvdisk("export", vol, "2", out)
    assert not os.path.exists(out + ".part")
    assert hvdisk("read", out, "0", "8M").stdout == refs[2]
    os.remove(out)
    assert tree_digests(vol) == before

    man = os.path.join(vol, "snapshots", "manifest")
    nodes = TREE_NODES + [(4, 3, "nodisk", 1790000300, "")]
    with open(man, "wb") as f:
        f.write(manifest_text(nodes, 3, TREE_LEAF))
    p = hvdisk("export", vol, "nodisk", out, check=False)
    assert p.returncode == 1 and "has no disk" in p.stderr.decode()
    lines = hvdisk("snapshots", vol).stdout.decode().splitlines()
    assert lines[4] == "4 3 nodisk complete %s -" % utc(1790000300)

    with open(man, "wb") as f:
        f.write(manifest_text(TREE_NODES, 3, TREE_LEAF, crc=0x12345678))
    for cmd in (["snapshots", vol], ["export", vol, "2", out]):
        p = hvdisk(*cmd, check=False)
        err = p.stderr.decode()
        assert p.returncode == 1 and "manifest" in err and "crc32" in err \
            and "line 10" in err, err
        assert not p.stdout
    os.remove(man)
    p = hvdisk("snapshots", vol, check=False)
    assert p.returncode == 1 and "not found" in p.stderr.decode()
    p = hvdisk("snapshots", os.path.join(d, "nodir"), check=False)
    assert p.returncode == 1 and p.stderr
    assert hvdisk("snapshots", check=False).returncode == 2
    assert hvdisk("export", vol, "1", out, "x", check=False).returncode == 2
    assert not os.path.exists(out) and not os.path.exists(out + ".part")


def test_snapshots_reads_a_pending_store(tmp_path, rng):
    """A flushed manifest.new (a store cut before its rename) is the newest
    tree: listed, but DIR is left as it was (no rename)."""
    vol, _ = make_tree(str(tmp_path), rng)
    man = os.path.join(vol, "snapshots", "manifest")
    nodes = TREE_NODES + [(4, 3, "later", 1790000400,
                           "snapshots/leaf-4.avhd")]
    with open(man + ".new", "wb") as f:
        f.write(manifest_text(nodes, 4, "snapshots/leaf-5.avhd"))
    before = tree_digests(vol)
    p = hvdisk("snapshots", vol, check=False)
    lines = p.stdout.decode().splitlines()
    assert lines[4].startswith("4 3 later complete")
    assert lines[5] == "running leaf: snapshots/leaf-5.avhd"
    # leaf-5 does not exist: the chain cannot be opened
    assert p.returncode == 1 and "leaf-5.avhd" in p.stderr.decode()
    assert tree_digests(vol) == before
