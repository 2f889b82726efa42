"""Writes valid seed files for the snapshot fuzz targets: manifests, state
files and memory images, built here in Python straight from the layouts in
snapshot/manifest.h, statefile.h and memimg.h, so the seeds are also an
independent check of the C readers (test_fuzz.py replays them with
SNAP_FUZZ_EXPECT_VALID set). lz4 blocks are made by hand: a literal run
and one long match repeat a pattern over the page."""
import os
import random
import struct
import zlib

PAGE = 4096


def crc(b):
    return zlib.crc32(b) & 0xFFFFFFFF


# --- manifest ---------------------------------------------------------------

def manifest(next_id, next_leaf, current, base_disk, leaf, nodes):
    """nodes: (id, parent, state, pause_us, bytes, created, name, disk)."""
    lines = ["snapvisor-manifest 1", "next_id %d" % next_id,
             "next_leaf %d" % next_leaf, "current %d" % current,
             'base_disk "%s"' % base_disk, 'leaf "%s"' % leaf]
    for n in nodes:
        lines.append('snapshot %d parent %d state %s pause_us %d bytes %d '
                     'created %d name "%s" disk "%s"' % n)
    body = ("\n".join(lines) + "\n").encode()
    return body + b"crc32 %08x\n" % crc(body)


def manifests():
    yield "empty", manifest(1, 1, 0, "", "", [])
    yield "brief", manifest(4, 3, 3, "disk.vhd", "snapshots/leaf-2.avhd", [
        (1, 0, "complete", 812, 123456, 1790000000, "first", "disk.vhd"),
        (3, 1, "capturing", 790, 0, 1790000100, "",
         "snapshots/leaf-1.avhd")])
    rng = random.Random(7)
    parent = {1: 0}
    for i in range(2, 41):
        parent[i] = rng.randrange(0, i)
    for gone in [i for i in parent if i % 7 == 0]:   # deleted ones
        up = parent.pop(gone)
        for k in parent:
            if parent[k] == gone:
                parent[k] = up
    nodes = [(i, parent[i], rng.choice(["complete", "capturing"]),
              rng.randrange(10**6), rng.randrange(2**40), 1700000000 + i,
              "s-%d.x_y" % i if i % 3 else "", "snapshots/leaf-%d.avhd" % i)
             for i in parent]
    yield "tree", manifest(45, 41, 40, "C:\\vm\\disk.vhd",
                           "snapshots/leaf-41.avhd", nodes)
    full = [(i, i - 1, "complete", 2**64 - 1, 2**64 - 1, 2**64 - 1,
             ("n%030d" % i), "p/" + "d" * 125) for i in range(1, 129)]
    yield "full", manifest(2**32 - 1, 2**32 - 1, 128, "b" * 127, "l" * 127,
                           full)


# --- state file -------------------------------------------------------------

def statefile(sections):
    """sections: (tag, version, data)."""
    body = b""
    for tag, version, data in sections:
        head = struct.pack("<24sII", tag.encode(), version, len(data))
        body += head + struct.pack("<II", crc(head + data), 0)
        body += data + bytes(-len(data) % 8)
    total = 32 + len(body)
    head = struct.pack("<8sIIQII", b"SVSTATE1", 1, len(sections), total, 0, 0)
    head = head[:24] + struct.pack("<I", crc(head)) + head[28:]
    return head + body


def statefiles():
    yield "empty", statefile([])
    yield "vcpu", statefile([("vcpu0", 1, bytes(range(200)))])
    yield "mixed", statefile([
        ("vcpu0", 3, b"\x01" * 7), ("vcpu1", 3, b"\x02" * 8),
        ("uart0", 1, b""), ("pit", 2, b"x"), ("lapic0", 1, bytes(1024)),
        ("vcpu0", 9, b"dup tag"), ("t" * 23, 0xFFFFFFFF, b"long tag")])


# --- memory image -----------------------------------------------------------

def lz4_len(n):
    """The bytes that follow a 15 in a token nibble for length n >= 15."""
    n -= 15
    return b"\xff" * (n // 255) + bytes([n % 255])


def lz4_repeat(pattern):
    """An lz4 block for a page of `pattern` repeated: the pattern as
    literals, a match at distance len(pattern), five final literals."""
    lit = len(pattern)
    page = (pattern * (PAGE // lit + 1))[:PAGE]
    match = PAGE - lit - 5
    token = (min(lit, 15) << 4) | min(match - 4, 15)
    out = bytes([token])
    if lit >= 15:
        out += lz4_len(lit)
    out += pattern + struct.pack("<H", lit)
    if match - 4 >= 15:
        out += lz4_len(match - 4)
    out += bytes([0x50]) + page[-5:]
    return page, out


def memimg(regions, pages, order=None):
    """regions: (gpa, size); pages: {index: ('raw', bytes) | ('lz4',
    (page, block))}; every other page is zero."""
    npages = sum(size for _, size in regions) // PAGE
    head = struct.pack("<8sIIQII", b"SVMEMIM1", 1, PAGE, npages,
                       len(regions), 0)
    for gpa, size in regions:
        head += struct.pack("<QQ", gpa, size)
    head += bytes(160 - len(head))
    head += struct.pack("<I", crc(head))
    head += bytes(PAGE - len(head))
    data, index = b"", [0] * npages
    for i in (order or sorted(pages)):
        kind, val = pages[i]
        page, stored = (val, val) if kind == "raw" else val
        index[i] = PAGE + len(data)
        data += struct.pack("<IIQII", 0x45474150, 1 if kind == "lz4" else 2,
                            i, len(stored), crc(page)) + stored
    idx = b"".join(struct.pack("<Q", o) for o in index)
    footer = struct.pack("<8sQQQII", b"SVMEMEND", PAGE + len(data), npages,
                         len(data), crc(idx), 0) + bytes(24)
    footer = footer[:36] + struct.pack("<I", crc(footer)) + footer[40:]
    return head + data + idx + footer


def memimgs():
    rng = random.Random(3)
    noise = bytes(rng.randrange(256) for _ in range(PAGE))
    yield "zeros", memimg([(0, 4 * PAGE)], {})
    yield "raw", memimg([(0, 2 * PAGE)], {1: ("raw", noise)})
    text = b"0123456789abcdef!"
    yield "lz4", memimg([(0x100000, 3 * PAGE)], {
        0: ("lz4", lz4_repeat(b"A")), 2: ("lz4", lz4_repeat(text))})
    pages = {i: ("lz4", lz4_repeat(bytes([i + 1]) * (i % 20 + 1)))
             for i in range(0, 12, 2)}
    pages[5] = ("raw", noise)
    pages[11] = ("raw", noise[::-1])
    order = list(pages)
    rng.shuffle(order)
    yield "regions", memimg([(0, 8 * PAGE), (0x100000000, 6 * PAGE)], pages,
                            order)


TARGETS = {"manifest": manifests, "statefile": statefiles,
           "memimg": memimgs}


def write_seeds(target, directory):
    """Writes the seeds of one fuzz target into directory; returns paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, data in TARGETS[target]():
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths
