#!/usr/bin/python3
"""qemu_check.py: proves the Linux guest of build/linux/ in plain QEMU (TCG,
no hypervisor of ours): boots it on a copy of root.vhd, waits for rcS's
line and the prompt, writes a file, checks that hvctl knows it is not
under SnapVisor (exit 2), powers off; boots again to see the file kept and
that reboot ends QEMU (-no-reboot); boots once with root= naming a missing
disk to see the initramfs's rescue shell. `make linux-guest-check`."""

import os
import shutil
import sys
import tempfile
import time

import pexpect

PROMPT = "linux# "
MARK = "linux guest: root file system mounted"


def qemu(out, disk, root="/dev/vda"):
    args = ["-accel", "tcg", "-m", "256",
            "-kernel", os.path.join(out, "vmlinuz"),
            "-initrd", os.path.join(out, "initrd.img"),
            "-append", "console=ttyS0 root=%s" % root,
            "-drive", "file=%s,if=virtio,format=vpc" % disk,
            "-nographic", "-no-reboot"]
    return pexpect.spawn("qemu-system-x86_64", args, encoding="utf-8",
                         codec_errors="replace", timeout=120)


def shell(p, line, *want):
    p.sendline(line)
    for w in want:
        p.expect_exact(w)
    p.expect_exact(PROMPT)


def ended(p, what):
    p.expect(pexpect.EOF, timeout=60)
    p.close()
    if p.exitstatus != 0:
        raise SystemExit("%s: QEMU exit %s" % (what, p.exitstatus))


def main(out):
    tmp = tempfile.mkdtemp(prefix="linux-check-")
    try:
        disk = os.path.join(tmp, "root.vhd")
        shutil.copy(os.path.join(out, "root.vhd"), disk)
        log = open(os.path.join(tmp, "console.log"), "w")

        t0 = time.monotonic()
        p = qemu(out, disk)
        p.logfile_read = log
        p.expect_exact(MARK)
        t_mark = time.monotonic() - t0
        p.expect_exact(PROMPT)
        t_prompt = time.monotonic() - t0
        shell(p, "echo hi > /x; sync")
        shell(p, "hvctl vm info; echo hvctl-exit=$?",
              "hvctl: not running under the SnapVisor hypervisor",
              "hvctl-exit=2")
        p.sendline("poweroff")
        ended(p, "poweroff")
        print("qemu_check: boot to '%s' %.1f s, to the prompt %.1f s; "
              "poweroff ends QEMU" % (MARK, t_mark, t_prompt))

        p = qemu(out, disk)
        p.logfile_read = log
        p.expect_exact(PROMPT)
        shell(p, "cat /x", "hi")
        p.sendline("reboot")
        ended(p, "reboot")
        print("qemu_check: /x kept across boots; reboot ends QEMU "
              "(-no-reboot)")

        p = qemu(out, disk, root="/dev/vdb")
        p.logfile_read = log
        p.expect_exact("root device /dev/vdb did not appear within 10 s")
        p.expect_exact("# ")
        p.sendline("poweroff -f")
        ended(p, "rescue poweroff")
        print("qemu_check: a missing root gives the rescue shell")
        print("PASS")
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        print("qemu_check: FAIL: %s; console log in %s" %
              (type(e).__name__, tmp), file=sys.stderr)
        return 1
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/linux"))
