// PHP web shells: code that evaluates what the request sends, the core of China Chopper style
// one-liners and of most obfuscated PHP shells. Legitimate PHP does not eval request input.
rule PHP_Webshell_Eval_Request : webshell php
{
    meta:
        family = "PHP-Webshell"
        description = "PHP eval/assert of request input, directly or through base64_decode/gzinflate/str_rot13"
        author = "Lachan"

    strings:
        $php = "<?" 
        $direct = /\b(eval|assert)\s*\(\s*(@\s*)?\$_(POST|GET|REQUEST|COOKIE)\s*\[/ nocase
        $decoded = /\b(eval|assert)\s*\(\s*(@\s*)?(base64_decode|gzinflate|gzuncompress|str_rot13)\s*\(\s*(@\s*)?\$_(POST|GET|REQUEST|COOKIE)\s*\[/ nocase

    condition:
        filesize < 1MB and $php and ($direct or $decoded)
}
