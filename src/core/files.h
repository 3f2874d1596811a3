// Files the platform keeps: whole-file reads, and content-addressed files written durably (the
// malware repository's samples, incidents' evidence).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan {

// The whole file; Errc::io naming the path when it cannot be read, Errc::limit when it has more
// than max_bytes (0: no limit).
Result<std::string> read_whole_file(const std::string& path, size_t max_bytes = 0);

// fsync of a folder, so that a rename or a new entry in it survives a crash.
Result<void> fsync_dir(const std::string& dir);

// <root>/<first two hex digits>/<sha256>, the layout of content-addressed files.
std::string hashed_path(std::string_view root, std::string_view sha256);

// Writes bytes once under hashed_path(root, sha256): a temporary file (0400 from creation: never
// executable, read-only once written), fsync, rename, fsync of the folder, so that a crash leaves
// the whole file or none. A file already there with the same size is kept. Errors are Errc::io
// and name `what` ("sample", "evidence") and the path.
Result<void> write_hashed_file(std::string_view root, std::string_view sha256, std::string_view bytes,
                               std::string_view what);

}  // namespace lachan
