// base64url (RFC 4648 §5) without padding: the form Web Push uses for keys, salts and JWTs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lachan::notify {

std::string base64url_encode(std::string_view bytes);
// Accepts the unpadded form and, because some clients send it, trailing '=' padding; nullopt
// on any other character or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace lachan::notify
