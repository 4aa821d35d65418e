// Feeds arbitrary bytes to the RTMP chunk reader as a peer's chunk stream: whole, then in slices
// of 1 to 7 bytes as a socket may deliver them, which must read the same messages; splits every
// aggregate; hands each message to what reads it behind the chunk layer (AMF0 commands, FLV tag
// bodies and metadata, the client session state machine of a player and of a publisher); and
// writes each message back with the chunk writer, which must read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "media/formats/flv_tags.h"
#include "media/rtmp/codec/aggregate.h"
#include "media/rtmp/codec/chunk_reader.h"
#include "media/rtmp/codec/chunk_writer.h"
#include "media/rtmp/session/client_session.h"
#include "media/rtmp/session/commands.h"

using namespace streamrelay::media::rtmp;
namespace flv = streamrelay::media::flv;

namespace {

// Small limits reach the refusals quickly; the code paths are those of the defaults.
constexpr ChunkLimits kLimits{
    .max_message_bytes = 64 * 1024, .max_chunk_streams = 16, .max_pending_bytes = 256 * 1024};

struct Outcome {
  std::vector<Message> messages;
  ChunkReader::Result last;
};

void check(bool condition) {
  if (!condition) std::abort();
}

bool same(const Message& a, const Message& b) {
  return a.type == b.type && a.stream_id == b.stream_id && a.timestamp == b.timestamp &&
         a.chunk_stream_id == b.chunk_stream_id && a.payload == b.payload;
}

// Feeds `input` `step` bytes at a time (0: all at once), keeping what the reader leaves.
Outcome read_all(std::span<const uint8_t> input, size_t step) {
  ChunkReader reader(kLimits);
  Outcome outcome;
  std::vector<uint8_t> buffer;
  size_t fed = 0;
  for (size_t round = 0; fed < input.size(); ++round) {
    size_t size = step == 0 ? input.size() : 1 + (round + step) % 7;
    size = std::min(size, input.size() - fed);
    buffer.insert(buffer.end(), input.begin() + static_cast<long>(fed),
                  input.begin() + static_cast<long>(fed + size));
    fed += size;
    for (;;) {
      Message message;
      outcome.last = reader.read(buffer, message);
      check(outcome.last.consumed <= buffer.size());
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<long>(outcome.last.consumed));
      if (outcome.last.status != ChunkReader::Status::kMessage) break;
      outcome.messages.push_back(std::move(message));
    }
    if (outcome.last.status == ChunkReader::Status::kError) break;
  }
  return outcome;
}

// What the client does with a media or data body: parse it as an FLV tag body. A copy of exactly
// its size, so a read past its end reaches the sanitizer's red zone, not a reused buffer's spare
// capacity.
void read_body(uint8_t type, std::span<const uint8_t> bytes) {
  const std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  std::span<const uint8_t> body = exact;
  if (type == kVideo) {
    auto tag = flv::parse_video_tag(body);
    check(!tag || tag->payload.size() <= body.size());
    (void)flv::video_codec_name(body);
  } else if (type == kAudio) {
    auto tag = flv::parse_audio_tag(body);
    check(!tag || tag->payload.size() <= body.size());
    (void)flv::audio_codec_name(body);
  } else if (type == kDataAmf0) {
    (void)flv::parse_metadata(body);
  }
}

void split(const Message& aggregate) {
  std::vector<AggregatePart> parts;
  split_aggregate(aggregate, parts);
  const std::vector<uint8_t>& p = aggregate.payload;
  // Each part takes an 11-byte header and a 4-byte back pointer besides its payload.
  check(parts.size() * 15 <= p.size());
  for (const AggregatePart& part : parts) {
    check(part.payload.data() >= p.data() &&
          part.payload.data() + part.payload.size() <= p.data() + p.size());
    read_body(part.type, part.payload);
  }
}

void write_and_read_back(const Message& message) {
  // Set Chunk Size and Abort would change the second reader's state, not their own shape.
  if (message.type == kSetChunkSize || message.type == kAbort) return;
  ChunkWriter writer;
  std::vector<uint8_t> bytes;
  writer.append(bytes, {.chunk_stream_id = message.chunk_stream_id,
                        .type = message.type,
                        .stream_id = message.stream_id,
                        .timestamp = message.timestamp,
                        .payload = message.payload});
  ChunkReader reader(kLimits);
  Message copy;
  ChunkReader::Result result = reader.read(bytes, copy);
  check(result.status == ChunkReader::Status::kMessage && result.consumed == bytes.size());
  check(same(copy, message));
}

// The server's messages to a session past its handshake: its state only moves on, an end is
// final, a refusal says why, and what it answers is small.
void play_session(ClientSession::Role role, const std::vector<Message>& messages) {
  ClientSession session(role, parse_rtmp_url("rtmp://ingest.example/live/key"));
  std::vector<uint8_t> hello(1 + 2 * ClientSession::kHandshakeSize, 0);
  hello[0] = 3;
  check(!session.on_server_hello(hello).empty());
  uint64_t bytes = 0;
  for (const Message& message : messages) {
    ClientSession::State before = session.state();
    bytes += message.payload.size() + 12;
    session.on_message(message, bytes);
    ClientSession::State after = session.state();
    bool was_final =
        before == ClientSession::State::kEnded || before == ClientSession::State::kRefused;
    bool is_final =
        after == ClientSession::State::kEnded || after == ClientSession::State::kRefused;
    check(!was_final || after == before);
    check(is_final || static_cast<int>(after) >= static_cast<int>(before));
    check(after != ClientSession::State::kRefused || !session.refusal().reason.empty());
    for (const ClientSession::Outgoing& out : session.take_outgoing()) {
      check(out.payload.size() <= 1024);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  Outcome whole = read_all(input, 0);
  Outcome sliced = read_all(input, 1 + size % 5);
  check(whole.messages.size() == sliced.messages.size());
  for (size_t i = 0; i < whole.messages.size(); ++i) {
    check(same(whole.messages[i], sliced.messages[i]));
  }
  check(whole.last.status == sliced.last.status && whole.last.error == sliced.last.error);
  for (const Message& message : whole.messages) {
    if (message.type == kAggregate) split(message);
    if (message.type == kCommandAmf0) {
      const std::vector<uint8_t> exact(message.payload.begin(), message.payload.end());
      (void)parse_server_command(exact).status_text();
    }
    read_body(message.type, message.payload);
    write_and_read_back(message);
  }
  play_session(ClientSession::Role::kPlayer, whole.messages);
  play_session(ClientSession::Role::kPublisher, whole.messages);
  return 0;
}
