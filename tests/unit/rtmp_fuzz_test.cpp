// A mutation fuzzer over everything that reads a peer's RTMP bytes without a socket: the chunk
// reader, aggregates, AMF0 commands, FLV tag bodies and the client session state machine. Valid
// streams written by our chunk writer are damaged (bits flipped, bytes set to boundary values,
// ranges cut, repeated or inserted) and fed in random slices; under the sanitizers any read out of
// bounds, overflow or unbounded allocation fails the test. Seeds are fixed, so a failure replays;
// FUZZ_ITERATIONS runs longer. It knows the streams' structure, so it damages message bodies behind
// whole chunks too; fuzz/rtmp_chunk_fuzzer explores raw bytes by coverage (libFuzzer, clang
// builds).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "media/formats/flv_tags.h"
#include "media/rtmp/codec/aggregate.h"
#include "media/rtmp/codec/amf0.h"
#include "media/rtmp/codec/chunk_reader.h"
#include "media/rtmp/codec/chunk_writer.h"
#include "media/rtmp/session/client_session.h"
#include "media/rtmp/session/commands.h"
#include "unit/rtmp_chunk_bytes.h"
#include "unit/rtmp_server_messages.h"

using namespace streamrelay::media;
using namespace streamrelay::media::rtmp;
using rtmp_test::aggregate_part;
using rtmp_test::be32;
using rtmp_test::Bytes;
using rtmp_test::reply_body;
using rtmp_test::status_body;

namespace {

int iterations() {
  const char* text = std::getenv("FUZZ_ITERATIONS");
  return text ? std::max(1, std::atoi(text)) : 10000;
}

// An aggregate body: FLV-style tags, each with its back pointer.
Bytes aggregate_body(std::mt19937& random) {
  Bytes body;
  for (int i = 0; i < 3; ++i) {
    uint8_t type = i % 2 ? kAudio : kVideo;
    Bytes data(8 + random() % 40, static_cast<uint8_t>(i));
    data[0] = type == kVideo ? 0x17 : 0xAF;
    Bytes part = aggregate_part(type, 1000 + 40 * static_cast<uint32_t>(i), data);
    body.insert(body.end(), part.begin(), part.end());
  }
  return body;
}

Bytes metadata_body() {
  amf0::Writer writer;
  writer.string("onMetaData");
  writer.begin_ecma_array(3);
  writer.property("width", 1280.0);
  writer.property("stereo", true);
  writer.property("encoder", "fuzz");
  writer.end_object();
  return writer.bytes();
}

void mutate(Bytes& bytes, std::mt19937& random) {
  static constexpr uint8_t kBoundary[] = {0x00, 0x01, 0x02, 0x03, 0x3F, 0x40,
                                          0x7F, 0x80, 0xC0, 0xC3, 0xFE, 0xFF};
  int edits = 1 + static_cast<int>(random() % 8);
  for (int edit = 0; edit < edits && !bytes.empty(); ++edit) {
    size_t at = random() % bytes.size();
    switch (random() % 6) {
      case 0:
        bytes[at] ^= static_cast<uint8_t>(1u << (random() % 8));
        break;
      case 1:
        bytes[at] = kBoundary[random() % sizeof kBoundary];
        break;
      case 2:  // cut a range
        bytes.erase(bytes.begin() + static_cast<long>(at),
                    bytes.begin() + static_cast<long>(std::min(bytes.size(), at + random() % 64)));
        break;
      case 3: {  // repeat a range
        size_t end = std::min(bytes.size(), at + random() % 64);
        Bytes range(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(end));
        bytes.insert(bytes.begin() + static_cast<long>(at), range.begin(), range.end());
        break;
      }
      case 4:  // random bytes in
        for (int i = static_cast<int>(random() % 16); i > 0; --i) {
          bytes.insert(bytes.begin() + static_cast<long>(at), static_cast<uint8_t>(random()));
        }
        break;
      default:  // the stream ends early
        bytes.resize(at);
    }
  }
}

// A plausible server stream: control messages, commands, media with every header type the
// writer makes, an extended timestamp, an aggregate and metadata. With `damage_bodies`, the
// message bodies are damaged before they are chunked, so the chunk layer stays whole and the
// readers behind it get the damage.
Bytes valid_stream(std::mt19937& random, bool damage_bodies = false) {
  auto damaged = [&](Bytes body) {
    if (damage_bodies && random() % 2) mutate(body, random);
    return body;
  };
  ChunkWriter writer;
  Bytes out;
  Bytes chunk_size = be32(64 + random() % 4096);
  writer.append(out, {.chunk_stream_id = 2, .type = kSetChunkSize, .payload = chunk_size});
  writer.set_chunk_size(static_cast<uint32_t>((chunk_size[2] << 8) | chunk_size[3]));
  Bytes window = be32(2500000);
  writer.append(out, {.chunk_stream_id = 2, .type = kWindowAckSize, .payload = window});
  Bytes ping = {0, 6, 0, 0, 1, 2};
  writer.append(out, {.chunk_stream_id = 2, .type = kUserControl, .payload = ping});
  Bytes status = damaged(status_body("error", "NetStream.Publish.BadName", "taken"));
  writer.append(out,
                {.chunk_stream_id = 5, .type = kCommandAmf0, .stream_id = 1, .payload = status});
  Bytes metadata = damaged(metadata_body());
  writer.append(out,
                {.chunk_stream_id = 5, .type = kDataAmf0, .stream_id = 1, .payload = metadata});
  for (uint32_t i = 0; i < 6; ++i) {
    Bytes video(20 + random() % 600, static_cast<uint8_t>(i));
    video[0] = i == 0 ? 0x17 : 0x27;
    video[1] = i == 0 ? 0 : 1;
    uint32_t timestamp = i == 5 ? 0x01000000 + i : 40 * i;
    writer.append(out, {.chunk_stream_id = 6,
                        .type = kVideo,
                        .stream_id = 1,
                        .timestamp = timestamp,
                        .payload = video});
    video = damaged(video);
    Bytes audio = damaged({0xAF, 1, 0x21, static_cast<uint8_t>(i)});
    writer.append(out, {.chunk_stream_id = 4,
                        .type = kAudio,
                        .stream_id = 1,
                        .timestamp = 40 * i + 3,
                        .payload = audio});
  }
  Bytes aggregate = damaged(aggregate_body(random));
  writer.append(out, {.chunk_stream_id = 6,
                      .type = kAggregate,
                      .stream_id = 1,
                      .timestamp = 500,
                      .payload = aggregate});
  return out;
}

// Whatever the peer sent, every consumer of a message reads it without trouble. They read a
// copy of exactly the message's size, so a read past its end reaches the sanitizer's red zone,
// not the spare capacity of a buffer the chunk reader reuses.
void consume(const Message& received) {
  Message message;
  message.type = received.type;
  message.timestamp = received.timestamp;
  message.payload.assign(received.payload.begin(), received.payload.end());
  message.payload.shrink_to_fit();
  std::vector<AggregatePart> parts;
  switch (message.type) {
    case kAggregate:
      split_aggregate(message, parts);
      for (const AggregatePart& part : parts) {
        EXPECT_GE(part.payload.data(), message.payload.data());
        EXPECT_LE(part.payload.data() + part.payload.size(),
                  message.payload.data() + message.payload.size());
        const Bytes exact(part.payload.begin(), part.payload.end());
        flv::parse_video_tag(exact);
        flv::parse_audio_tag(exact);
      }
      break;
    case kVideo:
      flv::parse_video_tag(message.payload);
      flv::video_codec_name(message.payload);
      break;
    case kAudio:
      flv::parse_audio_tag(message.payload);
      flv::audio_codec_name(message.payload);
      break;
    case kDataAmf0:
      flv::parse_metadata(message.payload);
      break;
    default: {
      ServerCommand command = parse_server_command(message.payload);
      (void)command.status_text();
    }
  }
}

}  // namespace

