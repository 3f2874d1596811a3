// A TOML document parsed with its errors as Result: invalid_config naming origin:line:column.
// Header-only (toml++); modules that include it link tomlplusplus.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/result.h"

namespace lachan {

inline Result<toml::table> parse_toml(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, std::string(origin));
  } catch (const toml::parse_error& e) {
    return make_error(Errc::invalid_config, fmt::format("{}:{}:{}: {}", origin, e.source().begin.line,
                                                        e.source().begin.column, e.description()));
  }
}

}  // namespace lachan
