#include "notify/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace streamrelay::notify {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0F];
  }
  return hex;
}

std::string callback_signature(std::string_view key, std::string_view timestamp,
                               std::string_view body) {
  std::string message(timestamp);
  message += '.';
  message += body;
  return "sha256=" + hmac_sha256_hex(key, message);
}

}  // namespace streamrelay::notify
