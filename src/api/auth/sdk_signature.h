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

// The payload hash a signed request is checked with: always the SHA-256 of the body received.
// An `X-Sdk-Content-Sha256` header is honoured only when it is signed and equals that hash, or
// is `UNSIGNED-PAYLOAD` on a request without a body; nullopt when the header breaks that rule.
std::optional<std::string> sdk_payload_hash(const HttpRequest& request,
                                            const std::vector<std::string>& signed_headers);

// The canonical request the SDK signs, rebuilt from what arrived: method, URI (each segment
// encoded, with a trailing slash), sorted query, the signed headers, the payload hash.
std::string sdk_canonical_request(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash);

// hex(HMAC-SHA256(secret, "SDK-HMAC-SHA256\n" + date + "\n" + hex(SHA-256(canonical)))).
std::string sdk_signature(std::string_view secret, std::string_view date,
                          std::string_view canonical_request);

}  // namespace streamrelay::api
