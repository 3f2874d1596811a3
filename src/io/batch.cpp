#include <cstring>

#include "io/reader.h"

namespace lachan::io {

void RecordBatch::add(std::string_view json, uint64_t index, uint64_t line) {
  Record r;
  r.offset = static_cast<uint32_t>(buffer.size());
  r.length = static_cast<uint32_t>(json.size());
  r.index = index;
  r.line = line;
  buffer.append(json);
  buffer.push_back('\n');
  records.push_back(r);
}

void RecordBatch::finish() {
  // The padding lives past size() so that appends never shift it: reserve, then zero it.
  size_t n = buffer.size();
  buffer.append(kPadding, '\0');
  buffer.resize(n);
}

}  // namespace lachan::io
