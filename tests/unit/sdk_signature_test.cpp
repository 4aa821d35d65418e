// The signed-payload rules of SDK-HMAC-SHA256: the body received is what is checked.
#include <gtest/gtest.h>

#include "api/auth/sdk_signature.h"
#include "net/digest.h"

using namespace streamrelay;

namespace {

api::HttpRequest request_with(const std::string& body,
                              std::map<std::string, std::string> headers = {}) {
  api::HttpRequest request;
  request.method = "POST";
  request.target = "/v1/p1/pull/stream/task";
  request.body = body;
  request.headers = std::move(headers);
  return request;
}

const std::vector<std::string> kSigned = {"host", "x-sdk-date"};
const std::vector<std::string> kSignedWithHash = {"host", "x-sdk-content-sha256", "x-sdk-date"};

}  // namespace

TEST(SdkPayloadHash, IsTheHashOfTheBodyReceived) {
  EXPECT_EQ(api::sdk_payload_hash(request_with("{\"a\":1}"), kSigned),
            net::sha256_hex("{\"a\":1}"));
}

TEST(SdkPayloadHash, AnUnsignedContentHashHeaderIsRefused) {
  // The attack: the signature covers body A, the header claims A's hash, body B is sent.
  std::string claimed = net::sha256_hex("body A");
  auto request = request_with("body B", {{"x-sdk-content-sha256", claimed}});
  EXPECT_FALSE(api::sdk_payload_hash(request, kSigned).has_value());
  // Even when it matches the body, an unsigned header is not taken.
  auto honest = request_with("body A", {{"x-sdk-content-sha256", claimed}});
  EXPECT_FALSE(api::sdk_payload_hash(honest, kSigned).has_value());
}

TEST(SdkPayloadHash, ASignedContentHashHeaderMustEqualTheBodysHash) {
  std::string hash_a = net::sha256_hex("body A");
  EXPECT_EQ(api::sdk_payload_hash(request_with("body A", {{"x-sdk-content-sha256", hash_a}}),
                                  kSignedWithHash),
            hash_a);
  EXPECT_FALSE(api::sdk_payload_hash(request_with("body B", {{"x-sdk-content-sha256", hash_a}}),
                                     kSignedWithHash)
                   .has_value());
}

TEST(SdkPayloadHash, UnsignedPayloadOnlyWithoutABody) {
  auto empty = request_with("", {{"x-sdk-content-sha256", "UNSIGNED-PAYLOAD"}});
  EXPECT_EQ(api::sdk_payload_hash(empty, kSignedWithHash), "UNSIGNED-PAYLOAD");
  auto with_body = request_with("{}", {{"x-sdk-content-sha256", "UNSIGNED-PAYLOAD"}});
  EXPECT_FALSE(api::sdk_payload_hash(with_body, kSignedWithHash).has_value());
}

TEST(SdkPayloadHash, TheCanonicalRequestEndsWithTheCheckedHash) {
  auto request = request_with("{}", {{"host", "h"}, {"x-sdk-date", "20260101T000000Z"}});
  std::string hash = *api::sdk_payload_hash(request, kSigned);
  std::string canonical = api::sdk_canonical_request(request, kSigned, hash);
  EXPECT_EQ(canonical.substr(canonical.size() - hash.size()), hash);
  EXPECT_NE(canonical.find("\nhost:h\nx-sdk-date:20260101T000000Z\n"), std::string::npos);
}
