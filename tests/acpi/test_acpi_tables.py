"""ACPI tables of the guest PC (hv/acpi.c, hv/acpi/dsdt.asl) checked by an
independent oracle, ACPICA's tools: build/unit/acpi_tables dumps the tables
acpi_build() wrote into a fake guest RAM; iasl disassembles each one (it
checks layout and checksums), recompiles the disassembly to the same bytes,
and acpiexec loads them and evaluates the DSDT's objects. The RSDP, which
this iasl cannot disassemble alone, is checked here by hand."""
import os
import re
import struct
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DUMPER = os.path.join(ROOT, "build", "unit", "acpi_tables")
DSDT_AML = os.path.join(ROOT, "build", "gen", "dsdt.aml")
DATA_TABLES = ["xsdt", "rsdt", "facp", "apic", "facs", "hpet"]
BIOS_BASE = 0xE0000


def run(args, cwd, timeout=60):
    proc = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode(errors="replace")


@pytest.fixture(scope="module", params=[1, 4])
def tables(request, tmp_path_factory):
    assert os.access(DUMPER, os.X_OK), "run `make unit` first"
    d = tmp_path_factory.mktemp("acpi%d" % request.param)
    rc, out = run([DUMPER, "dump", str(d), str(request.param)], ROOT)
    assert rc == 0, out
    return d, request.param


def read(d, name):
    with open(os.path.join(d, name + ".dat"), "rb") as f:
        return f.read()


def test_rsdp_found_by_legacy_scan(tables):
    d, _ = tables
    bios = read(d, "bios")
    hits = [off for off in range(0, len(bios), 16)
            if bios[off:off + 8] == b"RSD PTR " and sum(bios[off:off + 20]) % 256 == 0]
    assert len(hits) == 1
    rsdp = bios[hits[0]:hits[0] + 36]
    assert rsdp == read(d, "rsdp")
    rev, rsdt, length, xsdt = struct.unpack_from("<BIIQ", rsdp, 15)
    assert (rev, length) == (2, 36)
    assert sum(rsdp) % 256 == 0
    assert bios[rsdt - BIOS_BASE:rsdt - BIOS_BASE + 4] == b"RSDT"
    assert bios[xsdt - BIOS_BASE:xsdt - BIOS_BASE + 4] == b"XSDT"


@pytest.mark.parametrize("name", DATA_TABLES)
def test_iasl_disassembles_and_recompiles(tables, name):
    """iasl -d decodes the table without complaint; compiling its output
    gives back our bytes (apart from the checksum and the creator fields,
    which iasl fills with its own)."""
    d, _ = tables
    rc, out = run(["iasl", "-d", name + ".dat"], d)
    assert rc == 0, out
    dsl = open(os.path.join(d, name + ".dsl")).read()
    assert not re.search(r"(?i)incorrect|invalid|error|warning", dsl), dsl
    rc, out = run(["iasl", "-p", name + "_rt", name + ".dsl"], d)
    assert rc == 0 and "0 Errors, 0 Warnings" in out, out
    ours, theirs = read(d, name), open(os.path.join(d, name + "_rt.aml"), "rb").read()
    assert len(ours) == len(theirs)
    skip = set() if name == "facs" else {9} | set(range(28, 36))
    diff = [i for i in range(len(ours)) if i not in skip and ours[i] != theirs[i]]
    assert not diff, "bytes differ at %s" % diff


def field(dsl, label):
    m = re.search(r"\]\s+%s : (\S+)" % re.escape(label), dsl)
    assert m, label
    return m.group(1)


