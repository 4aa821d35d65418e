#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "media/rtmp/codec/message.h"

namespace streamrelay::media::rtmp {

// What keeps a broken or hostile peer from making the reader allocate without bound.
struct ChunkLimits {
  // Far above any live stream's message (a 4K keyframe is a few megabytes).
  uint32_t max_message_bytes = 16 * 1024 * 1024;
  // Servers use a handful of chunk stream ids; nginx-rtmp accepts 32 by default.
  size_t max_chunk_streams = 64;
  // Declared lengths of all unfinished messages together: their buffers are reserved whole.
  size_t max_pending_bytes = 32 * 1024 * 1024;
};

enum class ChunkError {
  kNone,
  kMessageTooLong,       // a message longer than max_message_bytes
  kTooManyChunkStreams,  // more distinct chunk stream ids than max_chunk_streams
  kTooMuchPending,       // unfinished messages over max_pending_bytes together
  kLengthChanged,        // a header changed the length of a message in progress
  kBadChunkSize,         // Set Chunk Size of 0 or above max_message_bytes
  kBadControlMessage,    // a Set Chunk Size too short to hold one
};

// Turns the peer's chunk stream into whole messages (RTMP specification 1.0, section 5.3): the
// four header types and what they inherit per chunk stream id, the three basic header forms,
// extended timestamps, messages interleaved between chunk streams. Where implementations differ
// it reads as FFmpeg's and librtmp's readers do, which is what servers are tested against: type
// 3 chunks carry the extended timestamp again, and one starting a message adds the last
// timestamp field, a type 0's absolute one included. It applies the peer's Set Chunk Size and
// Abort itself, from the next chunk on, and still hands those messages out. No I/O: the caller
// owns the bytes and feeds whatever it has.
class ChunkReader {
 public:
  enum class Status { kMessage, kNeedMoreData, kError };
  struct Result {
    Status status = Status::kNeedMoreData;
    size_t consumed = 0;  // bytes of whole chunks taken from the input, whatever the status
    ChunkError error = ChunkError::kNone;
  };

  explicit ChunkReader(ChunkLimits limits = {}) : limits_(limits) {}

  // Takes whole chunks from the front of `input` until a message completes, and moves it into
  // `out`; the buffer `out` held goes to the chunk stream for its next message, so a steady
  // stream reads without allocating. A chunk not yet whole is left in `input` for the next
  // call. An error is final: the peer's stream cannot be resynchronised.
  Result read(std::span<const uint8_t> input, Message& out);

  uint32_t chunk_size() const { return chunk_size_; }

 private:
  struct ChunkStream {
    uint32_t timestamp = 0;  // of the message in progress, or the last one
    uint32_t ts_field = 0;   // as last sent: absolute (type 0) or a delta; 0xFFFFFF: extended
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    std::vector<uint8_t> payload;
    bool is_partial = false;
  };
  // One chunk's header, with the fields its type leaves out taken from its chunk stream.
  struct ChunkHeader {
    uint32_t chunk_stream_id = 0;
    uint8_t format = 0;
    size_t size = 0;  // basic header, message header and extended timestamp
    uint32_t ts_field = 0;
    uint32_t timestamp = 0;  // the field, or the extended timestamp it stands for
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
  };

  // Both false while their part of the header is not all in `bytes`.
  static bool parse_basic_header(std::span<const uint8_t> bytes, ChunkHeader& header);
  static bool parse_message_header(std::span<const uint8_t> bytes, const ChunkStream* stream,
                                   ChunkHeader& header);
  ChunkError check(const ChunkHeader& header, const ChunkStream* stream) const;
  ChunkStream& take_header(const ChunkHeader& header, ChunkStream* stream);
  void finish(uint32_t chunk_stream_id, ChunkStream& stream, Message& out);
  void apply_control(const Message& message);

  ChunkLimits limits_;
  uint32_t chunk_size_ = 128;  // until the peer's Set Chunk Size (section 5.4.1)
  std::map<uint32_t, ChunkStream> streams_;
  size_t pending_bytes_ = 0;
  ChunkError error_ = ChunkError::kNone;
};

}  // namespace streamrelay::media::rtmp
