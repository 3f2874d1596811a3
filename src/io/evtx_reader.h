// EVTX files read directly with libevtx. Each record is rendered as JSON in the evtx_dump shape
// ({"Event":{"#attributes":…,"System":…,"EventData":…}} or UserData), the same shape as the
// JSON files in SigmaHQ's regression data, so both forms of a file yield the same fields.
#pragma once

#include <memory>
#include <string>

#include "io/reader.h"

namespace lachan::io {

// Opens an EVTX file by path. Records that libevtx cannot read are reported as Malformed
// (with their record number) and skipped; the rest of the file is still read.
Result<std::unique_ptr<RecordReader>> make_evtx_reader(const std::string& path);

// Renders one event record's XML (as libevtx gives it) to evtx_dump-shaped JSON.
// Exposed for tests and the fuzz target.
Result<std::string> evtx_xml_to_json(std::string_view xml);

}  // namespace lachan::io
