#include <gtest/gtest.h>

#include "net/egress_policy.h"

using namespace streamrelay::net;

TEST(EgressPolicy, ClassifiesAddresses) {
  EXPECT_EQ(classify_literal("8.8.8.8"), AddressKind::global);
  EXPECT_EQ(classify_literal("2001:4860:4860::8888"), AddressKind::global);
  EXPECT_EQ(classify_literal("127.0.0.1"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("0.0.0.0"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("[::1]"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("::ffff:127.0.0.1"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("10.0.0.1"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("172.31.255.255"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("172.32.0.1"), AddressKind::global);
  EXPECT_EQ(classify_literal("192.168.0.1"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("100.64.0.1"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("fd12::1"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("169.254.169.254"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("fe80::1"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("::ffff:169.254.169.254"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("100.100.100.200"), AddressKind::metadata);
  EXPECT_EQ(classify_literal("fd00:ec2::254"), AddressKind::metadata);
  EXPECT_EQ(classify_literal("224.0.0.1"), AddressKind::multicast);
  EXPECT_FALSE(classify_literal("example.com").has_value());
}

TEST(EgressPolicy, LinkLocalAndMetadataAreAlwaysRefused) {
  EgressPolicy open{true, true};
  EXPECT_TRUE(refusal_of(open, AddressKind::link_local).has_value());
  EXPECT_TRUE(refusal_of(open, AddressKind::metadata).has_value());
  EXPECT_FALSE(refusal_of(open, AddressKind::loopback).has_value());
  EXPECT_FALSE(refusal_of(open, AddressKind::private_network).has_value());
}

TEST(EgressPolicy, PrivateAndLoopbackAreRefusedUnlessAllowed) {
  EgressPolicy closed;
  EXPECT_TRUE(refusal_of(closed, AddressKind::loopback).has_value());
  EXPECT_TRUE(refusal_of(closed, AddressKind::private_network).has_value());
  EXPECT_FALSE(refusal_of(closed, AddressKind::global).has_value());
}

TEST(EgressPolicy, TranslatedAndTunnelledIpv6IsJudgedByTheIpv4AddressItReaches) {
  // NAT64, well-known and local-use prefixes.
  EXPECT_EQ(classify_literal("64:ff9b::127.0.0.1"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("64:ff9b::a9fe:a9fe"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("64:ff9b::10.1.2.3"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("64:ff9b::8.8.8.8"), AddressKind::global);
  EXPECT_EQ(classify_literal("64:ff9b:1:7f00:1::"), AddressKind::loopback);  // /48: 127.0.0.1
  EXPECT_EQ(classify_literal("64:ff9b:1::169.254.169.254"), AddressKind::link_local);
  // IPv4-translated, -compatible and -mapped.
  EXPECT_EQ(classify_literal("::ffff:0:127.0.0.1"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("::ffff:0:a9fe:a9fe"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("::192.168.1.1"), AddressKind::private_network);
  EXPECT_EQ(classify_literal("::ffff:100.100.100.200"), AddressKind::metadata);
  // 6to4 and Teredo (whose client address is stored inverted).
  EXPECT_EQ(classify_literal("2002:7f00:1::"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("2002:a9fe:a9fe::1"), AddressKind::link_local);
  EXPECT_EQ(classify_literal("2002:808:808::1"), AddressKind::global);
  EXPECT_EQ(classify_literal("2001:0:808:808::80ff:fffe"), AddressKind::loopback);  // ~127.0.0.1
  EXPECT_EQ(classify_literal("2001:0:7f00:1::f7f7:f7f7"), AddressKind::loopback);
  EXPECT_EQ(classify_literal("2001:0:808:808::f7f7:f7f7"), AddressKind::global);
  // Ordinary global IPv6 near those prefixes stays global.
  EXPECT_EQ(classify_literal("2001:db8::1"), AddressKind::global);
  EXPECT_EQ(classify_literal("2001:4860:4860::8888"), AddressKind::global);
}
