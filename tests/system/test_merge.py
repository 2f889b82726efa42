"""Merging deleted snapshots' disk layers (issue 6), from inside the guest,
on both vendors (--cpu intel: Bochs, VT-x+EPT; --cpu amd: QEMU TCG,
AMD-V+NPT). The merge guests (guest-tests/merge_*.c) write the layout of
guest-tests/lib/merge.h through virtio-blk (A, snapshot 1, B, snapshot 2,
then C), delete a snapshot, drive `merge status`, `merge now` and
`snapshot export`, and check every sector from the inside. Here the host
checks that each step was reported, and reopens what the runs left on the
boot volume: the chain `vm info` named checks clean with build/hvdisk and
reads the same bytes the guest expected (pattern() below is the guests'
pattern_fill()). Bochs moves the boot volume at about 1 MB/s read and
0.3 MB/s write, so the Intel runs write a few hundred KiB."""
import json
import os
import re
import struct
import subprocess

import pytest

from .conftest import CPUS, guest, hvrun
from .test_snapshot import HVDISK, SMALL_MEM, check, once

TIMEOUT = 300       # seconds for one run of hvrun
# merge.h's N: A covers N sectors, B N/2 (the layer the merges take), C N/2.
SECTORS = {"amd": 1024, "intel": 256}
DISK_SIZE = "2M"    # holds 3N/2 sectors for both
BLOCK = "64K"       # the VHD block size; the snapshot layers inherit it


