"""Every test guest as an ordinary kernel under plain `qemu-system-x86_64
-kernel` (TCG, no hypervisor of ours): validates the guests independently of
the hypervisor. QEMU's isa-debug-exit ends QEMU with status (V << 1) | 1.
Plain QEMU differs from the hypervisor's machine in three documented ways,
which the guests are told on their command line: the CPU model must hide SVM
(-cpu qemu64,-svm), TCG reads missing MSRs as 0 (missing_msr=any), and QEMU
7.2 reads unassigned memory as 0 (open_bus=zero)."""
import pytest

from .conftest import guest, make_module, qemu_plain

PASSED = (0 << 1) | 1


def check(res, status, lines):
    assert res.rc == status, res
    for line in lines:
        assert line in res.out.splitlines(), "missing %r in\n%r" % (line, res)
    if status == PASSED:
        assert "FAIL" not in res.out, res


@pytest.mark.emulator
@pytest.mark.parametrize("name,args,lines", [
    ("cpuid", [], ["cpuid: hypervisor signature ok", "PASS"]),
    ("msr", ["-append", "missing_msr=any"], ["msr: PAT keeps 0x7010600070106", "PASS"]),
    ("portio", [], ["portio: string output through rep outsb", "PASS"]),
    ("unassigned", ["-append", "open_bus=zero"], ["unassigned: guest continues", "PASS"]),
    ("layout", [], ["layout: bss zeroed by the loader", "PASS"]),
    ("loader_state", [], ["loader_state: CS 0x8 DS 0x10 ES 0x10 SS 0x10 FS 0x10 GS 0x10",
                          "loader_state: an interrupt and segment reloads before LGDT work",
                          "PASS"]),
    ("paging", [], ["paging: 4 KiB alias and #PF ok, paging off again", "PASS"]),
    ("ram", ["-m", "64"], ["ram: pattern 0xa55a3cc3 verified", "PASS"]),
    ("mbinfo", ["-append", "a b=c"], ["mbinfo: kernel name ok, args 'a b=c'",
                                      "mbinfo: mem_upper agrees with the memory map", "PASS"]),
])
def test_passes_under_plain_qemu(name, args, lines):
    check(qemu_plain(guest(name), *args), PASSED, lines)


@pytest.mark.emulator
@pytest.mark.parametrize("name", ["mbinfo", "mbinfo-aout"])
def test_modules_under_plain_qemu(name, tmp_path):
    mod = make_module(str(tmp_path / "mod.bin"))
    res = qemu_plain(guest(name), "-append", "expect_mods=1", "-initrd", mod)
    check(res, PASSED, ["mbinfo: module 0 content verified (100000 bytes)", "PASS"])


@pytest.mark.emulator
def test_hello_under_plain_qemu():
    res = qemu_plain(guest("hello"), send=b"typed\rq", wait_for=b"'q' quits")
    check(res, PASSED, ["typed", "hello: bye", "PASS"])


@pytest.mark.emulator
def test_triple_fault_under_plain_qemu():
    """With -no-reboot QEMU exits (status 0) at the triple fault."""
    res = qemu_plain(guest("triple"))
    check(res, 0, ["triple: loading an empty IDT and executing ud2"])
    assert "FAIL" not in res.out and "PASS" not in res.out, res


@pytest.mark.emulator
@pytest.mark.parametrize("name,line", [("hlt", "hlt: executing cli; hlt"),
                                       ("spin", "spin: spinning forever")])
def test_never_ends_under_plain_qemu(name, line):
    """cli; hlt and a spin loop never end on their own: killed by timeout."""
    res = qemu_plain(guest(name), timeout=5)
    assert res.rc == -9, res
    assert line in res.out.splitlines(), res
    assert "FAIL" not in res.out and "PASS" not in res.out, res
