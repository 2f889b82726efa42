/* dsdt.asl: the Differentiated System Description Table of the guest's
 * PC (ACPI 6.4, 5.2.11.1), in ASL (chapter 19); iasl compiles it at build
 * time (hv/acpi/acpi.mk) and acpi_build() copies the AML verbatim. The
 * numbers here match hv/acpi.h: S5 sleep type, PCI windows, IRQs. */
DefinitionBlock ("", "DSDT", 2, "SNAPVS", "SNAPVSPC", 1)
{
    /* S5 soft-off (7.4.2): SLP_TYPa = 5, SLP_TYPb unused. The PM device
     * (hv/dev/acpi_pm.c) powers off on SLP_EN with type 5, and with
     * type 0, QEMU's PIIX4 value, which some guests hard-code. */
    Name (\_S5, Package (0x04) { 5, 5, Zero, Zero })

    Scope (\_SB)
    {
        /* The PCI host bridge: configuration mechanism 1, bus 0. */
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A08"))
            Name (_CID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_BBN, Zero)
            Name (_SEG, Zero)

            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
                    Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
                    NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })

            /* Interrupt routing (6.2.13): INTA#-INTD# of slots 1-31 all
             * reach GSI 11 (level, active low, as PCI is). */
            Name (_PRT, Package (0x7C)
            {
                Package (0x04) { 0x0001FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0001FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0001FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0001FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0002FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0002FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0002FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0002FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0003FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0003FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0003FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0003FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0004FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0004FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0004FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0004FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0005FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0005FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0005FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0005FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0006FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0006FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0006FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0006FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0007FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0007FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0007FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0007FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0008FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0008FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0008FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0008FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0009FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0009FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0009FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0009FFFF, 3, Zero, 11 },
                Package (0x04) { 0x000AFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000AFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000AFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000AFFFF, 3, Zero, 11 },
                Package (0x04) { 0x000BFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000BFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000BFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000BFFFF, 3, Zero, 11 },
                Package (0x04) { 0x000CFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000CFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000CFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000CFFFF, 3, Zero, 11 },
                Package (0x04) { 0x000DFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000DFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000DFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000DFFFF, 3, Zero, 11 },
                Package (0x04) { 0x000EFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000EFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000EFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000EFFFF, 3, Zero, 11 },
                Package (0x04) { 0x000FFFFF, 0, Zero, 11 },
                Package (0x04) { 0x000FFFFF, 1, Zero, 11 },
                Package (0x04) { 0x000FFFFF, 2, Zero, 11 },
                Package (0x04) { 0x000FFFFF, 3, Zero, 11 },
                Package (0x04) { 0x0010FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0010FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0010FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0010FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0011FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0011FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0011FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0011FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0012FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0012FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0012FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0012FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0013FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0013FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0013FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0013FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0014FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0014FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0014FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0014FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0015FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0015FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0015FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0015FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0016FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0016FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0016FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0016FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0017FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0017FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0017FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0017FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0018FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0018FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0018FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0018FFFF, 3, Zero, 11 },
                Package (0x04) { 0x0019FFFF, 0, Zero, 11 },
                Package (0x04) { 0x0019FFFF, 1, Zero, 11 },
                Package (0x04) { 0x0019FFFF, 2, Zero, 11 },
                Package (0x04) { 0x0019FFFF, 3, Zero, 11 },
                Package (0x04) { 0x001AFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001AFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001AFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001AFFFF, 3, Zero, 11 },
                Package (0x04) { 0x001BFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001BFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001BFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001BFFFF, 3, Zero, 11 },
                Package (0x04) { 0x001CFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001CFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001CFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001CFFFF, 3, Zero, 11 },
                Package (0x04) { 0x001DFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001DFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001DFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001DFFFF, 3, Zero, 11 },
                Package (0x04) { 0x001EFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001EFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001EFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001EFFFF, 3, Zero, 11 },
                Package (0x04) { 0x001FFFFF, 0, Zero, 11 },
                Package (0x04) { 0x001FFFFF, 1, Zero, 11 },
                Package (0x04) { 0x001FFFFF, 2, Zero, 11 },
                Package (0x04) { 0x001FFFFF, 3, Zero, 11 }
            })

            /* Legacy ISA devices, children of the host bridge. */
            Device (PIC)
            {
                Name (_HID, EisaId ("PNP0000"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
                    IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
                    IRQNoFlags () {2}
                })
            }

            Device (TMR)
            {
                Name (_HID, EisaId ("PNP0100"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
                    IRQNoFlags () {0}
                })
            }

            /* The HPET (IA-PC HPET 1.0a, 3.2.5), as QEMU describes it. */
            Device (HPET)
            {
                Name (_HID, EisaId ("PNP0103"))
                Name (_UID, Zero)
                Method (_STA, 0, NotSerialized)
                {
                    Return (0x0F)
                }
                Name (_CRS, ResourceTemplate ()
                {
                    Memory32Fixed (ReadOnly, 0xFED00000, 0x00000400)
                })
            }

            Device (RTC)
            {
                Name (_HID, EisaId ("PNP0B00"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                    IRQNoFlags () {8}
                })
            }

            /* The 8042 with no keyboard or mouse attached; no PNP0F13
             * device, so OSes do not probe an AUX port. */
            Device (KBD)
            {
                Name (_HID, EisaId ("PNP0303"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                    IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                    IRQNoFlags () {1}
                })
            }

            Device (COM1)
            {
                Name (_HID, EisaId ("PNP0501"))
                Name (_UID, One)
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                    IRQNoFlags () {4}
                })
            }
        }
    }
}
