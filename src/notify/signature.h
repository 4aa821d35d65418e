#pragma once

#include <string>
#include <string_view>

namespace streamrelay::notify {

// The X-Relay-Signature value of the contract: "sha256=" + hex HMAC(key, timestamp "." body).
std::string callback_signature(std::string_view key, std::string_view timestamp,
                               std::string_view body);

}  // namespace streamrelay::notify
