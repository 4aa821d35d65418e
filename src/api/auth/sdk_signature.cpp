#include "api/auth/sdk_signature.h"

#include <algorithm>
#include <map>

#include "api/url_query.h"
#include "net/digest.h"
#include "task/time_format.h"

namespace streamrelay::api {
namespace {

// What the SDKs put in X-Sdk-Content-Sha256 when they do not hash the body (uploads).
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string canonical_uri(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (start > 0) out += '/';
    out += sdk_url_encode(percent_decode(path.substr(start, end - start), false));
    start = end + 1;
  }
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::map<std::string, std::vector<std::string>> params;
  for (auto& [key, value] : parse_query(query)) params[key].push_back(value);
  std::string out;
  for (auto& [key, values] : params) {
    std::sort(values.begin(), values.end());
    for (const std::string& value : values) {
      if (!out.empty()) out += '&';
      out += sdk_url_encode(key) + "=" + sdk_url_encode(value);
    }
  }
  return out;
}

}  // namespace

std::optional<SdkAuthorization> parse_sdk_authorization(std::string_view header) {
  header = trim(header);
  if (header.substr(0, kSdkAlgorithm.size()) != kSdkAlgorithm) return std::nullopt;
  header.remove_prefix(kSdkAlgorithm.size());
  SdkAuthorization auth;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = trim(header.substr(start, end - start));
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view name = trim(part.substr(0, eq));
      std::string_view value = trim(part.substr(eq + 1));
      if (name == "Access") auth.access_key = std::string(value);
      if (name == "Signature") auth.signature = lower(value);
      if (name == "SignedHeaders") {
        size_t from = 0;
        while (from <= value.size()) {
          size_t to = value.find(';', from);
          if (to == std::string_view::npos) to = value.size();
          if (to > from) auth.signed_headers.push_back(lower(value.substr(from, to - from)));
          from = to + 1;
        }
      }
    }
    start = end + 1;
  }
  if (auth.access_key.empty() || auth.signature.empty() || auth.signed_headers.empty()) {
    return std::nullopt;
  }
  return auth;
}

std::optional<int64_t> parse_sdk_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  std::string iso = std::string(text.substr(0, 4)) + "-" + std::string(text.substr(4, 2)) + "-" +
                    std::string(text.substr(6, 2)) + "T" + std::string(text.substr(9, 2)) + ":" +
                    std::string(text.substr(11, 2)) + ":" + std::string(text.substr(13, 2)) + "Z";
  return task::parse_utc(iso);
}

std::string sdk_url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::optional<std::string> sdk_payload_hash(const HttpRequest& request,
                                            const std::vector<std::string>& signed_headers) {
  std::string body_hash = net::sha256_hex(request.body);
  auto claimed = request.header("x-sdk-content-sha256");
  if (!claimed) return body_hash;
  bool is_signed = std::find(signed_headers.begin(), signed_headers.end(),
                             "x-sdk-content-sha256") != signed_headers.end();
  if (!is_signed) return std::nullopt;
  std::string value(trim(*claimed));
  if (value == kUnsignedPayload && request.body.empty()) return value;
  if (lower(value) != body_hash) return std::nullopt;
  return value;
}

std::string sdk_canonical_request(const HttpRequest& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  auto [path, query] = split_target(request.target);
  std::string headers;
  std::string names;
  for (const std::string& name : signed_headers) {
    headers += name + ":" + std::string(trim(request.header(name).value_or(""))) + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  return request.method + "\n" + canonical_uri(path) + "\n" + canonical_query(query) + "\n" +
         headers + "\n" + names + "\n" + std::string(payload_hash);
}

std::string sdk_signature(std::string_view secret, std::string_view date,
                          std::string_view canonical_request) {
  std::string to_sign = std::string(kSdkAlgorithm) + "\n" + std::string(date) + "\n" +
                        net::sha256_hex(canonical_request);
  return net::hmac_sha256_hex(secret, to_sign);
}

}  // namespace streamrelay::api
