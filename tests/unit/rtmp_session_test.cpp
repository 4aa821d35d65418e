// The client's RTMP session state machine with byte vectors alone: the server's handshake and
// messages in, the bytes it answers with out, state by state.
#include <gtest/gtest.h>

#include <cerrno>

#include "media/rtmp/codec/amf0.h"
#include "media/rtmp/session/client_session.h"
#include "unit/rtmp_chunk_bytes.h"
#include "unit/rtmp_server_messages.h"

using namespace streamrelay::media;
using namespace streamrelay::media::rtmp;
using rtmp_test::Bytes;
using State = ClientSession::State;
using Role = ClientSession::Role;

namespace {

constexpr size_t kHello = 1 + 2 * ClientSession::kHandshakeSize;

Message message(uint8_t type, Bytes payload, uint32_t stream_id = 0) {
  Message out;
  out.type = type;
  out.stream_id = stream_id;
  out.chunk_stream_id = type == kCommandAmf0 ? 3 : 2;
  out.payload = std::move(payload);
  return out;
}

Message reply(const char* name, double transaction, std::optional<double> number = {},
              const char* code = "NetConnection.Connect.Success") {
  return message(kCommandAmf0, rtmp_test::reply_body(name, transaction, number, code));
}

Message on_status(const char* level, const char* code, const char* description = "") {
  return message(kCommandAmf0, rtmp_test::status_body(level, code, description), 1);
}

// The server's S0+S1+S2: version `version`, S1 filled with `fill`.
Bytes server_hello(uint8_t version, uint8_t fill) {
  Bytes hello(kHello, 0);
  hello[0] = version;
  std::fill(hello.begin() + 1, hello.begin() + 1 + ClientSession::kHandshakeSize, fill);
  return hello;
}

// The command names of the outgoing messages, in order, with their chunk and message streams.
std::vector<std::string> commands_of(const std::vector<ClientSession::Outgoing>& outgoing) {
  std::vector<std::string> names;
  for (const auto& out : outgoing) {
    if (out.type != kCommandAmf0) {
      names.push_back("type " + std::to_string(out.type));
      continue;
    }
    amf0::Reader reader(out.payload);
    std::string name = reader.string();
    names.push_back(name + "/" + std::to_string(static_cast<int>(reader.number())) + " cs" +
                    std::to_string(out.chunk_stream_id) + " ms" + std::to_string(out.stream_id));
  }
  return names;
}

ClientSession opened_to(Role role, const char* url = "rtmp://ingest.example/live/key") {
  ClientSession session(role, parse_rtmp_url(url));
  EXPECT_FALSE(session.on_server_hello(server_hello(3, 0x5A)).empty());
  session.take_outgoing();
  return session;
}

// A session past createStream (stream 1): a player plays, a publisher awaits Publish.Start.
ClientSession on_stream(Role role) {
  ClientSession session = opened_to(role);
  session.on_message(reply("_result", kConnectTransaction), 3200);
  session.on_message(reply("_result", kCreateStreamTransaction, 1), 3300);
  session.take_outgoing();
  return session;
}

}  // namespace

TEST(RtmpSession, TheSimpleHandshakeIsVersionThreeZeroTimeAndTheServersS1Echoed) {
  ClientSession session(Role::kPlayer, parse_rtmp_url("rtmp://ingest.example/live/key"));
  Bytes random(ClientSession::kHandshakeSize - 8, 0xC3);
  Bytes hello = session.hello(random);
  ASSERT_EQ(hello.size(), 1 + ClientSession::kHandshakeSize);
  EXPECT_EQ(hello[0], 3);
  EXPECT_EQ(Bytes(hello.begin() + 1, hello.begin() + 9), Bytes(8, 0)) << "time and zero";
  EXPECT_EQ(Bytes(hello.begin() + 9, hello.end()), random);
  EXPECT_EQ(session.state(), State::kHandshaking);
  Bytes c2 = session.on_server_hello(server_hello(3, 0x5A));
  EXPECT_EQ(c2, Bytes(ClientSession::kHandshakeSize, 0x5A));
  EXPECT_EQ(session.state(), State::kConnecting);
  auto out = session.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload,
            connect_command(parse_rtmp_url("rtmp://ingest.example/live/key"), false));
  EXPECT_EQ(out[0].chunk_stream_id, 3u);
}

