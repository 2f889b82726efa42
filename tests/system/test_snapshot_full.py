"""A full boot volume (issue 5, item 6): the snapshot in progress is
abandoned and cleaned up, the VM goes on running, an earlier snapshot is
intact, and the hypervisor says why. The test fills the volume with a
filler file so that only a few MiB stay free."""
import os
import re
import subprocess

import pytest

from .conftest import CPUS, HV_EFI, MKVOLUME, expect, guest, hvrun

MIB = 1 << 20
LEFT_FREE = 6 * MIB


def mtools(*args):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    return subprocess.run(list(args), env=env, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout.decode()


def nearly_full_volume(path, kernel, left_free=LEFT_FREE, size=None):
    """A new boot volume (of `size` bytes: a small one needs a small
    filler) with all but left_free bytes taken by a file."""
    subprocess.run(["/usr/bin/python3", MKVOLUME, "--output", path, "--efi", HV_EFI,
                    "--kernel", kernel] + (["--size", str(size)] if size else []),
                   check=True)
    fs = "%s@@1M" % path
    free = int(re.search(r"([\d ]+) bytes free", mtools("mdir", "-i", fs, "::"))
               .group(1).replace(" ", ""))
    filler = path + ".filler"
    with open(filler, "wb") as f:
        f.truncate(free - left_free)
    mtools("mcopy", "-i", fs, filler, "::filler")
    os.unlink(filler)


@pytest.mark.emulator
@pytest.mark.parametrize("cpu", CPUS)
def test_full_volume_abandons_the_snapshot(cpu, tmp_path):
    vol = str(tmp_path / "vol.img")
    kernel = guest("snapshot_full")
    nearly_full_volume(vol, kernel)
    res = hvrun(cpu, kernel, "--mem", "24M", "--volume", vol, timeout=600)
    expect(res, 0, ["snapshot_full: big abandoned, the guest runs on",
                    "snapshot_full: small applied after big was abandoned", "PASS"],
           [r"hv: snapshot 2 (abandoned|not created): .*\(the boot volume is full\)"])
    # Nothing of the abandoned snapshot is left on the volume.
    listing = mtools("mdir", "-b", "-i", "%s@@1M" % vol, "::/snapshots")
    assert "2.mem" not in listing and "2.state" not in listing, listing
    assert "1.mem" in listing and "1.state" in listing, listing