TEST(RtmpFuzz, DamagedStreamsNeverReadOutOfBoundsOrGrowWithoutLimit) {
  std::mt19937 random(20261201);
  ChunkLimits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_pending_bytes = 4 << 20;
  int messages = 0;
  int errors = 0;
  for (int round = 0; round < iterations(); ++round) {
    // The first round shows the stream itself reads; then damage goes to the chunk layer, the
    // bodies, or both.
    int kind = round % 3;
    Bytes stream = valid_stream(random, round > 0 && kind != 0);
    if (round > 0 && kind != 1) mutate(stream, random);
    ChunkReader reader(limits);
    Message message;
    size_t at = 0;
    while (at < stream.size()) {
      size_t slice = std::min(stream.size() - at, size_t{1} + random() % 700);
      ChunkReader::Result result = reader.read({stream.data() + at, slice}, message);
      ASSERT_LE(result.consumed, slice);
      if (result.status == ChunkReader::Status::kError) {
        ++errors;
        break;
      }
      if (result.status == ChunkReader::Status::kMessage) {
        ++messages;
        ASSERT_LE(message.payload.size(), limits.max_message_bytes);
        consume(message);
        at += result.consumed;
        continue;
      }
      if (result.consumed == 0 && slice == stream.size() - at) break;  // waits for more
      at += result.consumed;
      if (result.consumed == 0) {
        // A chunk larger than the slice: offer it all at once.
        result = reader.read({stream.data() + at, stream.size() - at}, message);
        if (result.status == ChunkReader::Status::kError) {
          ++errors;
          break;
        }
        if (result.status == ChunkReader::Status::kMessage) consume(message);
        if (result.consumed == 0) break;
        at += result.consumed;
      }
    }
  }
  // The fuzzer reached both the readers behind the chunk layer and the chunk layer's refusals.
  EXPECT_GT(messages, iterations() * 5);
  EXPECT_GT(errors, 0);
}

