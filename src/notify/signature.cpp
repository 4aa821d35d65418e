#include "notify/signature.h"

#include "net/digest.h"

namespace streamrelay::notify {

std::string callback_signature(std::string_view key, std::string_view timestamp,
                               std::string_view body) {
  std::string message(timestamp);
  message += '.';
  message += body;
  return "sha256=" + net::hmac_sha256_hex(key, message);
}

}  // namespace streamrelay::notify
