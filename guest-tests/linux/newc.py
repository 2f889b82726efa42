"""newc.py: writes a gzip'd cpio archive in the "newc" format the kernel
unpacks as an initramfs (Documentation/driver-api/early-userspace/
buffer-format.rst). Written here rather than by cpio(1) so that every
entry is owned by root and /dev/console can be a device node without the
build running as root."""

import gzip
import stat

S_DIR, S_REG, S_LNK, S_CHR = stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK, stat.S_IFCHR


class Archive:
    def __init__(self):
        self.entries = []   # (name, mode, data, rdev major, rdev minor)
        self.names = set()

    def _add(self, name, mode, data=b"", major=0, minor=0):
        name = name.strip("/")
        if name in self.names:
            raise ValueError("cpio: %s added twice" % name)
        self.names.add(name)
        self.entries.append((name, mode, data, major, minor))

    def dir(self, name, perm=0o755):
        self._add(name, S_DIR | perm)

    def file(self, name, data, perm=0o644):
        self._add(name, S_REG | perm, data)

    def symlink(self, name, target):
        self._add(name, S_LNK | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self._add(name, S_CHR | perm, b"", major, minor)

    def bytes(self):
        out = bytearray()

        def pad4():
            out.extend(b"\0" * (-len(out) % 4))

        ino = 1
        for name, mode, data, major, minor in self.entries + \
                [("TRAILER!!!", 0, b"", 0, 0)]:
            nlink = 2 if stat.S_ISDIR(mode) else 1
            fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
                      major, minor, len(name) + 1, 0)
            out += b"070701" + b"".join(b"%08X" % v for v in fields)
            out += name.encode() + b"\0"
            pad4()
            out += data
            pad4()
            ino += 1
        return bytes(out)

    def write_gz(self, path):
        # mtime=0: the same inputs give the same bytes.
        with open(path, "wb") as f:
            f.write(gzip.compress(self.bytes(), compresslevel=9, mtime=0))
