#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace streamrelay::net {

// Where the service may connect to on a user's behalf (sources, destinations, callbacks): it
// holds stream keys and makes outbound connections on request, so it must not become a way into
// the network it runs in.
struct EgressPolicy {
  bool allows_private = false;   // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
  bool allows_loopback = false;  // 127/8, ::1, 0.0.0.0
};

enum class AddressKind {
  global,
  loopback,
  private_network,
  link_local,  // includes the cloud metadata services (169.254.169.254 and its kin)
  metadata,    // metadata services outside link-local (e.g. 100.100.100.200, fd00:ec2::254)
  multicast,
  invalid,
};

AddressKind classify(const sockaddr* address);
// An IP literal ("10.0.0.1", "::1", "[fe80::1]"); nullopt when the text is not one.
std::optional<AddressKind> classify_literal(std::string_view host);

// Why the policy refuses this kind of address (a sentence naming the rule), or nullopt.
std::optional<std::string> refusal_of(const EgressPolicy& policy, AddressKind kind);

// The policy the running process enforces on every outbound connect (set again on a reload).
void set_process_egress_policy(const EgressPolicy& policy);
EgressPolicy process_egress_policy();
bool is_egress_guard_enabled();

// While one lives on a thread, that thread's connects are the service's own (its database, which
// the operator named), not made on a user's behalf: the policy does not apply to them.
class OwnConnectionScope {
 public:
  OwnConnectionScope();
  ~OwnConnectionScope();
  OwnConnectionScope(const OwnConnectionScope&) = delete;
  OwnConnectionScope& operator=(const OwnConnectionScope&) = delete;

 private:
  bool was_own_;
};
bool is_own_connection();

// The last connect this thread was refused, for error messages ("" if none since the last call).
std::string take_last_refusal();
void note_refusal(std::string reason);

}  // namespace streamrelay::net
