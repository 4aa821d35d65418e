#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "media/io_deadline.h"
#include "media/rtmp/aggregate.h"
#include "media/rtmp/chunk_reader.h"
#include "media/rtmp/chunk_writer.h"

extern "C" {
#include <libavformat/avio.h>
}

namespace streamrelay::media {

// Plays or publishes one rtmp:// stream as an FLV byte stream. Written by hand because
// libavformat's RTMP client polls and reads or writes the socket once per RTMP chunk (several
// system calls per packet), which was most of a relay's CPU; this one reads whatever the socket
// holds in one call and sends each message in one. Plain handshake, AMF0 commands, no TLS
// (rtmps:// stays with libavformat).
class RtmpClient {
 public:
  explicit RtmpClient(IoDeadline& deadline) : deadline_(deadline) {}
  ~RtmpClient();
  RtmpClient(const RtmpClient&) = delete;
  RtmpClient& operator=(const RtmpClient&) = delete;

  // Connects, handshakes and starts playing; 0 or a negative AVERROR code.
  int open(const std::string& url);
  // The next FLV bytes (the file header first); the byte count, or a negative AVERROR code.
  int read(uint8_t* buffer, int size);
  // A read that finds the socket empty waits `period` before looking again instead of waking at
  // the next arrival, so one wake-up takes a batch of messages. Zero (the default, for a start):
  // every arrival wakes the reader.
  void set_read_batching(std::chrono::milliseconds period) { read_batch_ = period; }
  // Called each time a read is about to wait for the network (with nothing left at hand).
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }

  // Connects, handshakes and starts publishing; 0 or a negative AVERROR code.
  int open_for_publishing(const std::string& url);
  // Takes FLV bytes (the file header first) and sends each complete tag as a message.
  int write(const uint8_t* buffer, int size);
  // A libavformat I/O context over this client, with a buffer of `buffer_bytes`: it reads what
  // open() plays, or writes what open_for_publishing() publishes. Null when memory runs out.
  AVIOContext* make_io(int buffer_bytes, bool is_writing);
  // Frees a context made by make_io(), its buffer included, and nulls the pointer.
  static void free_io(AVIOContext*& io);
  // Ends the publish session cleanly (the socket closes with the object).
  void unpublish();

  static bool handles(const std::string& url) { return url.rfind("rtmp://", 0) == 0; }
  // An open() failure that libavformat's client may get past: a URL form this one does not
  // take, or a server that wants the digest handshake (it breaks off or answers in kind).
  static bool should_fall_back(int code);
  // What the server said when it refused (its status code and description), if it did.
  const std::string& refusal() const { return refusal_; }

 private:
  using Message = rtmp::Message;

  static int read_packet(void* opaque, uint8_t* buffer, int size);
  static int write_packet(void* opaque, uint8_t* buffer, int size);
  int connect_socket(const std::string& host, const std::string& port);
  int wait_for(short events);
  int receive_more();
  int ensure(size_t bytes);
  int send_all(const std::vector<uint8_t>& bytes);
  int handshake();
  int send_message(uint32_t csid, uint8_t type, uint32_t stream_id,
                   const std::vector<uint8_t>& payload);
  // The next whole message, receiving as needed (unless draining); acknowledges what came.
  int read_message(Message& out);
  // Answers protocol control messages; a negative AVERROR code on a fatal one.
  int on_control(const Message& message);
  // Reads messages until the command answering `transaction` (or an onStatus) arrives.
  int await_result(double transaction, std::vector<uint8_t>& result);
  // Reads messages, answering control ones, up to the next AMF0 command.
  int read_command(Message& out);
  // Connects, handshakes and sends `connect` and `createStream`; fills the stream name.
  int start_session(const std::string& url, bool is_publisher);
  // Handles whatever the server sent meanwhile (pings above all) without blocking.
  int drain_incoming();
  void append_tag(uint8_t type, uint32_t timestamp, std::span<const uint8_t> payload);

  IoDeadline& deadline_;
  int fd_ = -1;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;  // next unread byte
  size_t in_end_ = 0;  // end of the bytes received
  uint64_t bytes_received_ = 0;
  uint64_t bytes_acknowledged_ = 0;
  uint32_t ack_window_ = 2500000;
  rtmp::ChunkReader chunk_reader_;
  rtmp::ChunkWriter chunk_writer_;
  uint32_t play_stream_id_ = 0;
  std::string stream_name_;
  std::vector<uint8_t> pending_out_;  // FLV bytes written but not yet a whole tag
  bool is_publishing_ = false;
  bool has_sent_file_header_ = false;
  std::string refusal_;
  bool may_receive_ = true;  // false while draining: parse only what is buffered
  static constexpr int kNeedMoreData = -0x7e7e7e7e;
  std::chrono::steady_clock::time_point last_drain_{};
  std::vector<uint8_t> flv_;  // FLV bytes not yet handed out
  Message incoming_;
  std::vector<rtmp::AggregatePart> aggregate_parts_;
  std::vector<uint8_t> batch_;  // chunks of the messages one write() sends
  size_t flv_pos_ = 0;
  bool has_ended_ = false;
  // Each arriving segment is acknowledged at once until the stream is under way: servers that
  // leave Nagle's algorithm on (nginx-rtmp) otherwise hold their next reply for our delayed
  // acknowledgement, 40 ms per command exchange and again before the first keyframe.
  bool is_acking_quickly_ = true;
  int media_messages_ = 0;
  std::chrono::milliseconds read_batch_{0};
  std::function<void()> wait_hook_;
};

}  // namespace streamrelay::media
