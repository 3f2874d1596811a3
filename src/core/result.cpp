#include "core/result.h"

namespace lachan {

const char* errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::ok: return "ok";
    case Errc::io: return "io";
    case Errc::malformed: return "malformed";
    case Errc::unsupported: return "unsupported";
    case Errc::invalid_rule: return "invalid_rule";
    case Errc::invalid_config: return "invalid_config";
    case Errc::limit: return "limit";
    case Errc::internal: return "internal";
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::denied: return "denied";
    case Errc::busy: return "busy";
  }
  return "unknown";
}

}  // namespace lachan
