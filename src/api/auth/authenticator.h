#pragma once

#include <string>
#include <string_view>

#include "api/http_types.h"
#include "task/error.h"

namespace streamrelay::api {

// The actions of the contract's permission model.
inline constexpr std::string_view kCreateAction = "live:stream:createPullTask";
inline constexpr std::string_view kListAction = "live:stream:listPullTask";
inline constexpr std::string_view kModifyAction = "live:stream:modifyPullTask";
inline constexpr std::string_view kDeleteAction = "live:stream:deletePullTask";

// Decides whether a request may perform an action on a project: unauthenticated (401) when
// the credentials are missing or wrong, forbidden (403) when they are valid elsewhere only.
// Returns who is asking (for rate limits and logs; never a secret).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual task::Result<std::string> authorize(const HttpRequest& request,
                                              const std::string& project_id,
                                              std::string_view action) = 0;
};

// No credentials configured: everything is allowed (the server then listens on loopback only).
class OpenAuthenticator final : public Authenticator {
 public:
  task::Result<std::string> authorize(const HttpRequest& request, const std::string&,
                                      std::string_view) override {
    return "open:" + request.peer_address;
  }
};

}  // namespace streamrelay::api
