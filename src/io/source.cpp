#include "io/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace lachan::io {
namespace {

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  Result<size_t> read(char* dst, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno == EINTR) continue;
      return make_error(Errc::io, "cannot read " + name_ + ": " + std::strerror(errno));
    }
  }
  const std::string& name() const noexcept override { return name_; }

 private:
  int fd_;
  bool owned_;
  std::string name_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string data, size_t max_read, std::string name)
      : data_(std::move(data)), max_read_(max_read == 0 ? 1 : max_read), name_(std::move(name)) {}
  Result<size_t> read(char* dst, size_t n) override {
    size_t k = std::min({n, data_.size() - pos_, max_read_});
    if (k) std::memcpy(dst, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const noexcept override { return name_; }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t max_read_;
  std::string name_;
};

class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  Result<size_t> read(char* dst, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(dst, prefix_.data() + pos_, k);
      pos_ += k;
      if (pos_ == prefix_.size()) std::string().swap(prefix_), pos_ = 0, done_ = true;
      return k;
    }
    if (!done_ && prefix_.empty()) done_ = true;
    return inner_->read(dst, n);
  }
  const std::string& name() const noexcept override { return inner_->name(); }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  bool done_ = false;
  std::unique_ptr<ByteSource> inner_;
};

constexpr size_t kInChunk = 256u << 10;

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> inner) : inner_(std::move(inner)), in_(kInChunk) {
    std::memset(&z_, 0, sizeof z_);
    init_ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
  }
  ~GzipSource() override {
    if (init_ok_) inflateEnd(&z_);
  }
  Result<size_t> read(char* dst, size_t n) override {
    if (!init_ok_) return make_error(Errc::internal, "cannot initialise zlib for " + name());
    if (done_ || n == 0) return size_t{0};
    z_.next_out = reinterpret_cast<Bytef*>(dst);
    z_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt want = z_.avail_out;
    while (z_.avail_out == want) {
      if (z_.avail_in == 0) {
        if (in_eof_) {
          if (member_started_)
            return make_error(Errc::malformed, "corrupt gzip data in " + name() + ": unexpected end of stream");
          done_ = true;
          break;
        }
        auto r = inner_->read(reinterpret_cast<char*>(in_.data()), in_.size());
        if (!r) return std::move(r).error();
        if (*r == 0) {
          in_eof_ = true;
          continue;
        }
        z_.next_in = in_.data();
        z_.avail_in = static_cast<uInt>(*r);
      }
      if (!member_started_) {
        // A new member must start with the gzip magic; anything else after a complete member is
        // trailing garbage (as gzip(1) does, it is ignored).
        if (members_ > 0) {
          if (z_.avail_in < 2 && !in_eof_) {
            // Need two bytes to decide: gather one more.
            unsigned char first = z_.next_in[0];
            auto r = inner_->read(reinterpret_cast<char*>(in_.data() + 1), in_.size() - 1);
            if (!r) return std::move(r).error();
            in_[0] = first;
            z_.next_in = in_.data();
            z_.avail_in = static_cast<uInt>(1 + *r);
            if (*r == 0) in_eof_ = true;
          }
          if (z_.avail_in < 2 || z_.next_in[0] != 0x1f || z_.next_in[1] != 0x8b) {
            done_ = true;
            break;
          }
          inflateReset(&z_);
        }
        member_started_ = true;
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_started_ = false;
        ++members_;
        continue;
      }
      if (rc == Z_BUF_ERROR && z_.avail_in == 0) continue;  // needs more input
      if (rc != Z_OK) {
        return make_error(Errc::malformed, "corrupt gzip data in " + name() + ": " +
                                               (z_.msg ? z_.msg : zError(rc)));
      }
    }
    return static_cast<size_t>(want - z_.avail_out);
  }
  const std::string& name() const noexcept override { return inner_->name(); }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::vector<unsigned char> in_;
  z_stream z_;
  bool init_ok_ = false;
  bool in_eof_ = false;
  bool done_ = false;
  bool member_started_ = false;
  size_t members_ = 0;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<ByteSource> inner)
      : inner_(std::move(inner)), in_(ZSTD_DStreamInSize()), ds_(ZSTD_createDStream()) {
    if (ds_) ZSTD_initDStream(ds_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  Result<size_t> read(char* dst, size_t n) override {
    if (!ds_) return make_error(Errc::internal, "cannot initialise zstd for " + name());
    if (done_ || n == 0) return size_t{0};
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos == 0) {
      if (in_buf_.pos == in_buf_.size && !in_eof_) {
        auto r = inner_->read(in_.data(), in_.size());
        if (!r) return std::move(r).error();
        if (*r == 0) in_eof_ = true;
        in_buf_ = ZSTD_inBuffer{in_.data(), *r, 0};
      }
      const bool input_done = in_eof_ && in_buf_.pos == in_buf_.size;
      if (input_done && last_ == 0) {
        done_ = true;
        break;
      }
      size_t before_in = in_buf_.pos;
      size_t rc = ZSTD_decompressStream(ds_, &out, &in_buf_);
      if (ZSTD_isError(rc))
        return make_error(Errc::malformed, "corrupt zstd data in " + name() + ": " + ZSTD_getErrorName(rc));
      last_ = rc;
      if (input_done && out.pos == 0 && in_buf_.pos == before_in) {
        if (last_ != 0)
          return make_error(Errc::malformed, "corrupt zstd data in " + name() + ": unexpected end of stream");
        done_ = true;
        break;
      }
    }
    return out.pos;
  }
  const std::string& name() const noexcept override { return inner_->name(); }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::vector<char> in_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  bool in_eof_ = false;
  bool done_ = false;
  size_t last_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path) {
  if (path == "-") return std::unique_ptr<ByteSource>(new FdSource(0, false, "<stdin>"));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::io, "cannot open " + path + ": " + std::strerror(EISDIR));
  }
#ifdef POSIX_FADV_SEQUENTIAL
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return std::unique_ptr<ByteSource>(new FdSource(fd, true, path));
}

std::unique_ptr<ByteSource> make_memory_source(std::string data, size_t max_read, std::string name) {
  return std::make_unique<MemorySource>(std::move(data), max_read, std::move(name));
}

std::unique_ptr<ByteSource> make_prefixed_source(std::string prefix, std::unique_ptr<ByteSource> inner) {
  return std::make_unique<PrefixedSource>(std::move(prefix), std::move(inner));
}

std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> inner) {
  return std::make_unique<GzipSource>(std::move(inner));
}

std::unique_ptr<ByteSource> make_zstd_source(std::unique_ptr<ByteSource> inner) {
  return std::make_unique<ZstdSource>(std::move(inner));
}

Result<size_t> read_full(ByteSource& src, char* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    auto r = src.read(dst + got, n - got);
    if (!r) return std::move(r).error();
    if (*r == 0) break;
    got += *r;
  }
  return got;
}

}  // namespace lachan::io
