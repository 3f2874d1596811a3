// PowerShell launchers as dropped by malicious documents, LNK files and scripts: PowerShell
// given a base64 (UTF-16LE) encoded command (-e, -enc, -EncodedCommand) whose text is a download
// cradle. The cradle's words are written below as base64 of their UTF-16LE text at each of the
// three byte alignments (the characters that depend only on the word itself).
rule PowerShell_EncodedCommand_Downloader : powershell downloader
{
    meta:
        family = "PowerShell-Downloader"
        description = "powershell -enc <base64> whose decoded command downloads (WebClient, DownloadString/File, Invoke-WebRequest)"
        author = "Lachan"

    strings:
        $ps = "powershell" nocase
        $enc = /\s-e(nc|ncodedcommand|ncodedc|ncoded)?\s+[A-Za-z0-9+\/]{40}/ nocase
        $dl1_0 = "TgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdA"  // Net.WebClient, offset 0
        $dl1_1 = "4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQA"
        $dl1_2 = "OAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0A"
        $dl2_0 = "RABvAHcAbgBsAG8AYQBkAFMAdAByAGkAbgBnA"  // DownloadString, offset 0
        $dl2_1 = "QAbwB3AG4AbABvAGEAZABTAHQAcgBpAG4AZw"
        $dl2_2 = "EAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcA"
        $dl3_0 = "RABvAHcAbgBsAG8AYQBkAEYAaQBsAGUA"  // DownloadFile, offset 0
        $dl3_1 = "QAbwB3AG4AbABvAGEAZABGAGkAbABlA"
        $dl3_2 = "EAG8AdwBuAGwAbwBhAGQARgBpAGwAZQ"
        $dl4_0 = "RABvAHcAbgBsAG8AYQBkAEQAYQB0AGEA"  // DownloadData, offset 0
        $dl4_1 = "QAbwB3AG4AbABvAGEAZABEAGEAdABhA"
        $dl4_2 = "EAG8AdwBuAGwAbwBhAGQARABhAHQAYQ"
        $dl5_0 = "SQBuAHYAbwBrAGUALQBXAGUAYgBSAGUAcQB1AGUAcwB0A"  // Invoke-WebRequest, offset 0
        $dl5_1 = "kAbgB2AG8AawBlAC0AVwBlAGIAUgBlAHEAdQBlAHMAdA"
        $dl5_2 = "JAG4AdgBvAGsAZQAtAFcAZQBiAFIAZQBxAHUAZQBzAHQA"

    condition:
        filesize < 5MB and $ps and $enc and any of ($dl*)
}

// The same cradle in clear text: IEX over a string downloaded with WebClient.
rule PowerShell_Download_Cradle : powershell downloader
{
    meta:
        family = "PowerShell-Downloader"
        description = "IEX / Invoke-Expression of (New-Object Net.WebClient).DownloadString(...)"
        author = "Lachan"

    strings:
        $wc = /New-Object\s+(System\.)?Net\.WebClient\)?\s*\.\s*DownloadString\s*\(/ nocase
        $iex1 = /\bIEX\s*[\(\$]/ nocase
        $iex2 = "Invoke-Expression" nocase

    condition:
        filesize < 5MB and $wc and any of ($iex*)
}
