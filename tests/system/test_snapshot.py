"""Snapshots from inside the guest, on both vendors (--cpu intel: Bochs,
VT-x+EPT; --cpu amd: QEMU TCG, AMD-V+NPT). The snapshot guests
(guest-tests/snapshot*.c) drive the console hypercall and assert from the
inside; here the host checks that every step they report happened, once,
and what it can see from outside: the tree the guest last listed, the
snapshot files on a kept boot volume, a base disk left untouched. Each run
gets a fresh volume, as the guests expect none to hold snapshots."""
import hashlib
import os
import re
import subprocess

import pytest

from .conftest import CPUS, ROOT, expect, guest, hvrun

HVDISK = os.path.join(ROOT, "build", "hvdisk")
TIMEOUT = 300       # seconds for one run of hvrun
# Bochs (~95 M instructions/s, the volume on emulated IDE) captures and
# applies at a few seconds per MiB written: there the tree guest gets 8 MiB
# of mostly compressible memory; QEMU gets 32 MiB that lz4 cannot shrink.
TREE_ARGS = {"amd": ["--mem", "32M", "--append", "incompressible"],
             "intel": ["--mem", "8M"]}
SMALL_MEM = {"amd": "16M", "intel": "4M"}


def check(res, lines):
    """A passing run: every line printed, one final status, exit code 0,
    and no complaint from hvrun but the slow-teardown note."""
    expect(res, 0, lines + ["PASS"])
    finals = re.findall(r"(?m)^hv: vm (?:exit code|powered off|stopped)", res.err)
    assert finals == ["hv: vm exit code"], res
    assert not re.search(r"(?m)^hvrun: (?!the emulator did not quit after the final line)",
                         res.err), res


def once(res, line):
    count = res.out.splitlines().count(line)
    assert count == 1, "%r printed %d times\n%r" % (line, count, res)


def last_list(res, tag):
    """The last `snapshot list` the guest echoed ("TAG: | LINE"), as
    {name: (id, parent, state, current)}."""
    lists = []
    for line in res.out.splitlines():
        if not line.startswith(tag + ": | "):
            continue
        words = line[len(tag) + 4:].split()
        if words[:1] == ["ID"]:
            lists.append({})
        elif lists:
            lists[-1][words[2]] = (words[0], words[1], words[3], words[6:] == ["*"])
    assert lists, "no snapshot list echoed\n%r" % res
    return lists[-1]


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("capture", ["cow", "stop-and-copy"])
def test_snapshot_tree(cpu, capture):
    """Memory exactly as at the snapshot after a burst of writes during the
    capture; base applied twice; mark and branch beside each other below
    base; the `*` on the snapshot last applied. The same with
    snapshot_capture = stop-and-copy, where a snapshot is complete when the
    create returns."""
    res = hvrun(cpu, guest("snapshot"), *TREE_ARGS[cpu],
                "--set", "snapshot_capture=" + capture, timeout=TIMEOUT)
    check(res, ["snapshot: base applied once: memory as at the snapshot",
                "snapshot: base applied twice: memory as at the snapshot",
                "snapshot: branch created beside mark",
                "snapshot: mark applied: memory as at the snapshot",
                "snapshot: tree base -> (mark*, branch) ok"])
    for line in ["snapshot: base applied once: memory as at the snapshot",
                 "snapshot: base applied twice: memory as at the snapshot",
                 "snapshot: branch created beside mark"]:
        once(res, line)
    assert len(re.findall(r"(?m)^snapshot: created base as \d+", res.out)) == 1, res
    returns = re.findall(r"(?m)^snapshot: create returned 1 with its reply "
                         r"'created snapshot (\d+)'$", res.out)
    assert len(returns) == 2 and returns[0] == returns[1], res
    overwrote = re.findall(r"(?m)^snapshot: overwrote (\d+) KiB right after creating "
                           r"(\w+) \((capturing|complete), then (capturing|complete)\)$",
                           res.out)
    assert [o[1] for o in overwrote] == ["base", "mark", "branch"], res
    if capture == "stop-and-copy":
        assert all(o[2] == "complete" for o in overwrote), res
    free = re.search(r"(?m)^snapshot: (\d+) KiB of free RAM$", res.out)
    assert free and all(o[0] == free.group(1) for o in overwrote), res
    tree = last_list(res, "snapshot")
    base_id = tree["base"][0]
    assert tree["base"][1:] == ("-", "complete", False), tree
    assert tree["mark"][1:] == (base_id, "complete", True), tree
    assert tree["branch"][1:] == (base_id, "complete", False), tree


