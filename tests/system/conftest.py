"""Helpers of the emulator system tests: running tools/hvrun and plain QEMU,
and a machine-wide limit of two emulators at a time (these machines have two
cores; the suite runs as `pytest -n 2`, and other test files may start
emulators too). Tests that boot an emulator are marked `emulator`."""
import contextlib
import fcntl
import os
import re
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HVRUN = os.path.join(ROOT, "tools", "hvrun")
MKVOLUME = os.path.join(ROOT, "tools", "mkvolume")
HV_EFI = os.path.join(ROOT, "build", "hv.efi")
GUEST_DIR = os.path.join(ROOT, "build", "guests")
CPUS = ["amd", "intel"]
EMULATOR_SLOTS = 2
SLOT_DIR = os.path.join(tempfile.gettempdir(), "hv-emulator-slots")


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator: boots a full-system emulator "
                            "(at most two run at once, see emulator_slot)")
    config.addinivalue_line("markers", "slow: minutes per run (Linux under "
                            "Bochs); `make test` leaves them out, `make "
                            "test-slow` runs them")


@contextlib.contextmanager
def emulator_slot():
    """Holds one of EMULATOR_SLOTS machine-wide slots (flock on files)."""
    os.makedirs(SLOT_DIR, exist_ok=True)
    while True:
        for i in range(EMULATOR_SLOTS):
            f = open(os.path.join(SLOT_DIR, "slot%d" % i), "w")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
                f.close()
            return
        time.sleep(0.2)


def expect(res, status, lines, err_patterns=()):
    """A guest run ended with `status`, printed every line in `lines` (a
    string to match whole, or a compiled pattern) and stderr matched every
    pattern in `err_patterns`; a passing guest printed no FAIL."""
    assert res.rc == status, res
    out = res.out.splitlines()
    for line in lines:
        if isinstance(line, str):
            assert line in out, "missing %r in\n%r" % (line, res)
        else:
            assert any(line.fullmatch(o) for o in out), \
                "missing /%s/ in\n%r" % (line.pattern, res)
    for pat in err_patterns:
        assert re.search(pat, res.err), "missing /%s/ in stderr\n%r" % (pat, res)
    if status == 0:
        assert "FAIL" not in res.out, res


def guest(name):
    path = os.path.join(GUEST_DIR, name + ".elf")
    assert os.path.isfile(path), "%s missing: run `make guests`" % path
    return path


class Result:
    def __init__(self, rc, out, err, elapsed):
        self.rc, self.out, self.err, self.elapsed = rc, out, err, elapsed

    def __repr__(self):
        return ("exit status %s after %.1f s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                % (self.rc, self.elapsed, self.out, self.err))


def run_collect(cmd, send=None, wait_for=None, timeout=900, env=None):
    """Runs cmd; once wait_for (bytes) has appeared on its stdout (or at
    once, when None), writes send to its stdin. Returns a Result with text
    stdout/stderr (CR LF turned into LF)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    out, err = [], []
    seen = threading.Event()

    def pump(stream, sink, watch):
        buf = b""
        while True:
            data = os.read(stream.fileno(), 4096)
            if not data:
                break
            sink.append(data)
            if watch and not seen.is_set():
                buf = (buf + data)[-4096:]
                if watch in buf:
                    seen.set()
        if watch:
            seen.set()      # ended before the prompt: stop waiting

    threads = [threading.Thread(target=pump, args=(proc.stdout, out, wait_for), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err, None), daemon=True)]
    for t in threads:
        t.start()
    try:
        if send is not None:
            if wait_for is not None:
                seen.wait(timeout)
            try:
                proc.stdin.write(send)
                proc.stdin.flush()
            except BrokenPipeError:
                pass
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
    for t in threads:
        t.join(10)

    def text(chunks):
        return b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
    return Result(rc, text(out), text(err), time.monotonic() - start)


def hvrun(cpu, kernel, *args, send=None, wait_for=None, timeout=None, env=None):
    """Boots the hypervisor with a guest through tools/hvrun."""
    assert os.path.isfile(HV_EFI), "%s missing: build it with `make hv`" % HV_EFI
    cmd = ["/usr/bin/python3", HVRUN, "--cpu", cpu, "--kernel", kernel] + list(args)
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    with emulator_slot():
        return run_collect(cmd, send=send, wait_for=wait_for, env=env)


def qemu_plain(kernel, *args, send=None, wait_for=None, timeout=60):
    """Boots a guest the way `qemu-system-x86_64 -kernel` does, without the
    hypervisor: the reference every guest must pass as an ordinary kernel."""
    cmd = ["timeout", "-s", "KILL", str(timeout), "qemu-system-x86_64",
           "-accel", "tcg", "-cpu", "qemu64,-svm", "-no-reboot",
           "-kernel", kernel, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
           "-serial", "stdio", "-display", "none", "-monitor", "none"] + list(args)
    with emulator_slot():
        return run_collect(cmd, send=send, wait_for=wait_for, timeout=timeout + 30)


def make_module(path, size=100000):
    """A multiboot module whose content the mbinfo guest verifies."""
    data = bytes((i * 7 + 3) % 251 for i in range(size))
    with open(path, "wb") as f:
        f.write(b"HVTEST-MODULE len=%x sum=%x\n" % (len(data), sum(data)) + data)
    return path


@pytest.fixture
def module_file(tmp_path):
    return make_module(str(tmp_path / "module.bin"))
