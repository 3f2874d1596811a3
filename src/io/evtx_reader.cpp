// EVTX reader over libevtx: each record's XML rendering is converted to evtx_dump-shaped JSON
// (evtx_xml.cpp). Only the records of the file proper are read, not the "recovered" ones that
// libevtx finds in slack space (deleted or overwritten records, which evtx_dump skips too).
#include "io/evtx_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// libevtx.h includes libbfio.h when LIBEVTX_HAVE_BFIO is set, and Debian ships no libbfio
// headers. Nothing here uses the bfio API, so load the feature macros first and drop it.
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>

namespace lachan::io {
namespace {

// Takes ownership of a libevtx error and frees it. Returns its text on one line: the
// outermost message, with the innermost one (usually the actual cause) added, e.g.
// "libevtx_file_get_record_by_index: unable to retrieve record values: 2. (cause:
// libfwevt_xml_token_read: unsupported binary XML token type: 0xff.)".
std::string take_error(libevtx_error_t*& error) {
  if (error == nullptr) return "unknown libevtx error";
  std::vector<char> buf(8192, '\0');
  int n = libevtx_error_backtrace_sprint(error, buf.data(), buf.size());
  if (n <= 0) n = libevtx_error_sprint(error, buf.data(), buf.size());
  libevtx_error_free(&error);
  error = nullptr;
  if (n <= 0) return "unknown libevtx error";
  buf.back() = '\0';
  std::vector<std::string> lines;
  std::string line;
  for (const char* p = buf.data(); *p; ++p) {
    if (*p == '\n' || *p == '\r') {
      if (!line.empty()) lines.push_back(std::move(line));
      line.clear();
    } else {
      line.push_back(*p);
    }
  }
  if (!line.empty()) lines.push_back(std::move(line));
  if (lines.empty()) return "unknown libevtx error";
  if (lines.size() == 1) return lines[0];
  return lines.back() + " (cause: " + lines.front() + ")";
}

class EvtxReader final : public RecordReader {
 public:
  EvtxReader(libevtx_file_t* file, int count, std::string path) : file_(file), count_(count), path_(std::move(path)) {}
  EvtxReader(const EvtxReader&) = delete;
  EvtxReader& operator=(const EvtxReader&) = delete;

  ~EvtxReader() override {
    libevtx_error_t* error = nullptr;
    libevtx_file_close(file_, &error);
    if (error) libevtx_error_free(&error);
    libevtx_file_free(&file_, &error);
    if (error) libevtx_error_free(&error);
  }

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    // Keep a batch well below the 4 GiB that Record offsets can address.
    constexpr size_t kMaxBatchBytes = 256u << 20;
    while (next_ < count_ && batch.records.size() < max_records && batch.malformed.size() < max_records &&
           batch.buffer.size() < kMaxBatchBytes) {
      int i = next_++;
      read_one(batch, i);
    }
    if (next_ == count_ && !corruption_checked_) {
      // A damaged record header or chunk ends libevtx's record list early without an error
      // on any record: report that records may be missing.
      corruption_checked_ = true;
      libevtx_error_t* error = nullptr;
      int corrupted = libevtx_file_is_corrupted(file_, &error);
      if (error) libevtx_error_free(&error);
      if (corrupted == 1)
        batch.malformed.push_back(Malformed{static_cast<uint64_t>(count_), 0,
                                            "EVTX file " + path_ + " is corrupted: libevtx read " +
                                                std::to_string(count_) + " records; any after a damaged one are missing"});
    }
    batch.finish();
    return !batch.records.empty() || !batch.malformed.empty();
  }

  Format format() const noexcept override { return Format::evtx; }

 private:
  void malformed(RecordBatch& batch, int i, uint64_t id, const std::string& what) {
    std::string reason = "EVTX record " + std::to_string(i);
    if (id != 0) reason += " (EventRecordID " + std::to_string(id) + ")";
    reason += ": " + what;
    batch.malformed.push_back(Malformed{static_cast<uint64_t>(i), 0, std::move(reason)});
  }

  void read_one(RecordBatch& batch, int i) {
    libevtx_error_t* error = nullptr;
    libevtx_record_t* record = nullptr;
    if (libevtx_file_get_record_by_index(file_, i, &record, &error) != 1) {
      if (record) {
        libevtx_error_t* e2 = nullptr;
        libevtx_record_free(&record, &e2);
        if (e2) libevtx_error_free(&e2);
      }
      malformed(batch, i, 0, "cannot read record: " + take_error(error));
      return;
    }
    uint64_t id = 0;
    if (libevtx_record_get_identifier(record, &id, &error) != 1) {
      id = 0;
      if (error) libevtx_error_free(&error);
    }
    size_t size = 0;
    std::string what;
    if (libevtx_record_get_utf8_xml_string_size(record, &size, &error) != 1 || size == 0) {
      what = "cannot render record XML: " + take_error(error);
    } else {
      xml_.resize(size);
      if (libevtx_record_get_utf8_xml_string(record, reinterpret_cast<uint8_t*>(xml_.data()), size, &error) != 1) {
        what = "cannot render record XML: " + take_error(error);
      } else {
        size_t len = std::strlen(xml_.c_str());  // size includes the terminating NUL
        auto json = evtx_xml_to_json(std::string_view(xml_.data(), std::min(len, size)));
        if (json) {
          batch.add(*json, static_cast<uint64_t>(i), 0);
        } else {
          what = "cannot convert record XML: " + json.error().message;
        }
      }
    }
    libevtx_record_free(&record, &error);
    if (error) libevtx_error_free(&error);
    if (!what.empty()) malformed(batch, i, id, what);
  }

  libevtx_file_t* file_ = nullptr;
  int count_ = 0;
  int next_ = 0;
  bool corruption_checked_ = false;
  std::string path_;
  std::string xml_;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> make_evtx_reader(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return make_error(Errc::io, "cannot open EVTX file " + path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(Errc::io, "cannot open EVTX file " + path + ": is a directory");
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return make_error(Errc::io, "cannot open EVTX file " + path + ": " + std::strerror(errno));
  }

  libevtx_error_t* error = nullptr;
  int sig = libevtx_check_file_signature(path.c_str(), &error);
  if (sig != 1) {
    std::string why = sig == 0 ? "no EVTX file signature" : take_error(error);
    if (error) libevtx_error_free(&error);
    return make_error(Errc::malformed, "not an EVTX file: " + path + " (" + why + ")");
  }

  libevtx_file_t* file = nullptr;
  if (libevtx_file_initialize(&file, &error) != 1)
    return make_error(Errc::internal, "libevtx: cannot initialise a file: " + take_error(error));
  if (libevtx_file_open(file, path.c_str(), LIBEVTX_OPEN_READ, &error) != 1) {
    std::string why = take_error(error);
    libevtx_file_free(&file, &error);
    if (error) libevtx_error_free(&error);
    return make_error(Errc::malformed, "cannot open EVTX file " + path + ": " + why);
  }
  int count = 0;
  if (libevtx_file_get_number_of_records(file, &count, &error) != 1 || count < 0) {
    std::string why = take_error(error);
    libevtx_file_close(file, &error);
    if (error) libevtx_error_free(&error);
    libevtx_file_free(&file, &error);
    if (error) libevtx_error_free(&error);
    return make_error(Errc::malformed, "cannot read EVTX file " + path + ": " + why);
  }
  return std::unique_ptr<RecordReader>(new EvtxReader(file, count, path));
}

}  // namespace lachan::io
