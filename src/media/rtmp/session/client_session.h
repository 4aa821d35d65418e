#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "media/rtmp/codec/message.h"
#include "media/rtmp/rtmp_url.h"
#include "media/rtmp/session/commands.h"

namespace streamrelay::media::rtmp {

// The client's side of an RTMP session (specification 1.0, sections 5 and 7) as an explicit
// state machine, without I/O: the handshake bytes, then one whole message from the server at
// a time in, the messages to answer with out. The transport (RtmpClient) moves the bytes, the
// chunk codec frames them; what the session decides is tested with byte vectors alone.
class ClientSession {
 public:
  enum class Role { kPlayer, kPublisher };
  enum class State {
    kHandshaking,      // C0+C1 sent: waiting for S0+S1+S2
    kConnecting,       // connect sent (and the publisher's Set Chunk Size before it)
    kCreatingStream,   // createStream sent (and releaseStream, FCPublish for a publisher)
    kStartingPublish,  // publish sent: waiting for NetStream.Publish.Start
    kPlaying,          // play sent: media may come, a refusal may still come
    kPublishing,       // the server takes the stream
    kEnded,            // the server ended the stream it played (Play.Stop, unpublished, EOF)
    kRefused,          // the server refused or ended it with an error: refusal()
  };
  // Why a session failed on the server's word, as an errno value: ECONNREFUSED (connect or
  // createStream refused), EACCES (publish refused or ended), ENOENT (play refused).
  struct Refusal {
    int error = 0;
    std::string reason;  // "server refused publish (NetStream.Publish.BadName: ...)"
  };
  // A message to send, for the chunk writer; a Set Chunk Size applies from the next one on.
  struct Outgoing {
    uint32_t chunk_stream_id = 0;
    uint8_t type = 0;
    uint32_t stream_id = 0;
    std::vector<uint8_t> payload;
  };

  static constexpr size_t kHandshakeSize = 1536;
  // What a publisher announces: a typical frame goes out in one chunk.
  static constexpr uint32_t kPublishChunkSize = 4096;

  ClientSession(Role role, RtmpUrl url) : role_(role), url_(std::move(url)) {}

  // C0 and C1: version 3, a zero time and zero version (the simple handshake), `random` bytes.
  std::vector<uint8_t> hello(std::span<const uint8_t> random) const;
  // The server's S0+S1+S2 (1 + 2 * kHandshakeSize bytes): C2 (the echo of S1) to send, and the
  // opening messages queued. Empty for a version other than 3 (nothing the session speaks).
  std::vector<uint8_t> on_server_hello(std::span<const uint8_t> s0s1s2);
  // A whole message from the server, with the count of all bytes received so far (for the
  // acknowledgement window): what it calls for is queued, the state moves on.
  void on_message(const Message& message, uint64_t bytes_received);
  // Ends a publish session cleanly: FCUnpublish and deleteStream queued.
  void unpublish();

  // The messages queued since the last take.
  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }
  bool has_outgoing() const { return !outgoing_.empty(); }
  State state() const { return state_; }
  const Refusal& refusal() const { return refusal_; }
  // The message stream createStream gave: media and publish/play go on it.
  uint32_t stream_id() const { return stream_id_; }
  const std::string& stream_name() const { return url_.stream; }
  // Whether the opening is done: playing or publishing (or already ended).
  bool is_open() const;
  // The codecs the server said it takes in its answer to connect (enhanced RTMP); none when it
  // did not say (a legacy server, or one that takes any without saying).
  const std::optional<std::vector<std::string>>& server_fourcc_list() const {
    return server_fourcc_list_;
  }
  // The server's acknowledgement window (Window Acknowledgement Size), for the transport.
  uint32_t ack_window() const { return ack_window_; }

 private:
  void on_control(const Message& message);
  void on_command(const Message& message);
  void refuse(int error, const char* what, const ServerCommand& answer);
  void queue(uint32_t chunk_stream_id, uint8_t type, uint32_t stream_id,
             std::vector<uint8_t> payload);
  void queue_command(uint32_t stream_id, std::vector<uint8_t> command);
  void acknowledge(uint64_t bytes_received);

  Role role_;
  RtmpUrl url_;
  State state_ = State::kHandshaking;
  Refusal refusal_;
  uint32_t stream_id_ = 0;
  std::optional<std::vector<std::string>> server_fourcc_list_;
  uint32_t ack_window_ = 2500000;
  uint64_t bytes_acknowledged_ = 0;
  std::vector<Outgoing> outgoing_;
};

}  // namespace streamrelay::media::rtmp
