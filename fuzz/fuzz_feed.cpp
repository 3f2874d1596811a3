// Fuzzes plain-feed bodies (downloaded from third parties: untrusted): the first byte picks one of
// a few definitions shaped like the bundled ones (line list, Spamhaus DROP, DShield tab CSV with a
// header and prefix column, DataPlane pipes, CSV with a type column, tags, times, confidence and
// TLP, JSON lines), the rest is the body. Invariants: success or a malformed/limit error; every
// indicator has one observable whose value is already in normal form, a ref naming the feed, and
// a pattern; (type, value) is never repeated; notes are capped.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "intel/feed.h"
#include "intel/stix_pattern.h"

using namespace lachan::intel;

namespace {

const std::vector<FeedDefinition>& definitions() {
  static const std::vector<FeedDefinition> defs = [] {
    const char* tomls[] = {
        "name = \"lines\"\nfile = \"x\"\ntype = \"auto\"\ndefault_scheme = \"http\"\n",
        "name = \"drop\"\nfile = \"x\"\ncomment = \";\"\nvalue_before = \";\"\ntype = \"ip\"\nmax_invalid_ratio = 1.0\n",
        "name = \"dshield\"\nfile = \"x\"\nformat = \"csv\"\ndelimiter = \"\\t\"\nheader = true\ntype = \"ip\"\n"
        "max_invalid_ratio = 1.0\n[columns]\nvalue = \"Start\"\nprefix = \"Netblock\"\n",
        "name = \"pipes\"\nfile = \"x\"\nformat = \"csv\"\ndelimiter = \"|\"\nquotes = false\ntype = \"ip\"\n"
        "expire_after = \"7d\"\nmax_invalid_ratio = 1.0\n[columns]\nvalue = 2\nlast_seen = 3\ntags = 4\n",
        "name = \"typed\"\nfile = \"x\"\nformat = \"csv\"\ntime_format = \"unix\"\nmax_invalid_ratio = 1.0\n"
        "[columns]\ntype = 0\nvalue = 1\ntags = 2\nfirst_seen = 3\nconfidence = 4\ntlp = 5\ndescription = 6\n"
        "[types]\nip = \"ip\"\ndomain = \"domain\"\nurl = \"url\"\nmd5 = \"md5\"\nsha256 = \"sha256\"\nemail = \"email\"\n",
        "name = \"ws\"\nfile = \"x\"\nformat = \"csv\"\ndelimiter = \"whitespace\"\ntype = \"auto\"\nmax_invalid_ratio = 0.5\n"
        "[columns]\nvalue = 1\n",
        "name = \"json\"\nfile = \"x\"\nformat = \"json-lines\"\ntype = \"auto\"\nmax_invalid_ratio = 1.0\n"
        "[columns]\nvalue = \"v\"\ntags = \"t\"\nfirst_seen = \"f\"\n",
    };
    std::vector<FeedDefinition> out;
    for (const char* t : tomls) {
      auto d = parse_feed_definition(t, "fuzz");
      if (!d) std::abort();
      d->max_bytes = 1 << 20;
      out.push_back(std::move(d.value()));
    }
    return out;
  }();
  return defs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& defs = definitions();
  const FeedDefinition& d = defs[data[0] % defs.size()];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = parse_feed(d, body, 1'700'000'000'000);
  if (!r) {
    if (r.error().code != lachan::Errc::malformed && r.error().code != lachan::Errc::limit) std::abort();
    if (r.error().message.empty()) std::abort();
    return 0;
  }
  if (r->notes.size() > 21) std::abort();
  std::set<std::pair<ValueType, std::string>> seen;
  for (const auto& i : r->indicators) {
    if (i.any_of.size() != 1 || i.any_of[0].size() != 1) std::abort();
    const Observable& o = i.any_of[0][0];
    if (normalise(o.type, o.value) != o.value) std::abort();
    if (!seen.emplace(o.type, o.value).second) std::abort();
    if (i.ref.rfind("feed--" + d.name + "--", 0) != 0 || i.pattern != pattern_for(o)) std::abort();
    if (i.source != d.name || i.valid_from_ms == 0) std::abort();
  }
  return 0;
}
