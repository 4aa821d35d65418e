#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"

namespace streamrelay::api {

// The parts of an `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`
// header, the AK/SK request signing of the cloud vendor's SDKs.
struct SdkAuthorization {
  std::string access_key;
  std::vector<std::string> signed_headers;  // lower case, in the order given
  std::string signature;                    // lower-case hex
};

inline constexpr std::string_view kSdkAlgorithm = "SDK-HMAC-SHA256";

std::optional<SdkAuthorization> parse_sdk_authorization(std::string_view header);

// "20060102T150405Z" -> unix seconds.
std::optional<int64_t> parse_sdk_date(std::string_view text);

// The signer's percent-encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper case).
std::string sdk_url_encode(std::string_view text);

// The canonical request the SDK signs, rebuilt from what arrived: method, URI (each segment
// encoded, with a trailing slash), sorted query, the signed headers, the payload's SHA-256.
std::string sdk_canonical_request(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers);

// hex(HMAC-SHA256(secret, "SDK-HMAC-SHA256\n" + date + "\n" + hex(SHA-256(canonical)))).
std::string sdk_signature(std::string_view secret, std::string_view date,
                          std::string_view canonical_request);

}  // namespace streamrelay::api
