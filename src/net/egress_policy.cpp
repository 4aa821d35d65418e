#include "net/egress_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <initializer_list>
#include <optional>

namespace streamrelay::net {
namespace {

// Atomic: a reload (SIGHUP) replaces the policy while connects read it.
std::atomic<bool> g_allows_private{false};
std::atomic<bool> g_allows_loopback{false};
std::atomic<bool> g_is_enabled{false};
thread_local std::string t_last_refusal;
thread_local bool t_is_own_connection = false;

bool in_v4(uint32_t address, uint32_t network, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (address & mask) == (network & mask);
}

constexpr uint32_t v4(int a, int b, int c, int d) {
  return (uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | uint32_t(d);
}

AddressKind classify_v4(uint32_t address) {
  if (in_v4(address, v4(127, 0, 0, 0), 8) || in_v4(address, v4(0, 0, 0, 0), 8)) {
    return AddressKind::loopback;  // 0.0.0.0/8 reaches the host itself too
  }
  if (in_v4(address, v4(169, 254, 0, 0), 16)) return AddressKind::link_local;
  if (address == v4(100, 100, 100, 200)) return AddressKind::metadata;
  if (in_v4(address, v4(224, 0, 0, 0), 4) || in_v4(address, v4(240, 0, 0, 0), 4)) {
    return AddressKind::multicast;
  }
  if (in_v4(address, v4(10, 0, 0, 0), 8) || in_v4(address, v4(172, 16, 0, 0), 12) ||
      in_v4(address, v4(192, 168, 0, 0), 16) || in_v4(address, v4(100, 64, 0, 0), 10)) {
    return AddressKind::private_network;
  }
  return AddressKind::global;
}

uint32_t v4_at(const uint8_t* bytes) {
  return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) |
         uint32_t(bytes[3]);
}

bool has_prefix(const uint8_t* address, std::initializer_list<uint8_t> prefix) {
  return std::equal(prefix.begin(), prefix.end(), address);
}

// How restrictive a kind is: an address that embeds several IPv4 addresses counts as its worst.
int severity(AddressKind kind) {
  switch (kind) {
    case AddressKind::global:
      return 0;
    case AddressKind::private_network:
      return 1;
    case AddressKind::loopback:
      return 2;
    case AddressKind::multicast:
      return 3;
    case AddressKind::link_local:
    case AddressKind::metadata:
    case AddressKind::invalid:
      return 4;
  }
  return 4;
}

AddressKind worst_of(AddressKind a, AddressKind b) {
  return severity(a) >= severity(b) ? a : b;
}

// IPv6 forms that carry an IPv4 address a translator or tunnel will deliver to: NAT64
// (64:ff9b::/96 and the local-use 64:ff9b:1::/48), IPv4-mapped, -translated and -compatible,
// 6to4 (2002::/16) and Teredo (2001::/32). They are as allowed as the IPv4 address they reach.
std::optional<AddressKind> classify_embedded_v4(const uint8_t* b) {
  static constexpr uint8_t kZero[10] = {};
  bool is_zero_80 = std::memcmp(b, kZero, 10) == 0;
  if (is_zero_80 && b[10] == 0xff && b[11] == 0xff) return classify_v4(v4_at(b + 12));  // mapped
  if (is_zero_80 && b[10] == 0 && b[11] == 0) {
    return v4_at(b + 12) <= 1 ? AddressKind::loopback : classify_v4(v4_at(b + 12));  // :: ::1
  }
  if (std::memcmp(b, kZero, 8) == 0 && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) {
    return classify_v4(v4_at(b + 12));  // ::ffff:0:a.b.c.d, IPv4-translated
  }
  if (has_prefix(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return classify_v4(v4_at(b + 12));
  }
  if (has_prefix(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) {
    // RFC 6052 places the IPv4 address by prefix length; a /48 splits it around the u octet.
    const uint8_t split[4] = {b[6], b[7], b[9], b[10]};
    return worst_of(classify_v4(v4_at(split)), classify_v4(v4_at(b + 12)));
  }
  if (has_prefix(b, {0x20, 0x02})) return classify_v4(v4_at(b + 2));
  if (has_prefix(b, {0x20, 0x01, 0x00, 0x00})) {
    uint32_t client = ~v4_at(b + 12);  // Teredo stores the client's address inverted
    return worst_of(classify_v4(v4_at(b + 4)), classify_v4(client));
  }
  return std::nullopt;
}

AddressKind classify_v6(const in6_addr& address) {
  const uint8_t* b = address.s6_addr;
  if (auto embedded = classify_embedded_v4(b)) return *embedded;
  static constexpr std::array<uint8_t, 16> kEc2Metadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                                           0,    0,    0,    0,    0, 0, 2, 0x54};
  if (std::memcmp(b, kEc2Metadata.data(), 16) == 0) return AddressKind::metadata;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind::link_local;
  if (b[0] == 0xff) return AddressKind::multicast;
  if ((b[0] & 0xfe) == 0xfc) return AddressKind::private_network;
  return AddressKind::global;
}

}  // namespace

AddressKind classify(const sockaddr* address) {
  if (!address) return AddressKind::invalid;
  if (address->sa_family == AF_INET) {
    return classify_v4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    return classify_v6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  }
  return AddressKind::invalid;
}

std::optional<AddressKind> classify_literal(std::string_view host) {
  std::string text(host);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  in_addr v4_address;
  if (inet_pton(AF_INET, text.c_str(), &v4_address) == 1)
    return classify_v4(ntohl(v4_address.s_addr));
  in6_addr v6_address;
  if (inet_pton(AF_INET6, text.c_str(), &v6_address) == 1) return classify_v6(v6_address);
  return std::nullopt;
}

std::optional<std::string> refusal_of(const EgressPolicy& policy, AddressKind kind) {
  switch (kind) {
    case AddressKind::global:
      return std::nullopt;
    case AddressKind::loopback:
      if (policy.allows_loopback) return std::nullopt;
      return "loopback addresses are not allowed (the service is configured without "
             "--allow-loopback-egress)";
    case AddressKind::private_network:
      if (policy.allows_private) return std::nullopt;
      return "private network addresses are not allowed (the service is configured without "
             "--allow-private-egress)";
    case AddressKind::link_local:
    case AddressKind::metadata:
      return "link-local and cloud metadata addresses are never allowed";
    case AddressKind::multicast:
      return "multicast and reserved addresses are not allowed";
    case AddressKind::invalid:
      return std::nullopt;
  }
  return std::nullopt;
}

void set_process_egress_policy(const EgressPolicy& policy) {
  g_allows_private = policy.allows_private;
  g_allows_loopback = policy.allows_loopback;
  g_is_enabled = true;
}

EgressPolicy process_egress_policy() {
  return {g_allows_private.load(), g_allows_loopback.load()};
}

bool is_egress_guard_enabled() {
  return g_is_enabled;
}

OwnConnectionScope::OwnConnectionScope() : was_own_(t_is_own_connection) {
  t_is_own_connection = true;
}

OwnConnectionScope::~OwnConnectionScope() {
  t_is_own_connection = was_own_;
}

bool is_own_connection() {
  return t_is_own_connection;
}

std::string take_last_refusal() {
  std::string reason;
  reason.swap(t_last_refusal);
  return reason;
}

void note_refusal(std::string reason) {
  t_last_refusal = std::move(reason);
}

}  // namespace streamrelay::net
