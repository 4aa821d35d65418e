#include <gtest/gtest.h>

#include "media/rtmp/codec/amf0.h"

using namespace streamrelay::media;

TEST(Amf0Test, ACommandWrittenIsReadBack) {
  amf0::Writer writer;
  writer.string("onStatus");
  writer.number(5);
  writer.null();
  writer.begin_object();
  writer.property("level", "error");
  writer.property("code", "NetStream.Publish.BadName");
  writer.property("clientid", 7.0);
  writer.property("secure", true);
  writer.end_object();
  amf0::Reader reader(writer.bytes());
  EXPECT_EQ(reader.string(), "onStatus");
  EXPECT_EQ(reader.number(), 5);
  reader.skip();
  EXPECT_EQ(reader.object_string("code"), "NetStream.Publish.BadName");
  EXPECT_EQ(reader.position(), writer.bytes().size());
}

TEST(Amf0Test, NestedObjectsAndArraysAreSkippedWhole) {
  std::vector<uint8_t> bytes = {0x08, 0, 0,    0,    1,                    // ECMA array of one
                                0,    1, 'a',  0x0A, 0,    0, 0, 2,        // a: strict array of two
                                0x00, 0, 0,    0,    0,    0, 0, 0,    0,  //   number
                                0x03, 0, 1,    'b',  0x05, 0, 0, 0x09,     //   object {b: null}
                                0,    0, 0x09,                             // end of the ECMA array
                                0x02, 0, 2,    'o',  'k'};                 // then a string
  amf0::Reader reader(bytes);
  reader.skip();
  EXPECT_EQ(reader.string(), "ok");
}

TEST(Amf0Test, TruncatedOrHostileInputNeverReadsPastTheEnd) {
  std::vector<std::vector<uint8_t>> inputs = {
      {0x02, 0xFF, 0xFF, 'x'},         // a string longer than the bytes
      {0x00, 1, 2},                    // a number cut short
      {0x03, 0, 5, 'a'},               // an object key cut short
      {0x0A, 0xFF, 0xFF, 0xFF, 0xFF},  // a huge strict array of nothing
      {0x42},                          // an unknown type
      {}};
  for (const auto& bytes : inputs) {
    amf0::Reader reader(bytes);
    reader.string();
    reader.number();
    reader.skip();
    reader.object_string("code");
    EXPECT_LE(reader.position(), bytes.size());
  }
  // Deep nesting is cut off instead of recursing without end.
  std::vector<uint8_t> deep;
  for (int i = 0; i < 10000; ++i) deep.insert(deep.end(), {0x03, 0, 1, 'k'});
  amf0::Reader reader(deep);
  reader.skip();
  EXPECT_LE(reader.position(), deep.size());
}