def run_hvdisk(*args):
    proc = subprocess.run([HVDISK] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    assert proc.returncode == 0, "hvdisk %s: %s" % (" ".join(args),
                                                   proc.stderr.decode(errors="replace"))
    return proc.stdout


def new_disk(tmp_path):
    path = str(tmp_path / "disk.vhd")
    run_hvdisk("create", "-b", BLOCK, path, DISK_SIZE)
    return path


def pattern(tag, sector):
    """merge.h's sector `sector` under tag `tag` (vblk.c, pattern_fill)."""
    head = ("merge %s %d" % (tag, sector)).encode()
    words = []
    for i in range(8, 128):
        x = ((sector * 0x9E3779B1) ^ (ord(tag) * 0x85EBCA77)) & 0xFFFFFFFF
        x ^= (i * 0xC2B2AE3D) & 0xFFFFFFFF
        words.append(x ^ (x >> 15))
    return head.ljust(32, b"\0") + struct.pack("<120I", *words)


def want(n, tags, sector):
    """The tag merge.h's layout leaves at `sector` after the phases in
    tags ("A", "AB" or "ABC"), or None for zeros."""
    if "C" in tags and n * 5 // 8 <= sector < n * 9 // 8:
        return "C"
    if "B" in tags and n // 4 <= sector < n * 3 // 4:
        return "B"
    return "A" if sector < n else None


def layout_bytes(n, tags):
    zero = bytes(512)
    return b"".join(pattern(t, s) if t else zero
                    for s, t in ((s, want(n, tags, s)) for s in range(n * 3 // 2)))


def extract_volume(volume, dest):
    """Copies the boot volume's files (FAT at 1 MiB, tools/mkvolume) into
    dest, keeping the directories, so the VHDs find their parents."""
    os.makedirs(dest, exist_ok=True)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    proc = subprocess.run(["mcopy", "-s", "-n", "-i", volume + "@@1M", "::/*", dest],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")
    return dest


def chain_of(line):
    """`disk LEAF <- PARENT <- ... <- BASE` -> [LEAF, ..., BASE], each
    path normalised (a parent found through a relative locator may be
    named `snapshots/../disk.vhd`)."""
    assert line.startswith("disk "), line
    return [os.path.normpath(p) for p in line[5:].split(" <- ")]


def disk_lines(res, tag):
    return [chain_of(line) for line in
            re.findall(r"(?m)^%s: (disk .*)$" % tag, res.out)]


def check_chain(root, leaf, layers, n, tags):
    """The chain ending in root/leaf checks clean, is `layers` deep and
    reads the layout after the phases in tags."""
    path = os.path.join(root, leaf)
    run_hvdisk("check", path)
    info = json.loads(run_hvdisk("info", "--json", path))
    assert info["depth"] == layers, info
    got = run_hvdisk("read", path, "0", str(n * 3 // 2 * 512))
    assert got == layout_bytes(n, tags), "%s does not read the layout %s" % (leaf, tags)
    return info


def statuses(res, tag):
    """Every `merge status` reply the guest echoed ("TAG: | LINE"), as
    lists of lines."""
    replies = []
    for line in res.out.splitlines():
        if not line.startswith(tag + ": | "):
            continue
        text = line[len(tag) + 4:]
        if text.startswith("no merges pending") or text.split() == \
                ["LAYER", "INTO", "DONE", "LEFT", "STATE"]:
            replies.append([])
        assert replies, "a status line before a first line: %r" % line
        replies[-1].append(text)
    return replies


def check_pending_table(reply):
    """A `merge status` table with one merge running or queued."""
    assert reply[0].split() == ["LAYER", "INTO", "DONE", "LEFT", "STATE"], reply
    rows = [r.split() for r in reply[1:] if not r.startswith("kept ")]
    assert len(rows) == 1, reply
    layer, into, done, left, state = rows[0]
    assert int(left) > 0 and int(done) >= 0 and state in ("running", "queued"), reply


def merge_run(cpu, name, disk, volume, *extra):
    return hvrun(cpu, guest(name), "--mem", SMALL_MEM[cpu], "--disk", disk,
                 "--volume", volume, *extra, timeout=TIMEOUT)


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_merge_while_writing(cpu, tmp_path):
    """Snapshot 1 is deleted while the guest writes C over its disk and
    reads it back; after the merge every sector is as last written and the
    chain is one layer shorter, on the volume too."""
    n = SECTORS[cpu]
    volume = str(tmp_path / "volume.img")
    res = merge_run(cpu, "merge_write", new_disk(tmp_path), volume,
                    "--append", "sectors=%d" % n)
    check(res, [re.compile(r"merge_write: deleted snapshot \d+: 1 merges pending, "
                           r"\d+ bytes left"),
                re.compile(r"merge_write: wrote C in %d chunks, \d+ of them while a "
                           r"merge was pending" % (n // 16)),
                "merge_write: after the merge: A, B and C as last written, one layer fewer"])
    before, after = disk_lines(res, "merge_write")
    assert len(before) == 3 and len(after) == 2, (before, after)
    assert after[0] == before[0] and after[-1] == before[-1] == "disk.vhd", (before, after)
    replies = statuses(res, "merge_write")
    check_pending_table(replies[0])
    assert replies[-1] == ["no merges pending"], replies[-1]
    files = extract_volume(volume, str(tmp_path / "files"))
    check_chain(files, after[0], 2, n, "ABC")
    gone = os.path.join(files, before[1])
    assert not os.path.exists(gone), "%s still on the volume after its merge" % before[1]


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_merge_in_a_guest_that_never_halts(cpu, tmp_path):
    """A guest that only computes between its polls (no `hlt`) sees its
    merge finish with the default merge_share."""
    n = SECTORS[cpu]
    volume = str(tmp_path / "volume.img")
    res = merge_run(cpu, "merge_busy", new_disk(tmp_path), volume,
                    "--append", "sectors=%d" % n)
    check(res, [re.compile(r"merge_busy: no merges pending after \d+ busy polls"),
                "merge_busy: the merge finished in a guest that never halts"])
    before, after = disk_lines(res, "merge_busy")
    assert len(after) == len(before) - 1 == 2, (before, after)
    files = extract_volume(volume, str(tmp_path / "files"))
    check_chain(files, after[0], 2, n, "AB")


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_merge_now(cpu, tmp_path):
    """Issue 6's Done-when: snapshot, write, snapshot, delete the first,
    `merge now` -> `merged 1 layers`; nothing pending, one layer fewer, the
    disk as last written."""
    n = SECTORS[cpu]
    volume = str(tmp_path / "volume.img")
    res = merge_run(cpu, "merge_now", new_disk(tmp_path), volume,
                    "--append", "sectors=%d" % n)
    check(res, ["merge_now: merge now -> 0: merged 1 layers",
                "merge_now: merged: nothing pending, one layer fewer, the disk as "
                "last written"])
    once(res, "merge_now: merge now -> 0: merged 1 layers")
    before, after = disk_lines(res, "merge_now")
    assert len(before) == 3 and len(after) == 2, (before, after)
    assert after == [before[0], "disk.vhd"], (before, after)
    assert statuses(res, "merge_now") == [["no merges pending"]], res
    files = extract_volume(volume, str(tmp_path / "files"))
    check_chain(files, after[0], 2, n, "ABC")


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_snapshot_export(cpu, tmp_path):
    """Snapshots 1 and 2 exported as standalone dynamic VHDs hold A and
    A+B, not the later C; a new machine boots with export-2.vhd as its disk
    and reads A+B. Existing paths, unknown snapshots and missing arguments
    are refused."""
    n = SECTORS[cpu]
    volume = str(tmp_path / "volume.img")
    first = merge_run(cpu, "merge_export", new_disk(tmp_path), volume,
                      "--append", "phase=1 sectors=%d" % n)
    check(first, [re.compile(r"merge_export: exported snapshot \d+ to export-1\.vhd"),
                  re.compile(r"merge_export: exported snapshot \d+ to export-2\.vhd"),
                  "merge_export: existing path, unknown snapshot and missing arguments "
                  "refused",
                  "merge_export: the running disk is as last written"])
    files = extract_volume(volume, str(tmp_path / "files"))
    for name, tags in (("export-1.vhd", "A"), ("export-2.vhd", "AB")):
        info = check_chain(files, name, 1, n, tags)
        assert info["chain"][0]["type"] == "dynamic", info
    exported = os.path.join(files, "export-2.vhd")
    second = hvrun(cpu, guest("merge_export"), "--mem", SMALL_MEM[cpu], "--disk", exported,
                   "--append", "phase=2 sectors=%d" % n, timeout=TIMEOUT)
    check(second, ["merge_export: disk export-2.vhd",
                   "merge_export: the exported disk holds snapshot 2's content, not the "
                   "later writes"])


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_merge_resumes_after_restart(cpu, tmp_path):
    """Run 1 deletes snapshot 1 and exits with its merge pending (the merge
    gets 1 % of a busy guest's time); run 2 on the same volume finds the
    merge going on by itself and sees it finish."""
    n = SECTORS[cpu]
    volume = str(tmp_path / "volume.img")
    disk = new_disk(tmp_path)
    first = merge_run(cpu, "merge_restart", disk, volume, "--append", "phase=1 sectors=%d" % n,
                      "--set", "merge_share=1")
    check(first, [re.compile(r"merge_restart: deleted snapshot \d+, exiting with \d+ "
                             r"bytes left to merge")])
    check_pending_table(statuses(first, "merge_restart")[0])
    before, = disk_lines(first, "merge_restart")
    files = extract_volume(volume, str(tmp_path / "files-1"))
    assert os.path.exists(os.path.join(files, before[1])), \
        "%s is gone after run 1: the merge did not stay pending" % before[1]
    run_hvdisk("check", os.path.join(files, before[0]))
    second = merge_run(cpu, "merge_restart", disk, volume, "--append", "phase=2 sectors=%d" % n)
    check(second, [re.compile(r"merge_restart: no merges pending after \d+ more polls"),
                   "merge_restart: the merge resumed after a restart: content as written, "
                   "one layer fewer"])
    after, = disk_lines(second, "merge_restart")
    assert after == [before[0], before[-1]], (before, after)
    files = extract_volume(volume, str(tmp_path / "files-2"))
    check_chain(files, after[0], 2, n, "AB")