TEST(RtmpSession, AServerHandshakeOfAnotherVersionIsNotAnswered) {
  ClientSession session(Role::kPlayer, parse_rtmp_url("rtmp://ingest.example/live/key"));
  EXPECT_TRUE(session.on_server_hello(server_hello(6, 0)).empty());
  EXPECT_TRUE(session.on_server_hello(Bytes(100, 3)).empty()) << "cut short";
  EXPECT_EQ(session.state(), State::kHandshaking);
  EXPECT_FALSE(session.has_outgoing());
}

TEST(RtmpSession, APublisherAnnouncesItsChunkSizeAndOpensAsEncodersDo) {
  ClientSession session(Role::kPublisher, parse_rtmp_url("rtmp://ingest.example/live/key"));
  session.on_server_hello(server_hello(3, 1));
  auto out = session.take_outgoing();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, kSetChunkSize);
  EXPECT_EQ(out[0].payload, (Bytes{0x00, 0x00, 0x10, 0x00}));
  EXPECT_EQ(out[1].payload,
            connect_command(parse_rtmp_url("rtmp://ingest.example/live/key"), true));
  session.on_message(reply("_result", kConnectTransaction), 3200);
  EXPECT_EQ(session.state(), State::kCreatingStream);
  EXPECT_EQ(commands_of(session.take_outgoing()),
            (std::vector<std::string>{"releaseStream/2 cs3 ms0", "FCPublish/3 cs3 ms0",
                                      "createStream/4 cs3 ms0"}));
  // An ingest that knows no releaseStream answers _error: passed over.
  session.on_message(reply("_error", kReleaseStreamTransaction), 3300);
  EXPECT_EQ(session.state(), State::kCreatingStream);
  session.on_message(reply("_result", kCreateStreamTransaction, 7), 3400);
  EXPECT_EQ(session.state(), State::kStartingPublish);
  EXPECT_EQ(session.stream_id(), 7u);
  auto publish = session.take_outgoing();
  EXPECT_EQ(commands_of(publish), (std::vector<std::string>{"publish/5 cs8 ms7"}));
  EXPECT_EQ(publish[0].payload, publish_command("key"));
  EXPECT_FALSE(session.is_open());
  session.on_message(on_status("status", "NetStream.Publish.Start"), 3500);
  EXPECT_EQ(session.state(), State::kPublishing);
  EXPECT_TRUE(session.is_open());
  session.unpublish();
  EXPECT_EQ(commands_of(session.take_outgoing()),
            (std::vector<std::string>{"FCUnpublish/6 cs3 ms0", "deleteStream/7 cs3 ms0"}));
  EXPECT_EQ(session.state(), State::kEnded);
}

TEST(RtmpSession, APlayerPlaysOnTheStreamItWasGivenUntilTheServerStopsIt) {
  ClientSession session = opened_to(Role::kPlayer);
  session.on_message(reply("_result", kConnectTransaction), 3200);
  EXPECT_EQ(commands_of(session.take_outgoing()),
            (std::vector<std::string>{"createStream/4 cs3 ms0"}));
  session.on_message(reply("_result", kCreateStreamTransaction, 1), 3300);
  EXPECT_EQ(session.state(), State::kPlaying);
  auto play = session.take_outgoing();
  EXPECT_EQ(commands_of(play), (std::vector<std::string>{"play/5 cs8 ms1"}));
  EXPECT_EQ(play[0].payload, play_command("key"));
  session.on_message(on_status("status", "NetStream.Play.Start"), 3400);
  session.on_message(message(kVideo, Bytes{0x17, 0x01}), 9000);
  EXPECT_EQ(session.state(), State::kPlaying);
  session.on_message(on_status("status", "NetStream.Play.UnpublishNotify"), 9100);
  EXPECT_EQ(session.state(), State::kEnded);

  ClientSession other = on_stream(Role::kPlayer);
  other.on_message(message(kUserControl, Bytes{0x00, 0x01, 0x00, 0x00, 0x00, 0x01}), 3400);
  EXPECT_EQ(other.state(), State::kEnded) << "Stream EOF";
}

