// Flattening one JSON record into an Event, by the ruleset's interned field names.
//
// Every leaf is the field named by its dotted path ("a.b.c"). Windows events in the evtx_dump
// shape {"Event":{"System":…,"EventData":…|"UserData":…}} also expose, as the Sigma
// specification names them: each EventData/UserData value by its own name; System values by
// their element name (EventID, Channel, Computer, Level, Task, Keywords, …), including EventID
// written {"#attributes":{"Qualifiers":…},"#text":N}; System attributes as Element_Attribute
// (Provider_Name, Execution_ProcessID, Security_UserID, TimeCreated_SystemTime, …).
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>

#include "core/event.h"
#include "core/result.h"

namespace lachan::detect {

class Flattener {
 public:
  // `fields` must outlive the flattener; `keywords`: also record every leaf for keyword search;
  // `full_paths`: also look Windows leaves up by their full dotted path.
  Flattener(const FieldRegistry& fields, bool keywords, bool full_paths)
      : fields_(fields), keywords_(keywords), full_paths_(full_paths), keyword_leaves_(keywords) {}

  // Parses `json` (with simdjson padding readable after it) and fills `event`.
  // Returns an error message on invalid JSON or a record that is not an object.
  Result<void> flatten(std::string_view json, Event& event);

  simdjson::dom::parser& parser() noexcept { return parser_; }

 private:
  // Adds the leaf `v` as field `f` (kNoField: a keyword value only, if keyword_leaves_).
  void leaf(FieldId f, simdjson::dom::element v, Event& e);
  void walk(simdjson::dom::element v, Event& e, int depth);
  void windows(simdjson::dom::object ev, Event& e);
  void windows_leaf(std::string_view name, simdjson::dom::element v, Event& e);
  void windows_nested(std::string_view name, simdjson::dom::element v, Event& e, int depth);
  std::string_view render(simdjson::dom::element v, Event& e, ValueKind& kind);

  const FieldRegistry& fields_;
  bool keywords_;
  bool full_paths_;
  simdjson::dom::parser parser_;
  std::string path_;
  std::string name_;      // nested Windows field names are built in here; only grows
  std::string stripped_;  // a Windows field name without spaces
  bool keyword_leaves_;   // leaves become keyword values: keywords_, except in the full-path walk
};

// The text of the first of `fields` the event has with a non-null value (correlation group-by
// and value fields, where a rule's aliases may name several).
std::optional<std::string> first_text(const Event& e, const std::vector<FieldId>& fields);

}  // namespace lachan::detect
