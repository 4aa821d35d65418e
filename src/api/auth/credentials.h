#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/auth/authenticator.h"
#include "task/clock.h"
#include "task/error.h"

namespace streamrelay::api {

// What one credential may do: projects and actions, "*" meaning all.
struct Grant {
  std::vector<std::string> projects;
  std::vector<std::string> actions;

  bool allows_project(std::string_view project) const;
  bool allows_action(std::string_view action) const;
};

struct TokenCredential {
  std::string token;
  Grant grant;
};

struct AccessKeyCredential {
  std::string access_key;
  std::string secret_key;
  Grant grant;
};

struct Credentials {
  std::vector<TokenCredential> tokens;
  std::vector<AccessKeyCredential> access_keys;

  bool is_empty() const { return tokens.empty() && access_keys.empty(); }
};

// Reads the credentials file (JSON; format in the README).
task::Result<Credentials> load_credentials(const std::string& path);
task::Result<Credentials> parse_credentials(const std::string& text);

// Checks X-Auth-Token against the configured tokens, or an SDK-HMAC-SHA256 signature made with
// a configured access key (X-Sdk-Date within 15 minutes of the server's clock).
class CredentialAuthenticator final : public Authenticator {
 public:
  // A signed request's date may be this far from the server's clock either way.
  static constexpr int64_t kMaxClockSkewSeconds = 15 * 60;

  CredentialAuthenticator(Credentials credentials, const task::Clock& clock);
  task::Result<std::string> authorize(const HttpRequest& request, const std::string& project_id,
                                      std::string_view action) override;

 private:
  task::Result<std::string> authorize_signed(const HttpRequest& request,
                                             std::string_view authorization,
                                             const std::string& project_id,
                                             std::string_view action) const;
  const AccessKeyCredential* find_access_key(std::string_view key) const;
  task::Status check_grant(const Grant& grant, const std::string& project_id,
                           std::string_view action) const;

  Credentials credentials_;
  const task::Clock& clock_;
};

// Who a request claims to be, for logs of failed attempts: the access key id of a signed request,
// "token" for a token (never the token itself), "none".
std::string claimed_identity(const HttpRequest& request);

// Compares secrets in time independent of where they differ.
bool secrets_equal(std::string_view a, std::string_view b);

}  // namespace streamrelay::api