def volume_dir(volume, path):
    """The names in a directory of the boot volume's FAT (GPT partition 1
    at 1 MiB, as tools/mkvolume makes it)."""
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    proc = subprocess.run(["mdir", "-b", "-i", volume + "@@1M", "::/" + path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")
    return [os.path.basename(p.rstrip("/")) for p in
            proc.stdout.decode(errors="replace").split()]


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_snapshot_survives_restart(cpu, tmp_path):
    """Run 1 creates keep and exits at once (the capture is finished at
    stop); run 2 on the same volume finds keep complete and applies it:
    the create of run 1 returns 1 with memory as at the snapshot."""
    volume = str(tmp_path / "volume.img")
    kernel = guest("snapshot_restart")
    first = hvrun(cpu, kernel, "--mem", SMALL_MEM[cpu], "--volume", volume, "--append", "phase=1",
                  timeout=TIMEOUT)
    check(first, [re.compile(r"snapshot_restart: phase 1, \d+ KiB of free RAM")])
    assert re.search(r"(?m)^snapshot_restart: created keep as \d+, exiting with it "
                     r"(capturing|complete)$", first.out), first
    names = volume_dir(volume, "snapshots")
    assert "manifest" in names, names
    assert any(n.endswith(".mem") for n in names), names
    assert any(n.endswith(".state") for n in names), names
    second = hvrun(cpu, kernel, "--mem", SMALL_MEM[cpu], "--volume", volume, "--append", "phase=2",
                   timeout=TIMEOUT)
    check(second, ["snapshot_restart: found keep complete after a restart",
                   "snapshot_restart: back at keep after a restart: memory as at the snapshot",
                   "snapshot_restart: a new snapshot hangs below keep"])
    once(second, "snapshot_restart: found keep complete after a restart")


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
def test_snapshot_disk(cpu, tmp_path):
    """Writes after a snapshot are gone after applying it, two layers deep;
    the virtio-blk device goes on from its restored state; the base VHD is
    never written."""
    base, leaf = str(tmp_path / "base.vhd"), str(tmp_path / "leaf.vhd")
    hvdisk("create", base, "8M")
    hvdisk("write", base, "0", data=b"BASE")
    hvdisk("child", base, leaf)
    base_before = digest(base)
    res = hvrun(cpu, guest("snapshot_disk"), "--mem", SMALL_MEM[cpu], "--disk", leaf,
                timeout=TIMEOUT)
    check(res, ["snapshot_disk: wrote sectors 1 and 2 after creating disk",
                "snapshot_disk: back at disk: the writes after it are gone",
                "snapshot_disk: the disk takes writes after the apply",
                "snapshot_disk: back at disk2: sector 3 as at the snapshot"])
    once(res, "snapshot_disk: wrote sectors 1 and 2 after creating disk")
    once(res, "snapshot_disk: back at disk: the writes after it are gone")
    assert digest(base) == base_before, "the guest's writes reached the base"


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_snapshot_refusals(cpu):
    """Malformed commands, bad names, bad pointers, an over-long command
    and ring-3 callers are refused and create nothing; the machine goes on."""
    res = hvrun(cpu, guest("snapshot_refuse"), "--mem", SMALL_MEM[cpu], timeout=TIMEOUT)
    check(res, ["snapshot_refuse: malformed commands refused, nothing created",
                "snapshot_refuse: bad pointers and a command over 4096 bytes refused, "
                "nothing created",
                "snapshot_refuse: a 31-character name and no name are accepted",
                "snapshot_refuse: ring 3 is refused, nothing created or applied"])


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_snapshot_delete(cpu):
    """Deleting a snapshot moves its children (and the `*`) to its parent;
    a child of a deleted snapshot still applies with its memory; deleted
    and unknown snapshots are refused with -5."""
    res = hvrun(cpu, guest("snapshot_delete"), "--mem", SMALL_MEM[cpu], timeout=TIMEOUT)
    check(res, ["snapshot_delete: deleting b moved its child c to a",
                "snapshot_delete: c applied without its deleted parent: memory as at "
                "the snapshot",
                "snapshot_delete: deleting the current snapshot moves the marker to its parent",
                "snapshot_delete: a snapshot still capturing is deleted",
                "snapshot_delete: a applied after the deletes: memory as at the snapshot"])
    tree = last_list(res, "snapshot_delete")
    assert list(tree) == ["a"] and tree["a"][1:] == ("-", "complete", True), tree
