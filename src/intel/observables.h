// The observable values of an event (addresses, domains, URLs, e-mail addresses, file hashes,
// JA3/JA4, file names) found by well-known field names of the sources we decode: Windows and
// Sysmon, Linux, Zeek, Suricata, web servers, proxies, firewalls, CEF and ECS. The matcher asks the
// snapshot about each.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "intel/snapshot.h"

namespace lachan::intel {

class ObservableExtractor {
 public:
  // Replaces `out` with the observables of `event` (at most `max`), pointing into the event's
  // parsed document (valid while it is).
  void extract(simdjson::dom::element event, std::vector<EventObservable>& out, size_t max = 64);

 private:
  void walk(simdjson::dom::element v, std::string_view parent, std::string_view key, int depth,
            std::vector<EventObservable>& out, size_t max);
  void add(ValueType t, std::string_view v, std::vector<EventObservable>& out, size_t max);
  std::string last_, last2_;
};

}  // namespace lachan::intel
