#include "media/rtmp/codec/chunk_reader.h"

#include <algorithm>

#include "media/big_endian.h"

namespace streamrelay::media::rtmp {
namespace {

// The largest message buffer a chunk stream keeps for reuse: audio and most video frames of a
// live stream fit; a keyframe's is let go rather than kept by each of thousands of relays.
constexpr size_t kKeptBufferBytes = 8 * 1024;
// A timestamp field with this value says the real one follows in four bytes (section 5.3.1.3).
constexpr uint32_t kExtendedTimestamp = 0xFFFFFF;
// Message header bytes by chunk type (section 5.3.1.2).
constexpr size_t kMessageHeaderBytes[] = {11, 7, 3, 0};

}  // namespace

bool ChunkReader::parse_basic_header(std::span<const uint8_t> bytes, ChunkHeader& header) {
  if (bytes.empty()) return false;
  header.format = static_cast<uint8_t>(bytes[0] >> 6);
  uint32_t id = bytes[0] & 0x3f;
  header.size = id == 0 ? 2 : id == 1 ? 3 : 1;  // ids 0 and 1 announce the longer forms
  if (bytes.size() < header.size) return false;
  if (id == 0) id = 64 + bytes[1];
  if (id == 1) id = 64 + bytes[1] + 256u * bytes[2];
  header.chunk_stream_id = id;
  return true;
}

bool ChunkReader::parse_message_header(std::span<const uint8_t> bytes, const ChunkStream* stream,
                                       ChunkHeader& header) {
  const ChunkStream fresh;  // a chunk stream's first chunk inherits zeros if it is not type 0
  const ChunkStream& previous = stream ? *stream : fresh;
  size_t end = header.size + kMessageHeaderBytes[header.format];
  if (bytes.size() < end) return false;
  const uint8_t* h = bytes.data() + header.size;
  header.ts_field = header.format <= 2 ? read_be(h, 3) : previous.ts_field;
  header.length = header.format <= 1 ? read_be(h + 3, 3) : previous.length;
  header.type = header.format <= 1 ? h[6] : previous.type;
  // The message stream id is the one little-endian field (section 5.3.1.2.1).
  header.stream_id = header.format == 0
                         ? static_cast<uint32_t>(h[7]) | (static_cast<uint32_t>(h[8]) << 8) |
                               (static_cast<uint32_t>(h[9]) << 16) |
                               (static_cast<uint32_t>(h[10]) << 24)
                         : previous.stream_id;
  header.timestamp = header.ts_field;
  if (header.ts_field == kExtendedTimestamp) {
    if (bytes.size() < end + 4) return false;
    header.timestamp = read_be(bytes.data() + end, 4);
    end += 4;
  }
  header.size = end;
  return true;
}

ChunkError ChunkReader::check(const ChunkHeader& header, const ChunkStream* stream) const {
  if (!stream && streams_.size() >= limits_.max_chunk_streams) {
    return ChunkError::kTooManyChunkStreams;
  }
  if (stream && stream->is_partial) {
    // A repeated header may continue a message, as FFmpeg allows, but never resize it.
    return header.length == stream->length ? ChunkError::kNone : ChunkError::kLengthChanged;
  }
  if (header.length > limits_.max_message_bytes) return ChunkError::kMessageTooLong;
  if (header.length > limits_.max_pending_bytes - pending_bytes_) {
    return ChunkError::kTooMuchPending;
  }
  return ChunkError::kNone;
}

ChunkReader::ChunkStream& ChunkReader::take_header(const ChunkHeader& header, ChunkStream* stream) {
  if (!stream) stream = &streams_[header.chunk_stream_id];
  if (!stream->is_partial) {
    // Type 0 carries the absolute timestamp; the others a delta, type 3 the last one sent (a
    // type 3 right after a type 0 repeats its timestamp as the delta, section 5.3.1.2.4).
    stream->timestamp =
        header.format == 0 ? header.timestamp : stream->timestamp + header.timestamp;
    stream->length = header.length;
    stream->type = header.type;
    stream->stream_id = header.stream_id;
    stream->payload.clear();
    stream->payload.reserve(header.length);
    stream->is_partial = true;
    pending_bytes_ += header.length;
  }
  stream->ts_field = header.ts_field;
  return *stream;
}

void ChunkReader::finish(uint32_t chunk_stream_id, ChunkStream& stream, Message& out) {
  stream.is_partial = false;
  pending_bytes_ -= stream.length;
  out.type = stream.type;
  out.stream_id = stream.stream_id;
  out.timestamp = stream.timestamp;
  out.chunk_stream_id = chunk_stream_id;
  out.payload.swap(stream.payload);
  if (stream.payload.capacity() > kKeptBufferBytes) std::vector<uint8_t>().swap(stream.payload);
  apply_control(out);
}

void ChunkReader::apply_control(const Message& message) {
  const std::vector<uint8_t>& p = message.payload;
  if (message.type == kSetChunkSize) {
    if (p.size() < 4) {
      error_ = ChunkError::kBadControlMessage;
      return;
    }
    // The top bit is reserved (section 5.4.1). Zero would never move on; no server announces
    // more than a message can hold.
    uint32_t size = read_be(p.data(), 4) & 0x7fffffff;
    if (size < 1 || size > limits_.max_message_bytes) {
      error_ = ChunkError::kBadChunkSize;
      return;
    }
    chunk_size_ = size;
  } else if (message.type == kAbort && p.size() >= 4) {
    // The partial message on that chunk stream is dropped; its header fields stay for the next.
    auto found = streams_.find(read_be(p.data(), 4));
    if (found == streams_.end() || !found->second.is_partial) return;
    pending_bytes_ -= found->second.length;
    found->second.is_partial = false;
    found->second.payload.clear();
  }
}

ChunkReader::Result ChunkReader::read(std::span<const uint8_t> input, Message& out) {
  size_t consumed = 0;
  while (error_ == ChunkError::kNone) {
    std::span<const uint8_t> rest = input.subspan(consumed);
    ChunkHeader header;
    if (!parse_basic_header(rest, header)) break;
    auto found = streams_.find(header.chunk_stream_id);
    ChunkStream* stream = found == streams_.end() ? nullptr : &found->second;
    if (!parse_message_header(rest, stream, header)) break;
    // Limits are judged on the header alone, before a hostile payload arrives.
    if (ChunkError error = check(header, stream); error != ChunkError::kNone) {
      error_ = error;
      break;
    }
    size_t have = stream && stream->is_partial ? stream->payload.size() : 0;
    size_t piece = std::min<size_t>(chunk_size_, header.length - have);
    if (rest.size() - header.size < piece) break;
    ChunkStream& target = take_header(header, stream);
    const uint8_t* data = rest.data() + header.size;
    target.payload.insert(target.payload.end(), data, data + piece);
    consumed += header.size + piece;
    if (target.payload.size() < target.length) continue;
    finish(header.chunk_stream_id, target, out);
    if (error_ == ChunkError::kNone) return {Status::kMessage, consumed, ChunkError::kNone};
  }
  Status status = error_ == ChunkError::kNone ? Status::kNeedMoreData : Status::kError;
  return {status, consumed, error_};
}

}  // namespace streamrelay::media::rtmp