TEST(RtmpFuzz, RandomBytesAsAmfAndFlvBodies) {
  std::mt19937 random(7);
  Bytes seeds[] = {metadata_body(), status_body("error", "NetStream.Publish.BadName", "taken")};
  for (int round = 0; round < iterations() * 4; ++round) {
    Bytes body = seeds[round % 2];
    mutate(body, random);
    parse_server_command(body);
    flv::parse_metadata(body);
    flv::parse_video_tag(body);
    flv::parse_audio_tag(body);
    flv::video_codec_name(body);
    flv::audio_codec_name(body);
    amf0::Reader reader(body);
    for (int i = 0; i < 8; ++i) reader.string();
  }
}

namespace {

Message server_message(uint8_t type, Bytes payload, uint32_t stream_id = 0) {
  Message out;
  out.type = type;
  out.stream_id = stream_id;
  out.payload = std::move(payload);
  return out;
}

// What a server sends a client from connect on, control messages among the replies.
std::vector<Message> server_opening(bool to_publisher) {
  return {
      server_message(kWindowAckSize, be32(5000000)),
      server_message(kSetPeerBandwidth, {0x00, 0x4C, 0x4B, 0x40, 0x02}),
      server_message(kCommandAmf0, reply_body("_result", kConnectTransaction)),
      server_message(kCommandAmf0, reply_body("_result", kCreateStreamTransaction, 1.0)),
      server_message(kUserControl, {0x00, 0x06, 0x00, 0x00, 0x01, 0x00}),
      server_message(
          kCommandAmf0,
          status_body("status", to_publisher ? "NetStream.Publish.Start" : "NetStream.Play.Start"),
          1),
      server_message(kVideo, {0x17, 0x01, 0x00, 0x00, 0x00, 0x65}, 1),
      server_message(kCommandAmf0, status_body("error", "NetStream.Failed"), 1),
  };
}

// Where a state stands in the opening; the ends (ended, refused) are final.
int rank(ClientSession::State state) {
  return static_cast<int>(state);
}

bool is_final(ClientSession::State state) {
  return state == ClientSession::State::kEnded || state == ClientSession::State::kRefused;
}

}  // namespace

TEST(RtmpFuzz, DamagedServerMessagesNeverBreakTheSessionStateMachine) {
  std::mt19937 random(1201);
  int opened = 0;
  int refused = 0;
  ChunkWriter writer;
  for (int round = 0; round < iterations(); ++round) {
    bool is_publisher = round % 2 == 0;
    ClientSession session(
        is_publisher ? ClientSession::Role::kPublisher : ClientSession::Role::kPlayer,
        parse_rtmp_url("rtmp://ingest.example/live/key"));
    Bytes hello(1 + 2 * ClientSession::kHandshakeSize, 0);
    hello[0] = 3;
    ASSERT_FALSE(session.on_server_hello(hello).empty());
    std::vector<Message> messages = server_opening(is_publisher);
    // Some messages damaged, dropped, repeated or of another type; the first round as it is.
    for (size_t i = 0; round > 0 && i < messages.size(); ++i) {
      switch (random() % 6) {
        case 0:
          mutate(messages[i].payload, random);
          break;
        case 1:
          messages[i].type = static_cast<uint8_t>(random() % 24);
          break;
        case 2:
          messages[i].payload.resize(random() % (messages[i].payload.size() + 1));
          break;
        case 3:
          messages.push_back(messages[i]);
          break;
        default:
          break;
      }
    }
    uint64_t bytes = 0;
    bool was_open = false;
    for (const Message& message : messages) {
      ClientSession::State before = session.state();
      bytes += message.payload.size() + 12;
      session.on_message(message, bytes);
      ClientSession::State after = session.state();
      // The state only moves on; an end is final.
      if (is_final(before)) {
        ASSERT_EQ(after, before);
      } else if (!is_final(after)) {
        ASSERT_GE(rank(after), rank(before));
      }
      if (after == ClientSession::State::kRefused) {
        ASSERT_EQ(session.refusal().reason.rfind("server ", 0), 0u);
      }
      was_open = was_open || session.is_open();
      for (const ClientSession::Outgoing& out : session.take_outgoing()) {
        ASSERT_LE(out.payload.size(), 1024u);
        Bytes chunks;
        writer.append(chunks, {.chunk_stream_id = out.chunk_stream_id,
                               .type = out.type,
                               .stream_id = out.stream_id,
                               .timestamp = 0,
                               .payload = out.payload});
      }
    }
    opened += was_open ? 1 : 0;
    refused += session.state() == ClientSession::State::kRefused ? 1 : 0;
  }
  // The fuzzer reached both the open session and refusals.
  EXPECT_GT(opened, 0);
  EXPECT_GT(refused, 0);
}
