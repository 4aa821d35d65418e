#include "api/auth/credentials.h"

#include "api/auth/sdk_signature.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace streamrelay::api {
namespace {

using nlohmann::json;

// Every authentication failure reads the same way, whatever the reason.
task::Error authentication_failed(std::string_view reason) {
  return {task::ErrorKind::unauthenticated,
          "Incorrect IAM authentication information: " + std::string(reason)};
}

// The secret an unknown access key is checked with (see authorize_signed).
constexpr std::string_view kUnknownKeySecret = "no-such-access-key";

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool contains_or_star(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return item == "*" || item == value; });
}

task::Result<Grant> read_grant(const json& entry, const std::string& where) {
  Grant grant;
  for (const char* key : {"projects", "actions"}) {
    auto& out = std::string_view(key) == "projects" ? grant.projects : grant.actions;
    if (!entry.contains(key)) {
      out = {"*"};
      continue;
    }
    if (!entry[key].is_array()) return task::invalid(where + "." + key + " must be an array");
    for (const json& item : entry[key]) {
      if (!item.is_string()) return task::invalid(where + "." + key + " must hold strings");
      out.push_back(item.get<std::string>());
    }
  }
  return grant;
}

task::Result<std::string> read_secret(const json& entry, const char* key,
                                      const std::string& where) {
  if (!entry.contains(key) || !entry[key].is_string() || entry[key].get<std::string>().empty()) {
    return task::invalid(where + "." + key + " must be a non-empty string");
  }
  return entry[key].get<std::string>();
}

}  // namespace

bool Grant::allows_project(std::string_view project) const {
  return contains_or_star(projects, project);
}

bool Grant::allows_action(std::string_view action) const {
  return contains_or_star(actions, action);
}

bool secrets_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

task::Result<Credentials> parse_credentials(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return task::invalid("credentials file must be a JSON object");
  }
  Credentials credentials;
  if (doc.contains("tokens")) {
    if (!doc["tokens"].is_array()) return task::invalid("tokens must be an array");
    for (size_t i = 0; i < doc["tokens"].size(); ++i) {
      std::string where = "tokens[" + std::to_string(i) + "]";
      const json& entry = doc["tokens"][i];
      auto token = read_secret(entry, "token", where);
      if (!token) return token.error();
      auto grant = read_grant(entry, where);
      if (!grant) return grant.error();
      credentials.tokens.push_back({*token, *grant});
    }
  }
  if (doc.contains("access_keys")) {
    if (!doc["access_keys"].is_array()) return task::invalid("access_keys must be an array");
    for (size_t i = 0; i < doc["access_keys"].size(); ++i) {
      std::string where = "access_keys[" + std::to_string(i) + "]";
      const json& entry = doc["access_keys"][i];
      auto ak = read_secret(entry, "ak", where);
      if (!ak) return ak.error();
      auto sk = read_secret(entry, "sk", where);
      if (!sk) return sk.error();
      auto grant = read_grant(entry, where);
      if (!grant) return grant.error();
      credentials.access_keys.push_back({*ak, *sk, *grant});
    }
  }
  return credentials;
}

task::Result<Credentials> load_credentials(const std::string& path) {
  std::ifstream file(path);
  if (!file) return task::invalid("cannot read credentials file " + path);
  std::stringstream text;
  text << file.rdbuf();
  return parse_credentials(text.str());
}

CredentialAuthenticator::CredentialAuthenticator(Credentials credentials, const task::Clock& clock)
    : credentials_(std::move(credentials)), clock_(clock) {}

task::Status CredentialAuthenticator::check_grant(const Grant& grant, const std::string& project_id,
                                                  std::string_view action) const {
  if (!grant.allows_project(project_id)) {
    return task::Error{task::ErrorKind::forbidden,
                       "credentials are not granted project " + project_id};
  }
  if (!grant.allows_action(action)) {
    return task::Error{task::ErrorKind::forbidden,
                       "credentials are not granted action " + std::string(action)};
  }
  return task::ok_status();
}

task::Result<std::string> CredentialAuthenticator::authorize(const HttpRequest& request,
                                                             const std::string& project_id,
                                                             std::string_view action) {
  if (auto authorization = request.header("authorization")) {
    return authorize_signed(request, *authorization, project_id, action);
  }
  if (auto token = request.header("x-auth-token")) {
    for (size_t i = 0; i < credentials_.tokens.size(); ++i) {
      const TokenCredential& credential = credentials_.tokens[i];
      if (!secrets_equal(credential.token, *token)) continue;
      if (auto status = check_grant(credential.grant, project_id, action); !status) {
        return status.error();
      }
      return "token:" + std::to_string(i);
    }
    return authentication_failed("X-Auth-Token is not valid");
  }
  return authentication_failed(
      "credentials required: X-Auth-Token or an SDK-HMAC-SHA256 Authorization");
}

task::Result<std::string> CredentialAuthenticator::authorize_signed(const HttpRequest& request,
                                                                    std::string_view authorization,
                                                                    const std::string& project_id,
                                                                    std::string_view action) const {
  auto parsed = parse_sdk_authorization(authorization);
  if (!parsed) {
    return authentication_failed(
        "Authorization must be SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...");
  }
  auto date_text = request.header("x-sdk-date");
  auto date = date_text ? parse_sdk_date(*date_text) : std::nullopt;
  if (!date) return authentication_failed("X-Sdk-Date must be given as 20060102T150405Z");
  if (!contains(parsed->signed_headers, "x-sdk-date")) {
    return authentication_failed("SignedHeaders must include x-sdk-date");
  }
  if (std::llabs(clock_.now_seconds() - *date) > kMaxClockSkewSeconds) {
    return authentication_failed("X-Sdk-Date must be within 15 minutes of the server's time");
  }
  auto payload_hash = sdk_payload_hash(request, parsed->signed_headers);
  if (!payload_hash) {
    return authentication_failed(
        "X-Sdk-Content-Sha256 must be a signed header equal to the SHA-256 of the body");
  }
  const AccessKeyCredential* credential = find_access_key(parsed->access_key);
  // An unknown key is checked against a made-up secret, so its answer and its time are those of
  // a wrong signature: nobody learns which access keys exist.
  std::string_view secret = credential ? credential->secret_key : kUnknownKeySecret;
  std::string expected = sdk_signature(
      secret, *date_text, sdk_canonical_request(request, parsed->signed_headers, *payload_hash));
  if (!secrets_equal(expected, parsed->signature) || !credential) {
    return authentication_failed("the access key or the signature is not valid");
  }
  if (auto status = check_grant(credential->grant, project_id, action); !status) {
    return status.error();
  }
  return "ak:" + credential->access_key;
}

const AccessKeyCredential* CredentialAuthenticator::find_access_key(std::string_view key) const {
  const AccessKeyCredential* found = nullptr;
  for (const AccessKeyCredential& candidate : credentials_.access_keys) {
    if (secrets_equal(candidate.access_key, key)) found = &candidate;
  }
  return found;
}

std::string claimed_identity(const HttpRequest& request) {
  if (auto authorization = request.header("authorization")) {
    auto parsed = parse_sdk_authorization(*authorization);
    if (!parsed) return "unparsed-authorization";
    // The key id is the caller's text: printable characters only, and not too many, for the log.
    std::string key = parsed->access_key.substr(0, 64);
    std::replace_if(
        key.begin(), key.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f || c == '"'; },
        '?');
    return "access_key:" + key;
  }
  if (request.header("x-auth-token")) return "token";
  return "none";
}

}  // namespace streamrelay::api
