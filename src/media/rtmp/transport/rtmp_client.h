#pragma once

#include <netdb.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/io_deadline.h"
#include "media/rtmp/codec/aggregate.h"
#include "media/rtmp/codec/chunk_reader.h"
#include "media/rtmp/codec/chunk_writer.h"
#include "media/rtmp/session/client_session.h"
#include "media/rtmp/transport/send_progress.h"
#include "media/runtime/fiber.h"

extern "C" {
#include <libavformat/avio.h>
}

namespace streamrelay::media {

// Plays or publishes one rtmp:// stream as FLV tags: the transport of an RTMP session (the
// socket, on its event loop), framing with the chunk codec what the session state machine
// (rtmp::ClientSession) decides. Written by hand because libavformat's RTMP client polls and
// reads or writes the socket once per RTMP chunk (several system calls per packet), which was
// most of a relay's CPU; this one reads whatever the socket holds in one call and sends each
// message in one. Plain handshake, AMF0 commands, no TLS (rtmps:// stays with libavformat).
class RtmpClient {
 public:
  explicit RtmpClient(IoDeadline& deadline) : deadline_(deadline) {}
  ~RtmpClient();
  RtmpClient(const RtmpClient&) = delete;
  RtmpClient& operator=(const RtmpClient&) = delete;

  // One FLV tag as an RTMP message carries it: its body is valid until the next read_tag().
  struct Tag {
    uint8_t type = 0;  // rtmp::kAudio, kVideo or kDataAmf0 (onMetaData, unwrapped)
    uint32_t timestamp = 0;
    std::span<const uint8_t> body;
  };

  // Connects, handshakes and starts playing; 0 or a negative AVERROR code.
  int open(const std::string& url);
  // The next audio, video or metadata tag played; 0 or a negative AVERROR code.
  int read_tag(Tag& tag);
  // A read that finds the socket empty waits up to the next multiple of `period` on the clock
  // before looking again instead of waking at the next arrival, so one wake-up takes a batch of
  // messages, and the relays of one loop read on the same ticks (one wake-up of the loop serves
  // them all). Zero (the default, for a start): every arrival wakes the reader.
  void set_read_batching(std::chrono::milliseconds period) { read_batch_ = period; }
  // Called each time a read is about to wait for the network (with nothing left at hand).
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }

  // Connects, handshakes and starts publishing; 0 or a negative AVERROR code.
  int open_for_publishing(const std::string& url);
  // Publishing: queues one tag (its body as header bytes and data, which need not be joined);
  // nothing is sent until send_queued().
  void queue_tag(uint8_t type, uint32_t timestamp, std::span<const uint8_t> header,
                 std::span<const uint8_t> data);
  // Queues an onMetaData body, wrapped in "@setDataFrame".
  void queue_metadata(uint32_t timestamp, std::span<const uint8_t> body);
  // Sends what queue_tag() queued in one go; 0 or a negative AVERROR code.
  int send_queued();
  // Takes FLV bytes (the file header first) and sends each complete tag as a message.
  int write(const uint8_t* buffer, int size);
  // A libavformat I/O context over this client, with a buffer of `buffer_bytes`, that writes
  // what open_for_publishing() publishes (libavformat's FLV muxer for codecs the tag writer
  // leaves to it). Null when memory runs out.
  AVIOContext* make_output_io(int buffer_bytes);
  // Frees a context made by make_output_io(), its buffer included, and nulls the pointer.
  static void free_io(AVIOContext*& io);
  // Ends the publish session cleanly (the socket closes with the object).
  void unpublish();
  // A write fails once the server has taken no bytes for `limit` (publishing only; by default
  // only a send that blocks until the deadline fails).
  void set_send_stall_limit(std::chrono::milliseconds limit) { send_progress_.emplace(limit); }