def test_fadt_as_iasl_reads_it(tables):
    d, _ = tables
    run(["iasl", "-d", "facp.dat"], d)
    dsl = open(os.path.join(d, "facp.dsl")).read()
    assert field(dsl, "SCI Interrupt") == "0009"
    assert field(dsl, "SMI Command Port") == "00000000"
    assert field(dsl, "PM1A Event Block Address") == "00000600"
    assert field(dsl, "PM1A Control Block Address") == "00000604"
    assert field(dsl, "PM Timer Block Address") == "00000608"
    assert field(dsl, "GPE0 Block Address") == "00000000"
    assert field(dsl, "Value to cause reset") == "06"
    for flag in ["32-bit PM Timer (V1)", "Reset Register Supported (V2)",
                 "Legacy Devices Supported (V2)",
                 "8042 Present on ports 60/64 (V2)",
                 "WBINVD instruction is operational (V1)",
                 "Control Method Sleep Button (V1)"]:
        assert re.search(r"%s : 1" % re.escape(flag), dsl), flag
    assert re.search(r"Control Method Power Button \(V1\) : 0", dsl)
    assert "0000000000000CF9" in dsl


def test_madt_as_iasl_reads_it(tables):
    d, n = tables
    run(["iasl", "-d", "apic.dat"], d)
    dsl = open(os.path.join(d, "apic.dsl")).read()
    assert dsl.count("[Processor Local APIC]") == n
    assert field(dsl, "I/O Apic ID") == "%02X" % n
    assert dsl.count("[Interrupt Source Override]") == 2
    assert dsl.count("[Local APIC NMI]") == 1


def test_hpet_as_iasl_reads_it(tables):
    d, _ = tables
    run(["iasl", "-d", "hpet.dat"], d)
    dsl = open(os.path.join(d, "hpet.dsl")).read()
    assert field(dsl, "Hardware Block ID") == "8086A201"
    assert field(dsl, "Space ID") == "00"
    assert field(dsl, "Address") == "00000000FED00000"
    assert field(dsl, "Sequence Number") == "00"
    assert field(dsl, "Minimum Clock Ticks") == "0000"


def test_dsdt_is_iasl_output_and_disassembles(tables):
    d, _ = tables
    assert read(d, "dsdt") == open(DSDT_AML, "rb").read()
    rc, out = run(["iasl", "-d", "dsdt.dat"], d)
    assert rc == 0 and "Parsing completed" in out, out
    dsl = open(os.path.join(d, "dsdt.dsl")).read()
    for text in ['EisaId ("PNP0A08")', 'EisaId ("PNP0A03")', 'EisaId ("PNP0501")',
                 'EisaId ("PNP0B00")', 'EisaId ("PNP0100")', 'EisaId ("PNP0000")',
                 'EisaId ("PNP0303")', 'EisaId ("PNP0103")', "Name (_S5, Package", "Name (_PRT, Package"]:
        assert text in dsl, text
    rc, out = run(["iasl", "-p", "dsdt_rt", "dsdt.dsl"], d)
    assert rc == 0 and "0 Errors, 0 Warnings" in out, out
    assert open(os.path.join(d, "dsdt_rt.aml"), "rb").read() == read(d, "dsdt")


def test_acpiexec_evaluates_the_namespace(tables):
    """ACPICA's own interpreter loads FADT, MADT and DSDT and checks the
    predefined objects' return values (it warns on a malformed one)."""
    d, _ = tables
    objs = ["\\_S5", "\\_SB.PCI0._CRS", "\\_SB.PCI0._PRT", "\\_SB.PCI0._HID",
            "\\_SB.PCI0.COM1._CRS", "\\_SB.PCI0.RTC._CRS", "\\_SB.PCI0.KBD._CRS",
            "\\_SB.PCI0.TMR._CRS", "\\_SB.PCI0.PIC._CRS", "\\_SB.PCI0.HPET._CRS",
            "\\_SB.PCI0.HPET._STA"]
    cmd = "; ".join("evaluate " + o for o in objs)
    rc, out = run(["acpiexec", "-b", cmd, "dsdt.dat", "facp.dat", "apic.dat", "hpet.dat"],
                  d)
    assert rc == 0, out
    own = [l for l in out.splitlines()
           if re.search(r"ACPI (Warning|Error)|AE_", l) and "aetests" not in l]
    assert not own, "\n".join(own)
    assert out.count("Evaluation of") == len(objs), out
    assert "[Package] Contains 124 Elements" in out
    m = re.search(r"Evaluation of \\_S5.*?\n\s*\[Package\] Contains 4 Elements:\n"
                  r"\s*\[Integer\] = 0*5\n", out)
    assert m, out
