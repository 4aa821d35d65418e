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
