#!/usr/bin/python3
"""mkguest.py: builds the Linux test guest from Debian packages (linux.mk
runs it; everything goes under OUT, normally build/linux):

  mkguest.py fetch OUT    resolve linux-image-amd64 and busybox-static, keep
                          the .debs in OUT/debs/, unpack them into
                          OUT/kernel/ and OUT/busybox/
  mkguest.py initrd OUT   OUT/initrd.img: busybox, the disk and ext4
                          modules in load order, /init
  mkguest.py root OUT HVCTL HVDISK
                          OUT/root.vhd: a 64 MiB ext4 file system with
                          busybox init, converted to a dynamic VHD by HVDISK

The guest's own files (init, rcS, inittab, profile, motd, modules) sit
beside this script."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import debs    # noqa: E402
import kmods   # noqa: E402
import newc    # noqa: E402

ROOT_MIB = 64
ROOT_LABEL = "linux-root"


class BuildError(Exception):
    pass


def src(name):
    with open(os.path.join(HERE, name), "rb") as f:
        return f.read()


def cmd_fetch(out):
    debs.ensure_lists()
    cache = os.path.join(out, "debs")
    kernel = debs.depends_on("linux-image-amd64", "linux-image-")
    debs.unpack(debs.fetch(kernel, cache), os.path.join(out, "kernel"),
                ["boot/vmlinuz-*", "lib/modules", "usr/lib/modules"])
    debs.unpack(debs.fetch("busybox-static", cache),
                os.path.join(out, "busybox"), ["bin/busybox"])


def module_dir(out):
    """lib/modules/RELEASE of the unpacked kernel (or usr/lib/modules on a
    merged-/usr package)."""
    dirs = glob.glob(os.path.join(out, "kernel", "lib", "modules", "*")) + \
        glob.glob(os.path.join(out, "kernel", "usr", "lib", "modules", "*"))
    if len(dirs) != 1:
        raise BuildError("expected one kernel's modules under %s/kernel, "
                         "found %d" % (out, len(dirs)))
    return dirs[0]


def busybox_links(busybox):
    """The applets' paths (bin/sh, sbin/init, usr/bin/...) as the busybox
    binary itself lists them. It is a static x86-64 program, so the build
    machine can run it."""
    text = subprocess.run([busybox, "--list-full"], check=True,
                          capture_output=True, text=True).stdout
    return [p.strip("/") for p in text.split() if p.strip("/")]


def wanted_modules():
    names = []
    for line in src("modules").decode().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def add_busybox(busybox, add_dir, add_link, dirs_done):
    """Directories and applet links for busybox at /bin/busybox."""
    for path in busybox_links(busybox):
        if path == "bin/busybox":
            continue
        parent = os.path.dirname(path)
        parts = parent.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in dirs_done:
                dirs_done.add(d)
                add_dir(d)
        add_link(path, "/bin/busybox")


def cmd_initrd(out):
    busybox = os.path.join(out, "busybox", "bin", "busybox")
    order, warnings = kmods.load_order(module_dir(out), wanted_modules())
    for w in warnings:
        print("mkguest: warning: " + w, file=sys.stderr)
    a = newc.Archive()
    dirs = {"bin", "dev", "proc", "sys", "newroot", "tmp", "root", "lib",
            "lib/modules"}
    for d in sorted(dirs):
        a.dir(d)
    # The kernel opens /dev/console for init's stdio before /init runs.
    a.chardev("dev/console", 5, 1)
    a.file("bin/busybox", open(busybox, "rb").read(), 0o755)
    add_busybox(busybox, a.dir, a.symlink, dirs)
    a.file("init", src("init"), 0o755)
    for m in order:
        a.file("lib/modules/%s.ko" % m.name, m.elf)
    a.file("lib/modules/load-order",
           "".join("%s.ko\n" % m.name for m in order).encode())
    part = os.path.join(out, "initrd.img.part")
    a.write_gz(part)
    os.replace(part, os.path.join(out, "initrd.img"))
    print("mkguest: initrd.img: modules " +
          " ".join(m.name for m in order), file=sys.stderr)


def write(root, path, data, perm=0o644):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
    os.chmod(full, perm)


def fill_root(tree, busybox, hvctl):
    """The root file system's files: busybox with its applet links, init's
    configuration, hvctl."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "dev",
              "proc", "sys", "tmp", "root", "mnt", "var/log"):
        os.makedirs(os.path.join(tree, d))
    os.chmod(os.path.join(tree, "tmp"), 0o1777)
    os.chmod(os.path.join(tree, "root"), 0o700)
    shutil.copy(busybox, os.path.join(tree, "bin", "busybox"))

    def mkdir(d):
        os.makedirs(os.path.join(tree, d), exist_ok=True)

    def link(path, target):
        os.symlink(target, os.path.join(tree, path))

    add_busybox(busybox, mkdir, link, set())
    write(tree, "etc/init.d/rcS", src("rcS"), 0o755)
    write(tree, "etc/inittab", src("inittab"))
    write(tree, "etc/profile", src("profile"))
    write(tree, "etc/motd", src("motd"))
    write(tree, "etc/hostname", b"linux\n")
    write(tree, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    write(tree, "etc/group", b"root:x:0:\n")
    write(tree, "etc/fstab",
          b"LABEL=%s / ext4 rw 0 1\n" % ROOT_LABEL.encode())
    write(tree, "usr/bin/hvctl", open(hvctl, "rb").read(), 0o755)


def cmd_root(out, hvctl, hvdisk):
    busybox = os.path.join(out, "busybox", "bin", "busybox")
    img = os.path.join(out, "root.img")
    vhd = os.path.join(out, "root.vhd")
    for f in (img, vhd + ".part"):
        if os.path.exists(f):
            os.unlink(f)
    # The tree lives outside build/: its etc/init.d would be taken for a
    # make dependency file by the top Makefile's search for *.d.
    with tempfile.TemporaryDirectory(prefix="linux-rootfs-") as tree:
        fill_root(tree, busybox, hvctl)
        with open(img, "wb") as f:
            f.truncate(ROOT_MIB << 20)
        # -E root_owner: the root directory belongs to root whoever builds.
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL,
                        "-E", "root_owner=0:0", "-d", tree, img],
                       check=True)
    # hvdisk picks the output format from the name, so say it.
    subprocess.run([hvdisk, "convert", "-O", "vhd", img, vhd + ".part"],
                   check=True)
    os.unlink(img)
    os.replace(vhd + ".part", vhd)


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "fetch":
            cmd_fetch(argv[2])
        elif len(argv) == 3 and argv[1] == "initrd":
            cmd_initrd(argv[2])
        elif len(argv) == 5 and argv[1] == "root":
            cmd_root(argv[2], argv[3], argv[4])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (debs.DebError, kmods.ModError, BuildError, OSError,
            subprocess.CalledProcessError) as e:
        print("mkguest: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
