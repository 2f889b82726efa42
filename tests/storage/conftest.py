"""Fixtures for the storage tests: paths of the built tools, the oracle
programs (qemu-img/qemu-io, 7zz, vhdiinfo/vhdimount: Debian packages from
tools/install-deps) and vhd-lib 0.7.2 from npm, installed under build/npm
on first use."""
import fcntl
import os
import random
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
BUILD = os.path.join(ROOT, "build")
HVDISK = os.path.join(BUILD, "hvdisk")
NPM_DIR = os.path.join(BUILD, "npm")
MB = 1 << 20


def run(*args, input=None, check=True, cwd=None):
    """Runs a command; returns CompletedProcess (stdout bytes)."""
    p = subprocess.run([str(a) for a in args], input=input, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (
            " ".join(map(str, args)), p.returncode,
            p.stderr.decode(errors="replace")))
    return p


def hvdisk(*args, **kw):
    return run(HVDISK, *args, **kw)


@pytest.fixture(scope="session")
def vhdlib():
    """node_modules holding vhd-lib@0.7.2 (npm install once, locked)."""
    modules = os.path.join(NPM_DIR, "node_modules")
    os.makedirs(NPM_DIR, exist_ok=True)
    with open(os.path.join(NPM_DIR, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pkg = os.path.join(modules, "vhd-lib", "package.json")
        if not os.path.exists(pkg) or '"0.7.2"' not in open(pkg).read():
            run("npm", "install", "--no-audit", "--no-fund", "--prefix",
                NPM_DIR, "vhd-lib@0.7.2")
    return modules


@pytest.fixture
def rng(request):
    """A random source seeded per test, reported on failure."""
    seed = random.randrange(1 << 30)
    request.node.user_properties.append(("seed", seed))
    print("seed", seed)
    return random.Random(seed)


def rand_bytes(rng, n):
    return rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""
