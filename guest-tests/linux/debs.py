"""debs.py: the Debian packages the Linux guest is made of: resolves a name
to the concrete package and version apt would install, downloads the .deb
once into a cache directory (kept across builds) and unpacks it with
dpkg-deb -x. Used by mkguest.py; needs apt-get, apt-cache and dpkg-deb."""

import glob
import os
import shutil
import subprocess
import sys


class DebError(Exception):
    pass


def _run(args, cwd=None):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise DebError("%s failed (exit %d): %s" % (
            " ".join(args), proc.returncode, proc.stderr.strip()))
    return proc.stdout


def _lists_present():
    return bool(glob.glob("/var/lib/apt/lists/*_Packages*"))


def ensure_lists():
    """apt-cache knows nothing until the package lists are there; root can
    fetch them (once), anyone else is told how."""
    if _lists_present():
        return
    if os.geteuid() != 0:
        raise DebError("the apt package lists are missing and we are not "
                       "root: run 'sudo apt-get update' once, then make "
                       "again")
    print("debs: no apt package lists: running apt-get update",
          file=sys.stderr)
    _run(["apt-get", "update", "-q"])
    if not _lists_present():
        raise DebError("apt-get update left no package lists")


def _fields(name):
    """The candidate's control fields (apt-cache show, first stanza)."""
    text = _run(["apt-cache", "show", "--no-all-versions", name])
    fields = {}
    for line in text.splitlines():
        if not line.strip():
            break
        if ":" in line and not line.startswith(" "):
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    if "Version" not in fields:
        raise DebError("apt-cache knows no package %s" % name)
    return fields


def depends_on(meta, prefix):
    """The package a metapackage pulls in whose name starts with prefix,
    e.g. linux-image-amd64 -> linux-image-6.1.0-56-amd64."""
    for line in _run(["apt-cache", "depends", meta]).splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "Depends:" \
                and words[1].startswith(prefix):
            return words[1]
    raise DebError("apt-cache depends %s names no %s* package" %
                   (meta, prefix))


def fetch(name, cache):
    """Path of name's candidate .deb in cache, downloaded unless present.
    apt-get names the file NAME_VERSION_ARCH.deb with ':' quoted."""
    f = _fields(name)
    version = f["Version"]
    fname = "%s_%s_%s.deb" % (name, version.replace(":", "%3a"),
                              f.get("Architecture", "amd64"))
    path = os.path.join(cache, fname)
    if os.path.exists(path):
        return path
    os.makedirs(cache, exist_ok=True)
    print("debs: downloading %s %s" % (name, version), file=sys.stderr)
    args = ["apt-get", "download", "-q"]
    # apt drops root to _apt for downloads, which cannot write our cache.
    if os.geteuid() == 0:
        args += ["-o", "APT::Sandbox::User=root"]
    _run(args + ["%s=%s" % (name, version)], cwd=cache)
    if not os.path.exists(path):
        raise DebError("apt-get download left no %s" % path)
    return path


def unpack(deb, dest, keep):
    """A fresh dest holding only the package's paths that match the globs
    in keep. The rest goes: the top Makefile includes every *.d under
    build/ as a make dependency file, and packages bring directories so
    named (conf-hooks.d, ...)."""
    tmp = dest + ".unpack"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        os.makedirs(tmp)
        _run(["dpkg-deb", "-x", deb, tmp])
        os.makedirs(dest)
        for pattern in keep:
            for path in glob.glob(os.path.join(tmp, pattern)):
                rel = os.path.relpath(path, tmp)
                os.makedirs(os.path.dirname(os.path.join(dest, rel)),
                            exist_ok=True)
                os.rename(path, os.path.join(dest, rel))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
