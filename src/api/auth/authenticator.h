#pragma once

#include <memory>
#include <mutex>
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

// Passes each request to the authenticator in force, which a reload replaces while requests are
// being served (a request already being checked finishes with the one it began with).
class ReloadableAuthenticator final : public Authenticator {
 public:
  explicit ReloadableAuthenticator(std::shared_ptr<Authenticator> current)
      : current_(std::move(current)) {}
  void replace(std::shared_ptr<Authenticator> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }
  task::Result<std::string> authorize(const HttpRequest& request, const std::string& project_id,
                                      std::string_view action) override {
    std::shared_ptr<Authenticator> current;
    {
      std::lock_guard lock(mutex_);
      current = current_;
    }
    return current->authorize(request, project_id, action);
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<Authenticator> current_;
};

}  // namespace streamrelay::api
