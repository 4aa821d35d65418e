// Feeds arbitrary bytes to the AK/SK signature parsing and canonicalisation: the first line is
// the Authorization header, the second the request target, the rest the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/auth/sdk_signature.h"
#include "api/url_query.h"

using namespace streamrelay;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t first = input.find('\n');
  std::string header = input.substr(0, first);
  std::string rest = first == std::string::npos ? "" : input.substr(first + 1);
  size_t second = rest.find('\n');
  api::HttpRequest request;
  request.method = "POST";
  request.target = rest.substr(0, second);
  request.body = second == std::string::npos ? "" : rest.substr(second + 1);
  request.headers["authorization"] = header;
  request.headers["x-sdk-date"] = header.substr(0, 16);
  request.headers["host"] = "127.0.0.1:8080";
  if (auto parsed = api::parse_sdk_authorization(header)) {
    request.headers["x-sdk-content-sha256"] = header.substr(0, 64);
    auto payload_hash = api::sdk_payload_hash(request, parsed->signed_headers);
    std::string canonical =
        api::sdk_canonical_request(request, parsed->signed_headers, payload_hash.value_or(""));
    (void)api::sdk_signature("secret", "20260101T000000Z", canonical);
  }
  (void)api::parse_sdk_date(header);
  (void)api::parse_query(request.target);
  (void)api::split_path(request.target);
  return 0;
}
