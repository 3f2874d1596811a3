#include "intel/snapshot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "core/strings.h"

namespace lachan::intel {
namespace {

uint32_t to_seconds(int64_t ms) noexcept {
  if (ms <= 0) return 0;
  int64_t s = ms / 1000;
  return s > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(s);
}

// The host of a URL ("http://user@Host:8080/x" -> "Host"), empty when there is none.
std::string_view url_host(std::string_view url) noexcept {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    return close == std::string_view::npos ? std::string_view{} : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find(':'));
}

bool is_ip_text(std::string_view s) noexcept {
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s.front())) || s.find(':') != std::string_view::npos);
}

}  // namespace

double decayed_score(int confidence, ValueType type, int64_t asserted_ms, int64_t now_ms) noexcept {
  double base = confidence < 0 ? 50.0 : std::min(100, confidence);
  double half_life_days = 0;
  switch (type) {
    case ValueType::ip: half_life_days = 30; break;
    case ValueType::domain:
    case ValueType::url: half_life_days = 90; break;
    case ValueType::email: half_life_days = 180; break;
    default: return base;
  }
  if (asserted_ms <= 0 || now_ms <= asserted_ms) return base;
  double days = static_cast<double>(now_ms - asserted_ms) / 86'400'000.0;
  return base * std::exp2(-days / half_life_days);
}

HitText describe_hit(const IndicatorView& v, const EventObservable& o, bool retro) {
  HitText t;
  t.rule_id = retro ? "retro:" + std::string(v.ref) : std::string(v.ref);
  t.title = fmt::format("{}hreat intelligence: {} {} ({})", retro ? "Retrospective t" : "T", value_type_name(o.type),
                        o.value, v.source.empty() ? "unknown source" : v.source);
  t.tags = {"lachan.intel"};
  if (retro) t.tags.emplace_back("lachan.retro");
  t.tags.push_back(std::string("tlp.") + tlp_name(v.tlp));
  t.tags.push_back("intel.source:" + std::string(v.source));
  for (const auto& tag : v.tags) t.tags.push_back(tag.rfind("attack:", 0) == 0 ? "attack." + to_lower(tag.substr(7)) : tag);
  return t;
}

store::Severity severity_for_score(double score) noexcept {
  if (score >= 80) return store::Severity::high;
  if (score >= 50) return store::Severity::medium;
  if (score >= 20) return store::Severity::low;
  return store::Severity::informational;
}

IndicatorView Snapshot::indicator(uint32_t i) const {
  const Meta& m = meta_[i];
  IndicatorView v;
  v.ref = std::string_view(refs_).substr(m.ref_off, m.ref_len);
  v.source = sources_[m.source];
  v.tlp = static_cast<Tlp>(m.tlp);
  v.confidence = m.confidence;
  v.modified_ms = int64_t{m.modified_s} * 1000;
  v.valid_from_ms = int64_t{m.valid_from_s} * 1000;
  v.valid_until_ms = int64_t{m.valid_until_s} * 1000;
  v.tags = tagsets_[m.tagset];
  return v;
}

void Snapshot::match(std::span<const EventObservable> observables, int64_t now_ms, std::vector<Hit>& out) const {
  out.clear();
  if (meta_.empty()) return;
  const uint32_t now_s = to_seconds(now_ms);
  // Terms found in this event (each once), then the conjunctions they advance.
  struct Found {
    uint32_t term;
    uint16_t obs;
  };
  Found found[64];
  size_t nfound = 0;
  auto add_term = [&](std::optional<IndicatorId> t, size_t obs) {
    if (!t || nfound == std::size(found)) return;
    for (size_t k = 0; k < nfound; ++k)
      if (found[k].term == *t) return;
    found[nfound++] = {*t, static_cast<uint16_t>(obs)};
  };
  for (size_t i = 0; i < observables.size(); ++i) {
    const auto& o = observables[i];
    add_term(index_->match(o.type, o.value), i);
    if (o.type == ValueType::url) {  // a URL also stands for its host
      std::string_view host = url_host(o.value);
      if (!host.empty()) add_term(is_ip_text(host) ? index_->match_ip(host) : index_->match_domain(host), i);
    }
  }
  if (nfound == 0) return;
  struct Partial {
    uint32_t indicator;
    uint16_t conj, count;
  };
  Partial partial[64];
  size_t npartial = 0;
  auto hit = [&](uint32_t ind, uint16_t obs) {
    for (const Hit& h : out)
      if (h.indicator == ind) return;
    out.push_back({ind, obs});
  };
  for (size_t k = 0; k < nfound; ++k) {
    uint32_t t = found[k].term;
    for (uint32_t p = term_begin_[t]; p < term_begin_[t + 1]; ++p) {
      const Posting& post = postings_[p];
      const Meta& m = meta_[post.indicator];
      if ((m.valid_from_s && m.valid_from_s > now_s) || (m.valid_until_s && m.valid_until_s < now_s)) continue;
      if (post.conj_size <= 1) {
        hit(post.indicator, found[k].obs);
        continue;
      }
      size_t j = 0;
      while (j < npartial && !(partial[j].indicator == post.indicator && partial[j].conj == post.conj)) ++j;
      if (j == npartial) {
        if (npartial == std::size(partial)) continue;
        partial[npartial++] = {post.indicator, post.conj, 0};
      }
      if (++partial[j].count == post.conj_size) hit(post.indicator, found[k].obs);
    }
  }
}

