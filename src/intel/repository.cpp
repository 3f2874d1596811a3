#include "intel/repository.h"

#include <boost/json.hpp>

#include "intel/json_fields.h"
#include "store/common.h"

namespace lachan::intel {
namespace json = boost::json;

std::string indicator_to_json(const Indicator& ind) {
  json::object o;
  o["ref"] = ind.ref;
  if (!ind.name.empty()) o["name"] = ind.name;
  if (!ind.description.empty()) o["description"] = ind.description;
  o["pattern"] = ind.pattern;
  json::array any;
  for (const auto& conj : ind.any_of) {
    json::array c;
    for (const auto& ob : conj) c.emplace_back(json::array{json::string(value_type_name(ob.type)), json::string(ob.value)});
    any.emplace_back(std::move(c));
  }
  o["any_of"] = std::move(any);
  o["source"] = ind.source;
  if (!ind.source_ref.empty()) o["source_ref"] = ind.source_ref;
  o["tlp"] = tlp_name(ind.tlp);
  o["confidence"] = ind.confidence;
  o["created"] = ind.created_ms;
  o["modified"] = ind.modified_ms;
  if (ind.valid_from_ms) o["valid_from"] = ind.valid_from_ms;
  if (ind.valid_until_ms) o["valid_until"] = ind.valid_until_ms;
  if (!ind.tags.empty()) o["tags"] = jsonf::strings(ind.tags);
  if (!ind.attack.empty()) o["attack"] = jsonf::strings(ind.attack);
  if (!ind.kill_chain.empty()) o["kill_chain"] = jsonf::strings(ind.kill_chain);
  if (ind.revoked) o["revoked"] = true;
  return json::serialize(o);
}

Result<Indicator> indicator_from_json(std::string_view text) {
  std::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_object()) return make_error(Errc::malformed, "stored indicator is not a JSON object");
  const json::object& o = v.get_object();
  Indicator ind;
  ind.ref = jsonf::str(o, "ref");
  ind.name = jsonf::str(o, "name");
  ind.description = jsonf::str(o, "description");
  ind.pattern = jsonf::str(o, "pattern");
  ind.source = jsonf::str(o, "source");
  ind.source_ref = jsonf::str(o, "source_ref");
  auto tlp = parse_tlp(jsonf::str(o, "tlp"));
  if (!tlp) return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad tlp");
  ind.tlp = *tlp;
  ind.confidence = static_cast<int>(jsonf::i64(o, "confidence", -1));
  ind.created_ms = jsonf::i64(o, "created", 0);
  ind.modified_ms = jsonf::i64(o, "modified", 0);
  ind.valid_from_ms = jsonf::i64(o, "valid_from", 0);
  ind.valid_until_ms = jsonf::i64(o, "valid_until", 0);
  if (const json::value* r = o.if_contains("revoked"); r && r->is_bool()) ind.revoked = r->get_bool();
  if (!jsonf::strings_into(o, "tags", ind.tags) || !jsonf::strings_into(o, "attack", ind.attack) ||
      !jsonf::strings_into(o, "kill_chain", ind.kill_chain))
    return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad list");
  const json::value* any = o.if_contains("any_of");
  if (any) {
    const json::array* a = any->if_array();
    if (!a) return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad any_of");
    for (const auto& c : *a) {
      const json::array* ca = c.if_array();
      if (!ca) return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad any_of");
      std::vector<Observable> conj;
      for (const auto& ob : *ca) {
        const json::array* pair = ob.if_array();
        if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string())
          return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad observable");
        auto t = parse_value_type(std::string_view((*pair)[0].get_string()));
        if (!t) return make_error(Errc::malformed, "stored indicator " + ind.ref + ": bad observable type");
        conj.push_back({*t, std::string((*pair)[1].get_string())});
      }
      ind.any_of.push_back(std::move(conj));
    }
  }
  return ind;
}

store::IntelRecord to_record(const Indicator& ind, std::string_view collection) {
  store::IntelRecord r;
  r.ref = ind.ref;
  r.kind = "indicator";
  r.collection = std::string(collection);
  r.source = ind.source;
  r.tlp = static_cast<int>(ind.tlp);
  r.modified = ind.modified_ms ? ind.modified_ms : ind.created_ms;
  r.valid_until = ind.valid_until_ms;
  r.revoked = ind.revoked;
  r.body = indicator_to_json(ind);
  return r;
}

store::IntelRecord to_record(const IntelObject& obj, std::string_view collection) {
  store::IntelRecord r;
  r.ref = obj.id;
  r.kind = obj.type;
  r.collection = std::string(collection);
  r.source = obj.name;
  r.tlp = static_cast<int>(obj.tlp);
  r.modified = obj.modified_ms;
  r.body = obj.json;
  return r;
}

Result<ImportSummary> Repository::put(const ImportBatch& batch, std::string_view collection, int64_t now_ms) {
  std::vector<store::IntelRecord> records;
  records.reserve(batch.indicators.size() + batch.objects.size());
  for (const auto& i : batch.indicators) records.push_back(to_record(i, collection));
  for (const auto& o : batch.objects) records.push_back(to_record(o, collection));
  auto st = store_.put_intel(records, now_ms);
  if (!st) return std::move(st).error();
  if (st->added > 0) {
    // Every server on this data dir rebuilds its snapshot when the generation changes.
    auto id = store::random_hex(8);
    (void)store_.put_state("intel", "generation", std::to_string(now_ms) + "-" + (id.ok() ? *id : std::string("x")),
                           now_ms);
  }
  ImportSummary s;
  s.indicators = static_cast<int64_t>(batch.indicators.size());
  s.objects = static_cast<int64_t>(batch.objects.size());
  s.added = st->added;
  s.unchanged = st->unchanged;
  s.notes = batch.notes;
  if (st->added > 0)
    for (const auto& i : batch.indicators) s.new_refs.push_back(i.ref);
  return s;
}

Result<std::shared_ptr<const Snapshot>> Repository::snapshot(int64_t now_ms) {
  SnapshotBuilder b;
  Error bad;
  size_t corrupt = 0;
  auto r = store_.scan_latest_intel("indicator", [&](store::IntelRecord&& rec) {
    if (rec.valid_until && rec.valid_until < now_ms) return;
    auto ind = indicator_from_json(rec.body);
    if (!ind) {
      if (corrupt++ == 0) bad = ind.error();
      return;
    }
    b.add(*ind);
  });
  if (!r) return std::move(r).error();
  if (corrupt) return make_error(Errc::internal, std::to_string(corrupt) + " stored indicators unreadable: " + bad.message);
  return b.build(now_ms);
}

Result<std::vector<Indicator>> Repository::indicators(const std::vector<std::string>& refs) {
  std::vector<Indicator> out;
  for (size_t i = 0; i < refs.size(); i += 400) {
    store::IntelQuery q;
    q.refs.assign(refs.begin() + static_cast<long>(i), refs.begin() + static_cast<long>(std::min(refs.size(), i + 400)));
    q.kinds = {"indicator"};
    q.limit = 5000;
    auto page = store_.query_intel(q);
    if (!page) return std::move(page).error();
    for (const auto& rec : page->items) {
      auto ind = indicator_from_json(rec.body);
      if (!ind) return std::move(ind).error();
      out.push_back(std::move(*ind));
    }
  }
  return out;
}

}  // namespace lachan::intel