  static bool handles(const std::string& url) { return url.rfind("rtmp://", 0) == 0; }
  // An open() failure that libavformat's client may get past: a URL form this one does not
  // take, or a server that wants the digest handshake (it breaks off or answers in kind). A
  // server this process's client has already had a session with does not want it: that one
  // breaking off is overload or an outage, retried here, not a blocking client on a thread.
  bool should_fall_back(int code) const;
  // Why the session failed when the error code alone does not say: what the server said when
  // it refused or ended it (its status code and description), or a host that did not resolve.
  const std::string& failure_reason() const { return failure_reason_; }
  // The codecs the server said it takes (enhanced RTMP's fourCcList); none when it did not say.
  std::optional<std::vector<std::string>> server_fourcc_list() const {
    return session_ ? session_->server_fourcc_list() : std::nullopt;
  }

 private:
  using Message = rtmp::Message;

  static int write_packet(void* opaque, uint8_t* buffer, int size);
  // Resolves (within the deadline) and connects to the first address that answers.
  int connect_socket(const std::string& host, const std::string& port);
  int connect_to(const addrinfo& address);
  int wait_for(short events);
  int receive_more();
  int ensure(size_t bytes);
  int send_all(const std::vector<uint8_t>& bytes);
  // Fails when the server has acknowledged nothing of what waits in the socket for the limit.
  int check_send_progress();
  // C0+C1 out, S0+S1+S2 in, C2 and the session's opening messages out.
  int handshake();
  // Sends what the session queued, in one go.
  int flush_session();
  // The next whole message, receiving as needed (unless draining), handed to the session
  // (which acknowledges what came and answers what calls for it).
  int read_message(Message& out);
  // The session's refusal as a negative AVERROR code (its reason kept), or 0.
  int session_error();
  // Connects and handshakes, then reads until the session plays or publishes (or is refused).
  int open_session(const std::string& url, rtmp::ClientSession::Role role);
  bool is_publishing() const {
    return session_ && session_->state() == rtmp::ClientSession::State::kPublishing;
  }
  // Handles whatever the server sent meanwhile (pings above all) without blocking.
  int drain_incoming();
  // A send failed: the server's own reason, if it gave one, replaces the socket's error.
  int explain_send_failure(int code);
  // A media message arrived while playing: the quick acknowledgements end once under way.
  void note_media(uint8_t type, std::span<const uint8_t> payload);

  IoDeadline& deadline_;
  std::string server_;  // host:port, once the URL is read
  int fd_ = -1;
  runtime::FdWatch watch_;  // the socket in its event loop's reactor (on a fiber)
  std::unique_ptr<uint8_t[]> in_;
  size_t in_size_ = 0;
  size_t in_pos_ = 0;           // next unread byte
  size_t in_end_ = 0;           // end of the bytes received
  bool was_read_full_ = false;  // the last receive filled the buffer: more was waiting
  size_t small_reads_ = 0;      // receives in a row that filled less than a quarter of it
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
  std::optional<SendProgress> send_progress_;  // publishing: whether the server takes bytes
  rtmp::ChunkReader chunk_reader_;
  rtmp::ChunkWriter chunk_writer_;
  std::optional<rtmp::ClientSession> session_;  // once the URL is read
  std::vector<uint8_t> pending_out_;            // FLV bytes written but not yet a whole tag
  bool has_sent_file_header_ = false;
  std::string failure_reason_;
  bool may_receive_ = true;  // false while draining: parse only what is buffered
  static constexpr int kNeedMoreData = -0x7e7e7e7e;
  std::chrono::steady_clock::time_point last_drain_{};
  std::chrono::steady_clock::time_point last_progress_check_{};
  Message incoming_;
  std::vector<rtmp::AggregatePart> aggregate_parts_;
  size_t next_part_ = 0;        // of aggregate_parts_, the next read_tag() hands out
  std::vector<uint8_t> batch_;  // chunks of the messages send_queued() sends
  // Each arriving segment is acknowledged at once until the stream is under way: servers that
  // leave Nagle's algorithm on (nginx-rtmp) otherwise hold their next reply for our delayed
  // acknowledgement, 40 ms per command exchange and again before the first keyframe.
  bool is_acking_quickly_ = true;
  int media_messages_ = 0;
  std::chrono::milliseconds read_batch_{0};
  std::function<void()> wait_hook_;
};

}  // namespace streamrelay::media
