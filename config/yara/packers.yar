// Packers. A packed executable is not malware in itself, but UPX is the packer most seen on
// commodity malware; the rule is precise (section names in the PE section table), so it only
// fires on real UPX-packed PE files.
rule UPX_Packed_PE : packer upx
{
    meta:
        family = "UPX-packed"
        description = "A PE file packed with UPX: sections named UPX0 and UPX1"
        author = "Lachan"

    strings:
        // Section names are 8 bytes, NUL-padded.
        $upx0 = { 55 50 58 30 00 00 00 00 }
        $upx1 = { 55 50 58 31 00 00 00 00 }

    condition:
        uint16(0) == 0x5A4D and
        uint32(0x3C) < 0x1000 and
        uint32(uint32(0x3C)) == 0x00004550 and
        $upx0 in (uint32(0x3C) .. uint32(0x3C) + 0x400) and
        $upx1 in (uint32(0x3C) .. uint32(0x3C) + 0x400)
}
