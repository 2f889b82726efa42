"""hvdisk's command line: corrupted files make every command fail with a
clear message and stay byte-for-byte unchanged; bad arguments fail without
touching anything; commit keeps the data and refuses to invalidate a
sibling; map and info report the chain."""
import hashlib
import json
import os

import pytest

from .conftest import MB, hvdisk, run

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
