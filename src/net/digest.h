#pragma once

#include <string>
#include <string_view>

namespace streamrelay::net {

// Lower-case hex digests (OpenSSL), for request signatures and callback signatures.
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace streamrelay::net
