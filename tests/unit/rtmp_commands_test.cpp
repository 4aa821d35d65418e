// The client's AMF0 commands and how it reads the server's replies and statuses.
#include <gtest/gtest.h>

#include <algorithm>

#include "media/rtmp/codec/amf0.h"
#include "media/rtmp/session/commands.h"

using namespace streamrelay::media;
using namespace streamrelay::media::rtmp;

namespace {

std::vector<uint8_t> reply(const std::string& name, double transaction, const std::string& level,
                           const std::string& code, const std::string& description) {
  amf0::Writer writer;
  writer.string(name);
  writer.number(transaction);
  writer.null();
  writer.begin_object();
  writer.property("level", level);
  writer.property("code", code);
  writer.property("description", description);
  writer.property("clientid", 7.0);
  writer.end_object();
  return writer.bytes();
}

}  // namespace

TEST(RtmpCommands, AnErrorReplyNamesItsTransactionCodeAndDescription) {
  ServerCommand command = parse_server_command(
      reply("_error", 2, "error", "NetConnection.Call.Failed", "Method not found (releaseStream)"));
  EXPECT_EQ(command.name, "_error");
  EXPECT_EQ(command.transaction, 2);
  EXPECT_TRUE(command.is_reply());
  EXPECT_FALSE(command.is_error_status());
  EXPECT_EQ(command.status_text(), "NetConnection.Call.Failed: Method not found (releaseStream)");
}

TEST(RtmpCommands, AnOnStatusAtLevelErrorIsAnErrorStatus) {
  ServerCommand command = parse_server_command(
      reply("onStatus", 0, "error", "NetStream.Publish.BadName", "Already publishing"));
  EXPECT_TRUE(command.is_error_status());
  EXPECT_EQ(command.status_text(), "NetStream.Publish.BadName: Already publishing");
  ServerCommand started =
      parse_server_command(reply("onStatus", 0, "status", "NetStream.Publish.Start", ""));
  EXPECT_FALSE(started.is_error_status());
  EXPECT_EQ(started.status_text(), "NetStream.Publish.Start");
}

TEST(RtmpCommands, CreateStreamsResultCarriesTheStreamId) {
  amf0::Writer writer;
  writer.string("_result");
  writer.number(4);
  writer.null();
  writer.number(7);
  ServerCommand command = parse_server_command(writer.bytes());
  EXPECT_EQ(command.transaction, 4);
  EXPECT_EQ(command.number, 7);
}

TEST(RtmpCommands, AConnectResultReadsItsInformationObject) {
  amf0::Writer writer;
  writer.string("_result");
  writer.number(1);
  writer.begin_object();
  writer.property("fmsVer", "FMS/3,0,1,123");
  writer.end_object();
  writer.begin_object();
  writer.property("level", "status");
  writer.property("code", "NetConnection.Connect.Success");
  writer.end_object();
  ServerCommand command = parse_server_command(writer.bytes());
  EXPECT_EQ(command.code, "NetConnection.Connect.Success");
  EXPECT_EQ(command.level, "status");
}

TEST(RtmpCommands, ATruncatedReplyReadsAsEmptyValues) {
  std::vector<uint8_t> bytes = reply("_error", 1, "error", "NetConnection.Connect.Rejected", "x");
  bytes.resize(bytes.size() / 2);
  ServerCommand command = parse_server_command(bytes);
  EXPECT_EQ(command.name, "_error");
  EXPECT_EQ(command.transaction, 1);
}

TEST(RtmpCommands, ConnectCarriesTheAppAndTheTcUrlOfTheUrl) {
  RtmpUrl url = parse_rtmp_url("rtmp://h:1935/live2?backup=1/key");
  std::vector<uint8_t> bytes = connect_command(url, true);
  amf0::Reader reader(bytes);
  EXPECT_EQ(reader.string(), "connect");
  EXPECT_EQ(reader.number(), kConnectTransaction);
  std::map<std::string, std::string> properties = reader.object_strings();
  EXPECT_EQ(properties["app"], "live2?backup=1");
  EXPECT_EQ(properties["tcUrl"], "rtmp://h:1935/live2?backup=1");
  EXPECT_EQ(properties["type"], "nonprivate");
}

TEST(RtmpCommands, PublishAndPlayNameTheStreamUnderTheirOwnTransaction) {
  for (const auto& bytes : {publish_command("key?token=x"), play_command("key?token=x")}) {
    amf0::Reader reader(bytes);
    reader.string();
    EXPECT_EQ(reader.number(), kPublishOrPlayTransaction);
    reader.skip();
    EXPECT_EQ(reader.string(), "key?token=x");
  }
}

TEST(RtmpCommands, ConnectAnnouncesTheEnhancedRtmpCodecsAsAStrictArray) {
  for (bool is_publisher : {true, false}) {
    std::vector<uint8_t> bytes = connect_command(parse_rtmp_url("rtmp://h/live/key"), is_publisher);
    // "fourCcList", strict array (0x0A) of three, "hvc1" "av01" "vp09" (enhanced RTMP v1).
    std::vector<uint8_t> expected = {0x00, 0x0A, 'f',  'o', 'u',  'r', 'C', 'c',  'L', 'i',
                                     's',  't',  0x0A, 0,   0,    0,   3,   0x02, 0,   4,
                                     'h',  'v',  'c',  '1', 0x02, 0,   4,   'a',  'v', '0',
                                     '1',  0x02, 0,    4,   'v',  'p', '0', '9'};
    EXPECT_NE(std::search(bytes.begin(), bytes.end(), expected.begin(), expected.end()),
              bytes.end())
        << (is_publisher ? "publisher" : "player");
    amf0::Reader reader(bytes);
    reader.string();
    reader.number();
    std::map<std::string, std::vector<std::string>> arrays;
    reader.object_strings(&arrays);
    EXPECT_EQ(arrays["fourCcList"], (std::vector<std::string>{"hvc1", "av01", "vp09"}));
  }
}

TEST(RtmpCommands, AConnectResultSaysWhichEnhancedCodecsTheServerTakes) {
  amf0::Writer writer;
  writer.string("_result");
  writer.number(1);
  writer.begin_object();
  writer.property("fmsVer", "FMS/3,0,1,123");
  writer.property("fourCcList", std::vector<std::string>{"av01", "*"});
  writer.end_object();
  writer.begin_object();
  writer.property("code", "NetConnection.Connect.Success");
  writer.end_object();
  ServerCommand command = parse_server_command(writer.bytes());
  EXPECT_EQ(command.code, "NetConnection.Connect.Success");
  ASSERT_TRUE(command.fourcc_list);
  EXPECT_EQ(*command.fourcc_list, (std::vector<std::string>{"av01", "*"}));
  // A legacy server says nothing of it.
  EXPECT_FALSE(
      parse_server_command(reply("_result", 1, "status", "NetConnection.Connect.Success", ""))
          .fourcc_list);
}