TEST(RtmpSession, RefusalsEndTheSessionWithTheServersWords) {
  ClientSession connect = opened_to(Role::kPublisher);
  connect.on_message(reply("_error", kConnectTransaction, {}, "NetConnection.Connect.Rejected"),
                     3200);
  EXPECT_EQ(connect.state(), State::kRefused);
  EXPECT_EQ(connect.refusal().error, ECONNREFUSED);
  EXPECT_EQ(connect.refusal().reason,
            "server refused connect (NetConnection.Connect.Rejected: as the server put it)");

  ClientSession publish = on_stream(Role::kPublisher);
  publish.on_message(on_status("error", "NetStream.Publish.BadName", "already publishing"), 3400);
  EXPECT_EQ(publish.refusal().error, EACCES);
  EXPECT_EQ(publish.refusal().reason,
            "server refused publish (NetStream.Publish.BadName: already publishing)");

  ClientSession play = on_stream(Role::kPlayer);
  play.on_message(on_status("error", "NetStream.Play.StreamNotFound"), 3400);
  EXPECT_EQ(play.refusal().error, ENOENT);
  EXPECT_EQ(play.state(), State::kRefused);

  ClientSession ended = on_stream(Role::kPublisher);
  ended.on_message(on_status("status", "NetStream.Publish.Start"), 3400);
  ended.on_message(on_status("error", "NetStream.Publish.Rejected", "quota"), 9000);
  EXPECT_EQ(ended.refusal().error, EACCES);
  EXPECT_EQ(ended.refusal().reason, "server ended the stream (NetStream.Publish.Rejected: quota)");
  // Nothing after a refusal moves it.
  ended.on_message(on_status("status", "NetStream.Publish.Start"), 9100);
  EXPECT_EQ(ended.state(), State::kRefused);
}

TEST(RtmpSession, ControlMessagesAreAnsweredAndReceivedBytesAcknowledgedPerTheWindow) {
  ClientSession session = opened_to(Role::kPlayer);
  // Window Acknowledgement Size of 1000: an acknowledgement once 500 bytes came since the last.
  session.on_message(message(kWindowAckSize, Bytes{0x00, 0x00, 0x03, 0xE8}), 200);
  EXPECT_EQ(session.ack_window(), 1000u);
  EXPECT_FALSE(session.has_outgoing());
  session.on_message(message(kVideo, Bytes{0x17}), 600);
  auto ack = session.take_outgoing();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].type, kAcknowledgement);
  EXPECT_EQ(ack[0].payload, (Bytes{0x00, 0x00, 0x02, 0x58}));
  session.on_message(message(kVideo, Bytes{0x17}), 1000);
  EXPECT_FALSE(session.has_outgoing()) << "400 bytes since the last acknowledgement";
  // Ping request: the same timestamp back in a ping response.
  session.on_message(message(kUserControl, Bytes{0x00, 0x06, 0x12, 0x34, 0x56, 0x78}), 1050);
  auto pong = session.take_outgoing();
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_EQ(pong[0].type, kUserControl);
  EXPECT_EQ(pong[0].payload, (Bytes{0x00, 0x07, 0x12, 0x34, 0x56, 0x78}));
  // Set Peer Bandwidth: our window back.
  session.on_message(message(kSetPeerBandwidth, Bytes{0x00, 0x10, 0x00, 0x00, 0x02}), 1060);
  auto window = session.take_outgoing();
  ASSERT_EQ(window.size(), 1u);
  EXPECT_EQ(window[0].type, kWindowAckSize);
  EXPECT_EQ(window[0].payload, (Bytes{0x00, 0x00, 0x03, 0xE8}));
  // Truncated control messages are ignored, a zero window taken as one byte.
  session.on_message(message(kUserControl, Bytes{0x00}), 1070);
  session.on_message(message(kWindowAckSize, Bytes{0x00, 0x00}), 1080);
  EXPECT_FALSE(session.has_outgoing());
  session.on_message(message(kWindowAckSize, Bytes{0, 0, 0, 0}), 1090);
  EXPECT_EQ(session.ack_window(), 1u);
}
