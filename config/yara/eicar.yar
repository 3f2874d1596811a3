// The EICAR anti-malware test file (https://www.eicar.org/download-anti-malware-testfile/):
// harmless by design, used to check that scanning works end to end. The standard says the file
// starts with the 68-byte string and may be followed by white space up to 128 bytes in all.
rule EICAR_Test_File : test eicar
{
    meta:
        family = "EICAR-Test-File"
        description = "The EICAR anti-malware test file"
        author = "Lachan"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"

    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

    condition:
        $eicar at 0 and filesize <= 128
}