size_t Snapshot::memory_bytes() const noexcept {
  size_t n = sizeof(*this) + (index_ ? index_->memory_bytes() : 0) + term_begin_.capacity() * sizeof(uint32_t) +
             postings_.capacity() * sizeof(Posting) + meta_.capacity() * sizeof(Meta) + refs_.capacity();
  for (const auto& s : sources_) n += sizeof(s) + s.capacity();
  for (const auto& ts : tagsets_) {
    n += sizeof(ts);
    for (const auto& t : ts) n += sizeof(t) + t.capacity();
  }
  return n;
}

struct SnapshotBuilder::Impl {
  IndexBuilder index;
  std::unordered_map<std::string, uint32_t> terms;  // type tag + normal form -> term id
  std::vector<std::pair<uint32_t, Snapshot::Posting>> postings;
  std::vector<Snapshot::Meta> meta;
  std::string refs;
  std::unordered_map<std::string, uint16_t> source_ids;
  std::vector<std::string> sources;
  std::unordered_map<std::string, uint32_t> tagset_ids;
  std::vector<std::vector<std::string>> tagsets;
  std::string key;
};

SnapshotBuilder::SnapshotBuilder() : impl_(std::make_unique<Impl>()) {}
SnapshotBuilder::~SnapshotBuilder() = default;
size_t SnapshotBuilder::size() const noexcept { return impl_->meta.size(); }

bool SnapshotBuilder::add(const Indicator& ind) {
  Impl& b = *impl_;
  const uint32_t id = static_cast<uint32_t>(b.meta.size());
  size_t added = 0;
  for (size_t c = 0; c < ind.any_of.size() && c < 65535; ++c) {
    // Distinct observables of this conjunction.
    std::vector<uint32_t> conj_terms;
    bool ok = true;
    for (const auto& o : ind.any_of[c]) {
      b.key.assign(1, static_cast<char>('a' + static_cast<int>(o.type)));
      b.key += o.value;
      auto [it, fresh] = b.terms.try_emplace(b.key, static_cast<uint32_t>(b.terms.size()));
      if (fresh && !b.index.add(o.type, o.value, it->second).ok()) {
        b.terms.erase(it);
        ok = false;
        break;
      }
      if (std::find(conj_terms.begin(), conj_terms.end(), it->second) == conj_terms.end())
        conj_terms.push_back(it->second);
    }
    if (!ok || conj_terms.empty() || conj_terms.size() > 64) continue;
    for (uint32_t t : conj_terms)
      b.postings.push_back({t, {id, static_cast<uint16_t>(c), static_cast<uint16_t>(conj_terms.size())}});
    ++added;
  }
  if (added == 0) return false;
  Snapshot::Meta m;
  m.ref_off = static_cast<uint32_t>(b.refs.size());
  m.ref_len = static_cast<uint16_t>(std::min<size_t>(ind.ref.size(), 65535));
  b.refs.append(ind.ref, 0, m.ref_len);
  auto [sit, snew] = b.source_ids.try_emplace(ind.source, static_cast<uint16_t>(b.sources.size()));
  if (snew) {
    if (b.sources.size() >= 65535) {
      b.source_ids.erase(sit);
      sit = b.source_ids.find(b.sources.back());
    } else {
      b.sources.push_back(ind.source);
    }
  }
  m.source = sit->second;
  std::vector<std::string> tags = ind.tags;
  for (const auto& a : ind.attack) tags.push_back("attack:" + a);
  std::string joined;
  for (const auto& t : tags) joined.append(t).push_back('\n');
  auto [tit, tnew] = b.tagset_ids.try_emplace(joined, static_cast<uint32_t>(b.tagsets.size()));
  if (tnew) b.tagsets.push_back(std::move(tags));
  m.tagset = tit->second;
  m.valid_from_s = to_seconds(ind.valid_from_ms);
  m.valid_until_s = to_seconds(ind.valid_until_ms);
  m.modified_s = to_seconds(ind.modified_ms ? ind.modified_ms : ind.valid_from_ms);
  m.tlp = static_cast<uint8_t>(ind.tlp);
  m.confidence = static_cast<int8_t>(std::clamp(ind.confidence, -1, 100));
  m.type = static_cast<uint8_t>(ind.any_of.front().empty() ? ValueType::ip : ind.any_of.front().front().type);
  b.meta.push_back(m);
  return true;
}

std::shared_ptr<const Snapshot> SnapshotBuilder::build(int64_t now_ms) {
  Impl& b = *impl_;
  auto s = std::shared_ptr<Snapshot>(new Snapshot());
  const size_t nterms = b.terms.size();
  b.terms = {};  // free the build map before the tables are allocated
  s->term_begin_.assign(nterms + 1, 0);
  for (const auto& [t, p] : b.postings) ++s->term_begin_[t + 1];
  for (size_t t = 0; t < nterms; ++t) s->term_begin_[t + 1] += s->term_begin_[t];
  s->postings_.resize(b.postings.size());
  std::vector<uint32_t> fill(s->term_begin_.begin(), s->term_begin_.end() - 1);
  for (const auto& [t, p] : b.postings) s->postings_[fill[t]++] = p;
  b.postings = {};
  s->index_ = b.index.build();
  s->meta_ = std::move(b.meta);
  s->meta_.shrink_to_fit();
  s->refs_ = std::move(b.refs);
  s->refs_.shrink_to_fit();
  s->sources_ = std::move(b.sources);
  if (s->sources_.empty()) s->sources_.emplace_back();
  s->tagsets_ = std::move(b.tagsets);
  if (s->tagsets_.empty()) s->tagsets_.emplace_back();
  s->built_ms_ = now_ms;
  impl_ = std::make_unique<Impl>();
  return s;
}

SnapshotHolder::SnapshotHolder() : s_(SnapshotBuilder().build(0)) {}

}  // namespace lachan::intel
