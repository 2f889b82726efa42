#!/usr/bin/python3
"""make_seeds.py HVDISK OUTDIR: writes the fuzz seed corpus: small fixed,
dynamic and differencing VHDs (and chains) made by hvdisk, packed in
fuzz_vhd.c's input format. Generated at build time: no binary blobs."""
import os
import struct
import subprocess
import sys
import tempfile


def pack(paths):
    out = bytes([len(paths) - 1])
    for p in paths:
        data = open(p, "rb").read()
        out += struct.pack("<I", len(data)) + data
    return out


def main():
    hv, outdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        def h(*a, data=None):
            subprocess.run([hv] + list(a), input=data, check=True,
                           cwd=d, stdout=subprocess.DEVNULL)
        h("create", "-t", "fixed", "fixed.vhd", "16K")
        h("write", "fixed.vhd", "1000", data=b"F" * 3000)
        h("create", "-b", "4K", "dyn.vhd", "40K")
        h("write", "dyn.vhd", "5000", data=b"D" * 6000)
        h("create", "-b", "4K", "f2.vhd", "24K")
        h("write", "f2.vhd", "0", data=b"2" * 9000)
        h("child", "f2.vhd", "f1.vhd")
        h("write", "f1.vhd", "4000", data=b"1" * 700)
        h("child", "f1.vhd", "f0.vhd")
        h("write", "f0.vhd", "10000", data=b"0" * 5000)
        j = lambda *n: [os.path.join(d, x) for x in n]
        seeds = {
            "fixed": j("fixed.vhd"), "dynamic": j("dyn.vhd"),
            "chain2": j("f1.vhd", "f2.vhd"),
            "chain3": j("f0.vhd", "f1.vhd", "f2.vhd"),
        }
        for name, paths in seeds.items():
            open(os.path.join(outdir, name), "wb").write(pack(paths))


if __name__ == "__main__":
    main()
