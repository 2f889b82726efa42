"""kmods.py: kernel modules without kmod: reads each module's .modinfo
section (name, depends=, softdep=, alias=) straight from the ELF file, and
puts a list of wanted modules with everything they depend on into an
order insmod can follow. Handles .ko, .ko.xz and .ko.gz (a Debian kernel
.deb ships no modules.dep, and the build machine may have no modprobe)."""

import gzip
import lzma
import os
import struct


class ModError(Exception):
    pass


SUFFIXES = (".ko", ".ko.xz", ".ko.gz")


def canon(name):
    """Module names treat '-' and '_' alike; the kernel uses '_'."""
    return name.replace("-", "_")


def read_ko(path):
    """The module's ELF bytes, decompressed when the file is."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    return data


def modinfo(elf, what="module"):
    """{key: [values]} of the .modinfo section: NUL-separated key=value
    strings (ELF-64 little-endian section headers, System V gABI 4)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ModError("%s: not a 64-bit little-endian ELF file" % what)
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)

    def section(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        h = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return h[0], elf[h[4]:h[4] + h[5]]

    _, names = section(shstrndx)
    for i in range(shnum):
        off, body = section(i)
        if names[off:names.index(b"\0", off)] == b".modinfo":
            info = {}
            for item in body.split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
            return info
    raise ModError("%s: no .modinfo section" % what)


def index(moddir):
    """{canonical name: path} of every module file under moddir."""
    found = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            for suf in SUFFIXES:
                if f.endswith(suf):
                    found[canon(f[:-len(suf)])] = os.path.join(root, f)
    return found


class Module:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.elf = read_ko(path)
        info = modinfo(self.elf, path)
        self.depends = [canon(d) for v in info.get("depends", [])
                        for d in v.split(",") if d]
        self.aliases = set(canon(a) for a in info.get("alias", []))
        # softdep=pre: a b post: c -- only "pre" matters for a load order.
        self.softpre = []
        for v in info.get("softdep", []):
            part = None
            for word in v.split():
                if word.endswith(":"):
                    part = word[:-1]
                elif part == "pre":
                    self.softpre.append(canon(word))


def load_order(moddir, wanted):
    """Modules for `wanted` and all they depend on, each after its
    dependencies (and after the providers of its soft "pre" dependencies
    when those are among them). Returns (modules, warnings)."""
    files = index(moddir)
    mods = {}
    todo = [canon(w) for w in wanted]
    while todo:
        n = todo.pop()
        if n in mods:
            continue
        if n not in files:
            raise ModError("module %s not found under %s" % (n, moddir))
        mods[n] = Module(n, files[n])
        todo.extend(mods[n].depends)

    def provider(want):
        for m in mods.values():
            if m.name == want or want in m.aliases:
                return m.name
        return None

    warnings = []
    order, state = [], {}

    def visit(n, path):
        if state.get(n) == "done":
            return
        if state.get(n) == "visiting":
            raise ModError("dependency cycle: %s" % " -> ".join(path + [n]))
        state[n] = "visiting"
        m = mods[n]
        for d in m.depends:
            visit(d, path + [n])
        for s in m.softpre:
            p = provider(s)
            if p is None:
                warnings.append("%s wants %s loaded first (softdep) and no "
                                "listed module provides it" % (n, s))
            elif p != n:
                visit(p, path + [n])
        state[n] = "done"
        order.append(m)

    for w in wanted:
        visit(canon(w), [])
    return order, warnings
